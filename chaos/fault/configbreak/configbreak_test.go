package configbreak

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
	utilexec "k8s.io/client-go/util/exec"

	"github.com/selfheal/selfheal/chaos/fault"
	"github.com/selfheal/selfheal/chaos/fault/faulttest"
	"github.com/selfheal/selfheal/chaos/kube"
)

// container is a pod's container played by a local file: "ok" or
// "broken". Its commands run locally, with the file's path for $STATE.
type container struct {
	t     *testing.T
	state string
	down  bool // exec cannot reach the container
}

func newContainer(t *testing.T, state string) *container {
	c := &container{t: t, state: filepath.Join(t.TempDir(), "state")}
	c.set(state)
	return c
}

func (c *container) set(s string) { os.WriteFile(c.state, []byte(s+"\n"), 0o644) }

func (c *container) get() string {
	b, _ := os.ReadFile(c.state)
	return strings.TrimSpace(string(b))
}

// exec runs command locally as the pod's shell would, an exit status
// coming back as the exec API's does.
func (c *container) exec(_ context.Context, _, _, _ string, command ...string) (kube.ExecResult, error) {
	if c.down {
		return kube.ExecResult{}, errors.New("container not found")
	}
	cmd := exec.Command(command[0], command[1:]...)
	cmd.Env = []string{"STATE=" + c.state, "PATH=" + os.Getenv("PATH")}
	out, err := cmd.Output()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		err = utilexec.CodeExitError{Err: err, Code: ee.ExitCode()}
	}
	return kube.ExecResult{Stdout: string(out)}, err
}

var (
	breakCmd   = []string{"sh", "-c", `echo broken > "$STATE"`}
	brokenCmd  = []string{"sh", "-c", `grep -qx broken "$STATE"`}
	restoreCmd = []string{"sh", "-c", `echo ok > "$STATE"`}
)

func readyPod(restarts int32) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "app-a", Namespace: "ns", Labels: map[string]string{"app": "x"}},
		Spec: corev1.PodSpec{NodeName: "worker"},
		Status: corev1.PodStatus{Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}},
			ContainerStatuses: []corev1.ContainerStatus{{Name: "app", RestartCount: restarts}}}}
}

func newFault(cs *fake.Clientset, c *container, restore []string) *Fault {
	f := New(&kube.Client{Kubernetes: cs}, Spec{Name: "wp-config-break", Namespace: "ns", Selector: "app=x", Container: "app",
		Break: breakCmd, Broken: brokenCmd, Restore: restore, What: "state set to broken"})
	f.exec = c.exec
	return f
}

func TestInjectBreaksAndProvesIt(t *testing.T) {
	c := newContainer(t, "ok")
	f := newFault(fake.NewClientset(readyPod(0)), c, restoreCmd)
	var m faulttest.Marks
	if err := f.Inject(context.Background(), &m); err != nil {
		t.Fatal(err)
	}
	if c.get() != "broken" {
		t.Errorf("container %q after the injection", c.get())
	}
	if len(m.Undos) != 1 || m.Undos[0].Kind != RepairKind || m.Undos[0].Params["pod"] != "app-a" {
		t.Errorf("undos %+v", m.Undos)
	}
	if len(m.Injections) != 1 || !strings.Contains(m.Injections[0], "pod app-a on worker: state set to broken") {
		t.Errorf("injections %q", m.Injections)
	}
	if len(m.Evidence) != 1 || !m.Evidence[0].Held || !strings.Contains(m.Evidence[0].Observed, "exit 0") {
		t.Errorf("evidence %+v", m.Evidence)
	}
}

// A break that did not take is said so, read from the container, and
// the injection fails: never a pass on a fault that did not bite.
func TestInjectThatDidNotTake(t *testing.T) {
	c := newContainer(t, "ok")
	f := newFault(fake.NewClientset(readyPod(0)), c, restoreCmd)
	f.spec.Break = []string{"true"}
	var m faulttest.Marks
	if err := f.Inject(context.Background(), &m); err == nil {
		t.Fatal("a break the broken command does not see was accepted")
	}
	if len(m.Evidence) != 1 || m.Evidence[0].Held {
		t.Errorf("evidence %+v: want one that did not hold", m.Evidence)
	}
}

func TestNothingBrokenWithoutARecord(t *testing.T) {
	c := newContainer(t, "ok")
	f := newFault(fake.NewClientset(readyPod(0)), c, restoreCmd)
	if err := f.Inject(context.Background(), &faulttest.Marks{BreakErr: errors.New("record unwritable")}); err == nil {
		t.Fatal("injected without a record")
	}
	if c.get() != "ok" {
		t.Error("the container was broken although the record could not be written")
	}
}

func TestRevert(t *testing.T) {
	tests := []struct {
		name      string
		restarted bool // the container restarted after the break
		healed    bool // ... and came back unbroken
		restore   []string
		note      string
		deleted   bool
		final     string
	}{
		{"healed by a restart", true, true, restoreCmd, "restart healed app-a", false, "ok"},
		{"never restarted: restored", false, false, restoreCmd, "never restarted", false, "ok"},
		{"restarted and still broken: a finding", true, false, restoreCmd, "FINDING", false, "ok"},
		{"no restore command: the pod goes", false, false, nil, "never restarted", true, "broken"},
		{"a restore that does not take: the pod goes", false, false, []string{"true"}, "never restarted", true, "broken"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newContainer(t, "ok")
			cs := fake.NewClientset(readyPod(0))
			f := newFault(cs, c, tt.restore)
			var m faulttest.Marks
			if err := f.Inject(context.Background(), &m); err != nil {
				t.Fatal(err)
			}
			if tt.restarted {
				cs.Tracker().Update(corev1.SchemeGroupVersion.WithResource("pods"), readyPod(1), "ns")
			}
			if tt.healed {
				c.set("ok")
			}
			if err := f.Revert(context.Background(), &m); err != nil {
				t.Fatal(err)
			}
			if n := strings.Join(f.Notes(), " "); !strings.Contains(n, tt.note) {
				t.Errorf("notes %q, want %q", n, tt.note)
			}
			_, err := cs.CoreV1().Pods("ns").Get(context.Background(), "app-a", metav1.GetOptions{})
			if deleted := err != nil; deleted != tt.deleted {
				t.Errorf("pod deleted %v, want %v", deleted, tt.deleted)
			}
			if c.get() != tt.final {
				t.Errorf("container %q after the revert, want %q", c.get(), tt.final)
			}
		})
	}
}

func TestRepairFromTheUndoAlone(t *testing.T) {
	tests := []struct {
		name    string
		pod     bool
		broken  bool
		down    bool
		want    string // in what the repair says; "" for nothing done
		deleted bool
	}{
		{"pod gone", false, true, false, "", false},
		{"healed by a restart", true, false, false, "", false},
		{"still broken", true, true, false, "restored", false},
		{"container not reachable", true, true, true, "pod app-a deleted", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newContainer(t, "ok")
			f := newFault(fake.NewClientset(readyPod(0)), c, restoreCmd)
			var m faulttest.Marks
			if err := f.Inject(context.Background(), &m); err != nil {
				t.Fatal(err)
			}
			if !tt.broken {
				c.set("ok")
			}
			c.down = tt.down
			cs := fake.NewClientset()
			if tt.pod {
				cs.Tracker().Add(readyPod(0))
			}
			r := newRepairer(&kube.Client{Kubernetes: cs}, c.exec, time.Minute)
			did, err := r.Repair(context.Background(), m.Undos[0])
			if tt.pod && err != nil || !tt.pod && !errors.Is(err, fault.ErrNothingToRepair) {
				t.Fatalf("repair: %v", err)
			}
			if (tt.want == "") != (did == "") || !strings.Contains(did, tt.want) {
				t.Fatalf("repair said %q, want %q", did, tt.want)
			}
			_, gerr := cs.CoreV1().Pods("ns").Get(context.Background(), "app-a", metav1.GetOptions{})
			if deleted := tt.pod && gerr != nil; deleted != tt.deleted {
				t.Errorf("pod deleted %v, want %v", deleted, tt.deleted)
			}
			if tt.pod && !tt.down && c.get() != "ok" {
				t.Errorf("container %q after the repair", c.get())
			}
		})
	}
}

// The pod broken is the one whose container restarted longest ago, so a
// repetition does not wait out the kubelet's back-off of the last one.
func TestPicksThePodRestartedLongestAgo(t *testing.T) {
	now := time.Now()
	pod := func(name string, restarted time.Time, ready bool) *corev1.Pod {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", Labels: map[string]string{"app": "x"}}}
		if ready {
			p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}
		}
		cs := corev1.ContainerStatus{Name: "app"}
		if !restarted.IsZero() {
			cs.RestartCount = 1
			cs.LastTerminationState.Terminated = &corev1.ContainerStateTerminated{FinishedAt: metav1.NewTime(restarted)}
		}
		p.Status.ContainerStatuses = []corev1.ContainerStatus{cs}
		return p
	}
	tests := []struct {
		name string
		pods []*corev1.Pod
		want string
	}{
		{"never restarted first", []*corev1.Pod{pod("a", now.Add(-time.Minute), true), pod("b", time.Time{}, true)}, "b"},
		{"the older restart first", []*corev1.Pod{pod("a", now.Add(-time.Minute), true), pod("b", now.Add(-5*time.Minute), true)}, "b"},
		{"by name among equals", []*corev1.Pod{pod("b", time.Time{}, true), pod("a", time.Time{}, true)}, "a"},
		{"only Ready pods", []*corev1.Pod{pod("a", now.Add(-time.Minute), true), pod("b", time.Time{}, false)}, "a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs := fake.NewClientset()
			for _, p := range tt.pods {
				cs.Tracker().Add(p)
			}
			f := newFault(cs, newContainer(t, "ok"), nil)
			got, err := f.pick(context.Background())
			if err != nil || got.Name != tt.want {
				t.Fatalf("picked %v (%v), want %s", got, err, tt.want)
			}
		})
	}
}
