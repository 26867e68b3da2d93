package kube

import (
	"context"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
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

func TestWorkloadSteady(t *testing.T) {
	two := slice(ep{"w1", true, false}, ep{"w2", true, false})
	sts := func(gen, observed int64, updated, ready int32, cur, upd string) *appsv1.StatefulSet {
		return &appsv1.StatefulSet{
			ObjectMeta: metav1.ObjectMeta{Name: "wordpress", Namespace: "ns", Generation: gen},
			Spec:       appsv1.StatefulSetSpec{Replicas: ptr.To(int32(2))},
			Status: appsv1.StatefulSetStatus{ObservedGeneration: observed, Replicas: 2, UpdatedReplicas: updated, ReadyReplicas: ready,
				CurrentRevision: cur, UpdateRevision: upd},
		}
	}
	ds := func(desired, updated, available int32) *appsv1.DaemonSet {
		return &appsv1.DaemonSet{
			ObjectMeta: metav1.ObjectMeta{Name: "wordpress", Namespace: "ns", Generation: 1},
			Status: appsv1.DaemonSetStatus{ObservedGeneration: 1, DesiredNumberScheduled: desired, UpdatedNumberScheduled: updated,
				NumberAvailable: available, NumberReady: available},
		}
	}
	tests := []struct {
		name string
		kind string
		objs []runtime.Object
		want bool
	}{
		{"statefulset steady", KindStatefulSet, []runtime.Object{sts(2, 2, 2, 2, "r2", "r2"), two}, true},
		{"statefulset rolling", KindStatefulSet, []runtime.Object{sts(2, 2, 1, 2, "r1", "r2"), two}, false},
		{"statefulset spec not yet seen", KindStatefulSet, []runtime.Object{sts(3, 2, 2, 2, "r2", "r2"), two}, false},
		{"statefulset endpoints short", KindStatefulSet, []runtime.Object{sts(2, 2, 2, 2, "r2", "r2"), slice(ep{"w1", true, false})}, false},
		{"daemonset steady", KindDaemonSet, []runtime.Object{ds(2, 2, 2), two}, true},
		{"daemonset rolling", KindDaemonSet, []runtime.Object{ds(2, 1, 2), two}, false},
		{"daemonset pod not available", KindDaemonSet, []runtime.Object{ds(2, 2, 1), two}, false},
		{"daemonset with no node", KindDaemonSet, []runtime.Object{ds(0, 0, 0), slice()}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &Client{Kubernetes: fake.NewClientset(append([]runtime.Object{node("w1", true), node("w2", true)}, tt.objs...)...)}
			ok, why, err := c.WorkloadSteady("ns", tt.kind, "wordpress", "wordpress")(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if ok != tt.want {
				t.Errorf("steady = %v (%s), want %v", ok, why, tt.want)
			}
		})
	}
	if _, _, err := (&Client{Kubernetes: fake.NewClientset()}).WorkloadSteady("ns", "ReplicaSet", "x", "x")(context.Background()); err == nil {
		t.Error("an unknown kind must be an error, not a state")
	}
}

func TestServiceEndpoints(t *testing.T) {
	unset := slice(ep{"w1", true, false})
	unset.Name, unset.Endpoints[0].Conditions.Ready = "wordpress-def", nil // nil means ready
	other := slice(ep{"w1", true, false})
	other.Name, other.Labels = "mysql-abc", map[string]string{discoveryv1.LabelServiceName: "mysql"}
	c := &Client{Kubernetes: fake.NewClientset(slice(ep{"w1", true, false}, ep{"w2", false, true}, ep{"w2", false, false}), unset, other)}
	ready, notReady, err := c.ServiceEndpoints(context.Background(), "ns", "wordpress")
	if err != nil || ready != 2 || notReady != 2 {
		t.Fatalf("ready %d, other %d, err %v; want 2 and 2", ready, notReady, err)
	}
}
