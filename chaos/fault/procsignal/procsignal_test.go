package procsignal

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/selfheal/selfheal/chaos/fault"
	"github.com/selfheal/selfheal/chaos/fault/faulttest"
	"github.com/selfheal/selfheal/chaos/kube"
)

const (
	node  = "c-worker"
	cid   = "261f383487894b1eb71d275c95d3ef7b11f06d23fb4a53b65449a609461ef41e"
	other = "0f185998948620cb956312d3113f8eaf09c7408f211ac0e52bb0baa34114de63"
	pid   = 2084
)

// marks is the engine's side; the record goes to log so that its order
// against the signals shows.
func marks(log *[]string) *faulttest.Marks {
	return &faulttest.Marks{OnRecord: func(u fault.Undo) { *log = append(*log, "record "+u.Kind+" "+u.Params["pid"]) }}
}

// proc is a process of the fake node: the container its cgroup names and
// its state letter.
type proc struct {
	container string
	state     string
	// deaf: a signal reaches it but changes nothing (what a fake must
	// do to show a signal that did not take effect).
	deaf bool
}

// node is a fake kind node: containerd's containers and tasks of the pod,
// and a process table. Signals go to the log; a signal to a PID whose
// cgroup names another container is a bug the log shows.
type fakeNode struct {
	containers string // ctr containers ls -q
	tasks      string // ctr task ls
	procs      map[int]*proc
	log        *[]string
	failSignal error
}

func newNode(log *[]string) *fakeNode {
	return &fakeNode{
		containers: "aaa\n" + cid + "\n",
		tasks:      "TASK PID STATUS\naaa 0 STOPPED\n" + cid + " " + strconv.Itoa(pid) + " RUNNING\n",
		procs:      map[int]*proc{pid: {container: cid, state: "S (sleeping)"}},
		log:        log,
	}
}

func (n *fakeNode) docker(_ context.Context, args ...string) (string, error) {
	if len(args) < 3 || args[0] != "exec" || args[1] != node {
		return "", fmt.Errorf("unexpected docker call %q", args)
	}
	cmd := args[2:]
	switch {
	case cmd[0] == "ctr" && strings.Contains(strings.Join(cmd, " "), "containers ls"):
		return n.containers, nil
	case cmd[0] == "ctr" && strings.Contains(strings.Join(cmd, " "), "task ls"):
		return n.tasks, nil
	case cmd[0] == "sh" && len(cmd) == 6 && cmd[2] == stateScript:
		pid, _ := strconv.Atoi(cmd[5])
		if pr, ok := n.procs[pid]; ok && pr.container == cmd[4] {
			return pr.state + "\n", nil
		}
		return "", nil
	case cmd[0] == "sh" && len(cmd) == 7 && cmd[2] == signalScript:
		id, p, sig := cmd[4], cmd[5], cmd[6]
		if n.failSignal != nil {
			return "", n.failSignal
		}
		pid, _ := strconv.Atoi(p)
		pr, ok := n.procs[pid]
		if !ok || pr.container != id {
			return "", nil
		}
		*n.log = append(*n.log, "SIG"+sig+" "+p)
		was := pr.state
		switch {
		case pr.deaf:
		case sig == "KILL":
			delete(n.procs, pid)
		case sig == "STOP":
			pr.state = "T (stopped)"
		case sig == "CONT":
			pr.state = "S (sleeping)"
		}
		return was + "\n", nil
	}
	return "", fmt.Errorf("unexpected command %q", cmd)
}

func mysqlPod(mutate ...func(*corev1.Pod)) *corev1.Pod {
	yes := true
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "mysql-0", Namespace: "ns", UID: "uid-1",
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "StatefulSet", Name: "mysql", Controller: &yes}}},
		Spec: corev1.PodSpec{NodeName: node},
		Status: corev1.PodStatus{Phase: corev1.PodRunning,
			Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}},
			ContainerStatuses: []corev1.ContainerStatus{{Name: "mysql", Ready: true, ContainerID: "containerd://" + cid,
				State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}}},
	}
	for _, m := range mutate {
		m(p)
	}
	return p
}

func steadySet() *appsv1.StatefulSet {
	one := int32(1)
	return &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: "mysql", Namespace: "ns", Generation: 1},
		Spec:   appsv1.StatefulSetSpec{Replicas: &one},
		Status: appsv1.StatefulSetStatus{ObservedGeneration: 1, Replicas: 1, ReadyReplicas: 1, UpdatedReplicas: 1, AvailableReplicas: 1, CurrentRevision: "r1", UpdateRevision: "r1"}}
}

func newFault(mode Mode, n *fakeNode, pod *corev1.Pod) *Fault {
	cs := fake.NewClientset(steadySet())
	if pod != nil {
		cs.Tracker().Add(pod)
	}
	f := New(&kube.Client{Kubernetes: cs}, mode, "ns", "mysql-0", "mysql", WithDocker(n.docker))
	f.proofTimeout, f.proofEvery = 300*time.Millisecond, 10*time.Millisecond
	return f
}

func TestInjectRecordsTheProcessBeforeSignalling(t *testing.T) {
	for _, tc := range []struct {
		mode      Mode
		kind, sig string
	}{{Kill, KillKind, "KILL"}, {Stop, StopKind, "STOP"}} {
		t.Run(tc.sig, func(t *testing.T) {
			var log []string
			n := newNode(&log)
			m := marks(&log)
			if err := newFault(tc.mode, n, mysqlPod()).Inject(context.Background(), m); err != nil {
				t.Fatal(err)
			}
			// The record comes before the signal: a run killed right
			// after a SIGSTOP must leave what it takes to resume it.
			if want := fmt.Sprint([]string{"record " + tc.kind + " 2084", "SIG" + tc.sig + " 2084"}); fmt.Sprint(log) != want || len(m.Injections) != 1 {
				t.Fatalf("log %v injected %v; want %s", log, m.Injections, want)
			}
			want := map[string]string{"namespace": "ns", "pod": "mysql-0", "container": "mysql", "pod-uid": "uid-1", "statefulset": "mysql",
				"node": node, "container-id": cid, "pid": "2084"}
			if fmt.Sprint(m.Undos[0].Params) != fmt.Sprint(want) {
				t.Errorf("undo params %v, want %v", m.Undos[0].Params, want)
			}
			if !strings.Contains(m.Injections[0], "S (sleeping)") {
				t.Errorf("injected %q does not say what the process was", m.Injections[0])
			}
		})
	}
}

// After the signal the fault reads the process's state from its node: T
// after SIGSTOP, gone after SIGKILL, each evidence that held; a process the
// signal did not change (still sleeping), or a state that cannot be read,
// is evidence that did not hold.
func TestProvesTheSignalTookEffect(t *testing.T) {
	tests := []struct {
		name      string
		mode      Mode
		deaf      bool
		stateFail bool
		held      bool
		observed  string
	}{
		{name: "stopped", mode: Stop, held: true, observed: "T (stopped)"},
		{name: "killed", mode: Kill, held: true, observed: "gone"},
		{name: "still sleeping after SIGSTOP", mode: Stop, deaf: true, observed: "S (sleeping) | after SIGSTOP, never T (stopped)"},
		{name: "still sleeping after SIGKILL", mode: Kill, deaf: true, observed: "S (sleeping) | after SIGKILL, never gone"},
		{name: "state unreadable", mode: Stop, stateFail: true, observed: "could not be read"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var log []string
			n := newNode(&log)
			n.procs[pid].deaf = tt.deaf
			f := newFault(tt.mode, n, mysqlPod())
			if tt.stateFail {
				f.docker = func(ctx context.Context, args ...string) (string, error) {
					if len(args) > 4 && args[4] == stateScript {
						return "", errors.New("docker exec: node unreachable")
					}
					return n.docker(ctx, args...)
				}
			}
			m := marks(&log)
			if err := f.Inject(context.Background(), m); err != nil {
				t.Fatal(err)
			}
			if len(m.Evidence) != 1 {
				t.Fatalf("evidence %+v, want one piece", m.Evidence)
			}
			e := m.Evidence[0]
			// How long it waited depends on the machine's load: only the
			// words around it are checked.
			said := true
			for _, part := range strings.Split(tt.observed, " | ") {
				said = said && strings.Contains(e.Observed, part)
			}
			if e.Held != tt.held || !said || !strings.Contains(e.Check, "/proc/2084/status on node c-worker") {
				t.Errorf("evidence %+v, want held %v saying %q", e, tt.held, tt.observed)
			}
		})
	}
}

func TestNoSignalWithoutARecord(t *testing.T) {
	var log []string
	err := newFault(Stop, newNode(&log), mysqlPod()).Inject(context.Background(), &faulttest.Marks{BreakErr: errors.New("record unwritable")})
	if err == nil || len(log) > 0 {
		t.Fatalf("err %v, log %v: a fault that cannot be recorded must not be injected", err, log)
	}
}

// A pod that is not running, or whose container has no running task (or
// another one than its status names), is refused before anything is
// recorded or signalled.
func TestRefusesWhatIsNotRunning(t *testing.T) {
	tests := []struct {
		name  string
		pod   *corev1.Pod
		node  func(*fakeNode)
		wants string
	}{
		{"no pod", nil, nil, "reading pod ns/mysql-0"},
		{"pending", mysqlPod(func(p *corev1.Pod) { p.Status.Phase = corev1.PodPending }), nil, "phase Pending, not Running"},
		{"not scheduled", mysqlPod(func(p *corev1.Pod) { p.Spec.NodeName = "" }), nil, "not scheduled"},
		{"being deleted", mysqlPod(func(p *corev1.Pod) { now := metav1.Now(); p.DeletionTimestamp = &now; p.Finalizers = []string{"x"} }), nil, "being deleted"},
		{"crash loop", mysqlPod(func(p *corev1.Pod) {
			p.Status.ContainerStatuses[0].State = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff"}}
		}), nil, "container mysql is not running (waiting: CrashLoopBackOff)"},
		{"no container status", mysqlPod(func(p *corev1.Pod) { p.Status.ContainerStatuses[0].Name = "sidecar" }), nil, "no status for container mysql"},
		{"no running task", mysqlPod(), func(n *fakeNode) { n.tasks = "TASK PID STATUS\n" + cid + " 0 STOPPED\n" }, "no running task"},
		{"task of another container than the status names", mysqlPod(), func(n *fakeNode) {
			n.containers = other + "\n"
			n.tasks = other + " 3000 RUNNING\n"
		}, "restarting?"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var log []string
			n := newNode(&log)
			if tt.node != nil {
				tt.node(n)
			}
			m := marks(&log)
			err := newFault(Stop, n, tt.pod).Inject(context.Background(), m)
			if err == nil || !strings.Contains(err.Error(), tt.wants) || len(log) > 0 {
				t.Fatalf("err %v log %v; want %q and nothing recorded or signalled", err, log, tt.wants)
			}
		})
	}
}

func TestRevert(t *testing.T) {
	tests := []struct {
		name string
		mode Mode
		// before the revert: what happened to the node since the inject
		inject     bool
		failSignal bool // the injecting call failed
		after      func(n *fakeNode)
		wantLog    []string
		reverted   int
		note       string // what the result's notes say the revert found
	}{
		{name: "stopped process resumed", mode: Stop, inject: true,
			wantLog: []string{"record process-stopped 2084", "SIGSTOP 2084", "SIGCONT 2084"}, reverted: 1, note: "still frozen at the revert"},
		{name: "restarted by the liveness probe: nothing to resume", mode: Stop, inject: true,
			after:   func(n *fakeNode) { delete(n.procs, pid) },
			wantLog: []string{"record process-stopped 2084", "SIGSTOP 2084"}, note: "gone at the revert"},
		{name: "PID taken by another container's process: never signalled", mode: Stop, inject: true,
			after:   func(n *fakeNode) { n.procs[pid] = &proc{container: other, state: "T (stopped)"} },
			wantLog: []string{"record process-stopped 2084", "SIGSTOP 2084"}, note: "gone at the revert"},
		{name: "partial inject: the stop call failed, the revert still resumes", mode: Stop, inject: true, failSignal: true,
			after:   func(n *fakeNode) { n.failSignal = nil; n.procs[pid].state = "T (stopped)" },
			wantLog: []string{"record process-stopped 2084", "SIGCONT 2084"}, reverted: 1, note: "still frozen at the revert"},
		{name: "no inject", mode: Stop},
		{name: "a kill has nothing to revert", mode: Kill, inject: true,
			wantLog: []string{"record process-killed 2084", "SIGKILL 2084"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var log []string
			n := newNode(&log)
			f := newFault(tt.mode, n, mysqlPod())
			m := marks(&log)
			if tt.inject {
				if tt.failSignal {
					n.failSignal = errors.New("docker exec: node unreachable")
				}
				if err := f.Inject(context.Background(), m); (err != nil) != tt.failSignal {
					t.Fatalf("inject: %v", err)
				}
			}
			if tt.after != nil {
				tt.after(n)
			}
			for range 2 { // idempotent
				if err := f.Revert(context.Background(), m); err != nil {
					t.Fatal(err)
				}
			}
			if fmt.Sprint(log) != fmt.Sprint(tt.wantLog) || len(m.Reverts) != tt.reverted {
				t.Fatalf("log %v reverted %v; want %v and %d revert(s)", log, m.Reverts, tt.wantLog, tt.reverted)
			}
			if notes := f.Notes(); tt.note == "" && len(notes) > 0 || tt.note != "" && (len(notes) != 1 || !strings.Contains(notes[0], tt.note)) {
				t.Errorf("notes %q, want one saying %q", notes, tt.note)
			}
			if p := n.procs[pid]; tt.mode == Stop && p != nil && p.container == cid && p.state != "S (sleeping)" {
				t.Errorf("the stopped process is left %s", p.state)
			}
		})
	}
}

// A revert whose signal fails keeps the process to resume: the next
// revert (or the repairer) tries again.
func TestRevertFailureIsRetried(t *testing.T) {
	var log []string
	n := newNode(&log)
	f := newFault(Stop, n, mysqlPod())
	m := marks(&log)
	if err := f.Inject(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	n.failSignal = errors.New("docker exec: timeout")
	if err := f.Revert(context.Background(), m); err == nil {
		t.Fatal("a failed SIGCONT was reported as reverted")
	}
	n.failSignal = nil
	if err := f.Revert(context.Background(), m); err != nil || len(m.Reverts) != 1 {
		t.Fatalf("err %v reverted %v", err, m.Reverts)
	}
}

func undo(kind string) fault.Undo {
	return fault.Undo{Kind: kind, Params: map[string]string{"namespace": "ns", "pod": "mysql-0", "container": "mysql", "pod-uid": "uid-1",
		"statefulset": "mysql", "node": node, "container-id": cid, "pid": "2084"}}
}

func TestRepairFromTheUndoAlone(t *testing.T) {
	tests := []struct {
		name      string
		kind      string
		state     string // the recorded process's state; "" when it is gone
		notReady  bool   // the pod is not Ready at first, and Ready 1.5 s later
		wantDid   []string
		wantLog   []string
		wantWaits bool
	}{
		{name: "stopped process of a dead run is resumed", kind: StopKind, state: "T (stopped)",
			wantDid: []string{"SIGCONT to PID 2084", "which was T (stopped)"}, wantLog: []string{"SIGCONT 2084"}},
		{name: "stopped, and the pod not Ready: resumed, then waited for", kind: StopKind, state: "T (stopped)", notReady: true,
			wantDid: []string{"SIGCONT to PID 2084", "Ready again after"}, wantLog: []string{"SIGCONT 2084"}, wantWaits: true},
		{name: "already repaired: the process was restarted", kind: StopKind, wantLog: nil},
		{name: "already repaired: running again", kind: StopKind, state: "S (sleeping)", wantLog: []string{"SIGCONT 2084"}},
		{name: "killed: waits for the restarted container", kind: KillKind, notReady: true, wantDid: []string{"Ready again after"}, wantWaits: true},
		{name: "killed, already back", kind: KillKind},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var log []string
			n := newNode(&log)
			delete(n.procs, pid)
			if tt.state != "" {
				n.procs[pid] = &proc{container: cid, state: tt.state}
			}
			pod := mysqlPod()
			if tt.notReady {
				pod.Status.Conditions[0].Status = corev1.ConditionFalse
			}
			cs := fake.NewClientset(steadySet(), pod)
			if tt.notReady {
				time.AfterFunc(1500*time.Millisecond, func() {
					cs.CoreV1().Pods("ns").UpdateStatus(context.Background(), mysqlPod(), metav1.UpdateOptions{})
				})
			}
			r := NewRepairer(tt.kind, &kube.Client{Kubernetes: cs}, n.docker, 10*time.Second)
			start := time.Now()
			did, err := r.Repair(context.Background(), undo(tt.kind))
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.wantDid {
				if !strings.Contains(did, w) {
					t.Errorf("did %q, want it to say %q", did, w)
				}
			}
			if len(tt.wantDid) == 0 && did != "" {
				t.Errorf("did %q with nothing to repair", did)
			}
			if fmt.Sprint(log) != fmt.Sprint(tt.wantLog) {
				t.Errorf("signals %v, want %v", log, tt.wantLog)
			}
			if waited := time.Since(start) >= time.Second; waited != tt.wantWaits {
				t.Errorf("waited %v, want %v", time.Since(start), tt.wantWaits)
			}
		})
	}
}

func TestRepairIsBoundedAndRefusesABadRecord(t *testing.T) {
	var log []string
	n := newNode(&log)
	pod := mysqlPod(func(p *corev1.Pod) { p.Status.Conditions[0].Status = corev1.ConditionFalse })
	r := NewRepairer(KillKind, &kube.Client{Kubernetes: fake.NewClientset(steadySet(), pod)}, n.docker, 1500*time.Millisecond)
	start := time.Now()
	if _, err := r.Repair(context.Background(), undo(KillKind)); !errors.Is(err, kube.ErrNotSteady) || time.Since(start) > 5*time.Second {
		t.Fatalf("err %v after %s; want not steady after the 1.5 s timeout", err, time.Since(start))
	}
	for _, bad := range []map[string]string{
		{"namespace": "ns", "pod": "mysql-0", "node": node, "container-id": cid},             // no pid
		{"namespace": "ns", "pod": "mysql-0", "node": node, "pid": "2084"},                   // no container id: could signal anything
		{"namespace": "ns", "pod": "mysql-0", "node": node, "container-id": cid, "pid": "1"}, // the node's init
	} {
		if _, err := NewRepairer(StopKind, &kube.Client{Kubernetes: fake.NewClientset()}, n.docker, time.Second).Repair(context.Background(),
			fault.Undo{Kind: StopKind, Params: bad}); err == nil || !strings.Contains(err.Error(), "does not name a process") {
			t.Errorf("record %v: err %v", bad, err)
		}
	}
	if len(log) > 0 {
		t.Errorf("signals %v", log)
	}
}

// The signal script itself, run by this machine's sh against a real
// process (a sleep this test starts) in place of the node's: it signals
// only a process whose cgroup names the container, says what state the
// process was in, and prints nothing for another container's process.
func TestSignalScriptOnARealProcess(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	sleep := exec.Command("sleep", "60")
	if err := sleep.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { sleep.Process.Kill(); sleep.Wait() }()
	cg, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", sleep.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	// Its longest cgroup path stands for the container id a node's
	// process has in its own.
	var id string
	for _, l := range strings.Split(strings.TrimSpace(string(cg)), "\n") {
		if path := l[strings.LastIndex(l, ":")+1:]; len(path) > len(id) {
			id = path
		}
	}
	local := func(ctx context.Context, args ...string) (string, error) {
		out, err := exec.CommandContext(ctx, args[2], args[3:]...).Output() // drop "exec <node>"
		return string(out), err
	}
	p := Process{Node: "local", PID: sleep.Process.Pid, ContainerID: id}
	state := func() string {
		s, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.PID))
		for _, l := range strings.Split(string(s), "\n") {
			if v, ok := strings.CutPrefix(l, "State:\t"); ok {
				return v
			}
		}
		return ""
	}

	notOurs := p
	notOurs.ContainerID = other
	if got, err := Signal(context.Background(), local, notOurs, "STOP"); err != nil || got != "" || strings.HasPrefix(state(), "T") {
		t.Fatalf("another container's process: got %q, %v, state %s; want nothing signalled", got, err, state())
	}
	if got, err := Signal(context.Background(), local, p, "STOP"); err != nil || !strings.HasPrefix(got, "S") {
		t.Fatalf("STOP: got %q, %v; want the state before, sleeping", got, err)
	}
	waitState(t, state, "T")
	if got, err := State(context.Background(), local, p); err != nil || got != "T (stopped)" {
		t.Fatalf("State after STOP: got %q, %v", got, err)
	}
	if got, err := State(context.Background(), local, notOurs); err != nil || got != "" {
		t.Fatalf("State of another container's process: got %q, %v; want nothing", got, err)
	}
	if got, err := Signal(context.Background(), local, p, "CONT"); err != nil || !stopped(got) {
		t.Fatalf("CONT: got %q, %v; want the state before, stopped", got, err)
	}
	waitState(t, state, "S")
	if got, err := Signal(context.Background(), local, p, "KILL"); err != nil || got == "" {
		t.Fatalf("KILL: got %q, %v", got, err)
	}
	sleep.Wait()
	if got, err := State(context.Background(), local, p); err != nil || got != "" {
		t.Fatalf("State of a process that is gone: got %q, %v; want nothing", got, err)
	}
	if got, err := Signal(context.Background(), local, p, "CONT"); err != nil || got != "" {
		t.Fatalf("a process that is gone: got %q, %v; want nothing", got, err)
	}
}

func waitState(t *testing.T, state func() string, prefix string) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if strings.HasPrefix(state(), prefix) {
			return
		}
	}
	t.Fatalf("state %q, want %s", state(), prefix)
}

// TestRepairOfAPodThatIsGone: an entry naming a pod that was deleted, or
// created anew under its name, is nothing to repair (the record's entry
// goes, chaos/guard): no signal, no wait for a pod that will never be
// Ready.
func TestRepairOfAPodThatIsGone(t *testing.T) {
	tests := []struct {
		name string
		pods []*corev1.Pod
		want string
	}{
		{"deleted", nil, "pod ns/mysql-0 no longer exists"},
		{"created anew", []*corev1.Pod{mysqlPod(func(p *corev1.Pod) { p.UID = "uid-2"; p.Status.Conditions[0].Status = corev1.ConditionFalse })},
			"pod ns/mysql-0 of uid uid-1 (the pod of that name now is another, uid uid-2) no longer exists"},
	}
	for _, tt := range tests {
		for _, kind := range []string{KillKind, StopKind} {
			t.Run(tt.name+"/"+kind, func(t *testing.T) {
				var log []string
				n := newNode(&log)
				n.procs[pid].state = "T (stopped)"
				cs := fake.NewClientset(steadySet())
				for _, p := range tt.pods {
					cs.Tracker().Add(p)
				}
				did, err := NewRepairer(kind, &kube.Client{Kubernetes: cs}, n.docker, time.Minute).Repair(context.Background(), undo(kind))
				if !errors.Is(err, fault.ErrNothingToRepair) || !strings.Contains(err.Error(), tt.want) || did != "" || len(log) > 0 {
					t.Fatalf("did %q err %v signals %v; want nothing to repair: %s", did, err, log, tt.want)
				}
			})
		}
	}
}
