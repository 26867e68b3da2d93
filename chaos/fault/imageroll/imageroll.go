// Package imageroll rolls a Deployment to another image and back again:
// two injections, each a rolling update measured on its own.
// Revert makes sure the Deployment is back on the image it started with.
package imageroll

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/selfheal/selfheal/chaos/fault"
	"github.com/selfheal/selfheal/chaos/kube"
	"github.com/selfheal/selfheal/chaos/timeline"
)

// Fault is the image roll.
type Fault struct {
	client     *kube.Client
	namespace  string
	deployment string
	container  string
	to         string

	mu   sync.Mutex
	from string
}

const (
	// settle is the pause between the end of the roll and the rollback,
	// so the two disturbances are told apart in the timeline.
	settle = 15 * time.Second
	// rollTimeout bounds each rollout.
	rollTimeout = 5 * time.Minute
)

// New rolls container of deployment in namespace to image `to`.
func New(c *kube.Client, namespace, deployment, container, to string) *Fault {
	return &Fault{client: c, namespace: namespace, deployment: deployment, container: container, to: to}
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
	f.mu.Lock()
	f.from = from
	f.mu.Unlock()
	if err := f.roll(ctx, m, from, f.to, m.Injected, "roll"); err != nil {
		return err
	}
	m.Logf("rollout to %s complete; rolling back in %s", f.to, settle)
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(settle):
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

func (f *Fault) setImage(ctx context.Context, img string) error {
	patch, err := json.Marshal(map[string]any{"spec": map[string]any{"template": map[string]any{"spec": map[string]any{
		"containers": []map[string]string{{"name": f.container, "image": img}},
	}}}})
	if err != nil {
		return err
	}
	_, err = f.client.Kubernetes.AppsV1().Deployments(f.namespace).Patch(ctx, f.deployment, types.StrategicMergePatchType, patch, metav1.PatchOptions{FieldManager: "selfheal"})
	if err != nil {
		return fmt.Errorf("setting the image of Deployment %s/%s to %s: %w", f.namespace, f.deployment, img, err)
	}
	return nil
}

// waitRollout waits until kubectl's rollout-status rule holds.
func (f *Fault) waitRollout(ctx context.Context) error {
	check := func(ctx context.Context) (bool, string, error) {
		d, err := f.client.Kubernetes.AppsV1().Deployments(f.namespace).Get(ctx, f.deployment, metav1.GetOptions{})
		if err != nil {
			return false, "", err
		}
		for _, c := range d.Status.Conditions {
			if c.Type == appsv1.DeploymentProgressing && c.Reason == "ProgressDeadlineExceeded" {
				return false, "", fmt.Errorf("rollout of %s failed: %s", f.deployment, c.Message)
			}
		}
		return timeline.RolloutComplete(d), fmt.Sprintf("%d of %d replicas updated and available", d.Status.UpdatedReplicas, d.Status.Replicas), nil
	}
	return kube.WaitFor(ctx, check, 500*time.Millisecond, rollTimeout)
}

// Revert puts the original image back if the Deployment is not on it.
func (f *Fault) Revert(ctx context.Context, m fault.Marker) error {
	f.mu.Lock()
	from := f.from
	f.mu.Unlock()
	if from == "" {
		return nil
	}
	d, err := f.client.Kubernetes.AppsV1().Deployments(f.namespace).Get(ctx, f.deployment, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("reading Deployment %s/%s: %w", f.namespace, f.deployment, err)
	}
	cur, err := image(d, f.container)
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
