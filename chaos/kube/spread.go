package kube

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// Spread makes sure a Deployment's pods run on as many different nodes as
// they can (its replica count, at most the schedulable workers). After a
// node halt both replicas end up on the surviving node and stay there;
// the next node halt then has no worker to halt that leaves the app alive.
// A rollout restart lets the scheduler spread them again (the fixture's
// topologySpreadConstraints). It returns whether it restarted anything.
func (c *Client) Spread(ctx context.Context, namespace, deployment, selector string) (bool, error) {
	d, err := c.Kubernetes.AppsV1().Deployments(namespace).Get(ctx, deployment, metav1.GetOptions{})
	if err != nil {
		return false, fmt.Errorf("reading Deployment %s/%s: %w", namespace, deployment, err)
	}
	nodes, err := c.Kubernetes.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return false, fmt.Errorf("listing nodes: %w", err)
	}
	workers := 0
	for _, n := range nodes.Items {
		if !n.Spec.Unschedulable && NodeReady(&n) && !hasNoScheduleTaint(n.Spec.Taints) {
			workers++
		}
	}
	want := int(*d.Spec.Replicas)
	if workers < want {
		want = workers
	}
	pods, err := c.Kubernetes.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		return false, fmt.Errorf("listing pods of %s: %w", deployment, err)
	}
	on := map[string]bool{}
	for _, p := range pods.Items {
		if p.DeletionTimestamp == nil && p.Spec.NodeName != "" {
			on[p.Spec.NodeName] = true
		}
	}
	if len(on) >= want {
		return false, nil
	}
	patch := fmt.Sprintf(`{"spec":{"template":{"metadata":{"annotations":{"selfheal.dev/spread-at":%q}}}}}`, time.Now().UTC().Format(time.RFC3339))
	if _, err := c.Kubernetes.AppsV1().Deployments(namespace).Patch(ctx, deployment, types.StrategicMergePatchType, []byte(patch), metav1.PatchOptions{FieldManager: "selfheal"}); err != nil {
		return false, fmt.Errorf("restarting Deployment %s to spread its pods: %w", deployment, err)
	}
	return true, nil
}

func hasNoScheduleTaint(taints []corev1.Taint) bool {
	for _, t := range taints {
		if t.Effect == "NoSchedule" || t.Effect == "NoExecute" {
			return true
		}
	}
	return false
}
