package kube

import (
	"context"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// Spread bounds: how many rollout restarts it tries, and how long each
// rollout may take.
const (
	spreadAttempts = 3
	spreadRollout  = 3 * time.Minute
)

// Spread makes sure a Deployment's pods run on as many different nodes as
// they can (its replica count, at most the schedulable workers). After a
// node halt or a drain every replica can end up on one node and stay
// there; the next node halt then has no worker to halt that leaves the app
// alive. A rollout restart lets the scheduler spread them again: the
// fixture's spread counts each ReplicaSet on its own (matchLabelKeys
// pod-template-hash, fixtures/wordpress/manifests/wordpress.yaml), so the old
// ReplicaSet's pods do not skew where a surge puts the new ones. It is
// still ScheduleAnyway (a node halt must be able to reschedule onto the
// surviving node), a preference other scores can outweigh, so Spread
// waits for each rollout and checks, restarting up to spreadAttempts
// times. It returns whether it restarted anything, and an error when the
// pods are still not spread.
func (c *Client) Spread(ctx context.Context, namespace, deployment, selector string) (bool, error) {
	restarted := false
	for attempt := 0; ; attempt++ {
		got, want, err := c.spread(ctx, namespace, deployment, selector)
		if err != nil {
			return restarted, err
		}
		if got >= want {
			return restarted, nil
		}
		if attempt == spreadAttempts {
			return restarted, fmt.Errorf("the pods of Deployment %s/%s are on %d node(s) of the %d they could use, after %d rollout restarts", namespace, deployment, got, want, attempt)
		}
		patch := fmt.Sprintf(`{"spec":{"template":{"metadata":{"annotations":{"selfheal.dev/spread-at":%q}}}}}`, time.Now().UTC().Format(time.RFC3339Nano))
		if _, err := c.Kubernetes.AppsV1().Deployments(namespace).Patch(ctx, deployment, types.StrategicMergePatchType, []byte(patch), metav1.PatchOptions{FieldManager: "selfheal"}); err != nil {
			return restarted, fmt.Errorf("restarting Deployment %s to spread its pods: %w", deployment, err)
		}
		restarted = true
		if err := WaitFor(ctx, c.rolledOut(namespace, deployment, selector), time.Second, spreadRollout); err != nil {
			return restarted, fmt.Errorf("restarting Deployment %s to spread its pods: %w", deployment, err)
		}
	}
}

// spread counts the nodes the Deployment's live pods run on, and how many
// they could run on.
func (c *Client) spread(ctx context.Context, namespace, deployment, selector string) (got, want int, err error) {
	d, err := c.Kubernetes.AppsV1().Deployments(namespace).Get(ctx, deployment, metav1.GetOptions{})
	if err != nil {
		return 0, 0, fmt.Errorf("reading Deployment %s/%s: %w", namespace, deployment, err)
	}
	workers, err := c.SchedulableWorkers(ctx)
	if err != nil {
		return 0, 0, err
	}
	on, err := c.PodsByNode(ctx, namespace, selector)
	if err != nil {
		return 0, 0, err
	}
	return len(on), min(int(replicas(d)), workers), nil
}

// SchedulableWorkers counts the nodes a pod without tolerations can be
// scheduled on: Ready, not cordoned, without a NoSchedule or NoExecute
// taint (kind's control-plane node has one).
func (c *Client) SchedulableWorkers(ctx context.Context) (int, error) {
	nodes, err := c.Kubernetes.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return 0, fmt.Errorf("listing nodes: %w", err)
	}
	workers := 0
	for _, n := range nodes.Items {
		if NodeSchedulable(&n) {
			workers++
		}
	}
	return workers, nil
}

// NodeSchedulable says whether n takes new pods: Ready, not cordoned and
// without a NoSchedule or NoExecute taint (a new node keeps
// node.kubernetes.io/not-ready or network-unavailable for a while after it
// turned Ready).
func NodeSchedulable(n *corev1.Node) bool {
	return !n.Spec.Unschedulable && NodeReady(n) && !hasNoScheduleTaint(n.Spec.Taints)
}

// rolledOut holds once the Deployment's rollout is complete and no pod of
// it is left terminating: only then do its pods' nodes say where it runs.
func (c *Client) rolledOut(namespace, deployment, selector string) Check {
	return func(ctx context.Context) (bool, string, error) {
		d, err := c.Kubernetes.AppsV1().Deployments(namespace).Get(ctx, deployment, metav1.GetOptions{})
		if err != nil {
			return false, "", err
		}
		if !RolloutComplete(d) {
			return false, "rollout in progress", nil
		}
		pods, err := c.Kubernetes.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{LabelSelector: selector})
		if err != nil {
			return false, "", err
		}
		if n := len(pods.Items); n > int(replicas(d)) {
			return false, fmt.Sprintf("%d pods, %d wanted: old ones still terminating", n, replicas(d)), nil
		}
		return true, "", nil
	}
}

func replicas(d *appsv1.Deployment) int32 {
	if d.Spec.Replicas == nil {
		return 1
	}
	return *d.Spec.Replicas
}

func hasNoScheduleTaint(taints []corev1.Taint) bool {
	for _, t := range taints {
		if t.Effect == "NoSchedule" || t.Effect == "NoExecute" {
			return true
		}
	}
	return false
}
