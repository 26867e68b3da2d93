package nodehalt

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/selfheal/selfheal/chaos/fault"
	"github.com/selfheal/selfheal/chaos/fault/faulttest"
	"github.com/selfheal/selfheal/chaos/kube"
	"github.com/selfheal/selfheal/internal/kindnode"
)

// marks is the engine's side; the record goes to log so that its order
// against the docker calls shows.
func marks(log *[]string) *faulttest.Marks {
	return &faulttest.Marks{OnRecord: func(u fault.Undo) { *log = append(*log, "record "+u.Params["container"]) }}
}

func pod(name, app, node string) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", Labels: map[string]string{"app": app}}, Spec: corev1.PodSpec{NodeName: node}}
}

var nodes = []kindnode.Node{{Name: "c-control-plane", Role: "control-plane"}, {Name: "c-worker", Role: "worker"}, {Name: "c-worker2", Role: "worker"}}

// docker is a fake docker CLI over container states; calls that change
// something go to the log.
type docker struct {
	state map[string]string
	log   *[]string
	// survives: a kill or stop that exits 0 and leaves the container
	// running.
	survives bool
}

func newDocker(log *[]string) *docker {
	return &docker{state: map[string]string{"c-control-plane": "running", "c-worker": "running", "c-worker2": "running"}, log: log}
}

func (d *docker) run(_ context.Context, args ...string) (string, error) {
	if args[0] == "inspect" {
		st, ok := d.state[args[len(args)-1]]
		if !ok {
			return "", errors.New("no such container")
		}
		return st + "\n", nil
	}
	*d.log = append(*d.log, strings.Join(args, " "))
	switch args[0] {
	case "kill", "stop":
		if !d.survives {
			d.state[args[1]] = "exited"
		}
	case "start", "unpause":
		d.state[args[1]] = "running"
	}
	return "", nil
}

func newFault(d *docker, pods ...*corev1.Pod) *Fault {
	cs := fake.NewClientset()
	for _, p := range pods {
		cs.Tracker().Add(p)
	}
	return New(&kube.Client{Kubernetes: cs}, "c", "ns", WithVictim("app=wp"), WithAvoid("app=db"),
		WithNodes(func(context.Context) ([]kindnode.Node, error) { return nodes, nil }), WithDocker(d.run))
}

func TestChoosesWorkerWithVictimAndWithoutAvoided(t *testing.T) {
	tests := []struct {
		name    string
		pods    []*corev1.Pod
		want    string
		wantErr string
	}{
		{"db on worker", []*corev1.Pod{pod("wp-a", "wp", "c-worker"), pod("wp-b", "wp", "c-worker2"), pod("db-0", "db", "c-worker")}, "c-worker2", ""},
		{"db on worker2", []*corev1.Pod{pod("wp-a", "wp", "c-worker"), pod("wp-b", "wp", "c-worker2"), pod("db-0", "db", "c-worker2")}, "c-worker", ""},
		{"never the control plane", []*corev1.Pod{pod("wp-a", "wp", "c-control-plane"), pod("db-0", "db", "c-worker")}, "", "no worker of cluster c"},
		{"both workers have the db", []*corev1.Pod{pod("wp-a", "wp", "c-worker"), pod("db-0", "db", "c-worker")}, "", "no worker"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var log []string
			d := newDocker(&log)
			f := newFault(d, tt.pods...)
			m := marks(&log)
			err := f.Inject(context.Background(), m)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || len(log) > 0 {
					t.Fatalf("err %v log %v; want %q and no record, no docker call", err, log, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			// The record comes before the halt: a run killed right after
			// the halt must leave a record behind.
			if want := []string{"record " + tt.want, "stop " + tt.want}; fmt.Sprint(log) != fmt.Sprint(want) || len(m.Injections) != 1 {
				t.Fatalf("log %v injected %v; want %v", log, m.Injections, want)
			}
			if m.Undos[0].Kind != RepairKind {
				t.Errorf("undo %+v", m.Undos[0])
			}
			if err := f.Revert(context.Background(), m); err != nil {
				t.Fatal(err)
			}
			if err := f.Revert(context.Background(), m); err != nil { // idempotent
				t.Fatal(err)
			}
			if fmt.Sprint(log) != fmt.Sprint([]string{"record " + tt.want, "stop " + tt.want, "start " + tt.want}) || len(m.Reverts) != 1 {
				t.Fatalf("log %v reverted %v", log, m.Reverts)
			}
		})
	}
}

// With a survivor required, a node that runs every victim pod is not
// halted (a real suite run halted both WordPress replicas at once under
// node-halt's name); with one elsewhere it is.
func TestSurvivorRequired(t *testing.T) {
	for _, tt := range []struct {
		name string
		pods []*corev1.Pod
		err  string
	}{
		{"both replicas on the one node without the db", []*corev1.Pod{pod("wp-a", "wp", "c-worker2"), pod("wp-b", "wp", "c-worker2"), pod("db-0", "db", "c-worker")},
			`every pod matching "app=wp" runs on c-worker2 (wp-a, wp-b)`},
		{"a replica beside the db survives", []*corev1.Pod{pod("wp-a", "wp", "c-worker"), pod("wp-b", "wp", "c-worker2"), pod("db-0", "db", "c-worker")}, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var log []string
			f := newFault(newDocker(&log), tt.pods...)
			WithSurvivor(true)(f)
			err := f.Inject(context.Background(), marks(&log))
			if tt.err == "" {
				if err != nil || len(log) != 2 {
					t.Fatalf("err %v log %v; want the halt", err, log)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.err) || len(log) > 0 {
				t.Fatalf("err %v log %v; want %q, no record and no docker call", err, log, tt.err)
			}
		})
	}
}

// A halted node's cluster DNS replicas are named in the injection: they
// explain failures on the surviving nodes.
func TestNamesClusterDNSOnTheHaltedNode(t *testing.T) {
	dns := func(name, node string) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "kube-system", Labels: map[string]string{"k8s-app": "kube-dns"}}, Spec: corev1.PodSpec{NodeName: node}}
	}
	for _, tt := range []struct {
		name string
		dns  []*corev1.Pod
		want string
	}{
		{"a replica on the halted node", []*corev1.Pod{dns("coredns-a", "c-worker"), dns("coredns-b", "c-worker2")}, "also cluster DNS replica(s) coredns-b"},
		{"none there", []*corev1.Pod{dns("coredns-a", "c-control-plane")}, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var log []string
			pods := append([]*corev1.Pod{pod("wp-a", "wp", "c-worker"), pod("wp-b", "wp", "c-worker2"), pod("db-0", "db", "c-worker")}, tt.dns...)
			f := newFault(newDocker(&log), pods...)
			m := marks(&log)
			if err := f.Inject(context.Background(), m); err != nil {
				t.Fatal(err)
			}
			got := m.Injections[0]
			if tt.want == "" && strings.Contains(got, "cluster DNS") || tt.want != "" && !strings.Contains(got, tt.want) {
				t.Errorf("injected %q; want %q", got, tt.want)
			}
		})
	}
}

// After the halt the node container is read back from docker (exited),
// and the node is watched from the API until it is seen NotReady; a halt
// docker did not carry out, and a node the API still calls Ready when the
// revert comes, are evidence that did not hold.
func TestProvesTheNodeWentDown(t *testing.T) {
	tests := []struct {
		name     string
		survives bool
		notReady bool // the node controller marks the node NotReady
		want     []string
	}{
		{name: "exited and NotReady", notReady: true, want: []string{"+the container is exited", "+NotReady: Ready=Unknown (NodeStatusUnknown)"}},
		{name: "never NotReady before the revert", want: []string{"+the container is exited", "last read: Ready=True (KubeletReady)"}},
		{name: "docker kill left it running", survives: true, want: []string{"the container is running, not exited", "not seen"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var log []string
			d := newDocker(&log)
			d.survives = tt.survives
			node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "c-worker2"},
				Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady"}}}}
			f := newFault(d, pod("wp-a", "wp", "c-worker"), pod("wp-b", "wp", "c-worker2"), pod("db-0", "db", "c-worker"))
			if _, err := f.client.Kubernetes.CoreV1().Nodes().Create(context.Background(), node, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
			f.every, f.exitWithin = 5*time.Millisecond, 50*time.Millisecond
			m := marks(&log)
			if err := f.Inject(context.Background(), m); err != nil {
				t.Fatal(err)
			}
			if tt.notReady {
				n := node.DeepCopy()
				n.Status.Conditions[0].Status, n.Status.Conditions[0].Reason = corev1.ConditionUnknown, "NodeStatusUnknown"
				if _, err := f.client.Kubernetes.CoreV1().Nodes().UpdateStatus(context.Background(), n, metav1.UpdateOptions{}); err != nil {
					t.Fatal(err)
				}
			}
			time.Sleep(50 * time.Millisecond) // the watch looks a few times
			if err := f.Revert(context.Background(), m); err != nil {
				t.Fatal(err)
			}
			if len(m.Evidence) != len(tt.want) {
				t.Fatalf("evidence %+v, want %d pieces", m.Evidence, len(tt.want))
			}
			for i, w := range tt.want {
				e, held := m.Evidence[i], strings.HasPrefix(w, "+")
				if e.Held != held || !strings.Contains(e.Observed, strings.TrimPrefix(w, "+")) || !strings.Contains(e.Check, "c-worker2") {
					t.Errorf("evidence %d: %+v, want held %v saying %q", i, e, held, strings.TrimPrefix(w, "+"))
				}
			}
		})
	}
}

func TestNoHaltWithoutARecord(t *testing.T) {
	var log []string
	f := newFault(newDocker(&log), pod("wp-a", "wp", "c-worker"))
	err := f.Inject(context.Background(), &faulttest.Marks{BreakErr: errors.New("record unwritable")})
	if err == nil || len(log) > 0 {
		t.Fatalf("err %v, docker calls %v: a fault that cannot be recorded must not be injected", err, log)
	}
}

func TestRevertWithoutInjectDoesNothing(t *testing.T) {
	var log []string
	if err := newFault(newDocker(&log)).Revert(context.Background(), &faulttest.Marks{}); err != nil || len(log) > 0 {
		t.Fatalf("err %v docker %v", err, log)
	}
}

func TestRepairFromTheUndoAlone(t *testing.T) {
	var log []string
	d := newDocker(&log)
	d.state["c-worker2"] = "exited"
	// Ready as the node controller last saw it, before the halt: that is
	// not the restarted kubelet speaking.
	stale := metav1.NewTime(time.Now().Add(-time.Minute))
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "c-worker2"},
		Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue, LastHeartbeatTime: stale}}}}
	cs := fake.NewClientset(node)
	time.AfterFunc(1500*time.Millisecond, func() {
		n := node.DeepCopy()
		n.Status.Conditions[0].LastHeartbeatTime = metav1.Now()
		cs.CoreV1().Nodes().UpdateStatus(context.Background(), n, metav1.UpdateOptions{})
	})
	r := NewRepairer(&kube.Client{Kubernetes: cs}, d.run, 10*time.Second)
	start := time.Now()
	u := fault.Undo{Kind: RepairKind, Params: map[string]string{"container": "c-worker2"}}
	did, err := r.Repair(context.Background(), u)
	if err != nil || !strings.Contains(did, "c-worker2 was exited: docker start") || !strings.Contains(did, "Ready after") {
		t.Fatalf("did %q err %v", did, err)
	}
	if waited := time.Since(start); waited < time.Second {
		t.Errorf("repaired after %s: a Ready condition from before the halt was taken for the restarted node", waited)
	}
	did, err = r.Repair(context.Background(), u) // nothing left
	if err != nil || did != "" || fmt.Sprint(log) != "[start c-worker2]" {
		t.Fatalf("second repair: did %q err %v docker %v", did, err, log)
	}
	if _, err := r.Repair(context.Background(), fault.Undo{Kind: RepairKind, Params: map[string]string{"container": "gone"}}); err == nil {
		t.Error("a node container that does not exist was repaired")
	}
}
