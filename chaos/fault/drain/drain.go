// Package drain drains a worker node as `kubectl drain` does: it cordons
// the node, evicts every pod on it through the Eviction API (so a
// PodDisruptionBudget can hold an eviction back: a 429 is waited out and
// retried, never bypassed with a delete), and waits until the evicted pods
// are gone. Revert uncordons the node; so does the Repairer, from the
// active-fault record alone.
//
// Which pods are evicted follows kubectl's drain helper
// (k8s.io/kubectl/pkg/drain, filters.go) with --ignore-daemonsets and
// neither --force nor --delete-emptydir-data: DaemonSet pods and mirror
// pods stay, a pod no controller would recreate or one with emptyDir data
// makes the drain refuse before it cordons anything. A pod the scenario
// must not lose (MySQL, whose data is on a node-local volume) is never
// evicted: the node to drain is chosen without one.
package drain

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"

	"github.com/selfheal/selfheal/chaos/fault"
	"github.com/selfheal/selfheal/chaos/fault/evict"
	"github.com/selfheal/selfheal/chaos/kube"
	"github.com/selfheal/selfheal/chaos/result"
)

// RepairKind is the Undo kind of a cordoned node: Params["node"] is the
// node to uncordon.
const RepairKind = "node-cordon"

// The annotation kubectl's drain helper reads.
const mirrorAnnotation = corev1.MirrorPodAnnotationKey

// Fault is the node drain.
type Fault struct {
	client    *kube.Client
	namespace string
	victim    string
	avoid     string
	avoidWhy  string
	evictor   *evict.Evictor
	gone      time.Duration

	mu       sync.Mutex
	cordoned string
	evicted  []string
}

// Option configures the fault.
type Option func(*Fault)

// WithAvoid never drains a node running a pod that matches selector in the
// namespace; why says what evicting it would do, for the error.
func WithAvoid(selector, why string) Option {
	return func(f *Fault) { f.avoid, f.avoidWhy = selector, why }
}

// WithEviction configures the evictions (retry pause, how long a
// PodDisruptionBudget may hold one back; default 3 min).
func WithEviction(opts ...evict.Option) Option {
	return func(f *Fault) {
		f.evictor = evict.NewEvictor(f.client, append([]evict.Option{evict.WithTimeout(3 * time.Minute)}, opts...)...)
	}
}

// WithGoneTimeout bounds the wait for the evicted pods to be gone (default
// 2 min: the fixture's 30 s grace period with room to spare).
func WithGoneTimeout(d time.Duration) Option { return func(f *Fault) { f.gone = d } }

// New drains a worker that runs a pod matching victim in namespace.
func New(c *kube.Client, namespace, victim string, opts ...Option) *Fault {
	f := &Fault{client: c, namespace: namespace, victim: victim, gone: 2 * time.Minute}
	WithEviction()(f)
	for _, o := range opts {
		o(f)
	}
	return f
}

// Name implements fault.Fault.
func (f *Fault) Name() string { return "node-drain" }

// Inject chooses the node, plans the evictions (refusing before anything
// changes if kubectl drain would), cordons, evicts in turn and waits for
// the evicted pods to be gone.
func (f *Fault) Inject(ctx context.Context, m fault.Marker) error {
	node, hosted, err := f.choose(ctx)
	if err != nil {
		return err
	}
	pods, err := f.plan(ctx, node)
	if err != nil {
		return err
	}
	m.Logf("draining node %s (it runs %s): evicting %s", node, strings.Join(hosted, ", "), strings.Join(podNames(pods), ", "))
	if err := m.Breaking(ctx, fault.Undo{Kind: RepairKind, Detail: fmt.Sprintf("node %s cordoned (drained)", node),
		Params: map[string]string{"node": node}}); err != nil {
		return err
	}
	f.mu.Lock()
	f.cordoned = node // before the call: a cordon cut short must still be undone
	f.mu.Unlock()
	if _, err := setUnschedulable(ctx, f.client, node, true); err != nil {
		return err
	}
	m.Injected(fmt.Sprintf("cordoned node %s (it runs %s)", node, strings.Join(hosted, ", ")))
	if err := f.proveCordoned(ctx, m, node); err != nil {
		return err
	}
	var evicted []*corev1.Pod
	for _, p := range pods {
		ok, err := f.evictor.Evict(ctx, m, p.Namespace, p.Name, node)
		if err != nil {
			return fmt.Errorf("draining node %s: %w", node, err)
		}
		if ok {
			evicted = append(evicted, p)
			f.mu.Lock()
			f.evicted = append(f.evicted, p.Namespace+"/"+p.Name)
			f.mu.Unlock()
		}
	}
	if err := kube.WaitFor(ctx, f.goneFrom(evicted), 500*time.Millisecond, f.gone); err != nil {
		return fmt.Errorf("draining node %s: waiting for the evicted pods to terminate: %w", node, err)
	}
	e := result.Evidence{Check: fmt.Sprintf("the pods evicted from node %s, read from the API", node),
		Observed: fmt.Sprintf("%s gone (deleted, or recreated under a new UID)", strings.Join(podNames(evicted), ", ")), Held: len(evicted) > 0}
	if len(evicted) == 0 {
		e.Observed = "no pod was evicted: each was gone before its eviction"
	}
	m.Proved(e)
	return nil
}

// proveCordoned reads the node back after the cordon: a patch answered
// without spec.unschedulable set would let the evicted pods come back.
func (f *Fault) proveCordoned(ctx context.Context, m fault.Marker, node string) error {
	e := result.Evidence{Check: fmt.Sprintf("spec.unschedulable of node %s, read from the API after the cordon", node)}
	n, err := f.client.Kubernetes.CoreV1().Nodes().Get(ctx, node, metav1.GetOptions{})
	switch {
	case err != nil:
		e.Observed = "could not be read: " + err.Error()
	default:
		e.Held, e.Observed = n.Spec.Unschedulable, fmt.Sprintf("unschedulable=%t", n.Spec.Unschedulable)
	}
	m.Proved(e)
	if !e.Held {
		return fmt.Errorf("draining node %s: the cordon did not take (%s); nothing was evicted", node, e.Observed)
	}
	return nil
}

// choose picks a schedulable worker that runs a victim pod and no pod to
// avoid. The control-plane node is never drained: the load enters through
// it and the API server runs there.
func (f *Fault) choose(ctx context.Context) (string, []string, error) {
	nodes, err := f.client.Kubernetes.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return "", nil, fmt.Errorf("listing nodes: %w", err)
	}
	var workers []string
	for _, n := range nodes.Items {
		if !kube.ControlPlane(&n) && !n.Spec.Unschedulable {
			workers = append(workers, n.Name)
		}
	}
	node, hosted, err := f.client.ChooseNode(ctx, workers, f.namespace, f.victim, f.avoid)
	if err != nil {
		if f.avoid != "" {
			return "", nil, fmt.Errorf("no worker to drain, not draining: %w; a node running a pod %q is never drained (%s)", err, f.avoid, f.avoidWhy)
		}
		return "", nil, fmt.Errorf("no worker to drain: %w", err)
	}
	return node, hosted, nil
}

// plan lists the pods to evict from node, in namespace/name order, by
// kubectl drain's rules; it refuses where kubectl drain would without
// --force or --delete-emptydir-data, and for a pod to avoid.
func (f *Fault) plan(ctx context.Context, node string) ([]*corev1.Pod, error) {
	list, err := f.client.Kubernetes.CoreV1().Pods(metav1.NamespaceAll).List(ctx, metav1.ListOptions{
		FieldSelector: fields.OneTermEqualSelector("spec.nodeName", node).String(),
	})
	if err != nil {
		return nil, fmt.Errorf("listing the pods on node %s: %w", node, err)
	}
	avoid, err := labels.Parse(f.avoid)
	if err != nil {
		return nil, fmt.Errorf("reading the selector %q of pods to avoid: %w", f.avoid, err)
	}
	var pods []*corev1.Pod
	var refused []string
	for i := range list.Items {
		p := &list.Items[i]
		if p.Spec.NodeName != node {
			continue
		}
		skip, why := evictable(p)
		if f.avoid != "" && p.Namespace == f.namespace && avoid.Matches(labels.Set(p.Labels)) {
			skip, why = false, "it is never evicted by this scenario: "+f.avoidWhy
		}
		switch {
		case why != "":
			refused = append(refused, fmt.Sprintf("%s/%s (%s)", p.Namespace, p.Name, why))
		case !skip:
			pods = append(pods, p)
		}
	}
	if len(refused) > 0 {
		return nil, fmt.Errorf("not draining node %s: %s", node, strings.Join(refused, "; "))
	}
	sort.Slice(pods, func(i, j int) bool { return pods[i].Namespace+"/"+pods[i].Name < pods[j].Namespace+"/"+pods[j].Name })
	return pods, nil
}

// evictable is kubectl drain's verdict on one pod: skip it, or refuse the
// drain (why), or evict it (neither).
func evictable(p *corev1.Pod) (skip bool, why string) {
	if _, mirror := p.Annotations[mirrorAnnotation]; mirror {
		return true, "" // the kubelet's own copy of a static pod: the API cannot delete it
	}
	if p.DeletionTimestamp != nil {
		return true, "" // already on its way out
	}
	ctrl := metav1.GetControllerOf(p)
	if ctrl != nil && ctrl.Kind == "DaemonSet" {
		return true, "" // --ignore-daemonsets: the DaemonSet controller ignores cordons
	}
	if p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
		return false, "" // finished: nothing is lost
	}
	if ctrl == nil {
		return false, "no controller would recreate it; kubectl drain refuses it without --force"
	}
	for _, v := range p.Spec.Volumes {
		if v.EmptyDir != nil {
			return false, "its emptyDir data would be lost; kubectl drain refuses it without --delete-emptydir-data"
		}
	}
	return false, ""
}

// goneFrom holds when none of pods exists any more (a pod recreated under
// the same name, as a StatefulSet does, is another pod).
func (f *Fault) goneFrom(pods []*corev1.Pod) kube.Check {
	return func(ctx context.Context) (bool, string, error) {
		var left []string
		for _, p := range pods {
			cur, err := f.client.Kubernetes.CoreV1().Pods(p.Namespace).Get(ctx, p.Name, metav1.GetOptions{})
			switch {
			case apierrors.IsNotFound(err):
			case err != nil:
				return false, "", fmt.Errorf("reading pod %s/%s: %w", p.Namespace, p.Name, err)
			case cur.UID == p.UID:
				left = append(left, p.Namespace+"/"+p.Name)
			}
		}
		return len(left) == 0, "evicted pods still terminating: " + strings.Join(left, ", "), nil
	}
}

// Revert uncordons the node if the drain cordoned it.
func (f *Fault) Revert(ctx context.Context, m fault.Marker) error {
	f.mu.Lock()
	node := f.cordoned
	f.mu.Unlock()
	if node == "" {
		return nil
	}
	did, err := setUnschedulable(ctx, f.client, node, false)
	if err != nil {
		return err
	}
	f.mu.Lock()
	f.cordoned = ""
	f.mu.Unlock()
	if did {
		m.Reverted("uncordoned node " + node)
	}
	return nil
}

// Notes say what was drained and how often the PDB held an eviction back.
func (f *Fault) Notes() []string {
	f.mu.Lock()
	evicted := append([]string(nil), f.evicted...)
	f.mu.Unlock()
	var notes []string
	if len(evicted) > 0 {
		notes = append(notes, fmt.Sprintf("The drain evicted %s through the Eviction API (DaemonSet and mirror pods stay, as with kubectl drain --ignore-daemonsets).", strings.Join(evicted, ", ")))
	}
	return append(notes, f.evictor.Notes()...)
}

// setUnschedulable cordons (on) or uncordons the node, as kubectl cordon
// and uncordon do; it reports whether it changed anything.
func setUnschedulable(ctx context.Context, c *kube.Client, node string, on bool) (bool, error) {
	n, err := c.Kubernetes.CoreV1().Nodes().Get(ctx, node, metav1.GetOptions{})
	if err != nil {
		return false, fmt.Errorf("reading node %s: %w", node, err)
	}
	if n.Spec.Unschedulable == on {
		return false, nil
	}
	patch := fmt.Sprintf(`{"spec":{"unschedulable":%t}}`, on)
	if _, err := c.Kubernetes.CoreV1().Nodes().Patch(ctx, node, types.StrategicMergePatchType, []byte(patch), metav1.PatchOptions{FieldManager: "selfheal"}); err != nil {
		return false, fmt.Errorf("setting node %s unschedulable=%t: %w", node, on, err)
	}
	return true, nil
}

// NewRepairer uncordons a node a dead run left cordoned, through c,
// giving up after timeout. A node that no longer exists has nothing left
// to uncordon.
func NewRepairer(c *kube.Client, timeout time.Duration) fault.Repairer {
	return fault.RepairFunc(RepairKind, timeout, func(ctx context.Context, u fault.Undo) (string, error) { return repair(ctx, c, u) })
}

func repair(ctx context.Context, c *kube.Client, u fault.Undo) (string, error) {
	node := u.Params["node"]
	if node == "" {
		return "", fmt.Errorf("the record names no node: %v", u.Params)
	}
	did, err := setUnschedulable(ctx, c, node, false)
	switch {
	case apierrors.IsNotFound(err):
		return "", fault.Gone("node " + node)
	case err != nil || !did:
		return "", err
	}
	return "uncordoned node " + node, nil
}

func podNames(pods []*corev1.Pod) []string {
	out := make([]string, len(pods))
	for i, p := range pods {
		out[i] = p.Namespace + "/" + p.Name
	}
	return out
}
