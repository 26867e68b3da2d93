package netfiltertest

import (
	"maps"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/selfheal/selfheal/chaos/kube"
)

// Pod is a pod of the fake cluster; its UID is "uid-" and its name. With
// a Node it runs there, its sandbox as process PID; without, it is
// pending and has no sandbox.
type Pod struct {
	Name string
	Node string
	PID  int
}

// Cluster is a fake API server holding pods, labelled labels, in
// namespace, and the Node that runs their sandboxes.
func Cluster(namespace string, labels map[string]string, pods ...Pod) (*kube.Client, *Node) {
	node := New()
	var objs []runtime.Object
	for _, p := range pods {
		uid := "uid-" + p.Name
		phase := corev1.PodPending
		if p.Node != "" {
			phase = corev1.PodRunning
			node.AddSandbox(p.Node, uid, p.PID)
		}
		objs = append(objs, &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: p.Name, Namespace: namespace, UID: types.UID(uid), Labels: maps.Clone(labels)},
			Spec:       corev1.PodSpec{NodeName: p.Node}, Status: corev1.PodStatus{Phase: phase}})
	}
	return &kube.Client{Kubernetes: fake.NewClientset(objs...)}, node
}

// WordPress is the network faults' scene: two running pods labelled
// app=wordpress in namespace selfheal, wp-a on node w1 (its sandbox
// process 11) and wp-b on w2 (22).
func WordPress() (*kube.Client, *Node) {
	return Cluster("selfheal", map[string]string{"app": "wordpress"}, Pod{"wp-a", "w1", 11}, Pod{"wp-b", "w2", 22})
}
