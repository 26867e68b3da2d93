package kube

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestRolloutComplete(t *testing.T) {
	d := func(gen, observed int64, replicas, status, updated, available int32) *appsv1.Deployment {
		return &appsv1.Deployment{
			ObjectMeta: metav1.ObjectMeta{Generation: gen},
			Spec:       appsv1.DeploymentSpec{Replicas: &replicas},
			Status:     appsv1.DeploymentStatus{ObservedGeneration: observed, Replicas: status, UpdatedReplicas: updated, AvailableReplicas: available},
		}
	}
	tests := []struct {
		name string
		d    *appsv1.Deployment
		want bool
	}{
		{"done", d(2, 2, 2, 2, 2, 2), true},
		{"not observed yet", d(3, 2, 2, 2, 2, 2), false},
		{"old replica left", d(2, 2, 2, 3, 2, 2), false},
		{"not all updated", d(2, 2, 2, 2, 1, 2), false},
		{"updated not available", d(2, 2, 2, 2, 2, 1), false},
	}
	for _, tt := range tests {
		if got := RolloutComplete(tt.d); got != tt.want {
			t.Errorf("%s: RolloutComplete = %v, want %v", tt.name, got, tt.want)
		}
	}
}
