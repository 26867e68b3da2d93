package guard

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/utils/ptr"

	"github.com/selfheal/selfheal/chaos/fault"
)

func nodeUndo(node string) fault.Undo {
	return fault.Undo{Kind: "node-container", Detail: "node " + node + " halted", Params: map[string]string{"container": node}}
}

func TestRecordBeginEnd(t *testing.T) {
	ctx := context.Background()
	cs := fake.NewClientset()
	rec := NewRecord(cs, "run-1", "me")
	id1, err := rec.Begin(ctx, "node-halt", "node-kill", nodeUndo("w1"))
	if err != nil {
		t.Fatal(err)
	}
	id2, err := rec.Begin(ctx, "wp-config-break", "wp-config-break", fault.Undo{Kind: "wp-config", Params: map[string]string{"pod": "wp-a"}})
	if err != nil || id1 == id2 {
		t.Fatalf("ids %q %q err %v", id1, id2, err)
	}
	// A new process reads the record from the cluster alone.
	got, err := NewRecord(cs, "run-2", "other").List(ctx)
	if err != nil || len(got) != 2 || got[0].Undo.Params["container"] != "w1" || got[0].Run != "run-1" || got[0].Scenario != "node-halt" {
		t.Fatalf("list %+v err %v", got, err)
	}
	if p := rec.Pending(); len(p) != 2 {
		t.Fatalf("pending %v", p)
	}
	if err := rec.End(ctx, id1); err != nil {
		t.Fatal(err)
	}
	got, _ = rec.List(ctx)
	if len(got) != 1 || got[0].ID != id2 || len(rec.Pending()) != 1 {
		t.Fatalf("after End: list %+v pending %+v", got, rec.Pending())
	}
}

func TestRecordWriteFailureIsAnError(t *testing.T) {
	cs := fake.NewClientset()
	cs.PrependReactor("create", "configmaps", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "configmaps"}, RecordName, errors.New("RBAC"))
	})
	rec := NewRecord(cs, "run-1", "me")
	if _, err := rec.Begin(context.Background(), "x", "x", nodeUndo("w1")); err == nil || !strings.Contains(err.Error(), "before injecting") {
		t.Fatalf("err = %v", err)
	}
	if len(rec.Pending()) != 0 {
		t.Error("an entry that was not written is pending")
	}
}

func TestRecordRetriesConflicts(t *testing.T) {
	cs := fake.NewClientset(&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: RecordName, Namespace: Namespace}})
	conflicts := 2
	cs.PrependReactor("update", "configmaps", func(k8stesting.Action) (bool, runtime.Object, error) {
		if conflicts > 0 {
			conflicts--
			return true, nil, apierrors.NewConflict(schema.GroupResource{Resource: "configmaps"}, RecordName, errors.New("changed"))
		}
		return false, nil, nil
	})
	rec := NewRecord(cs, "run-1", "me")
	if _, err := rec.Begin(context.Background(), "x", "x", nodeUndo("w1")); err != nil {
		t.Fatal(err)
	}
	if got, _ := rec.List(context.Background()); len(got) != 1 {
		t.Fatalf("list %v", got)
	}
}

// repairer is a fake repairer that records what it was asked.
type repairer struct {
	kind   string
	did    string
	err    error
	panics bool
	seen   []fault.Undo
}

func (r *repairer) Kind() string { return r.kind }
func (r *repairer) Repair(_ context.Context, u fault.Undo) (string, error) {
	if r.panics {
		panic("repairer bug")
	}
	r.seen = append(r.seen, u)
	return r.did, r.err
}

func TestRepair(t *testing.T) {
	ctx := context.Background()
	cs := fake.NewClientset()
	dead := NewRecord(cs, "run-1", "killed run")
	dead.Begin(ctx, "node-halt", "node-kill", nodeUndo("w1"))
	dead.Begin(ctx, "wp-config-break", "wp-config-break", fault.Undo{Kind: "wp-config", Detail: "DB_HOST corrupted"})
	dead.Begin(ctx, "image-roll", "image-roll", fault.Undo{Kind: "deployment-image"})
	dead.Begin(ctx, "future", "future", fault.Undo{Kind: "from-a-newer-version"})

	nodes := &repairer{kind: "node-container", did: "node w1 was exited: docker start"}
	wp := &repairer{kind: "wp-config"} // nothing left
	img := &repairer{kind: "deployment-image", err: errors.New("API down")}
	var said []string
	rec := NewRecord(cs, "run-2", "next run")
	done, err := Repair(ctx, rec, []fault.Repairer{nodes, wp, img}, func(r Repaired) { said = append(said, r.String()) })
	if err == nil || !strings.Contains(err.Error(), "API down") || !strings.Contains(err.Error(), `no repairer for kind "from-a-newer-version"`) {
		t.Fatalf("err = %v", err)
	}
	if len(done) != 4 || len(nodes.seen) != 1 || nodes.seen[0].Params["container"] != "w1" {
		t.Fatalf("done %+v nodes saw %+v", done, nodes.seen)
	}
	all := strings.Join(said, "\n")
	for _, want := range []string{"repaired node-halt: node w1 halted (run run-1", "node w1 was exited: docker start (took ",
		"nothing left to repair of wp-config-break", "could not repair image-roll"} {
		if !strings.Contains(all, want) {
			t.Errorf("what Repair said lacks %q:\n%s", want, all)
		}
	}
	// The repaired ones are gone; the rest stay for the next attempt.
	left, _ := rec.List(ctx)
	if len(left) != 2 || left[0].Scenario != "image-roll" || left[1].Scenario != "future" {
		t.Fatalf("left %+v", left)
	}
	// A repairer that panics fails its entry, not the process.
	boom := &repairer{kind: "deployment-image", panics: true}
	if _, err := Repair(ctx, rec, []fault.Repairer{boom}, nil); err == nil || !strings.Contains(err.Error(), "panicked") {
		t.Fatalf("err = %v", err)
	}
}

func TestRepairUnreadableEntryIsAnError(t *testing.T) {
	cs := fake.NewClientset(&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: RecordName, Namespace: Namespace},
		Data: map[string]string{"x": "{not json"}})
	if _, err := Repair(context.Background(), NewRecord(cs, "r", "h"), nil, nil); err == nil || !strings.Contains(err.Error(), "cannot be read") {
		t.Fatalf("err = %v", err)
	}
}

func holder(run string, pid int) Holder {
	return Holder{Run: run, Command: "selfheal run", Host: "h1", PID: pid}
}

// heldLease is a lease as another run left it, renewed `ago`.
func heldLease(h Holder, ago time.Duration) *coordinationv1.Lease {
	l := &Lease{me: h, cfg: leaseConfig{duration: 30 * time.Second}}
	obj := l.object(&coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: LeaseName, Namespace: Namespace}})
	obj.Spec.RenewTime = ptr.To(metav1.NewMicroTime(time.Now().Add(-ago)))
	return obj
}

func TestAcquire(t *testing.T) {
	me := holder("run-2", 200)
	other := holder("run-1", 100)
	remote := Holder{Run: "run-1", Command: "go test ./e2e", Host: "ci-7", PID: 100}
	tests := []struct {
		name     string
		existing *coordinationv1.Lease
		alive    bool
		wantErr  string
		wantSaid string
	}{
		{"free", nil, true, "", ""},
		{"held by a live run", heldLease(other, time.Second), true, "run run-1 (selfheal run, pid 100 on h1) holds kube-system/selfheal-run", ""},
		{"held by a live run on another host", heldLease(remote, time.Second), false, "pid 100 on ci-7", ""},
		{"its holder died on this host", heldLease(other, time.Second), false, "", "that process is gone"},
		{"expired", heldLease(remote, time.Minute), true, "", "it expired"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs := fake.NewClientset()
			if tt.existing != nil {
				cs.Tracker().Add(tt.existing)
			}
			var said []string
			var mu sync.Mutex
			logf := func(f string, a ...any) { mu.Lock(); said = append(said, fmt.Sprintf(f, a...)); mu.Unlock() }
			l, err := Acquire(context.Background(), cs, me, WithWait(1500*time.Millisecond), WithLog(logf),
				func(c *leaseConfig) { c.alive = func(int) bool { return tt.alive }; c.poll = 100 * time.Millisecond })
			if tt.wantErr != "" {
				if !errors.Is(err, ErrBusy) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want ErrBusy naming %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, _ := cs.CoordinationV1().Leases(Namespace).Get(context.Background(), LeaseName, metav1.GetOptions{})
			if holderOf(got) != me {
				t.Errorf("holder %+v, want %+v", holderOf(got), me)
			}
			if err := l.Release(context.Background()); err != nil {
				t.Fatal(err)
			}
			if _, err := cs.CoordinationV1().Leases(Namespace).Get(context.Background(), LeaseName, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
				t.Errorf("the lease is still there after Release: %v", err)
			}
			if !strings.Contains(strings.Join(said, "\n"), tt.wantSaid) {
				t.Errorf("said %q, want %q", said, tt.wantSaid)
			}
		})
	}
}

// Two runs against one cluster: the second waits while the first holds
// the lease and gets it once the first releases it.
func TestSecondRunWaitsForTheFirst(t *testing.T) {
	cs := fake.NewClientset()
	first, err := Acquire(context.Background(), cs, holder("run-1", 100))
	if err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(500*time.Millisecond, func() { first.Release(context.Background()) })
	start := time.Now()
	second, err := Acquire(context.Background(), cs, holder("run-2", 200), WithWait(10*time.Second),
		func(c *leaseConfig) { c.alive = func(int) bool { return true }; c.poll = 50 * time.Millisecond })
	if err != nil {
		t.Fatal(err)
	}
	defer second.Release(context.Background())
	if waited := time.Since(start); waited < 400*time.Millisecond {
		t.Errorf("the second run got the lease after %s, while the first still held it", waited)
	}
}

func TestRenewalKeepsTheLeaseAndSeesItLost(t *testing.T) {
	cs := fake.NewClientset()
	l, err := Acquire(context.Background(), cs, holder("run-1", 100), WithDuration(300*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release(context.Background())
	time.Sleep(500 * time.Millisecond)
	got, _ := cs.CoordinationV1().Leases(Namespace).Get(context.Background(), LeaseName, metav1.GetOptions{})
	if age := time.Since(got.Spec.RenewTime.Time); age > 300*time.Millisecond {
		t.Fatalf("renewed %s ago: renewal does not run", age)
	}
	// Another run takes it (this one could not renew in time) and keeps
	// it. The fake clientset does not refuse an update with a stale
	// resourceVersion as the API server does, so a renewal racing the
	// takeover could write run-1 back once: the other run renews too.
	deadline := time.After(2 * time.Second)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		cs.CoordinationV1().Leases(Namespace).Update(context.Background(), heldLease(holder("run-2", 200), 0), metav1.UpdateOptions{})
		select {
		case <-l.Lost():
			return
		case <-deadline:
			t.Fatal("the lost lease was not noticed")
		case <-tick.C:
		}
	}
}

func TestInterrupts(t *testing.T) {
	cs := fake.NewClientset()
	rec := NewRecord(cs, "run-1", "me")
	tr := &Tracker{}
	tr.Add(rec)
	sigs := make(chan os.Signal, 2)
	var out bytes.Buffer
	exited := make(chan int, 1)
	ctx, stop := notify(context.Background(), sigs, &out, tr, func(code int) { exited <- code })
	defer stop()

	rec.Begin(context.Background(), "node-halt", "node-kill", nodeUndo("c-worker2"))
	sigs <- syscall.SIGINT
	<-ctx.Done()
	if !errors.Is(context.Cause(ctx), ErrInterrupted) || !strings.Contains(out.String(), "interrupt again to stop at once") {
		t.Fatalf("first interrupt: cause %v, said %q", context.Cause(ctx), out.String())
	}
	select {
	case <-exited:
		t.Fatal("the first interrupt stopped the process")
	case <-time.After(100 * time.Millisecond):
	}
	sigs <- syscall.SIGINT
	select {
	case code := <-exited:
		if code != ExitInterrupted {
			t.Errorf("exit %d", code)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the second interrupt did not stop the process")
	}
	for _, want := range []string{"stopping now", "node-halt: node c-worker2 halted", "repairs them before anything else"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("second interrupt said %q, want %q", out.String(), want)
		}
	}
}

func TestAfterInterrupt(t *testing.T) {
	e := Entry{Scenario: "wp-config-break", Undo: fault.Undo{Detail: "DB_HOST corrupted"}, Run: "r"}
	if got := AfterInterrupt(ErrInterrupted, nil); !strings.Contains(got, "every fault this run injected was reverted") {
		t.Errorf("reverted: %q", got)
	}
	if got := AfterInterrupt(ErrInterrupted, []Entry{e}); !strings.Contains(got, "the revert did not finish") || !strings.Contains(got, "DB_HOST corrupted") {
		t.Errorf("not reverted: %q", got)
	}
}

// The API server restarting (apiserver-restart) fails renewals for a
// while: the lease is kept, the renewal is tried again every poll rather
// than every third of the lease, so it is renewed at once when the API is
// back, and the console hears of it once, not once per attempt.
func TestRenewalRidesOutAnAPIOutage(t *testing.T) {
	cs := fake.NewClientset()
	var mu sync.Mutex
	failures := 0
	cs.PrependReactor("get", "leases", func(k8stesting.Action) (bool, runtime.Object, error) {
		mu.Lock()
		defer mu.Unlock()
		if failures > 0 {
			failures--
			return true, nil, errors.New("dial tcp 127.0.0.1:6443: connect: connection refused")
		}
		return false, nil, nil
	})
	var logMu sync.Mutex
	var lines []string
	logf := func(format string, args ...any) {
		logMu.Lock()
		defer logMu.Unlock()
		lines = append(lines, fmt.Sprintf(format, args...))
	}
	// Renewed every second; five failed attempts take five seconds at
	// that pace, and a fraction of one at the poll's.
	l, err := Acquire(context.Background(), cs, holder("run-1", 100), WithDuration(3*time.Second), WithLog(logf),
		func(c *leaseConfig) { c.poll = 20 * time.Millisecond })
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release(context.Background())
	mu.Lock()
	failures = 5
	mu.Unlock()
	deadline := time.Now().Add(3 * time.Second)
	for {
		logMu.Lock()
		n := len(lines)
		logMu.Unlock()
		if n >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the lease was not renewed again within 3 s of five failed attempts; log %q", lines)
		}
		time.Sleep(10 * time.Millisecond)
	}
	logMu.Lock()
	defer logMu.Unlock()
	if len(lines) != 2 || !strings.Contains(lines[0], "connection refused") || !strings.Contains(lines[1], "renewed again, after 5 failed attempts") {
		t.Errorf("log %q: want one warning, then the renewal that ended the failures", lines)
	}
	select {
	case <-l.Lost():
		t.Error("a lease that could not be renewed for a while was reported lost")
	default:
	}
	got, _ := cs.CoordinationV1().Leases(Namespace).Get(context.Background(), LeaseName, metav1.GetOptions{})
	if !l.mine(got) {
		t.Errorf("lease held by %s", holderOf(got))
	}
}

// An entry whose object is gone, or was changed by someone since, is no
// failure: it is dropped from the record, with a line saying why.
func TestRepairDropsWhatIsNothingToRepair(t *testing.T) {
	ctx := context.Background()
	cs := fake.NewClientset()
	dead := NewRecord(cs, "run-1", "killed run")
	dead.Begin(ctx, "mysql-crash", "process-kill", fault.Undo{Kind: "process-killed", Detail: "PID 7 SIGKILL"})
	dead.Begin(ctx, "scale-out-in", "scale-out-in", fault.Undo{Kind: "workload-replicas", Detail: "scaled to 4"})
	gone := &repairer{kind: "process-killed", err: fault.Gone("pod ns/mysql-0")}
	changed := &repairer{kind: "workload-replicas", err: fault.Changed("deployment ns/wp's replica count", "3", "4")}
	var said []string
	rec := NewRecord(cs, "run-2", "next run")
	if _, err := Repair(ctx, rec, []fault.Repairer{gone, changed}, func(r Repaired) { said = append(said, r.String()) }); err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"dropped mysql-crash: PID 7 SIGKILL (run run-1", "dropped scale-out-in: scaled to 4 (run run-1"} {
		if i >= len(said) || !strings.HasPrefix(said[i], want) || !strings.Contains(said[i], "nothing to repair") {
			t.Errorf("said %q, want %q ... nothing to repair", said, want)
		}
	}
	if left, _ := rec.List(ctx); len(left) > 0 {
		t.Errorf("left in the record: %+v", left)
	}
}
