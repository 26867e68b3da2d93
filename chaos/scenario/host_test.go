package scenario

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/selfheal/selfheal/chaos/host"
	"github.com/selfheal/selfheal/chaos/load"
	"github.com/selfheal/selfheal/chaos/measure"
	"github.com/selfheal/selfheal/chaos/result"
)

// An app that fails for its first seconds (a pod just restarted) is
// warmed up until it served a clean warm-up, then broken: the scenario
// is measured instead of refused.
func TestWarmupWaitsForACleanBaseline(t *testing.T) {
	a := newApp(t)
	a.broken.Store(true)
	settled := time.Now().Add(1500 * time.Millisecond)
	time.AfterFunc(time.Until(settled), func() { a.broken.Store(false) })
	f := &breakFor{app: a, heal: 500 * time.Millisecond}
	tm := fastTiming()
	tm.WarmupLimit = 10 * time.Second
	steadyButFailing := func(ctx context.Context) (bool, string, error) { return true, "", nil }
	con := &recordingConsole{}
	r := NewRunner([]string{a.srv.URL}, WithLoad(load.Rate(50), load.Timeout(500*time.Millisecond)), WithPoll(50*time.Millisecond),
		WithConsole(con, 100*time.Millisecond, func(measure.Status, time.Time) string { return "" }))
	res, err := r.Run(context.Background(), Scenario{Name: "x", Fault: f, Steady: steadyButFailing, Timing: tm})
	if err != nil {
		t.Fatalf("refused: %v", err)
	}
	// A clean warm-up is a whole Warmup after the app settled.
	if in := f.injectAt; in.Before(settled.Add(tm.Warmup)) {
		t.Errorf("injected %s after the app settled; want at least the warm-up, %s", in.Sub(settled), tm.Warmup)
	}
	if !strings.Contains(strings.Join(res.Notes, " "), "waited") {
		t.Errorf("notes %q do not say the warm-up waited", res.Notes)
	}
	if !con.saw("waiting for a clean baseline") {
		t.Errorf("the status line never said it was waiting: %q", con.lines)
	}
}

// A scenario's result carries the host's conditions over its phases; a
// budget missed on a starved machine is excused only when asked.
func TestRunnerRecordsHostConditions(t *testing.T) {
	// Any load average starves the machine by these thresholds, so the
	// verdict is known whatever else runs on it.
	starvedByAnything := []result.HostThreshold{{Signal: result.SignalLoad, Contended: 1e-9, Starved: 1e-9}}
	for _, excuse := range []bool{false, true} {
		a := newApp(t)
		f := &breakFor{app: a, heal: time.Second}
		s := Scenario{Name: "break", Fault: f, Steady: a.steady, Timing: fastTiming(), Budgets: Budgets{Server5xx: Requests(0)}}
		r := NewRunner([]string{a.srv.URL}, WithLoad(load.Rate(50), load.Timeout(500*time.Millisecond)), WithPoll(50*time.Millisecond),
			WithHost(HostPolicy{Thresholds: starvedByAnything, ExcuseStarved: excuse, Sampling: []host.Option{host.WithInterval(200 * time.Millisecond)}}))
		res, err := r.Run(context.Background(), s)
		if err != nil {
			t.Fatal(err)
		}
		c := res.Conditions
		if c == nil || c.Phase(result.PhaseWarmup) == nil || c.Phase(result.PhaseFault) == nil {
			t.Fatalf("conditions %+v; want warm-up and fault window summarised", c)
		}
		if load, _ := c.Phase(result.PhaseFault).Signals[result.SignalLoad]; load.Max <= 0 {
			t.Skipf("load average 0 on this machine: nothing to judge")
		}
		if c.Verdict != result.HostStarved || res.Verdict != result.VerdictFail {
			t.Fatalf("host %s verdict %s; want starved and fail", c.Verdict, res.Verdict)
		}
		if res.Excused() != excuse || res.FailsRun() == excuse {
			t.Errorf("excused %v, fails the run %v, with ExcuseStarved %v", res.Excused(), res.FailsRun(), excuse)
		}
	}
}

// recordingConsole keeps every status line.
type recordingConsole struct {
	mu    sync.Mutex
	lines []string
}

func (c *recordingConsole) Logf(string, ...any) {}
func (c *recordingConsole) Progress(line string) {
	c.mu.Lock()
	c.lines = append(c.lines, line)
	c.mu.Unlock()
}
func (c *recordingConsole) Done() {}
func (c *recordingConsole) saw(s string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, l := range c.lines {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}

// The warm-up guard names the host's pressure when it was high, so the
// reader knows whether to fix the app or the machine.
func TestWarmupRefusalNamesTheHost(t *testing.T) {
	a := newApp(t)
	a.broken.Store(true)
	tm := fastTiming()
	tm.WarmupLimit = 2 * time.Second
	steadyButFailing := func(ctx context.Context) (bool, string, error) { return true, "", nil }
	r := NewRunner([]string{a.srv.URL}, WithLoad(load.Rate(50), load.Timeout(500*time.Millisecond)),
		WithHost(HostPolicy{Thresholds: []result.HostThreshold{{Signal: result.SignalLoad, Contended: 1e-9, Starved: 1e-9}},
			Sampling: []host.Option{host.WithInterval(200 * time.Millisecond)}}))
	_, err := r.Run(context.Background(), Scenario{Name: "x", Fault: &breakFor{app: a}, Steady: steadyButFailing, Timing: tm})
	if err == nil || !strings.Contains(err.Error(), "fix the app") {
		t.Fatalf("err = %v, want the warm-up refusal", err)
	}
	if !strings.Contains(err.Error(), "the host was starved meanwhile (") || !strings.Contains(err.Error(), "load per CPU") {
		t.Errorf("err = %v; want it to name the starved host and its figures", err)
	}
}
