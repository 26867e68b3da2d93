package nodeagent

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The agent's scripts (fixtures/images/agent) run here as they run in the
// agent pod and on the node, with the node's tools replaced by fakes
// (testdata/fakebin: systemctl, systemd-run, iptables, curl) that keep
// their state in a temporary directory, a clock the test sets, and the
// node side run in place (SELFHEAL_AGENT_HOST empty instead of nsenter).

const (
	agentScript = "../../../fixtures/images/agent/selfheal-agent"
	nodeScript  = "../../../fixtures/images/agent/node.sh"
)

// sandbox is one node: the agent's directory, the fakes' state, a clock.
type sandbox struct {
	t     *testing.T
	state string
	dir   string
	env   []string
}

func newSandbox(t *testing.T) *sandbox {
	t.Helper()
	for _, tool := range []string{"bash", "sh", "flock", "awk", "sed"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("the script tests need %s: %v", tool, err)
		}
	}
	root := t.TempDir()
	s := &sandbox{t: t, state: filepath.Join(root, "state"), dir: filepath.Join(root, "run", "selfheal-agent")}
	fakebin, err := filepath.Abs("testdata/fakebin")
	if err != nil {
		t.Fatal(err)
	}
	nodeSh, err := filepath.Abs(nodeScript)
	if err != nil {
		t.Fatal(err)
	}
	sa := filepath.Join(root, "sa")
	for _, d := range []string{filepath.Join(s.state, "units"), filepath.Join(s.state, "ipt"), filepath.Join(s.dir, "faults"), sa} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	s.write("units/kubelet", "active")
	s.write("units/containerd", "active")
	s.write("clock", "100")
	s.write("calls", "")
	if err := os.WriteFile(filepath.Join(sa, "namespace"), []byte(Namespace), 0o644); err != nil {
		t.Fatal(err)
	}
	// What `serve` does first: the node script where the node's timers find it.
	data, err := os.ReadFile(nodeSh)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(s.dir, "node.sh"), data, 0o755); err != nil {
		t.Fatal(err)
	}
	s.env = append(os.Environ(),
		"PATH="+fakebin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"FAKE_STATE="+s.state,
		"SELFHEAL_AGENT_DIR="+s.dir,
		"SELFHEAL_AGENT_HOST=",
		"SELFHEAL_AGENT_NODE_SH="+nodeSh,
		"SELFHEAL_AGENT_SA="+sa,
		"SELFHEAL_AGENT_CLOCK=cat "+filepath.Join(s.state, "clock"),
		"SELFHEAL_AGENT_POLL=0.1",
		"KUBERNETES_SERVICE_HOST=10.96.0.1",
		"KUBERNETES_SERVICE_PORT=443",
	)
	return s
}

func (s *sandbox) write(name, content string) {
	s.t.Helper()
	if err := os.WriteFile(filepath.Join(s.state, name), []byte(content+"\n"), 0o644); err != nil {
		s.t.Fatal(err)
	}
}

func (s *sandbox) read(name string) string {
	b, _ := os.ReadFile(filepath.Join(s.state, name))
	return strings.TrimSpace(string(b))
}

func (s *sandbox) run(name string, args ...string) (string, error) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = s.env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// agent runs the pod's command, as selfheal's exec does.
func (s *sandbox) agent(args ...string) (string, error) {
	return s.run("bash", append([]string{agentScript}, args...)...)
}

func (s *sandbox) mustAgent(args ...string) string {
	s.t.Helper()
	out, err := s.agent(args...)
	if err != nil {
		s.t.Fatalf("selfheal-agent %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// fire runs a transient timer's command, as systemd does when it elapses.
func (s *sandbox) fire(unit string) string {
	s.t.Helper()
	cmd := strings.Split(s.read("timers/"+unit), "\n")
	if len(cmd) < 2 {
		s.t.Fatalf("no timer %s armed (timers: %v)", unit, s.timers())
	}
	out, err := s.run(cmd[0], cmd[1:]...)
	if err != nil {
		s.t.Fatalf("timer %s: %v\n%s", unit, err, out)
	}
	return out
}

func (s *sandbox) timers() []string {
	entries, _ := os.ReadDir(filepath.Join(s.state, "timers"))
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

func (s *sandbox) rules(chain string) []string {
	r := s.read("ipt/" + chain)
	if r == "" {
		return nil
	}
	return strings.Split(r, "\n")
}

func (s *sandbox) calls() []string { return strings.Split(s.read("calls"), "\n") }

func (s *sandbox) faultFile(id, suffix string) string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "faults", id+suffix))
	return strings.TrimSpace(string(b))
}

// lease sets what the fake API answers for the agent's lease.
func (s *sandbox) lease(code, holder, renew string) {
	s.write("lease.code", code)
	s.write("lease.json", `{"kind":"Lease","apiVersion":"coordination.k8s.io/v1","metadata":{"name":"selfheal-agent-renew","managedFields":[{"fieldsV1":{"f:spec":{"f:renewTime":{}}}}]},"spec":{"holderIdentity":"`+
		holder+`","leaseDurationSeconds":30,"renewTime":"`+renew+`"}}`)
}

func (s *sandbox) clock(sec int) { s.write("clock", strconv.Itoa(sec)) }

func (s *sandbox) arm(id string, extra ...string) {
	s.t.Helper()
	args := append([]string{"break", id, "--actions", "network,kubelet", "--api", "172.18.0.3", "--lease", RenewLease, "--grace", "30", "--max", "600", "--delay", "2"}, extra...)
	s.mustAgent(args...)
}

func TestBreakArmsItsDeadlineBeforeItsBreak(t *testing.T) {
	s := newSandbox(t)
	out := s.mustAgent("break", "f1", "--actions", "network,kubelet", "--api", "172.18.0.3", "--lease", RenewLease, "--grace", "30", "--max", "600", "--delay", "2")
	if !strings.Contains(out, "armed f1") {
		t.Errorf("output %q", out)
	}
	var runs []string
	for _, c := range s.calls() {
		if strings.HasPrefix(c, "systemd-run") {
			runs = append(runs, c)
		}
	}
	if len(runs) != 2 || !strings.Contains(runs[0], "--unit selfheal-agent-deadline-f1 --on-active=600s") ||
		!strings.Contains(runs[1], "--unit selfheal-agent-break-f1 --on-active=2s") {
		t.Fatalf("timers armed %q: want the deadline (600 s) first, then the break (2 s)", runs)
	}
	if st := s.faultFile("f1", ".state"); st != "armed" {
		t.Errorf("state %q, want armed", st)
	}
	if s.read("units/kubelet") != "active" || len(s.rules("INPUT")) != 0 {
		t.Error("arming broke something: it must only schedule the break")
	}
	if got := s.faultFile("f1", ""); !strings.Contains(got, "svc=10.96.0.1:443") || !strings.Contains(got, "api=172.18.0.3") {
		t.Errorf("fault file lacks the agent's control path:\n%s", got)
	}
}

func TestBreakRefusesBadInputAndBreaksNothing(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"id with a slash", []string{"break", "../x", "--actions", "kubelet"}, "fault id"},
		{"no action", []string{"break", "f1"}, "no --actions"},
		{"unknown action", []string{"break", "f1", "--actions", "kubelet,reboot"}, "unknown action reboot"},
		{"grace zero", []string{"break", "f1", "--actions", "kubelet", "--grace", "0"}, "--grace '0'"},
		{"units with a semicolon", []string{"break", "f1", "--actions", "kubelet", "--units", "kubelet;reboot"}, "units"},
		{"api with a space trick", []string{"break", "f1", "--actions", "network", "--api", "1.2.3.4;x"}, "api"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSandbox(t)
			out, err := s.agent(tc.args...)
			if err == nil || !strings.Contains(out, tc.want) {
				t.Fatalf("err %v, output %q: want a refusal naming %q", err, out, tc.want)
			}
			if slices.ContainsFunc(s.calls(), func(c string) bool { return strings.HasPrefix(c, "systemd-run") }) {
				t.Error("a refused break armed a timer")
			}
		})
	}
	s := newSandbox(t)
	s.arm("f1")
	if out, err := s.agent("break", "f1", "--actions", "kubelet"); err == nil || !strings.Contains(out, "exists already") {
		t.Errorf("a second break under the same id: err %v, %q", err, out)
	}
}

func TestBreakThatCannotArmItsDeadlineLeavesNothing(t *testing.T) {
	s := newSandbox(t)
	s.write("fail-systemd-run", "")
	out, err := s.agent("break", "f1", "--actions", "kubelet,network", "--lease", RenewLease)
	if err == nil || !strings.Contains(out, "nothing was broken") {
		t.Fatalf("err %v, output %q", err, out)
	}
	if entries, _ := os.ReadDir(filepath.Join(s.dir, "faults")); len(entries) != 0 {
		t.Errorf("fault files left: %v", entries)
	}
}

func TestFiredBreakStopsTheUnitsAndIsolatesKeepingTheControlPath(t *testing.T) {
	s := newSandbox(t)
	// kube-proxy's rule is there before: it must stay, after ours.
	s.write("ipt/INPUT", "-j KUBE-FIREWALL")
	s.write("ipt/INPUT.pkts", "0")
	s.arm("f1")
	s.fire("selfheal-agent-break-f1.timer")
	if s.read("units/kubelet") != "inactive" || s.read("units/containerd") != "inactive" {
		t.Errorf("kubelet %s, containerd %s: want both stopped", s.read("units/kubelet"), s.read("units/containerd"))
	}
	tag := "-m comment --comment selfheal-agent-f1"
	wantIn := []string{
		"-i lo " + tag + " -j ACCEPT",
		"-p tcp -m conntrack --ctorigdst 10.96.0.1 --ctorigdstport 443 " + tag + " -j ACCEPT",
		"-p tcp -s 172.18.0.3 --dport 10250 " + tag + " -j ACCEPT",
		tag + " -j DROP",
		"-j KUBE-FIREWALL",
	}
	if got := s.rules("INPUT"); !slices.Equal(got, wantIn) {
		t.Errorf("INPUT:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantIn, "\n"))
	}
	wantOut := []string{
		"-o lo " + tag + " -j ACCEPT",
		"-p tcp -m conntrack --ctorigdst 10.96.0.1 --ctorigdstport 443 " + tag + " -j ACCEPT",
		"-p tcp -d 172.18.0.3 --sport 10250 " + tag + " -j ACCEPT",
		tag + " -j DROP",
	}
	if got := s.rules("OUTPUT"); !slices.Equal(got, wantOut) {
		t.Errorf("OUTPUT:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantOut, "\n"))
	}
	rep := parseReport(s.mustAgent("status", "f1"))
	if rep.State != "broken" || rep.Rules != 8 || !slices.Equal(rep.Stopped, []string{"kubelet", "containerd"}) ||
		rep.IsActive["kubelet"] != "inactive" || rep.IsActive["containerd"] != "inactive" {
		t.Errorf("report %+v", rep)
	}
}

func TestRevertPutsBackExactlyWhatTheBreakChanged(t *testing.T) {
	s := newSandbox(t)
	s.write("units/containerd", "inactive") // not running before: must stay so
	s.write("ipt/INPUT", "-j KUBE-FIREWALL")
	s.write("ipt/INPUT.pkts", "0")
	s.arm("f1")
	s.fire("selfheal-agent-break-f1.timer")
	// The DROP rules matched packets while it held.
	s.write("ipt/INPUT.pkts", "0\n0\n0\n120\n0")
	s.write("ipt/OUTPUT.pkts", "0\n0\n0\n80")
	out := s.mustAgent("revert", "f1", "selfheal reverted it")
	if !strings.Contains(out, "started kubelet") || strings.Contains(out, "containerd") {
		t.Errorf("revert said %q: want kubelet started and containerd left alone", out)
	}
	if got := s.rules("INPUT"); !slices.Equal(got, []string{"-j KUBE-FIREWALL"}) {
		t.Errorf("INPUT after the revert: %q", got)
	}
	if got := s.rules("OUTPUT"); len(got) != 0 {
		t.Errorf("OUTPUT after the revert: %q", got)
	}
	if s.read("units/kubelet") != "active" || s.read("units/containerd") != "inactive" {
		t.Errorf("kubelet %s, containerd %s", s.read("units/kubelet"), s.read("units/containerd"))
	}
	if left := s.timers(); len(left) != 0 {
		t.Errorf("timers left: %v", left)
	}
	rep := parseReport(s.mustAgent("status", "f1"))
	if rep.State != "reverted" || rep.Dropped["INPUT"] != 120 || rep.Dropped["OUTPUT"] != 80 || !strings.Contains(rep.Reason, "selfheal reverted it") {
		t.Errorf("report %+v", rep)
	}
	ev := rep.evidence("w1", "f1", []string{ActionKubelet, ActionNetwork})
	if len(ev) != 2 || !ev[0].Held || !ev[1].Held || !strings.Contains(ev[1].Observed, "matched 200 packets") {
		t.Errorf("evidence %+v", ev)
	}
	again := s.mustAgent("revert", "f1", "again")
	if !strings.Contains(again, "already reverted") || !strings.Contains(again, "selfheal reverted it") {
		t.Errorf("second revert: %q", again)
	}
	if got := s.mustAgent("revert", "f9"); !strings.Contains(got, "no fault f9") {
		t.Errorf("revert of a fault never armed: %q", got)
	}
}

// A revert that cannot finish does every step it can, says what failed,
// and leaves the fault to be tried again rather than marked reverted.
func TestRevertThatFailsIsTriedAgain(t *testing.T) {
	s := newSandbox(t)
	s.arm("f1")
	s.fire("selfheal-agent-break-f1.timer")
	s.write("fail-start-kubelet", "")
	out, err := s.agent("revert", "f1", "first try")
	if err == nil || !strings.Contains(out, "revert incomplete") || !strings.Contains(out, "systemctl start containerd kubelet failed") {
		t.Fatalf("err %v, %q", err, out)
	}
	if len(s.rules("INPUT")) != 0 || s.read("units/containerd") != "active" {
		t.Errorf("the steps that could be done were not: INPUT %q, containerd %s", s.rules("INPUT"), s.read("units/containerd"))
	}
	if st := s.faultFile("f1", ".state"); st != "broken" {
		t.Errorf("state %s after an incomplete revert, want broken (to be tried again)", st)
	}
	if err := os.Remove(filepath.Join(s.state, "fail-start-kubelet")); err != nil {
		t.Fatal(err)
	}
	if out := s.mustAgent("revert", "f1", "second try"); !strings.Contains(out, "reverted") || s.read("units/kubelet") != "active" {
		t.Errorf("second try: %q, kubelet %s", out, s.read("units/kubelet"))
	}
}

func TestRevertBeforeTheBreakKeepsTheBreakFromRunning(t *testing.T) {
	s := newSandbox(t)
	s.arm("f1")
	cmd := strings.Split(s.read("timers/selfheal-agent-break-f1.timer"), "\n")
	out := s.mustAgent("revert", "f1", "interrupted")
	if !strings.Contains(out, "before it broke anything") {
		t.Errorf("revert said %q", out)
	}
	// The break timer was stopped; had it fired anyway, it must do nothing.
	if late, err := s.run(cmd[0], cmd[1:]...); err != nil || !strings.Contains(late, "nothing broken") {
		t.Errorf("a break after the revert: %v %q", err, late)
	}
	if s.read("units/kubelet") != "active" || len(s.rules("INPUT")) != 0 {
		t.Error("a break after the revert broke the node")
	}
}

func TestDeadlineTimerRevertsWithTheAgentGone(t *testing.T) {
	s := newSandbox(t)
	s.arm("f1")
	s.fire("selfheal-agent-break-f1.timer")
	// The deadline runs the node's own script: no agent command involved.
	s.fire("selfheal-agent-deadline-f1.timer")
	rep := parseReport(s.mustAgent("status", "f1"))
	if rep.State != "reverted" || !strings.Contains(rep.Reason, "time bound of 600s") || s.read("units/kubelet") != "active" || len(s.rules("INPUT")) != 0 {
		t.Errorf("after the deadline: %+v; kubelet %s; INPUT %q", rep, s.read("units/kubelet"), s.rules("INPUT"))
	}
}

func TestDeadmanDecision(t *testing.T) {
	s := newSandbox(t)
	for _, tc := range []struct {
		name                                     string
		code, holder, renew, prev, prevMono, now string
		want                                     string
	}{
		{"renewed since", "200", "f1", "t2", "t1", "100", "101", "renewed"},
		{"first read", "200", "f1", "t1", "-", "100", "101", "renewed"},
		{"not renewed, within grace", "200", "f1", "t1", "t1", "100", "130", "wait"},
		{"not renewed past grace", "200", "f1", "t1", "t1", "100", "131", "revert the lease was not renewed for 31s"},
		{"deleted: selfheal's revert", "404", "", "", "t1", "100", "101", "revert selfheal deleted the lease"},
		{"another fault holds it", "200", "f2", "t9", "t1", "100", "101", "revert the lease names f2"},
		{"API down, within grace", "000", "", "", "t1", "100", "125", "wait"},
		{"API down past grace", "000", "", "", "t1", "100", "140", "revert the lease could not be read for 40s (HTTP 000"},
		{"forbidden past grace", "403", "", "", "t1", "100", "140", "revert the lease could not be read for 40s (HTTP 403"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			script := `SELFHEAL_AGENT_LIB=1 . ` + agentScript + `; deadman_decide "$@"`
			out, err := s.run("bash", "-c", script, "decide", tc.code, tc.holder, tc.renew, "f1", tc.prev, tc.prevMono, tc.now, "30")
			if err != nil || !strings.HasPrefix(strings.TrimSpace(out), tc.want) {
				t.Errorf("got %q (err %v), want %q…", out, err, tc.want)
			}
		})
	}
}

// The dead-man's loop, one pass at a time against a clock the test moves:
// renewals keep a fault; once they stop it is reverted after the grace,
// not before.
func TestDeadmanRevertsOnlyOnceRenewalsStopForTheGrace(t *testing.T) {
	s := newSandbox(t)
	s.clock(100)
	s.arm("f1")
	s.fire("selfheal-agent-break-f1.timer")
	for i, sec := range []int{101, 110, 120, 129} {
		s.clock(sec)
		s.lease("200", "f1", "2026-12-06T11:00:0"+strconv.Itoa(i)+".000000Z")
		s.mustAgent("check")
	}
	for _, sec := range []int{140, 159} { // last renewal seen at 129
		s.clock(sec)
		s.mustAgent("check")
		if st := s.faultFile("f1", ".state"); st != "broken" {
			t.Fatalf("at %d s, 11 to 30 s after the last renewal, the fault is %s: the grace is 30 s", sec, st)
		}
	}
	s.clock(160)
	s.mustAgent("check")
	rep := parseReport(s.mustAgent("status", "f1"))
	if rep.State != "reverted" || !strings.Contains(rep.Reason, "not renewed for 31s") || s.read("units/kubelet") != "active" {
		t.Errorf("31 s after the last renewal: %+v", rep)
	}
	if !slices.ContainsFunc(s.calls(), func(c string) bool { return strings.Contains(c, "/leases/"+RenewLease) }) {
		t.Error("the check never read the lease")
	}
}

func TestDeadmanRevertsAtOnceWhenTheLeaseIsDeleted(t *testing.T) {
	s := newSandbox(t)
	s.arm("f1")
	s.fire("selfheal-agent-break-f1.timer")
	s.lease("404", "", "")
	s.mustAgent("check")
	rep := parseReport(s.mustAgent("status", "f1"))
	if rep.State != "reverted" || !strings.Contains(rep.Reason, "selfheal deleted the lease") {
		t.Errorf("%+v", rep)
	}
}

func TestDeadmanRidesOutAnAPIGapShorterThanTheGrace(t *testing.T) {
	s := newSandbox(t)
	s.clock(100)
	s.arm("f1")
	s.fire("selfheal-agent-break-f1.timer")
	s.lease("200", "f1", "t1")
	s.mustAgent("check")
	s.write("lease.code", "down")
	s.clock(125)
	s.mustAgent("check")
	if st := s.faultFile("f1", ".state"); st != "broken" {
		t.Fatalf("25 s without the API: %s", st)
	}
	s.clock(131)
	s.mustAgent("check")
	if st := s.faultFile("f1", ".state"); st != "reverted" {
		t.Fatalf("31 s without the API: %s, want reverted", st)
	}
}

func TestUninstallRevertsAndRemovesEveryTrace(t *testing.T) {
	s := newSandbox(t)
	s.arm("f1")
	s.fire("selfheal-agent-break-f1.timer")
	s.arm("f2")
	s.mustAgent("revert", "f2", "done")
	// A rule of a fault whose file was lost.
	s.write("ipt/OUTPUT", "-m comment --comment selfheal-agent-old -j DROP")
	s.write("ipt/OUTPUT.pkts", "0")
	out := s.mustAgent("uninstall")
	if !strings.Contains(out, "reverted 1 fault(s)") {
		t.Errorf("uninstall said %q", out)
	}
	if s.read("units/kubelet") != "active" || len(s.rules("INPUT")) != 0 || len(s.rules("OUTPUT")) != 0 || len(s.timers()) != 0 {
		t.Errorf("left: kubelet %s, INPUT %q, OUTPUT %q, timers %v", s.read("units/kubelet"), s.rules("INPUT"), s.rules("OUTPUT"), s.timers())
	}
	if _, err := os.Stat(s.dir); !os.IsNotExist(err) {
		t.Errorf("the agent's directory is still there: %v", err)
	}
	if got := s.mustAgent("uninstall"); !strings.Contains(got, "nothing installed") {
		t.Errorf("a second uninstall: %q", got)
	}
}

func TestServeRevertsWhenThePodIsStopped(t *testing.T) {
	s := newSandbox(t)
	s.arm("f1")
	s.fire("selfheal-agent-break-f1.timer")
	s.lease("200", "f1", "t1")
	cmd := exec.Command("bash", agentScript, "serve")
	cmd.Env = s.env
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(s.read("calls"), "/leases/") && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("serve after SIGTERM: %v\n%s", err, out.String())
	}
	rep := parseReport(s.mustAgent("status", "f1"))
	if rep.State != "reverted" || !strings.Contains(rep.Reason, "agent pod was stopped") || s.read("units/kubelet") != "active" {
		t.Errorf("after SIGTERM: %+v\n%s", rep, out.String())
	}
}
