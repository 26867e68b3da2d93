// Package scale scales a workload out to twice its replica count and back
// in, through the workload's scale subresource (as `kubectl scale` and the
// HorizontalPodAutoscaler do): two injections, each a change of the
// replica count under load. A scale-in is a planned disruption: the pods
// removed go through their preStop hook and leave the Service's endpoints
// while the others keep serving. Revert, and the Repairer from the
// active-fault record in a later run, put the original count back.
package scale

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/selfheal/selfheal/chaos/fault"
	"github.com/selfheal/selfheal/chaos/kube"
	"github.com/selfheal/selfheal/chaos/result"
)

// RepairKind is the Undo kind of a scaled workload: Params namespace,
// kind, name and replicas (the count to go back to).
const RepairKind = "workload-replicas"

// Fault is the scale out and in.
type Fault struct {
	client    *kube.Client
	namespace string
	kind      string
	name      string
	service   string
	settle    time.Duration
	timeout   time.Duration

	mu   sync.Mutex
	from int32 // the original count once recorded; 0 before
}

// Option configures the fault.
type Option func(*Fault)

// WithKind names the workload's kind: kube.KindDeployment (the default) or
// kube.KindStatefulSet. A DaemonSet has no replica count and is refused.
func WithKind(kind string) Option { return func(f *Fault) { f.kind = kind } }

// WithSettle sets the pause between the end of the scale-out and the
// scale-in (default 10 s), so the two changes are told apart in the
// timeline and the new pods take their share of the load before any goes.
func WithSettle(d time.Duration) Option { return func(f *Fault) { f.settle = d } }

// WithTimeout bounds each wait for the workload to settle at its new count
// (default 3 min).
func WithTimeout(d time.Duration) Option { return func(f *Fault) { f.timeout = d } }

// New scales workload `name` in namespace, served by Service `service`.
func New(c *kube.Client, namespace, name, service string, opts ...Option) *Fault {
	f := &Fault{client: c, namespace: namespace, kind: kube.KindDeployment, name: name, service: service,
		settle: 10 * time.Second, timeout: 3 * time.Minute}
	for _, o := range opts {
		o(f)
	}
	return f
}

// Name implements fault.Fault.
func (f *Fault) Name() string { return "scale-out-in" }

// Inject scales out to twice the count, waits until the new pods are
// Ready and in the endpoints, scales back in and waits until the removed
// pods are gone from the endpoints.
func (f *Fault) Inject(ctx context.Context, m fault.Marker) error {
	if err := Scalable(f.kind); err != nil {
		return err
	}
	s, err := f.client.Scale(ctx, f.namespace, f.kind, f.name)
	if err != nil {
		return err
	}
	from := s.Spec.Replicas
	if from < 1 {
		return fmt.Errorf("%s %s/%s has %d replicas: nothing serves, so there is nothing to scale out from", f.kind, f.namespace, f.name, from)
	}
	to := scaledOut(from)
	if err := m.Breaking(ctx, fault.Undo{Kind: RepairKind, Detail: fmt.Sprintf("%s %s scaled from %d to %d replicas", f.kind, f.name, from, to),
		Params: map[string]string{"namespace": f.namespace, "kind": f.kind, "name": f.name, "replicas": strconv.Itoa(int(from))}}); err != nil {
		return err
	}
	f.mu.Lock()
	f.from = from // before the call: a scale cut short must still be reverted
	f.mu.Unlock()
	if err := f.step(ctx, m, "scale out", from, to); err != nil {
		return err
	}
	m.Logf("%d replicas Ready and in the endpoints; scaling in in %s", to, f.settle)
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-time.After(f.settle):
	}
	return f.step(ctx, m, "scale in", to, from)
}

// step sets the count, marks the instant the update returned, reads the
// count back, and waits until the workload is steady at the new count:
// rollout complete, every replica Ready and the Service listing exactly
// those, none terminating. Its evidence is the scale subresource reading
// the new count and the pods that followed it.
func (f *Fault) step(ctx context.Context, m fault.Marker, what string, from, to int32) error {
	if _, err := f.client.SetReplicas(ctx, f.namespace, f.kind, f.name, to); err != nil {
		return err
	}
	m.Injected(fmt.Sprintf("%s: %s %s %d → %d replicas", what, strings.ToLower(f.kind), f.name, from, to))
	e := result.Evidence{Check: fmt.Sprintf("the scale subresource of %s %s/%s and its pods, read from the API after the %s", strings.ToLower(f.kind), f.namespace, f.name, what)}
	s, err := f.client.Scale(ctx, f.namespace, f.kind, f.name)
	if err != nil || s.Spec.Replicas != to {
		e.Observed = fmt.Sprintf("the count could not be read back: %v", err)
		if err == nil {
			e.Observed = fmt.Sprintf("reads %d replicas right after it was set to %d", s.Spec.Replicas, to)
		}
		m.Proved(e)
		return fmt.Errorf("%s to %d replicas did not take: the scale of %s %s/%s %s", what, to, f.kind, f.namespace, f.name, e.Observed)
	}
	settled := kube.All(f.client.WorkloadSteady(f.namespace, f.kind, f.name, f.service), f.podCount(to))
	if err := kube.WaitFor(ctx, settled, 500*time.Millisecond, f.timeout); err != nil {
		return fmt.Errorf("%s to %d replicas: %w", what, to, err)
	}
	ok, pods, err := f.podCount(to)(ctx)
	if err != nil {
		pods = "its pods could not be read: " + err.Error()
	}
	e.Held, e.Observed = ok && err == nil, fmt.Sprintf("reads %d replicas; %s, every one Ready and in the endpoints of Service %s", to, pods, f.service)
	m.Proved(e)
	return nil
}

// podCount holds when exactly n of the workload's pods exist and none is
// terminating. The steady-state check alone can hold between two pods of
// a StatefulSet's scale-in, which removes them one after the other.
func (f *Fault) podCount(n int32) kube.Check {
	return func(ctx context.Context) (bool, string, error) {
		s, err := f.client.Scale(ctx, f.namespace, f.kind, f.name)
		if err != nil {
			return false, "", err
		}
		if s.Status.Selector == "" {
			return false, "", fmt.Errorf("the scale of %s %s/%s names no pod selector", f.kind, f.namespace, f.name)
		}
		pods, err := f.client.Kubernetes.CoreV1().Pods(f.namespace).List(ctx, metav1.ListOptions{LabelSelector: s.Status.Selector})
		if err != nil {
			return false, "", fmt.Errorf("listing the pods of %s %s/%s: %w", f.kind, f.namespace, f.name, err)
		}
		live, terminating := int32(0), 0
		for _, p := range pods.Items {
			if p.DeletionTimestamp != nil {
				terminating++
			} else {
				live++
			}
		}
		return live == n && terminating == 0, fmt.Sprintf("%d pods (want %d), %d terminating", live, n, terminating), nil
	}
}

// scaledOut is the count the fault scales out to from n.
func scaledOut(n int32) int32 { return 2 * n }

// Revert puts the original count back if the workload is at the count
// the fault set (putBack).
func (f *Fault) Revert(ctx context.Context, m fault.Marker) error {
	f.mu.Lock()
	from := f.from
	f.mu.Unlock()
	if from == 0 {
		return nil
	}
	did, err := putBack(ctx, f.client, f.namespace, f.kind, f.name, from)
	switch {
	case errors.Is(err, fault.ErrNothingToRepair):
		m.Logf("%v", err)
		return nil
	case err != nil:
		return err
	case did != "":
		m.Reverted(did)
	}
	return nil
}

// putBack scales the workload back to from while it is at the count the
// fault scaled it out to; it says what it did ("" when it was at from).
func putBack(ctx context.Context, c *kube.Client, ns, kind, name string, from int32) (string, error) {
	what := fmt.Sprintf("%s %s/%s", strings.ToLower(kind), ns, name)
	left := scaledOut(from)
	was, err := c.PutBackReplicas(ctx, ns, kind, name, left, from)
	switch {
	case apierrors.IsNotFound(err):
		return "", fault.Gone(what)
	case err != nil:
		return "", err
	case was == from:
		return "", nil
	case was != left:
		return "", fault.Changed(what+"'s replica count", strconv.Itoa(int(was)), strconv.Itoa(int(left)))
	}
	return fmt.Sprintf("%s scaled back from %d to %d replicas", what, was, from), nil
}

// Scalable says whether a workload of this kind has a replica count to
// scale, and if not, why.
func Scalable(kind string) error {
	switch kind {
	case kube.KindDeployment, kube.KindStatefulSet:
		return nil
	case kube.KindDaemonSet:
		return fmt.Errorf("a DaemonSet has no replica count to scale: it runs one pod on each node it may run on")
	}
	return fmt.Errorf("cannot scale a %q: only a Deployment or a StatefulSet has a scale subresource here", kind)
}

// NewRepairer puts back the replica count a dead run left changed,
// through c, giving up after timeout, while it is still the count the
// fault set (putBack). It sets the count and returns: the next run's
// steady-state check waits for the removed pods to be gone.
func NewRepairer(c *kube.Client, timeout time.Duration) fault.Repairer {
	return fault.RepairFunc(RepairKind, timeout, func(ctx context.Context, u fault.Undo) (string, error) { return repair(ctx, c, u) })
}

func repair(ctx context.Context, c *kube.Client, u fault.Undo) (string, error) {
	ns, kind, name := u.Params["namespace"], u.Params["kind"], u.Params["name"]
	n, err := strconv.ParseInt(u.Params["replicas"], 10, 32)
	if ns == "" || name == "" || err != nil || n < 1 {
		return "", fmt.Errorf("the record does not name a workload and a replica count: %v", u.Params)
	}
	if err := Scalable(kind); err != nil {
		return "", err
	}
	return putBack(ctx, c, ns, kind, name, int32(n))
}
