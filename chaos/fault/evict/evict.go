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

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/selfheal/selfheal/chaos/fault"
	"github.com/selfheal/selfheal/chaos/kube"
	"github.com/selfheal/selfheal/chaos/result"
)

// RepairKind is the Undo kind of evicted pods: Params namespace and
// selector, the pods whose replacements must be Ready.
const RepairKind = "pods-replaced"

// Fault evicts every pod matching a selector, in turn.
type Fault struct {
	*Evictor
	namespace string
	selector  string
	// proofTimeout bounds the wait, after each eviction, for the pod to
	// be seen leaving and its replacement created.
	proofTimeout time.Duration
}

// New evicts the pods matching selector in namespace.
func New(c *kube.Client, namespace, selector string, opts ...Option) *Fault {
	return &Fault{Evictor: NewEvictor(c, opts...), namespace: namespace, selector: selector, proofTimeout: 2 * time.Minute}
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
	known := map[types.UID]bool{}
	for _, p := range pods.Items {
		known[p.UID] = true
	}
	for _, p := range pods.Items {
		evicted, err := f.Evict(ctx, m, f.namespace, p.Name, p.Spec.NodeName)
		if err != nil {
			return err
		}
		if evicted {
			f.proveReplaced(ctx, m, p, known)
		}
	}
	return nil
}

// proveReplaced reads from the API, after an eviction, that the pod is
// leaving (terminating, or gone) and that a replacement was created: a
// pod matching the selector with a UID not seen before (known, which
// this adds it to, so that each replacement proves one eviction). The
// answer 201 alone proves neither. It records what it last saw when the
// bound passes first.
func (f *Fault) proveReplaced(ctx context.Context, m fault.Marker, p corev1.Pod, known map[types.UID]bool) {
	start := time.Now()
	var leaving, replaced string
	look := func(ctx context.Context) (bool, string, error) {
		gone, state, err := departed(ctx, f.client, p)
		if err != nil {
			return false, "", err
		}
		leaving = state
		fresh, err := f.newPod(ctx, known)
		if err != nil {
			return false, "", err
		}
		replaced = "no replacement yet"
		if fresh != nil {
			replaced = fmt.Sprintf("replacement %s (uid %s) created", fresh.Name, fresh.UID)
		}
		if !gone || fresh == nil {
			return false, "", nil
		}
		known[fresh.UID] = true
		return true, "", nil
	}
	err := kube.WaitFor(ctx, look, 200*time.Millisecond, f.proofTimeout)
	e := result.Evidence{Check: fmt.Sprintf("pod %s/%s (uid %s) and the pods matching %s, read from the API after its eviction", p.Namespace, p.Name, p.UID, f.selector)}
	after := time.Since(start).Round(100 * time.Millisecond)
	switch {
	case err == nil:
		e.Held, e.Observed = true, fmt.Sprintf("%s; %s, %s after the eviction", leaving, replaced, after)
	case leaving == "":
		e.Observed = fmt.Sprintf("could not be read in the %s after the eviction: %v", after, err)
	default:
		e.Observed = fmt.Sprintf("%s; %s, %s after the eviction", leaving, replaced, after)
	}
	m.Proved(e)
}

// departed says whether the evicted pod is leaving: terminating, deleted,
// or replaced under its name by a pod with another UID (a StatefulSet's);
// state says which.
func departed(ctx context.Context, c *kube.Client, p corev1.Pod) (bool, string, error) {
	cur, err := c.Kubernetes.CoreV1().Pods(p.Namespace).Get(ctx, p.Name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return true, fmt.Sprintf("pod %s deleted", p.Name), nil
	case err != nil:
		return false, "", fmt.Errorf("reading pod %s/%s: %w", p.Namespace, p.Name, err)
	case cur.UID != p.UID:
		return true, fmt.Sprintf("pod %s deleted (its name now has uid %s)", p.Name, cur.UID), nil
	case cur.DeletionTimestamp != nil:
		return true, fmt.Sprintf("pod %s terminating (deletionTimestamp set)", p.Name), nil
	}
	return false, fmt.Sprintf("pod %s still running, not terminating", p.Name), nil
}

// newPod is the oldest pod matching the selector that is not terminating
// and was not known; nil when there is none.
func (f *Fault) newPod(ctx context.Context, known map[types.UID]bool) (*corev1.Pod, error) {
	pods, err := f.client.Kubernetes.CoreV1().Pods(f.namespace).List(ctx, metav1.ListOptions{LabelSelector: f.selector})
	if err != nil {
		return nil, fmt.Errorf("listing pods %s in %s: %w", f.selector, f.namespace, err)
	}
	var found *corev1.Pod
	for i := range pods.Items {
		p := &pods.Items[i]
		if known[p.UID] || p.DeletionTimestamp != nil {
			continue
		}
		if found == nil || p.CreationTimestamp.Before(&found.CreationTimestamp) {
			found = p
		}
	}
	return found, nil
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
