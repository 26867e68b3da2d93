// Package evict evicts pods one after the other through the Eviction API,
// as `kubectl drain` does: a PodDisruptionBudget that forbids an eviction
// answers 429, and the eviction is retried until the budget allows it,
// never forced. Evicted pods are replaced by their controller, so there is
// nothing to revert.
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

func sortedKeys(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
