package kube

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/utils/ptr"
)

func node(name string, ready bool) *corev1.Node {
	st := corev1.ConditionFalse
	if ready {
		st = corev1.ConditionTrue
	}
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Status:     corev1.NodeStatus{Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: st}}},
	}
}

type ep struct {
	node              string
	ready, terminated bool
}

func slice(eps ...ep) *discoveryv1.EndpointSlice {
	s := &discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{
		Name: "wordpress-abc", Namespace: "ns", Labels: map[string]string{discoveryv1.LabelServiceName: "wordpress"},
	}}
	for _, e := range eps {
		s.Endpoints = append(s.Endpoints, discoveryv1.Endpoint{
			NodeName:   ptr.To(e.node),
			Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(e.ready), Terminating: ptr.To(e.terminated)},
		})
	}
	return s
}

func TestEndpointsComplete(t *testing.T) {
	nodes := []runtime.Object{node("w1", true), node("w2", false)}
	tests := []struct {
		name string
		eps  []ep
		want bool
	}{
		{"all ready", []ep{{"w1", true, false}, {"w1", true, false}}, true},
		{"one short", []ep{{"w1", true, false}}, false},
		{"one too many", []ep{{"w1", true, false}, {"w1", true, false}, {"w1", true, false}}, false},
		{"not ready on a healthy node", []ep{{"w1", true, false}, {"w1", true, false}, {"w1", false, false}}, false},
		{"terminating on a healthy node (a rollout's old pod)", []ep{{"w1", true, false}, {"w1", true, false}, {"w1", false, true}}, false},
		{"terminating on a lost node (a node halt's replaced pod)", []ep{{"w1", true, false}, {"w1", true, false}, {"w2", false, true}}, true},
		{"not ready, not terminating, on a lost node", []ep{{"w1", true, false}, {"w1", true, false}, {"w2", false, false}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs := fake.NewClientset(append(nodes, slice(tt.eps...))...)
			c := &Client{Kubernetes: cs}
			ok, detail, err := c.endpointsComplete(context.Background(), "ns", "wordpress", 2)
			if err != nil {
				t.Fatal(err)
			}
			if ok != tt.want {
				t.Errorf("complete = %v (%s), want %v", ok, detail, tt.want)
			}
		})
	}
}
