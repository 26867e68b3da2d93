// Package dnsoutage takes cluster DNS away: the CoreDNS Deployment is
// scaled to zero through its scale subresource, and Revert scales it back
// to the replica count it had and waits for CoreDNS to be Ready again.
//
// Scaling is the least invasive way to stop DNS: nothing is edited but the
// replica count (no Corefile, no Service, no packet filter), so putting it
// back needs nothing but the count, which the Undo carries. With no CoreDNS
// pod the kube-dns Service has no endpoints and kube-proxy rejects what is
// sent to it: lookups in the pods fail at once rather than time out
// (docs/measurement.md, "Cluster faults").
package dnsoutage

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/selfheal/selfheal/chaos/fault"
	"github.com/selfheal/selfheal/chaos/kube"
)

// RepairKind is the Undo kind of a scaled-down CoreDNS: Params
// "namespace", "deployment" and "replicas" (the count to restore).
const RepairKind = "coredns-scale"

// Where CoreDNS is in a kubeadm (and so kind) cluster: the Deployment is
// named coredns, but its pods and Service keep the kube-dns label and name.
const (
	Namespace = "kube-system"
	Selector  = "k8s-app=kube-dns"
	Service   = "kube-dns"
)

// DefaultReadyTimeout bounds the wait for CoreDNS to be Ready after it was
// scaled back: its image is on the nodes, its readiness probe runs every
// 10 s, so it takes seconds; two minutes means it is not coming back.
const DefaultReadyTimeout = 2 * time.Minute

// Fault is the DNS outage.
type Fault struct {
	client    *kube.Client
	namespace string
	selector  string
	timeout   time.Duration
	poll      time.Duration

	mu     sync.Mutex
	target *scaled // set from the record on: what Revert puts back
	// empty watches for the DNS Service left without a ready endpoint.
	empty *fault.Watcher
}

// scaled is a Deployment scaled down, and the count it had.
type scaled struct {
	namespace, name string
	replicas        int32
}

func (s scaled) String() string { return s.namespace + "/" + s.name }

// Option configures the fault.
type Option func(*Fault)

// WithReadyTimeout bounds Revert's wait for CoreDNS to be Ready.
func WithReadyTimeout(d time.Duration) Option { return func(f *Fault) { f.timeout = d } }

// WithPoll sets how often Revert checks that CoreDNS is Ready.
func WithPoll(d time.Duration) Option { return func(f *Fault) { f.poll = d } }

// New stops the cluster DNS of the cluster c talks to.
func New(c *kube.Client, opts ...Option) *Fault {
	f := &Fault{client: c, namespace: Namespace, selector: Selector, timeout: DefaultReadyTimeout, poll: time.Second}
	for _, o := range opts {
		o(f)
	}
	return f
}

// Name implements fault.Fault.
func (f *Fault) Name() string { return "dns-outage" }

// Inject scales the CoreDNS Deployment to zero.
func (f *Fault) Inject(ctx context.Context, m fault.Marker) error {
	d, err := find(ctx, f.client, f.namespace, f.selector)
	if err != nil {
		return err
	}
	sc, err := f.client.Kubernetes.AppsV1().Deployments(d.Namespace).GetScale(ctx, d.Name, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("reading the scale of %s/%s: %w", d.Namespace, d.Name, err)
	}
	t := scaled{namespace: d.Namespace, name: d.Name, replicas: sc.Spec.Replicas}
	if t.replicas == 0 {
		return fmt.Errorf("CoreDNS deployment %s is already scaled to zero: cluster DNS is down before the fault (scale it back first: kubectl -n %s scale deployment %s --replicas=2)", t, t.namespace, t.name)
	}
	m.Logf("scale CoreDNS %s from %d to 0 replicas", t, t.replicas)
	if err := m.Breaking(ctx, fault.Undo{Kind: RepairKind, Detail: fmt.Sprintf("CoreDNS deployment %s scaled to zero (it had %d replicas)", t, t.replicas),
		Params: map[string]string{"namespace": t.namespace, "deployment": t.name, "replicas": strconv.Itoa(int(t.replicas))}}); err != nil {
		return err
	}
	f.mu.Lock()
	f.target = &t // before the call: a scale cut short must still be reverted
	f.mu.Unlock()
	if _, err := f.client.SetReplicas(ctx, t.namespace, kube.KindDeployment, t.name, 0); err != nil {
		return fmt.Errorf("scaling CoreDNS %s to zero: %w", t, err)
	}
	m.Injected(fmt.Sprintf("CoreDNS %s scaled from %d to 0 replicas", t, t.replicas))
	w := fault.Watch(ctx, m, fmt.Sprintf("the EndpointSlices of Service %s/%s, read from the API", f.namespace, Service), f.poll, f.noEndpoint)
	f.mu.Lock()
	f.empty = w
	f.mu.Unlock()
	return nil
}

// noEndpoint sees the DNS Service without a ready endpoint: what kube-proxy
// has left to send lookups to is nothing, so they fail.
func (f *Fault) noEndpoint(ctx context.Context) (bool, string, error) {
	ready, other, err := f.client.ServiceEndpoints(ctx, f.namespace, Service)
	if err != nil {
		return false, "", err
	}
	return ready == 0, fmt.Sprintf("%d ready endpoint(s), %d not ready or terminating", ready, other), nil
}

// Revert scales CoreDNS back to its count and waits, bounded, until it is
// Ready. The revert instant is the scale call: what follows (pods
// starting, passing readiness) is the recovery after the revert.
func (f *Fault) Revert(ctx context.Context, m fault.Marker) error {
	f.mu.Lock()
	t, w := f.target, f.empty
	f.mu.Unlock()
	w.Stop() // before CoreDNS comes back: its endpoints must be seen gone while it is away
	if t == nil {
		return nil
	}
	was, err := putBack(ctx, f.client, *t)
	if errors.Is(err, fault.ErrNothingToRepair) {
		m.Logf("%v", err)
		f.mu.Lock()
		f.target = nil
		f.mu.Unlock()
		return nil
	}
	if err != nil {
		return err
	}
	if was != t.replicas {
		m.Reverted(fmt.Sprintf("CoreDNS %s scaled from %d back to %d replicas", t, was, t.replicas))
	}
	start := time.Now()
	if err := kube.WaitFor(ctx, Ready(f.client, t.namespace, t.name), f.poll, f.timeout); err != nil {
		return fmt.Errorf("CoreDNS %s scaled back to %d replicas but not Ready: %w", t, t.replicas, err)
	}
	m.Logf("CoreDNS %s Ready %s after it was scaled back", t, time.Since(start).Round(100*time.Millisecond))
	f.mu.Lock()
	f.target = nil
	f.mu.Unlock()
	return nil
}

// putBack scales CoreDNS back to its count while it is still at zero,
// where the fault left it, and returns the count it found.
func putBack(ctx context.Context, c *kube.Client, t scaled) (int32, error) {
	was, err := c.PutBackReplicas(ctx, t.namespace, kube.KindDeployment, t.name, 0, t.replicas)
	switch {
	case apierrors.IsNotFound(err):
		return was, fault.Gone("CoreDNS deployment " + t.String())
	case err != nil:
		return was, fmt.Errorf("scaling CoreDNS %s back to %d replicas: %w (by hand: kubectl -n %s scale deployment %s --replicas=%d)", t, t.replicas, err, t.namespace, t.name, t.replicas)
	case was != 0 && was != t.replicas:
		return was, fault.Changed(fmt.Sprintf("CoreDNS deployment %s's replica count", t), strconv.Itoa(int(was)), "0")
	}
	return was, nil
}

// find is the one CoreDNS Deployment matching selector in namespace.
func find(ctx context.Context, c *kube.Client, namespace, selector string) (*appsv1.Deployment, error) {
	list, err := c.Kubernetes.AppsV1().Deployments(namespace).List(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		return nil, fmt.Errorf("looking for the CoreDNS deployment (%s in %s): %w", selector, namespace, err)
	}
	switch len(list.Items) {
	case 1:
		return &list.Items[0], nil
	case 0:
		return nil, fmt.Errorf("no CoreDNS deployment found: no Deployment labelled %s in namespace %s (a cluster whose DNS is not kubeadm's CoreDNS cannot run this fault)", selector, namespace)
	}
	var names []string
	for _, d := range list.Items {
		names = append(names, d.Name)
	}
	return nil, fmt.Errorf("%d Deployments labelled %s in namespace %s (%v): which one serves cluster DNS is not clear", len(names), selector, namespace, names)
}

// Ready holds when the CoreDNS Deployment's rollout is complete: every
// replica it wants is up to date and available (Ready).
func Ready(c *kube.Client, namespace, name string) kube.Check {
	return func(ctx context.Context) (bool, string, error) {
		d, err := c.Kubernetes.AppsV1().Deployments(namespace).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, "", err
		}
		want := int32(1)
		if d.Spec.Replicas != nil {
			want = *d.Spec.Replicas
		}
		return kube.RolloutComplete(d), fmt.Sprintf("CoreDNS %s/%s: %d of %d replicas available", namespace, name, d.Status.AvailableReplicas, want), nil
	}
}

// NewRepairer scales back a CoreDNS a dead run left at zero (putBack),
// through c, and waits for it to be Ready; all within timeout.
func NewRepairer(c *kube.Client, timeout time.Duration) fault.Repairer {
	return newRepairer(c, timeout, time.Second)
}

// newRepairer is NewRepairer checking every poll.
func newRepairer(c *kube.Client, timeout, poll time.Duration) fault.Repairer {
	r := repairer{client: c, timeout: timeout, poll: poll}
	return fault.RepairFunc(RepairKind, timeout, r.repair)
}

type repairer struct {
	client  *kube.Client
	timeout time.Duration
	poll    time.Duration
}

func (r repairer) repair(ctx context.Context, u fault.Undo) (string, error) {
	ns, name := u.Params["namespace"], u.Params["deployment"]
	n, err := strconv.Atoi(u.Params["replicas"])
	if ns == "" || name == "" || err != nil || n < 1 {
		return "", fmt.Errorf("the record does not say which CoreDNS deployment to scale back to how many replicas: %v", u.Params)
	}
	start := time.Now()
	was, err := putBack(ctx, r.client, scaled{namespace: ns, name: name, replicas: int32(n)})
	if err != nil {
		return "", err
	}
	if was == int32(n) {
		return "", nil
	}
	did := fmt.Sprintf("CoreDNS %s/%s scaled from %d back to %d replicas", ns, name, was, n)
	if err := kube.WaitFor(ctx, Ready(r.client, ns, name), r.poll, r.timeout); err != nil {
		return did, fmt.Errorf("after %s: %w", did, err)
	}
	return fmt.Sprintf("%s; Ready after %s", did, time.Since(start).Round(100*time.Millisecond)), nil
}
