package apiserver

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/selfheal/selfheal/chaos/fault"
	"github.com/selfheal/selfheal/chaos/fault/faulttest"
	"github.com/selfheal/selfheal/internal/kindnode"
)

const cp = "c-control-plane"

var nodes = []kindnode.Node{{Name: cp, Role: kindnode.RoleControlPlane, State: "running"}, {Name: "c-worker", Role: kindnode.RoleWorker, State: "running"}}

// node is a fake control-plane node: containerd's containers and tasks as
// ctr lists them, a kubelet that starts a new API server container some
// polls after the old one exited, and the API server's /readyz.
type node struct {
	mu  sync.Mutex
	log []string
	// containers by id, with their task's PID and whether it runs.
	ids     []string
	pid     map[string]int
	running map[string]bool
	// restartAfter is how many looks (task listings, /readyz) the
	// kubelet takes to start a new container after the kill (-1: never);
	// lingerFor how many the stopped process keeps running (a graceful
	// shutdown).
	restartAfter, lingerFor int
	killFails               bool
	sinceKill               int
	killed                  bool
	// answers says whether /readyz answers, by the running PID.
	answers func(pid int) bool
}

func newNode() *node {
	return &node{ids: []string{"old"}, pid: map[string]int{"old": 572}, running: map[string]bool{"old": true},
		answers: func(int) bool { return true }}
}

func (n *node) docker(_ context.Context, args ...string) (string, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if args[0] != "exec" || args[1] != cp {
		return "", fmt.Errorf("unexpected docker %q", args)
	}
	cmd := strings.Join(args[2:], " ")
	switch {
	case strings.Contains(cmd, "containers ls"):
		if !strings.Contains(cmd, `"io.kubernetes.pod.name"==kube-apiserver-c-control-plane`) || !strings.Contains(cmd, `"io.kubernetes.container.name"==kube-apiserver`) {
			return "", fmt.Errorf("unexpected filter %q", cmd)
		}
		return strings.Join(n.ids, "\n") + "\n", nil
	case strings.Contains(cmd, "task ls"):
		n.tick()
		out := "TASK PID STATUS\n"
		for _, id := range n.ids {
			st := "STOPPED"
			if n.running[id] {
				st = "RUNNING"
			}
			out += fmt.Sprintf("%s %d %s\n", id, n.pid[id], st)
		}
		return out, nil
	case strings.Contains(cmd, "task kill"):
		n.log = append(n.log, cmd)
		if n.killFails {
			return "", errors.New("kill: exit status 1")
		}
		n.killed = true
		return "", nil
	}
	return "", fmt.Errorf("unexpected command %q", cmd)
}

// tick moves the kubelet on by one look.
func (n *node) tick() {
	if !n.killed {
		return
	}
	n.sinceKill++
	if n.sinceKill > n.lingerFor {
		n.running["old"] = false
	}
	if n.restartAfter >= 0 && n.sinceKill > n.lingerFor+n.restartAfter && len(n.ids) == 1 {
		n.ids = append(n.ids, "new")
		n.pid["new"], n.running["new"] = 900, true
	}
}

func (n *node) ready(context.Context) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.tick()
	for _, id := range n.ids {
		if n.running[id] && n.answers(n.pid[id]) {
			return nil
		}
	}
	return errors.New("connection refused")
}

// marks is the engine's side; the record goes to the node's log so that
// its order against the kill shows.
func (n *node) marks() *faulttest.Marks {
	return &faulttest.Marks{OnRecord: func(u fault.Undo) {
		n.log = append(n.log, "record "+u.Params["node"]+" "+u.Params["container"]+" "+u.Params["pid"])
	}}
}

func (n *node) fault(list []kindnode.Node) *Fault {
	return New(nil, "c", WithDocker(n.docker), WithReady(n.ready), WithPoll(5*time.Millisecond), WithBound(300*time.Millisecond),
		WithNodes(func(context.Context) ([]kindnode.Node, error) { return list, nil }))
}

func TestInjectRecordsBeforeTheKillAndRevertWaitsForTheNewAPIServer(t *testing.T) {
	n := newNode()
	n.restartAfter, n.lingerFor = 3, 2
	// The stopping API server still answers while it drains: only the
	// new one's answer counts.
	f := n.fault(nodes)
	m := n.marks()
	if err := f.Inject(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if want := "[record c-control-plane old 572 ctr -n k8s.io task kill -s SIGTERM old]"; fmt.Sprint(n.log) != want || len(m.Injections) != 1 {
		t.Fatalf("log %v injected %v; want %s", n.log, m.Injections, want)
	}
	if u := m.Undos[0]; u.Kind != RepairKind || u.Params["node"] != cp {
		t.Errorf("undo %+v", u)
	}
	for range 2 { // idempotent
		if err := f.Revert(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	if len(m.Reverts) != 1 || !strings.Contains(m.Reverts[0], "answers /readyz again (PID 900)") {
		t.Fatalf("reverted %v; want one revert naming the new API server", m.Reverts)
	}
	if len(n.log) != 2 {
		t.Errorf("log %v: nothing but the kill may be done to the node", n.log)
	}
}

// After the stop the API is watched until a request fails, and the
// revert proves a new container answers; a restart the API never showed
// (the new container up in the same instant the old one stopped) is
// evidence that did not hold.
func TestProvesTheAPIWentAwayAndCameBack(t *testing.T) {
	for _, tt := range []struct {
		name         string
		restartAfter int
		want         []string
	}{
		{"seen unreachable", 20, []string{"+a request failed: connection refused", "+a new container new (PID 900) runs and answers /readyz; the stopped one was old (PID 572)"}},
		{"never seen unreachable", 0, []string{"+a new container new (PID 900)", "last read: answered ok"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			n := newNode()
			n.restartAfter, n.lingerFor = tt.restartAfter, 2
			f := n.fault(nodes)
			m := n.marks()
			if err := f.Inject(context.Background(), m); err != nil {
				t.Fatal(err)
			}
			time.Sleep(30 * time.Millisecond) // the watch looks a few times
			if err := f.Revert(context.Background(), m); err != nil {
				t.Fatal(err)
			}
			if len(m.Evidence) != len(tt.want) {
				t.Fatalf("evidence %+v, want %d pieces", m.Evidence, len(tt.want))
			}
			for i, w := range tt.want {
				e, held := m.Evidence[i], strings.HasPrefix(w, "+")
				if e.Held != held || !strings.Contains(e.Observed, strings.TrimPrefix(w, "+")) {
					t.Errorf("evidence %d: %+v, want held %v saying %q", i, e, held, strings.TrimPrefix(w, "+"))
				}
			}
		})
	}
}

func TestRefusedEarly(t *testing.T) {
	stopped := []kindnode.Node{{Name: cp, Role: kindnode.RoleControlPlane, State: "exited"}}
	two := append([]kindnode.Node{{Name: "c-control-plane2", Role: kindnode.RoleControlPlane, State: "running"}}, nodes...)
	tests := []struct {
		name     string
		nodes    []kindnode.Node
		noTask   bool
		breakErr error
		want     string
	}{
		{"no control plane", nodes[1:], false, nil, "control-plane node container of kind cluster c not found"},
		{"control plane stopped", stopped, false, nil, "is exited, not running"},
		{"two control planes", two, false, nil, "2 control-plane nodes"},
		{"no API server container", nodes, true, nil, "no running task"},
		{"record unwritable", nodes, false, errors.New("record unwritable"), "record unwritable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := newNode()
			if tt.noTask {
				n.running["old"] = false
			}
			m := n.marks()
			m.BreakErr = tt.breakErr
			err := n.fault(tt.nodes).Inject(context.Background(), m)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err %v, want %q", err, tt.want)
			}
			if len(n.log) > 0 || len(m.Injections) > 0 {
				t.Fatalf("log %v injected %v: nothing may be stopped", n.log, m.Injections)
			}
		})
	}
	if err := New(nil, "c").Inject(context.Background(), &faulttest.Marks{}); err == nil || !strings.Contains(err.Error(), "/readyz") {
		t.Errorf("err %v: a fault that cannot await the API server's return must refuse", err)
	}
}

func TestRevertAfterAPartialOrNoInject(t *testing.T) {
	t.Run("no inject", func(t *testing.T) {
		n := newNode()
		m := n.marks()
		if err := n.fault(nodes).Revert(context.Background(), m); err != nil || len(n.log) > 0 || len(m.Reverts) > 0 {
			t.Fatalf("err %v log %v reverted %v", err, n.log, m.Reverts)
		}
	})
	t.Run("kill failed", func(t *testing.T) {
		// The signal may or may not have gone out: wait for an API
		// server that runs and answers, whichever it is.
		n := newNode()
		n.killFails = true
		f := n.fault(nodes)
		m := n.marks()
		if err := f.Inject(context.Background(), m); err == nil || len(m.Injections) > 0 {
			t.Fatalf("err %v injected %v", err, m.Injections)
		}
		if err := f.Revert(context.Background(), m); err != nil || len(m.Reverts) != 1 || !strings.Contains(m.Reverts[0], "PID 572") {
			t.Fatalf("err %v reverted %v", err, m.Reverts)
		}
	})
}

func TestRevertSaysWhatIsWrongAfterTheBound(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(n *node)
		wantErr string
	}{
		{"the kubelet never restarts it", func(n *node) { n.restartAfter = -1 }, "no running kube-apiserver container on node c-control-plane"},
		{"the signal is ignored", func(n *node) { n.lingerFor, n.restartAfter = 1<<20, -1 }, "the stopped kube-apiserver (PID 572) still runs"},
		{"the new one never answers", func(n *node) { n.answers = func(pid int) bool { return pid != 900 } }, "kube-apiserver (PID 900) runs but does not answer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := newNode()
			tt.setup(n)
			f := n.fault(nodes)
			m := n.marks()
			if err := f.Inject(context.Background(), m); err != nil {
				t.Fatal(err)
			}
			err := f.Revert(context.Background(), m)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "is not back") {
				t.Fatalf("err %v, want %q", err, tt.wantErr)
			}
			if len(m.Reverts) > 0 {
				t.Errorf("reverted %v: an API server that is not back is not reverted", m.Reverts)
			}
		})
	}
}

func TestRepair(t *testing.T) {
	u := fault.Undo{Kind: RepairKind, Params: map[string]string{"node": cp, "pid": "572"}}
	newRepairer := func(n *node) fault.Repairer {
		return repairer{docker: n.docker, ready: n.ready, timeout: 300 * time.Millisecond, poll: 5 * time.Millisecond}.repairer()
	}
	t.Run("answering: nothing to do", func(t *testing.T) {
		n := newNode()
		if did, err := newRepairer(n).Repair(context.Background(), u); did != "" || err != nil || len(n.log) > 0 {
			t.Fatalf("did %q err %v log %v", did, err, n.log)
		}
	})
	t.Run("comes back", func(t *testing.T) {
		n := newNode()
		n.killed, n.running["old"], n.restartAfter = true, false, 2
		did, err := newRepairer(n).Repair(context.Background(), u)
		if err != nil || !strings.Contains(did, "answers /readyz again after") {
			t.Fatalf("did %q err %v", did, err)
		}
	})
	t.Run("never comes back", func(t *testing.T) {
		n := newNode()
		n.killed, n.running["old"], n.restartAfter = true, false, -1
		_, err := newRepairer(n).Repair(context.Background(), u)
		if err == nil || !strings.Contains(err.Error(), "no kube-apiserver container runs on node c-control-plane") {
			t.Fatalf("err %v", err)
		}
	})
	if _, err := newRepairer(newNode()).Repair(context.Background(), fault.Undo{Kind: RepairKind}); err == nil {
		t.Error("repaired from a record that names no node")
	}
}
