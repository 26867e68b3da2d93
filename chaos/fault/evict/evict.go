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
	client    *kube.Client
	namespace string
	selector  string
	retry     time.Duration
	timeout   time.Duration

	mu      sync.Mutex
	blocked map[string]int // pod → 429s before its eviction went through
}

// Option configures the fault.
type Option func(*Fault)

// WithRetry sets the pause after a 429 (default 1 s).
func WithRetry(d time.Duration) Option { return func(f *Fault) { f.retry = d } }

// WithTimeout bounds the wait for the budget to allow one eviction
// (default 5 min).
func WithTimeout(d time.Duration) Option { return func(f *Fault) { f.timeout = d } }

// New evicts the pods matching selector in namespace.
func New(c *kube.Client, namespace, selector string, opts ...Option) *Fault {
	f := &Fault{client: c, namespace: namespace, selector: selector, retry: time.Second, timeout: 5 * time.Minute, blocked: map[string]int{}}
	for _, o := range opts {
		o(f)
	}
	return f
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
		if err := f.evict(ctx, m, p.Name, p.Spec.NodeName); err != nil {
			return err
		}
	}
	return nil
}

// evict evicts one pod, retrying while the PDB refuses.
func (f *Fault) evict(ctx context.Context, m fault.Marker, pod, node string) error {
	deadline := time.Now().Add(f.timeout)
	blocked := 0
	for {
		err := f.client.Kubernetes.PolicyV1().Evictions(f.namespace).Evict(ctx, &policyv1.Eviction{
			ObjectMeta: metav1.ObjectMeta{Name: pod, Namespace: f.namespace},
		})
		switch {
		case err == nil:
			f.mu.Lock()
			f.blocked[pod] = blocked
			f.mu.Unlock()
			detail := fmt.Sprintf("evicted pod %s from %s", pod, node)
			if blocked > 0 {
				detail += fmt.Sprintf(" (after %d refusal(s) by the PodDisruptionBudget)", blocked)
			}
			m.Injected(detail)
			return nil
		case apierrors.IsNotFound(err):
			m.Logf("pod %s is already gone; not evicting it", pod)
			return nil
		case apierrors.IsTooManyRequests(err):
			if blocked == 0 {
				m.Logf("the PodDisruptionBudget refuses to evict %s for now (429); retrying every %s", pod, f.retry)
			}
			blocked++
			if time.Now().After(deadline) {
				return fmt.Errorf("evicting %s: the PodDisruptionBudget refused it for %s: %w", pod, f.timeout, err)
			}
		default:
			return fmt.Errorf("evicting pod %s/%s: %w", f.namespace, pod, err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("evicting %s: %w", pod, context.Cause(ctx))
		case <-time.After(f.retry):
		}
	}
}

// Notes say how often the PDB held an eviction back.
func (f *Fault) Notes() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var notes []string
	for _, pod := range sortedKeys(f.blocked) {
		if n := f.blocked[pod]; n > 0 {
			notes = append(notes, fmt.Sprintf("The PodDisruptionBudget refused the eviction of %s %d time(s) (429) until a replacement was Ready; selfheal waited, as kubectl drain does.", pod, n))
		}
	}
	return notes
}

// Revert has nothing to undo: the controller replaces evicted pods, and
// the scenario's steady-state check waits for that.
func (f *Fault) Revert(context.Context, fault.Marker) error { return nil }

// Repairer waits until the pods a dead run evicted are replaced: evictions
// have nothing to put back, but the next run must not start while the
// replacements are not Ready.
type Repairer struct {
	client  *kube.Client
	timeout time.Duration
}

// NewRepairer waits through c, up to timeout.
func NewRepairer(c *kube.Client, timeout time.Duration) *Repairer {
	return &Repairer{client: c, timeout: timeout}
}

// Kind implements fault.Repairer.
func (r *Repairer) Kind() string { return RepairKind }

// Repair implements fault.Repairer: it holds when at least one pod
// matches and every matching pod is Ready and none is terminating.
func (r *Repairer) Repair(ctx context.Context, u fault.Undo) (string, error) {
	ns, sel := u.Params["namespace"], u.Params["selector"]
	if ns == "" || sel == "" {
		return "", fmt.Errorf("the record does not name the pods: %v", u.Params)
	}
	replaced := func(ctx context.Context) (bool, string, error) {
		pods, err := r.client.Kubernetes.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: sel})
		if err != nil {
			return false, "", fmt.Errorf("listing pods %s in %s: %w", sel, ns, err)
		}
		ready := 0
		for i := range pods.Items {
			if p := &pods.Items[i]; p.DeletionTimestamp == nil && kube.PodReady(p) {
				ready++
			}
		}
		return len(pods.Items) > 0 && ready == len(pods.Items), fmt.Sprintf("%d of %d pods %s Ready and not terminating", ready, len(pods.Items), sel), nil
	}
	if ok, _, err := replaced(ctx); err == nil && ok {
		return "", nil
	}
	start := time.Now()
	if err := kube.WaitFor(ctx, replaced, time.Second, r.timeout); err != nil {
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
