package kube

import (
	"context"
	"fmt"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

// spreadCluster is two workers and a tainted control plane, a Deployment
// of two replicas whose rollout is complete, and its pods on the nodes
// given; each rollout restart replaces the pods with ones on the nodes
// the next entry of restarts gives, as a scheduler would.
func spreadCluster(t *testing.T, start []string, restarts [][]string) (*Client, *int) {
	t.Helper()
	two := int32(2)
	objs := []runtime.Object{
		&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "cp"}, Spec: corev1.NodeSpec{Taints: []corev1.Taint{{Key: "node-role.kubernetes.io/control-plane", Effect: corev1.TaintEffectNoSchedule}}},
			Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}}},
		&appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "wp", Namespace: "ns"}, Spec: appsv1.DeploymentSpec{Replicas: &two},
			Status: appsv1.DeploymentStatus{Replicas: 2, UpdatedReplicas: 2, AvailableReplicas: 2}},
	}
	for _, n := range []string{"w1", "w2"} {
		objs = append(objs, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: n},
			Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}}})
	}
	pod := func(gen, i int, node string) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("wp-%d-%d", gen, i), Namespace: "ns", Labels: map[string]string{"app": "wp"}}, Spec: corev1.PodSpec{NodeName: node}}
	}
	for i, n := range start {
		objs = append(objs, pod(0, i, n))
	}
	cs := fake.NewClientset(objs...)
	restartsDone := 0
	podsGVR := corev1.SchemeGroupVersion.WithResource("pods")
	cs.PrependReactor("patch", "deployments", func(k8stesting.Action) (bool, runtime.Object, error) {
		// The tracker, not the clientset: the fake holds its lock while
		// reactors run.
		for i := range start {
			_ = cs.Tracker().Delete(podsGVR, "ns", fmt.Sprintf("wp-%d-%d", restartsDone, i))
		}
		restartsDone++
		next := restarts[min(restartsDone, len(restarts))-1]
		for i, n := range next {
			if err := cs.Tracker().Create(podsGVR, pod(restartsDone, i, n), "ns"); err != nil {
				t.Error(err)
			}
		}
		return false, nil, nil
	})
	return &Client{Kubernetes: cs}, &restartsDone
}

func TestSpread(t *testing.T) {
	tests := []struct {
		name      string
		start     []string
		restarts  [][]string
		wantRuns  int
		restarted bool
		err       string
	}{
		{name: "already spread: nothing restarted", start: []string{"w1", "w2"}},
		{name: "one restart spreads them", start: []string{"w2", "w2"}, restarts: [][]string{{"w1", "w2"}}, wantRuns: 1, restarted: true},
		// What a real run saw: a restart put both back on one node.
		{name: "a restart that lands both on one node is tried again", start: []string{"w2", "w2"},
			restarts: [][]string{{"w2", "w2"}, {"w1", "w2"}}, wantRuns: 2, restarted: true},
		{name: "never spread: an error after the last attempt", start: []string{"w2", "w2"}, restarts: [][]string{{"w2", "w2"}},
			wantRuns: spreadAttempts, restarted: true, err: "on 1 node(s) of the 2 they could use, after 3 rollout restarts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, runs := spreadCluster(t, tt.start, tt.restarts)
			restarted, err := c.Spread(context.Background(), "ns", "wp", "app=wp")
			if tt.err == "" && err != nil || tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
				t.Fatalf("err %v, want %q", err, tt.err)
			}
			if restarted != tt.restarted || *runs != tt.wantRuns {
				t.Errorf("restarted %v after %d restart(s); want %v after %d", restarted, *runs, tt.restarted, tt.wantRuns)
			}
		})
	}
}
