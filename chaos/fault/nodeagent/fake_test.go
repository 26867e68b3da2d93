package nodeagent

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/selfheal/selfheal/chaos/kube"
)

// A fake cluster for the Go side: client-go's fake clientset for the API,
// and for each worker a sandbox (script_test.go) where the agent's real
// scripts run against fake node tools. nodeSim plays the parts the fakes
// lack: systemd firing the break timer, the agent pod's dead-man loop
// (selfheal-agent check, reading the lease from the fake API), the node
// lifecycle controller (Ready Unknown while the kubelet is stopped), and
// traffic hitting the DROP rules while they hold.

// cluster builds a fake API with a control-plane node and workers, the
// kubernetes Service's EndpointSlice, and nothing of the agent's.
func cluster(workers ...string) *fake.Clientset {
	objs := []runtime.Object{node("cp", true)}
	for _, w := range workers {
		objs = append(objs, node(w, false))
	}
	ready := true
	objs = append(objs, &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: "kubernetes", Namespace: metav1.NamespaceDefault, Labels: map[string]string{"kubernetes.io/service-name": "kubernetes"}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints:   []discoveryv1.Endpoint{{Addresses: []string{"172.18.0.3"}, Conditions: discoveryv1.EndpointConditions{Ready: &ready}}},
	})
	return fake.NewClientset(objs...)
}

func node(name string, controlPlane bool) *corev1.Node {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{}},
		Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady"}}}}
	if controlPlane {
		n.Labels[kube.ControlPlaneRole] = ""
	}
	return n
}

// agentPod is a ready agent pod on node.
func agentPod(node string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: Name + "-" + node, Namespace: Namespace, Labels: map[string]string{"app.kubernetes.io/name": Name, PartOfLabel: Name}},
		Spec:       corev1.PodSpec{NodeName: node},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}},
			ContainerStatuses: []corev1.ContainerStatus{{Name: Container, Ready: true}}},
	}
}

// installed adds what Install leaves: the namespace (selfheal's,
// privileged) and a ready agent pod on each worker.
func installed(t *testing.T, cs kubernetes.Interface, workers ...string) {
	t.Helper()
	ctx := context.Background()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: Namespace, Labels: map[string]string{PartOfLabel: Name, podSecurityEnforce: "privileged"}}}
	if _, err := cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, w := range workers {
		if _, err := cs.CoreV1().Pods(Namespace).Create(ctx, agentPod(w), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
}

// nodeExec runs the agent's commands in each node's sandbox, as the API's
// exec into the agent pod does, and fails as it does while the node's
// kubelet is stopped (the exec goes through it).
type nodeExec struct {
	mu    sync.Mutex
	nodes map[string]*sandbox // by pod name
	log   []string
}

func (e *nodeExec) Exec(ctx context.Context, namespace, pod, container string, command ...string) (kube.ExecResult, error) {
	e.mu.Lock()
	s := e.nodes[pod]
	e.log = append(e.log, pod+": "+strings.Join(command, " "))
	e.mu.Unlock()
	if namespace != Namespace || container != Container || len(command) == 0 || command[0] != Command {
		return kube.ExecResult{}, fmt.Errorf("exec %v in %s/%s (%s): not the agent's command", command, namespace, pod, container)
	}
	if s == nil {
		return kube.ExecResult{}, fmt.Errorf("pod %s has no node here", pod)
	}
	if s.read("units/kubelet") != "active" {
		return kube.ExecResult{}, errors.New("error dialing backend: dial tcp 172.18.0.2:10250: connect: connection refused")
	}
	out, err := s.agent(command[1:]...)
	if err != nil {
		return kube.ExecResult{Stdout: out}, fmt.Errorf("command terminated with exit code 1: %s", out)
	}
	return kube.ExecResult{Stdout: out}, nil
}

func (e *nodeExec) calls() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.log...)
}

// nodeSim plays systemd, the agent's loop and the node controller for one
// node, every tick, until stopped.
type nodeSim struct {
	t     *testing.T
	s     *sandbox
	cs    kubernetes.Interface
	name  string
	start time.Time
	// deadman runs the agent pod's loop; off, the agent's loop is gone.
	deadman bool
	stop    chan struct{}
	done    chan struct{}
}

func simulate(t *testing.T, cs kubernetes.Interface, name string, s *sandbox, deadman bool) *nodeSim {
	n := &nodeSim{t: t, s: s, cs: cs, name: name, start: time.Now(), deadman: deadman, stop: make(chan struct{}), done: make(chan struct{})}
	go n.loop()
	t.Cleanup(n.Stop)
	return n
}

func (n *nodeSim) Stop() {
	select {
	case <-n.stop:
	default:
		close(n.stop)
	}
	<-n.done
}

func (n *nodeSim) loop() {
	defer close(n.done)
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-n.stop:
			return
		case <-t.C:
		}
		n.tick()
	}
}

func (n *nodeSim) tick() {
	ctx := context.Background()
	n.s.clock(100 + int(time.Since(n.start)/time.Second))
	for _, timer := range n.s.timers() {
		if strings.HasPrefix(timer, "selfheal-agent-break-") {
			cmd := strings.Split(n.s.read("timers/"+timer), "\n")
			_ = os.Remove(filepath.Join(n.s.state, "timers", timer))
			_, _ = n.s.run(cmd[0], cmd[1:]...)
		}
	}
	// Traffic meets the DROP rules while they hold.
	for _, chain := range []string{"INPUT", "OUTPUT"} {
		var pkts []string
		for _, r := range n.s.rules(chain) {
			c := "0"
			if strings.HasSuffix(r, "-j DROP") {
				c = "7"
			}
			pkts = append(pkts, c)
		}
		if len(pkts) > 0 {
			n.s.write("ipt/"+chain+".pkts", strings.Join(pkts, "\n"))
		}
	}
	if n.deadman {
		l, err := n.cs.CoordinationV1().Leases(Namespace).Get(ctx, RenewLease, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			n.s.lease("404", "", "")
		case err == nil:
			n.s.lease("200", holderOf(l), l.Spec.RenewTime.UTC().Format(time.RFC3339Nano))
		}
		_, _ = n.s.agent("check")
	}
	nd, err := n.cs.CoreV1().Nodes().Get(ctx, n.name, metav1.GetOptions{})
	if err != nil {
		return
	}
	want := corev1.ConditionTrue
	if n.s.read("units/kubelet") != "active" {
		want = corev1.ConditionUnknown
	}
	if nd.Status.Conditions[0].Status != want {
		nd.Status.Conditions[0].Status = want
		nd.Status.Conditions[0].Reason = map[corev1.ConditionStatus]string{corev1.ConditionTrue: "KubeletReady", corev1.ConditionUnknown: "NodeStatusUnknown"}[want]
		_, _ = n.cs.CoreV1().Nodes().UpdateStatus(ctx, nd, metav1.UpdateOptions{})
		// The node controller marks the node's pods not ready; the
		// restarted kubelet marks them ready again (later, in a real
		// cluster: exec reaches the agent before that).
		if p, err := n.cs.CoreV1().Pods(Namespace).Get(ctx, agentPod(n.name).Name, metav1.GetOptions{}); err == nil {
			p.Status.Conditions[0].Status = map[bool]corev1.ConditionStatus{true: corev1.ConditionTrue, false: corev1.ConditionFalse}[want == corev1.ConditionTrue]
			_, _ = n.cs.CoreV1().Pods(Namespace).UpdateStatus(ctx, p, metav1.UpdateOptions{})
		}
	}
}

// fakeDaemonSetController makes the agent's DaemonSet ready with a pod on
// each worker once it is applied, as the controller and kubelets would.
func fakeDaemonSetController(t *testing.T, cs kubernetes.Interface, workers ...string) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); <-done })
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			time.Sleep(20 * time.Millisecond)
			ds, err := cs.AppsV1().DaemonSets(Namespace).Get(ctx, Name, metav1.GetOptions{})
			if err != nil || ds.Status.NumberReady == int32(len(workers)) {
				continue
			}
			for _, w := range workers {
				_, _ = cs.CoreV1().Pods(Namespace).Create(ctx, agentPod(w), metav1.CreateOptions{})
			}
			n := int32(len(workers))
			ds.Status = appsv1.DaemonSetStatus{ObservedGeneration: ds.Generation, DesiredNumberScheduled: n, CurrentNumberScheduled: n,
				UpdatedNumberScheduled: n, NumberReady: n, NumberAvailable: n}
			_, _ = cs.AppsV1().DaemonSets(Namespace).UpdateStatus(ctx, ds, metav1.UpdateOptions{})
		}
	}()
}

func itoa(n int) string { return strconv.Itoa(n) }
