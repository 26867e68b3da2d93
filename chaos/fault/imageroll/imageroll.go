// Package imageroll rolls a workload (a Deployment by default, or a
// StatefulSet or DaemonSet) to another image and back again:
// two injections, each a rolling update measured on its own. Revert makes
// sure the workload is back on the image it started with; the Repairer
// does the same from the active-fault record in a later run.
package imageroll

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/selfheal/selfheal/chaos/fault"
	"github.com/selfheal/selfheal/chaos/kube"
	"github.com/selfheal/selfheal/chaos/result"
)

// RepairKind is the Undo kind of a rolled workload: Params namespace,
// kind, name, container, image (the one to go back to) and to (the one the
// fault rolls to; absent from the records of older versions).
const RepairKind = "workload-image"

// Fault is the image roll.
type Fault struct {
	client     *kube.Client
	namespace  string
	kind       string
	deployment string // the workload's name, whatever its kind
	container  string
	to         string
	// rollTimeout bounds each rollout.
	rollTimeout time.Duration
	// settle is the pause between the roll and the rollback.
	settle time.Duration

	mu   sync.Mutex
	from string
}

// settle is the pause between the end of the roll and the rollback, so
// the two disturbances are told apart in the timeline.
const settle = 15 * time.Second

// Option configures the fault.
type Option func(*Fault)

// WithKind names the workload's kind (kube.KindDeployment, the default,
// kube.KindStatefulSet or kube.KindDaemonSet).
func WithKind(kind string) Option { return func(f *Fault) { f.kind = kind } }

// WithRolloutTimeout bounds each rollout (default 5 min); a repair waits
// as long as its own deadline allows.
func WithRolloutTimeout(d time.Duration) Option { return func(f *Fault) { f.rollTimeout = d } }

// New rolls container of deployment in namespace to image `to`.
func New(c *kube.Client, namespace, deployment, container, to string, opts ...Option) *Fault {
	f := &Fault{client: c, namespace: namespace, deployment: deployment, container: container, to: to,
		kind: kube.KindDeployment, rollTimeout: 5 * time.Minute, settle: settle}
	for _, o := range opts {
		o(f)
	}
	return f
}

// Name implements fault.Fault.
func (f *Fault) Name() string { return "image-roll" }

// Inject rolls to the new image, waits for the rollout, and rolls back.
func (f *Fault) Inject(ctx context.Context, m fault.Marker) error {
	from, err := f.image(ctx)
	if err != nil {
		return err
	}
	if from == f.to {
		return fmt.Errorf("%s %s already runs %s: nothing to roll to (pick the other image)", f.kind, f.deployment, f.to)
	}
	if err := m.Breaking(ctx, fault.Undo{Kind: RepairKind, Detail: fmt.Sprintf("%s %s rolled from %s to %s", f.kind, f.deployment, from, f.to),
		Params: map[string]string{"namespace": f.namespace, "kind": f.kind, "name": f.deployment, "container": f.container, "image": from, "to": f.to}}); err != nil {
		return err
	}
	f.mu.Lock()
	f.from = from
	f.mu.Unlock()
	if err := f.roll(ctx, m, from, f.to, m.Injected, "roll"); err != nil {
		return err
	}
	m.Logf("rollout to %s complete; rolling back in %s", f.to, f.settle)
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(f.settle):
	}
	return f.roll(ctx, m, f.to, from, m.Injected, "rollback")
}

// roll sets the image, marks the instant the patch returned and waits for
// the rollout to complete.
func (f *Fault) roll(ctx context.Context, m fault.Marker, from, to string, mark func(string), what string) error {
	if err := f.setImage(ctx, to); err != nil {
		return err
	}
	mark(fmt.Sprintf("%s: %s %s image %s → %s", what, strings.ToLower(f.kind), f.deployment, from, to))
	if err := f.waitRollout(ctx); err != nil {
		return fmt.Errorf("%s to %s: %w", what, to, err)
	}
	f.proveRolled(ctx, m, to, what)
	return nil
}

// proveRolled reads the workload's pods once its controller says the
// rollout is complete: the pods its selector matches, not terminating,
// whose container runs img and is Ready, and the ReplicaSet (or
// controller revision) that made them. A status alone does not show the
// image served.
func (f *Fault) proveRolled(ctx context.Context, m fault.Marker, img, what string) {
	e := result.Evidence{Check: fmt.Sprintf("the pods of %s %s/%s and their container %s, read from the API after the %s", strings.ToLower(f.kind), f.namespace, f.deployment, f.container, what)}
	sel, _, err := f.template(ctx)
	if err == nil && sel == "" {
		err = fmt.Errorf("%s %s has no pod selector", f.kind, f.deployment)
	}
	var pods *corev1.PodList
	if err == nil {
		pods, err = f.client.Kubernetes.CoreV1().Pods(f.namespace).List(ctx, metav1.ListOptions{LabelSelector: sel})
	}
	if err != nil {
		e.Observed = "could not be read: " + err.Error()
		m.Proved(e)
		return
	}
	running, ready, other := 0, 0, 0
	var owners []string
	for i := range pods.Items {
		p := &pods.Items[i]
		if p.DeletionTimestamp != nil {
			continue // leaving: the old ReplicaSet's, past their preStop
		}
		if containerImage(p.Spec, f.container) != img {
			other++
			continue
		}
		running++
		if kube.PodReady(p) {
			ready++
			if o := maker(p); o != "" && !slices.Contains(owners, o) {
				owners = append(owners, o)
			}
		}
	}
	e.Held = ready > 0
	e.Observed = fmt.Sprintf("%d pod(s) run %s, %d of them Ready", running, img, ready)
	if len(owners) > 0 {
		e.Observed += " (" + strings.Join(owners, ", ") + ")"
	}
	if other > 0 {
		e.Observed += fmt.Sprintf("; %d other pod(s) run another image", other)
	}
	m.Proved(e)
}

// maker names what made a pod from the new template: its ReplicaSet, or
// the controller revision a StatefulSet or DaemonSet labels it with.
func maker(p *corev1.Pod) string {
	if o := metav1.GetControllerOf(p); o != nil && o.Kind == "ReplicaSet" {
		return "ReplicaSet " + o.Name
	}
	if h := p.Labels[appsv1.ControllerRevisionHashLabelKey]; h != "" {
		return "revision " + h
	}
	return ""
}

func containerImage(spec corev1.PodSpec, container string) string {
	for _, c := range spec.Containers {
		if c.Name == container {
			return c.Image
		}
	}
	return ""
}

func (f *Fault) setImage(ctx context.Context, img string) error {
	patch, err := json.Marshal(map[string]any{"spec": map[string]any{"template": map[string]any{"spec": map[string]any{
		"containers": []map[string]string{{"name": f.container, "image": img}},
	}}}})
	if err != nil {
		return err
	}
	apps, opts := f.client.Kubernetes.AppsV1(), metav1.PatchOptions{FieldManager: "selfheal"}
	switch f.kind {
	case kube.KindStatefulSet:
		_, err = apps.StatefulSets(f.namespace).Patch(ctx, f.deployment, types.StrategicMergePatchType, patch, opts)
	case kube.KindDaemonSet:
		_, err = apps.DaemonSets(f.namespace).Patch(ctx, f.deployment, types.StrategicMergePatchType, patch, opts)
	default:
		_, err = apps.Deployments(f.namespace).Patch(ctx, f.deployment, types.StrategicMergePatchType, patch, opts)
	}
	if err != nil {
		return fmt.Errorf("setting the image of %s %s/%s to %s: %w", f.kind, f.namespace, f.deployment, img, err)
	}
	return nil
}

// waitRollout waits until kubectl's rollout-status rule holds.
func (f *Fault) waitRollout(ctx context.Context) error {
	return kube.WaitFor(ctx, f.rolledOut, 500*time.Millisecond, f.rollTimeout)
}

// rolledOut is kubectl's rollout-status rule for the workload's kind.
func (f *Fault) rolledOut(ctx context.Context) (bool, string, error) {
	apps := f.client.Kubernetes.AppsV1()
	switch f.kind {
	case kube.KindStatefulSet:
		s, err := apps.StatefulSets(f.namespace).Get(ctx, f.deployment, metav1.GetOptions{})
		if err != nil {
			return false, "", err
		}
		return kube.StatefulSetRolloutComplete(s), fmt.Sprintf("%d updated, %d ready of %d replicas", s.Status.UpdatedReplicas, s.Status.ReadyReplicas, s.Status.Replicas), nil
	case kube.KindDaemonSet:
		d, err := apps.DaemonSets(f.namespace).Get(ctx, f.deployment, metav1.GetOptions{})
		if err != nil {
			return false, "", err
		}
		return kube.DaemonSetRolloutComplete(d), fmt.Sprintf("%d updated, %d available of %d pods", d.Status.UpdatedNumberScheduled, d.Status.NumberAvailable, d.Status.DesiredNumberScheduled), nil
	}
	d, err := apps.Deployments(f.namespace).Get(ctx, f.deployment, metav1.GetOptions{})
	if err != nil {
		return false, "", err
	}
	for _, c := range d.Status.Conditions {
		if c.Type == appsv1.DeploymentProgressing && c.Reason == "ProgressDeadlineExceeded" {
			return false, "", fmt.Errorf("rollout of %s failed: %s", f.deployment, c.Message)
		}
	}
	return kube.RolloutComplete(d), fmt.Sprintf("%d of %d replicas updated and available", d.Status.UpdatedReplicas, d.Status.Replicas), nil
}

// Revert puts the original image back while the workload runs the one
// the fault set (setBack).
func (f *Fault) Revert(ctx context.Context, m fault.Marker) error {
	f.mu.Lock()
	from := f.from
	f.mu.Unlock()
	if from == "" {
		return nil
	}
	did, err := f.setBack(ctx, from)
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

// setBack sets the image back to from while the workload runs f.to, the
// image the fault set (any other, when f.to is "": a record of an older
// version); one that runs a third image was changed by someone since. It
// says what it did, "" when the workload runs from already.
func (f *Fault) setBack(ctx context.Context, from string) (string, error) {
	what := fmt.Sprintf("%s %s/%s", strings.ToLower(f.kind), f.namespace, f.deployment)
	cur, err := f.image(ctx)
	switch {
	case apierrors.IsNotFound(err):
		return "", fault.Gone(what)
	case err != nil:
		return "", err
	case cur == from:
		return "", nil
	case f.to != "" && cur != f.to:
		return "", fault.Changed(what+"'s image", cur, f.to)
	}
	if err := f.setImage(ctx, from); err != nil {
		return "", err
	}
	return fmt.Sprintf("%s image set back from %s to %s", what, cur, from), nil
}

// image reads the container's image from the workload's pod template.
func (f *Fault) image(ctx context.Context) (string, error) {
	_, spec, err := f.template(ctx)
	if err != nil {
		return "", err
	}
	if img := containerImage(spec, f.container); img != "" {
		return img, nil
	}
	return "", fmt.Errorf("%s %s has no container %q", f.kind, f.deployment, f.container)
}

// template reads the workload's pod selector ("" when it has none) and
// pod template.
func (f *Fault) template(ctx context.Context) (string, corev1.PodSpec, error) {
	apps := f.client.Kubernetes.AppsV1()
	var sel *metav1.LabelSelector
	var spec corev1.PodSpec
	var err error
	switch f.kind {
	case kube.KindStatefulSet:
		var s *appsv1.StatefulSet
		if s, err = apps.StatefulSets(f.namespace).Get(ctx, f.deployment, metav1.GetOptions{}); err == nil {
			sel, spec = s.Spec.Selector, s.Spec.Template.Spec
		}
	case kube.KindDaemonSet:
		var d *appsv1.DaemonSet
		if d, err = apps.DaemonSets(f.namespace).Get(ctx, f.deployment, metav1.GetOptions{}); err == nil {
			sel, spec = d.Spec.Selector, d.Spec.Template.Spec
		}
	case kube.KindDeployment:
		var d *appsv1.Deployment
		if d, err = apps.Deployments(f.namespace).Get(ctx, f.deployment, metav1.GetOptions{}); err == nil {
			sel, spec = d.Spec.Selector, d.Spec.Template.Spec
		}
	default:
		return "", spec, fmt.Errorf("image roll: cannot roll a %s", f.kind)
	}
	if err != nil {
		return "", spec, fmt.Errorf("reading %s %s/%s: %w", f.kind, f.namespace, f.deployment, err)
	}
	if sel == nil {
		return "", spec, nil
	}
	selector, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		return "", spec, fmt.Errorf("the pod selector of %s %s/%s: %w", f.kind, f.namespace, f.deployment, err)
	}
	return selector.String(), spec, nil
}

// NewRepairer rolls a workload a dead run left on the other image back
// (setBack), through c, and waits for the rollout; all within timeout. A
// workload already on its image is still waited for: a run killed during
// its rollback leaves it rolling.
func NewRepairer(c *kube.Client, timeout time.Duration) fault.Repairer {
	return fault.RepairFunc(RepairKind, timeout, func(ctx context.Context, u fault.Undo) (string, error) { return repair(ctx, c, timeout, u) })
}

func repair(ctx context.Context, c *kube.Client, timeout time.Duration, u fault.Undo) (string, error) {
	p := u.Params
	want := p["image"]
	if p["namespace"] == "" || p["name"] == "" || p["container"] == "" || want == "" {
		return "", fmt.Errorf("the record does not name the workload and its image: %v", p)
	}
	f := New(c, p["namespace"], p["name"], p["container"], p["to"], WithKind(p["kind"]), WithRolloutTimeout(timeout))
	set, err := f.setBack(ctx, want)
	if err != nil {
		return "", err
	}
	var did []string
	if set != "" {
		did = append(did, set)
	}
	start := time.Now()
	if err := f.waitRollout(ctx); err != nil {
		return strings.Join(did, "; "), fmt.Errorf("%s %s: %w", f.kind, f.deployment, err)
	}
	if took := time.Since(start); len(did) > 0 || took > time.Second {
		did = append(did, fmt.Sprintf("rollout complete after %s", took.Round(100*time.Millisecond)))
	}
	return strings.Join(did, "; "), nil
}
