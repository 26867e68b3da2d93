package junit

import (
	"strings"
	"testing"
	"time"

	"github.com/selfheal/selfheal/chaos/result"
)

// starved is a failed scenario measured while the host was starved.
func starved(excused bool) *result.Result {
	t0 := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	c := &result.Conditions{
		IntervalMS: 1000, CPUs: 2, Samples: 3, Excused: excused,
		Thresholds: []result.HostThreshold{{Signal: result.SignalSteal, Contended: 10, Starved: 30}, {Signal: result.SignalCPUPressure, Contended: 20, Starved: 40}},
		Phases: []result.PhaseConditions{{Phase: result.PhaseFault, Samples: 3, Signals: map[string]result.SignalStat{
			result.SignalSteal: {Median: 50, Max: 55}, result.SignalCPUPressure: {Median: 42, Max: 61}}}},
	}
	c.Judge()
	return &result.Result{
		Scenario: "pod-eviction", Started: t0, Ended: t0.Add(time.Minute), Run: &result.RunInfo{ID: "r1"},
		Budgets: []result.BudgetCheck{{Metric: result.KeyDowntime, Limit: 5000, Value: 22100}},
		Verdict: result.VerdictFail, Conditions: c,
	}
}

func TestStarvedFailureSaysSo(t *testing.T) {
	doc := Build([]*result.Result{starved(false)})
	sc := doc.Suites[0].Cases[0]
	want := "FAIL (measured on a starved machine: CPU steal 50 %, CPU pressure 42 %; rerun before trusting it): "
	if sc.Failure == nil || !strings.HasPrefix(sc.Failure.Message, want) {
		t.Fatalf("failure %+v; want a message starting %q", sc.Failure, want)
	}
	if doc.Failures != 2 || doc.Suites[0].Skipped != 0 {
		t.Errorf("failures %d skipped %d; want the scenario and its budget failed", doc.Failures, doc.Suites[0].Skipped)
	}
	if !strings.Contains(sc.SystemOut.Text, "host: measured on a starved machine") {
		t.Errorf("system-out does not name the host: %s", sc.SystemOut.Text)
	}
}

func TestExcusedStarvedFailureIsSkipped(t *testing.T) {
	doc := Build([]*result.Result{starved(true)})
	s := doc.Suites[0]
	if doc.Failures != 0 || s.Skipped != 2 {
		t.Fatalf("failures %d skipped %d; want the excused miss skipped, not failed", doc.Failures, s.Skipped)
	}
	if sk := s.Cases[0].Skipped; sk == nil || !strings.Contains(sk.Message, "SELFHEAL_FAIL_STARVED=false") {
		t.Errorf("skipped %+v; want it to say why", sk)
	}
}
