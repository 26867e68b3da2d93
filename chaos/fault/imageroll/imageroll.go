// Package imageroll rolls a Deployment to another image and, by default,
// back again: two injections, each a rolling update measured on its own.
// Revert makes sure the Deployment is back on the image it started with;
// the Repairer does the same from the active-fault record in a later run.
package imageroll

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/selfheal/selfheal/chaos/fault"
	"github.com/selfheal/selfheal/chaos/kube"
)

// RepairKind is the Undo kind of a rolled Deployment: Params namespace,
// deployment, container and image (the one to go back to).
const RepairKind = "deployment-image"

// Fault is the image roll.
type Fault struct {
	client      *kube.Client
	namespace   string
	deployment  string
	container   string
	to          string
	rollback    bool
	settle      time.Duration
	rollTimeout time.Duration

	mu   sync.Mutex
	from string
}

// Option configures the fault.
type Option func(*Fault)

// WithRollback rolls back to the original image after the roll (default true).
func WithRollback(on bool) Option { return func(f *Fault) { f.rollback = on } }

// WithSettle is the pause between the end of the roll and the rollback,
// so the two disturbances are told apart in the timeline (default 15 s).
func WithSettle(d time.Duration) Option { return func(f *Fault) { f.settle = d } }

// WithRolloutTimeout bounds each rollout (default 5 min).
func WithRolloutTimeout(d time.Duration) Option { return func(f *Fault) { f.rollTimeout = d } }

// New rolls container of deployment in namespace to image `to`.
func New(c *kube.Client, namespace, deployment, container, to string, opts ...Option) *Fault {
	f := &Fault{client: c, namespace: namespace, deployment: deployment, container: container, to: to,
		rollback: true, settle: 15 * time.Second, rollTimeout: 5 * time.Minute}
	for _, o := range opts {
		o(f)
	}
	return f
}

// Name implements fault.Fault.
func (f *Fault) Name() string { return "image-roll" }

// Inject rolls to the new image, waits for the rollout, and rolls back.
func (f *Fault) Inject(ctx context.Context, m fault.Marker) error {
	d, err := f.client.Kubernetes.AppsV1().Deployments(f.namespace).Get(ctx, f.deployment, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("reading Deployment %s/%s: %w", f.namespace, f.deployment, err)
	}
	from, err := image(d, f.container)
	if err != nil {
		return err
	}
	if from == f.to {
		return fmt.Errorf("Deployment %s already runs %s: nothing to roll to (pick the other image)", f.deployment, f.to)
	}
	if err := m.Breaking(ctx, fault.Undo{Kind: RepairKind, Detail: fmt.Sprintf("Deployment %s rolled from %s to %s", f.deployment, from, f.to),
		Params: map[string]string{"namespace": f.namespace, "deployment": f.deployment, "container": f.container, "image": from}}); err != nil {
		return err
	}
	f.mu.Lock()
	f.from = from
	f.mu.Unlock()
	if err := f.roll(ctx, m, from, f.to, m.Injected, "roll"); err != nil {
		return err
	}
	if !f.rollback {
		return nil
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
	mark(fmt.Sprintf("%s: deployment %s image %s → %s", what, f.deployment, from, to))
	if err := f.waitRollout(ctx); err != nil {
		return fmt.Errorf("%s to %s: %w", what, to, err)
	}
	return nil
}

func (f *Fault) setImage(ctx context.Context, img string) error { return f.ref().setImage(ctx, img) }

func (f *Fault) waitRollout(ctx context.Context) error {
	return f.ref().waitRollout(ctx, f.rollTimeout)
}

func (f *Fault) ref() deployment {
	return deployment{client: f.client, namespace: f.namespace, name: f.deployment, container: f.container}
}

// deployment is one container of one Deployment.
type deployment struct {
	client                     *kube.Client
	namespace, name, container string
}

func (d deployment) setImage(ctx context.Context, img string) error {
	patch, err := json.Marshal(map[string]any{"spec": map[string]any{"template": map[string]any{"spec": map[string]any{
		"containers": []map[string]string{{"name": d.container, "image": img}},
	}}}})
	if err != nil {
		return err
	}
	_, err = d.client.Kubernetes.AppsV1().Deployments(d.namespace).Patch(ctx, d.name, types.StrategicMergePatchType, patch, metav1.PatchOptions{FieldManager: "selfheal"})
	if err != nil {
		return fmt.Errorf("setting the image of Deployment %s/%s to %s: %w", d.namespace, d.name, img, err)
	}
	return nil
}

// image is the container's image now.
func (d deployment) image(ctx context.Context) (string, error) {
	dep, err := d.client.Kubernetes.AppsV1().Deployments(d.namespace).Get(ctx, d.name, metav1.GetOptions{})
	if err != nil {
		return "", fmt.Errorf("reading Deployment %s/%s: %w", d.namespace, d.name, err)
	}
	return image(dep, d.container)
}

// waitRollout waits until kubectl's rollout-status rule holds.
func (d deployment) waitRollout(ctx context.Context, timeout time.Duration) error {
	check := func(ctx context.Context) (bool, string, error) {
		dep, err := d.client.Kubernetes.AppsV1().Deployments(d.namespace).Get(ctx, d.name, metav1.GetOptions{})
		if err != nil {
			return false, "", err
		}
		for _, c := range dep.Status.Conditions {
			if c.Type == appsv1.DeploymentProgressing && c.Reason == "ProgressDeadlineExceeded" {
				return false, "", fmt.Errorf("rollout of %s failed: %s", d.name, c.Message)
			}
		}
		return kube.RolloutComplete(dep), fmt.Sprintf("%d of %d replicas updated and available", dep.Status.UpdatedReplicas, dep.Status.Replicas), nil
	}
	return kube.WaitFor(ctx, check, 500*time.Millisecond, timeout)
}

// Revert puts the original image back if the Deployment is not on it.
func (f *Fault) Revert(ctx context.Context, m fault.Marker) error {
	f.mu.Lock()
	from := f.from
	f.mu.Unlock()
	if from == "" {
		return nil
	}
	cur, err := f.ref().image(ctx)
	if err != nil || cur == from {
		return err
	}
	if err := f.setImage(ctx, from); err != nil {
		return err
	}
	m.Reverted(fmt.Sprintf("deployment %s image set back to %s", f.deployment, from))
	return nil
}

func image(d *appsv1.Deployment, container string) (string, error) {
	for _, c := range d.Spec.Template.Spec.Containers {
		if c.Name == container {
			return c.Image, nil
		}
	}
	return "", fmt.Errorf("Deployment %s has no container %q", d.Name, container)
}

// Repairer rolls a Deployment a dead run left on the other image back, and
// waits for the rollout.
type Repairer struct {
	client  *kube.Client
	timeout time.Duration
}

// NewRepairer repairs through c, waiting up to timeout for the rollout.
func NewRepairer(c *kube.Client, timeout time.Duration) *Repairer {
	return &Repairer{client: c, timeout: timeout}
}

// Kind implements fault.Repairer.
func (r *Repairer) Kind() string { return RepairKind }

// Repair implements fault.Repairer. A Deployment already on its image is
// still waited for: a run killed during its rollback leaves it rolling.
func (r *Repairer) Repair(ctx context.Context, u fault.Undo) (string, error) {
	p := u.Params
	d := deployment{client: r.client, namespace: p["namespace"], name: p["deployment"], container: p["container"]}
	want := p["image"]
	if d.namespace == "" || d.name == "" || d.container == "" || want == "" {
		return "", fmt.Errorf("the record does not name the Deployment and its image: %v", p)
	}
	cur, err := d.image(ctx)
	if err != nil {
		return "", err
	}
	did := ""
	if cur != want {
		if err := d.setImage(ctx, want); err != nil {
			return "", err
		}
		did = fmt.Sprintf("deployment %s image set back from %s to %s", d.name, cur, want)
	}
	start := time.Now()
	if err := d.waitRollout(ctx, r.timeout); err != nil {
		return did, fmt.Errorf("deployment %s: %w", d.name, err)
	}
	if took := time.Since(start); did != "" || took > time.Second {
		did = strings.TrimPrefix(did+fmt.Sprintf("; rollout complete after %s", took.Round(100*time.Millisecond)), "; ")
	}
	return did, nil
}
