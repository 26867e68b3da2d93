package kube

import (
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

// The readiness rules every package uses (the steady-state checks, the
// timeline, the faults, fixtures/cluster): written once, here.

// ControlPlaneRole is the label kubeadm (and so kind) puts on control-plane
// nodes, and the key of the NoSchedule taint it gives them.
const ControlPlaneRole = "node-role.kubernetes.io/control-plane"

// ControlPlane says whether n is a control-plane node.
func ControlPlane(n *corev1.Node) bool {
	_, ok := n.Labels[ControlPlaneRole]
	return ok
}

// NodeReady reports whether a node's Ready condition is True.
func NodeReady(n *corev1.Node) bool {
	ready, _ := NodeReadyCondition(n)
	return ready
}

// NodeReadyCondition is NodeReady with the condition itself (nil when the
// node has none yet), for callers that say why.
func NodeReadyCondition(n *corev1.Node) (bool, *corev1.NodeCondition) {
	for i, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue, &n.Status.Conditions[i]
		}
	}
	return false, nil
}

// PodReady reports whether a pod's Ready condition is True.
func PodReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// RolloutComplete is kubectl's rollout-status rule for a Deployment: the
// controller saw the latest spec, every replica is updated, no old one is
// left, and every updated one is available.
func RolloutComplete(d *appsv1.Deployment) bool {
	want := int32(1)
	if d.Spec.Replicas != nil {
		want = *d.Spec.Replicas
	}
	return d.Generation <= d.Status.ObservedGeneration &&
		d.Status.UpdatedReplicas >= want &&
		d.Status.Replicas == d.Status.UpdatedReplicas &&
		d.Status.AvailableReplicas >= d.Status.UpdatedReplicas
}

// StatefulSetRolloutComplete is kubectl's rollout-status rule for a
// StatefulSet with the RollingUpdate strategy: every replica updated to
// the update revision and Ready.
func StatefulSetRolloutComplete(s *appsv1.StatefulSet) bool {
	want := int32(1)
	if s.Spec.Replicas != nil {
		want = *s.Spec.Replicas
	}
	return s.Generation <= s.Status.ObservedGeneration &&
		s.Status.UpdatedReplicas >= want &&
		s.Status.ReadyReplicas >= want &&
		(s.Status.UpdateRevision == "" || s.Status.CurrentRevision == s.Status.UpdateRevision)
}

// DaemonSetRolloutComplete is kubectl's rollout-status rule for a
// DaemonSet: every scheduled pod updated and available.
func DaemonSetRolloutComplete(d *appsv1.DaemonSet) bool {
	want := d.Status.DesiredNumberScheduled
	return d.Generation <= d.Status.ObservedGeneration &&
		d.Status.UpdatedNumberScheduled >= want &&
		d.Status.NumberAvailable >= want
}
