package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/internal/flaky/flakytest"
	"github.com/selfheal/selfheal/reports/view"
)

// busyEnv makes the test binary a busy loop for the given duration
// (TestBusyLoopHelper), so a test can load every core with processes it
// owns.
const busyEnv = "SELFHEAL_TEST_BUSY_FOR"

func TestBusyLoopHelper(t *testing.T) {
	d, err := time.ParseDuration(os.Getenv(busyEnv))
	if err != nil {
		t.Skip("a helper process for TestProbeSeesHostContention, not a test")
	}
	end := time.Now().Add(d)
	for n := 0; time.Now().Before(end); n++ {
	}
}

// busyLoops starts two busy processes per CPU, more runnable tasks than
// CPUs so that tasks wait for one (CPU pressure), for at most d.
func busyLoops(t *testing.T, d time.Duration) (stop func()) {
	t.Helper()
	var procs []*exec.Cmd
	for range 2 * runtime.NumCPU() {
		cmd := exec.Command(os.Args[0], "-test.run=^TestBusyLoopHelper$")
		cmd.Env = append(os.Environ(), busyEnv+"="+d.String())
		if err := cmd.Start(); err != nil {
			t.Fatalf("starting a busy loop: %v", err)
		}
		procs = append(procs, cmd)
	}
	return func() {
		for _, p := range procs {
			p.Process.Kill()
			p.Wait()
		}
	}
}

// probeConditions runs a 9-s probe against a healthy local server with an
// injection marked at 3 s: nothing fails, so the fault window is 3-6 s
// (recovered at once, confirmed 3 s later). busy, when set, runs during
// the fault window and after.
func probeConditions(t *testing.T, busy bool) *result.Result {
	t.Helper()
	srv := flakytest.Start(t, "30s ok")
	out := filepath.Join(t.TempDir(), "result.json")
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	if busy {
		go func() {
			select {
			case <-time.After(3200 * time.Millisecond):
			case <-ctx.Done():
				return
			}
			stop := busyLoops(t, 7*time.Second)
			<-ctx.Done()
			stop()
		}()
	}
	code, stdout, stderr := runWith(ctx, strings.NewReader(""), "probe", "--url", srv.URL()+"/", "--rate", "20",
		"--duration", "9s", "--inject-at", "3s", "--confirm", "3s", "--host-every", "250ms", "--progress-every", "1s", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
	}
	if !strings.Contains(stdout.String(), "\nHost ") {
		t.Errorf("the summary has no Host section:\n%s", stdout)
	}
	res, err := result.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if res.Conditions == nil || res.Conditions.Phase(result.PhaseWarmup) == nil || res.Conditions.Phase(result.PhaseFault) == nil {
		t.Fatalf("conditions %+v; want the warm-up and the fault window", res.Conditions)
	}
	return res
}

func cpuPressure(c *result.Conditions, p result.HostPhase) (result.SignalStat, bool) {
	ph := c.Phase(p)
	if ph == nil {
		return result.SignalStat{}, false
	}
	st, ok := ph.Signals[result.SignalCPUPressure]
	return st, ok
}

// Busy loops on every core during a probe's fault window show in its
// result as CPU pressure and a contended (or starved) verdict; a quiet
// run is clean. The machine is shared, so the quiet half skips, saying
// why, when others load it; the busy half holds on any machine with PSI.
func TestProbeSeesHostContention(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two 9-s probes")
	}
	if _, err := os.Stat("/proc/pressure/cpu"); err != nil {
		t.Skipf("this kernel has no PSI (%v): CPU contention shows only in the load average, which lags by a minute", err)
	}
	quiet := probeConditions(t, false)
	quietWarmup, _ := cpuPressure(quiet.Conditions, result.PhaseWarmup)

	busy := probeConditions(t, true)
	c := busy.Conditions
	warm, _ := cpuPressure(c, result.PhaseWarmup)
	fault, ok := cpuPressure(c, result.PhaseFault)
	if !ok {
		t.Fatalf("no CPU pressure in the fault window: %+v", c)
	}
	// Twice as many spinning processes as CPUs keep a task waiting for a
	// CPU nearly all the time, whatever else runs.
	if fault.Median < 40 || c.Verdict == result.HostClean || c.Phase(result.PhaseFault).Verdict == result.HostClean {
		t.Errorf("busy loops on every core: fault-window CPU pressure %+v, phase verdict %s, verdict %s; want it seen (median ≥ 40 %%, not clean)",
			fault, c.Phase(result.PhaseFault).Verdict, c.Verdict)
	}
	// Against the same run's warm-up, when that left room to see it.
	if warm.Median < 60 && fault.Median < warm.Median+20 {
		t.Errorf("fault-window CPU pressure %.0f %% is not clearly above the warm-up's %.0f %%", fault.Median, warm.Median)
	}
	if !strings.Contains(view.HostCaveat(busy), "CPU pressure") {
		t.Errorf("caveat %q does not name the CPU pressure", view.HostCaveat(busy))
	}
	t.Logf("CPU pressure: quiet run warm-up %+v; busy run warm-up %+v, fault window %+v", quietWarmup, warm, fault)

	t.Run("quiet run is clean", func(t *testing.T) {
		if quiet.Conditions.Verdict != result.HostClean {
			t.Skipf("others load this machine: the quiet run was %s", view.HostCaveat(quiet))
		}
		// The busy loops, not the machine's mood, made the difference.
		if fault.Median < quietWarmup.Median+20 {
			t.Errorf("fault-window CPU pressure %.0f %% is not clearly above the quiet run's %.0f %%", fault.Median, quietWarmup.Median)
		}
	})
}

// The host flags are checked before any work starts.
func TestHostFlagsRefused(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"probe", "--url", "http://a/", "--host-thresholds", "warp=1/2"}, "--host-thresholds: \"warp=1/2\": want SIGNAL=CONTENDED/STARVED"},
		{[]string{"probe", "--url", "http://a/", "--host-every", "0s"}, "--host-every must be positive"},
		{[]string{"run", "--host-thresholds", "steal=30/10"}, "starved not below contended"},
		{[]string{"run", "--warmup-limit", "-1s"}, `invalid value "-1s" for flag -warmup-limit: want a duration above 0`},
	} {
		code, _, errb := runWith(t.Context(), strings.NewReader(""), tt.args...)
		if code != 2 || !strings.Contains(errb.String(), tt.want) {
			t.Errorf("%v: exit %d stderr %q; want 2 and %q", tt.args, code, errb, tt.want)
		}
	}
}
