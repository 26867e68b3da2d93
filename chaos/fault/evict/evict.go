// Package evict evicts pods one after the other through the Eviction API,
// as `kubectl drain` does: a PodDisruptionBudget that forbids an eviction
// answers 429, and the eviction is retried until the budget allows it,
// never forced. Evicted pods are replaced by their controller, so there is
// nothing to revert; a later run's repair only waits for the replacements
// to be Ready.
package evict

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/selfheal/selfheal/chaos/fault"
	"github.com/selfheal/selfheal/chaos/kube"
)

// RepairKind is the Undo kind of evicted pods: Params namespace and
// selector, the pods whose replacements must be Ready.
const RepairKind = "pods-replaced"

// Fault evicts every pod matching a selector, in turn.
type Fault struct {
	*Evictor
	namespace string
	selector  string
}

// New evicts the pods matching selector in namespace.
func New(c *kube.Client, namespace, selector string, opts ...Option) *Fault {
	return &Fault{Evictor: NewEvictor(c, opts...), namespace: namespace, selector: selector}
}

// Name implements fault.Fault.
func (f *Fault) Name() string { return "pod-eviction" }

// Inject evicts each pod that exists now, one after the other, without
// waiting for replacements: the PDB decides when the next may go.
func (f *Fault) Inject(ctx context.Context, m fault.Marker) error {
	pods, err := f.client.Kubernetes.CoreV1().Pods(f.namespace).List(ctx, metav1.ListOptions{LabelSelector: f.selector})
	if err != nil {
		return fmt.Errorf("listing pods %s in %s: %w", f.selector, f.namespace, err)
	}
	if len(pods.Items) == 0 {
		return fmt.Errorf("no pod matches %s in namespace %s", f.selector, f.namespace)
	}
	sort.Slice(pods.Items, func(i, j int) bool { return pods.Items[i].Name < pods.Items[j].Name })
	if err := m.Breaking(ctx, fault.Undo{Kind: RepairKind, Detail: fmt.Sprintf("pods %s in %s evicted", f.selector, f.namespace),
		Params: map[string]string{"namespace": f.namespace, "selector": f.selector}}); err != nil {
		return err
	}
	for _, p := range pods.Items {
		if _, err := f.Evict(ctx, m, f.namespace, p.Name, p.Spec.NodeName); err != nil {
			return err
		}
	}
	return nil
}

// Evictor evicts single pods through the Eviction API, as `kubectl drain`
// does: while a PodDisruptionBudget refuses (429) it waits and retries, up
// to a timeout, and it never deletes a pod itself. It remembers how often
// the budget held each eviction back, for the result's notes. The
// pod-eviction and node-drain faults share it.
type Evictor struct {
	client  *kube.Client
	retry   time.Duration
	timeout time.Duration

	mu      sync.Mutex
	blocked map[string]int // pod → 429s before its eviction went through
}

// Option configures the evictions.
type Option func(*Evictor)

// WithRetry sets the pause after a 429 (default 1 s).
func WithRetry(d time.Duration) Option { return func(e *Evictor) { e.retry = d } }

// WithTimeout bounds the wait for the budget to allow one eviction
// (default 5 min).
func WithTimeout(d time.Duration) Option { return func(e *Evictor) { e.timeout = d } }

// NewEvictor evicts through c.
func NewEvictor(c *kube.Client, opts ...Option) *Evictor {
	e := &Evictor{client: c, retry: time.Second, timeout: 5 * time.Minute, blocked: map[string]int{}}
	for _, o := range opts {
		o(e)
	}
	return e
}

// Evict evicts one pod (running on node, for the words), retrying while the
// PDB refuses, and calls m.Injected once it went through. It reports
// whether it evicted the pod: one already gone is not an error.
func (e *Evictor) Evict(ctx context.Context, m fault.Marker, namespace, pod, node string) (bool, error) {
	deadline := time.Now().Add(e.timeout)
	blocked := 0
	for {
		err := e.client.Kubernetes.PolicyV1().Evictions(namespace).Evict(ctx, &policyv1.Eviction{
			ObjectMeta: metav1.ObjectMeta{Name: pod, Namespace: namespace},
		})
		switch {
		case err == nil:
			e.mu.Lock()
			e.blocked[pod] = blocked
			e.mu.Unlock()
			detail := fmt.Sprintf("evicted pod %s from %s", pod, node)
			if blocked > 0 {
				detail += fmt.Sprintf(" (after %d refusal(s) by the PodDisruptionBudget)", blocked)
			}
			m.Injected(detail)
			return true, nil
		case apierrors.IsNotFound(err):
			m.Logf("pod %s is already gone; not evicting it", pod)
			return false, nil
		case apierrors.IsTooManyRequests(err):
			if blocked == 0 {
				m.Logf("the PodDisruptionBudget refuses to evict %s for now (429); retrying every %s", pod, e.retry)
			}
			blocked++
			if time.Now().After(deadline) {
				return false, fmt.Errorf("evicting %s: the PodDisruptionBudget refused it for %s: %w", pod, e.timeout, err)
			}
		default:
			return false, fmt.Errorf("evicting pod %s/%s: %w", namespace, pod, err)
		}
		select {
		case <-ctx.Done():
			return false, fmt.Errorf("evicting %s: %w", pod, context.Cause(ctx))
		case <-time.After(e.retry):
		}
	}
}

// Notes say how often the PDB held an eviction back.
func (e *Evictor) Notes() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var notes []string
	for _, pod := range sortedKeys(e.blocked) {
		if n := e.blocked[pod]; n > 0 {
			notes = append(notes, fmt.Sprintf("The PodDisruptionBudget refused the eviction of %s %d time(s) (429) until a replacement was Ready; selfheal waited, as kubectl drain does.", pod, n))
		}
	}
	return notes
}

// Revert has nothing to undo: the controller replaces evicted pods, and
// the scenario's steady-state check waits for that.
func (f *Fault) Revert(context.Context, fault.Marker) error { return nil }

// NewRepairer waits, through c and up to timeout, until the pods a dead
// run evicted are replaced: evictions have nothing to put back, but the
// next run must not start while the replacements are not Ready. It holds
// when at least one pod matches and every matching pod is Ready and none
// is terminating; when no pod matches at all, the workload is gone and
// there is nothing to wait for.
func NewRepairer(c *kube.Client, timeout time.Duration) fault.Repairer {
	return fault.RepairFunc(RepairKind, timeout, func(ctx context.Context, u fault.Undo) (string, error) { return repair(ctx, c, timeout, u) })
}

func repair(ctx context.Context, c *kube.Client, timeout time.Duration, u fault.Undo) (string, error) {
	ns, sel := u.Params["namespace"], u.Params["selector"]
	if ns == "" || sel == "" {
		return "", fmt.Errorf("the record does not name the pods: %v", u.Params)
	}
	count := func(ctx context.Context) (ready, all int, err error) {
		pods, err := c.Kubernetes.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: sel})
		if err != nil {
			return 0, 0, fmt.Errorf("listing pods %s in %s: %w", sel, ns, err)
		}
		for i := range pods.Items {
			if p := &pods.Items[i]; p.DeletionTimestamp == nil && kube.PodReady(p) {
				ready++
			}
		}
		return ready, len(pods.Items), nil
	}
	replaced := func(ctx context.Context) (bool, string, error) {
		ready, all, err := count(ctx)
		return err == nil && all > 0 && ready == all, fmt.Sprintf("%d of %d pods %s Ready and not terminating", ready, all, sel), err
	}
	switch ready, all, err := count(ctx); {
	case err == nil && all == 0:
		// The workload went with its pods: nothing will replace them.
		return "", fault.Gone(fmt.Sprintf("every pod %s in %s", sel, ns))
	case err == nil && ready == all:
		return "", nil
	}
	start := time.Now()
	if err := kube.WaitFor(ctx, replaced, time.Second, timeout); err != nil {
		return "", err
	}
	return fmt.Sprintf("nothing to put back; the evicted pods %s were replaced, every one Ready after %s", sel, time.Since(start).Round(100*time.Millisecond)), nil
}

func sortedKeys(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
