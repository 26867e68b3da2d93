package kube

import (
	"context"
	"fmt"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
)

// Scale reads the scale subresource of a Deployment or a StatefulSet.
func (c *Client) Scale(ctx context.Context, namespace, kind, name string) (*autoscalingv1.Scale, error) {
	var s *autoscalingv1.Scale
	var err error
	switch kind {
	case KindDeployment:
		s, err = c.Kubernetes.AppsV1().Deployments(namespace).GetScale(ctx, name, metav1.GetOptions{})
	case KindStatefulSet:
		s, err = c.Kubernetes.AppsV1().StatefulSets(namespace).GetScale(ctx, name, metav1.GetOptions{})
	default:
		return nil, fmt.Errorf("cannot scale a %q: only a Deployment or a StatefulSet has a scale subresource here", kind)
	}
	if err != nil {
		return nil, fmt.Errorf("reading the scale of %s %s/%s: %w", kind, namespace, name, err)
	}
	return s, nil
}

// SetReplicas sets a Deployment's or StatefulSet's replica count to n
// through its scale subresource (what kubectl scale does: the spec is not
// rewritten) and returns the count it had; it writes nothing when the
// count already is n.
func (c *Client) SetReplicas(ctx context.Context, namespace, kind, name string, n int32) (int32, error) {
	return c.scaleTo(ctx, namespace, kind, name, n, func(int32) bool { return true })
}

// PutBackReplicas is SetReplicas only while the count is still left (what
// a fault left it at): a count someone changed since is theirs, and is
// left as it is. It returns the count it found; the read and the write
// are one compare-and-swap (the scale's resourceVersion).
func (c *Client) PutBackReplicas(ctx context.Context, namespace, kind, name string, left, n int32) (int32, error) {
	return c.scaleTo(ctx, namespace, kind, name, n, func(was int32) bool { return was == left })
}

// scaleTo sets the count to n when it is not n and write(the count) holds.
func (c *Client) scaleTo(ctx context.Context, namespace, kind, name string, n int32, write func(was int32) bool) (int32, error) {
	var was int32
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		s, err := c.Scale(ctx, namespace, kind, name)
		if err != nil {
			return err
		}
		was = s.Spec.Replicas
		if was == n || !write(was) {
			return nil
		}
		s.Spec.Replicas = n
		opts := metav1.UpdateOptions{FieldManager: "selfheal"}
		if kind == KindStatefulSet {
			_, err = c.Kubernetes.AppsV1().StatefulSets(namespace).UpdateScale(ctx, name, s, opts)
		} else {
			_, err = c.Kubernetes.AppsV1().Deployments(namespace).UpdateScale(ctx, name, s, opts)
		}
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("scaling %s %s/%s to %d replicas: %w", kind, namespace, name, n, err)
	}
	return was, nil
}
