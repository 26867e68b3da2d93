package text

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/selfheal/selfheal/chaos/result"
)

// A verdict measured on a starved machine says so, and the summary shows
// the host's signals per phase, with the missing ones and why.
func TestSummarySaysTheHostWasStarved(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	c := &result.Conditions{IntervalMS: 1000, CPUs: 2, Samples: 6,
		Thresholds: []result.HostThreshold{{Signal: result.SignalSteal, Contended: 10, Starved: 30}, {Signal: result.SignalCPUPressure, Contended: 20, Starved: 40}},
		Phases: []result.PhaseConditions{
			{Phase: result.PhaseWarmup, Signals: map[string]result.SignalStat{result.SignalSteal: {Median: 2, Max: 3}, result.SignalCPUPressure: {Median: 5, Max: 9}}},
			{Phase: result.PhaseFault, Signals: map[string]result.SignalStat{result.SignalSteal: {Median: 50, Max: 55}, result.SignalCPUPressure: {Median: 42, Max: 61}}},
		},
		Missing: map[string]string{result.SignalMemoryPressure: "the kernel has no PSI (no /proc/pressure/memory)"},
	}
	c.Judge()
	r := &result.Result{Scenario: "pod-eviction", Started: t0, Ended: t0.Add(time.Minute), Verdict: result.VerdictFail,
		Budgets: []result.BudgetCheck{{Metric: result.KeyDowntime, Limit: 5000, Value: 22100, Message: "downtime 22.1s over 5s"}}, Conditions: c}
	var b bytes.Buffer
	Summary(&b, r)
	out := b.String()
	for _, want := range []string{
		"FAILED (measured on a starved machine: CPU steal 50 %, CPU pressure 42 %; rerun before trusting it)",
		"CPU steal        2 % (max 3 %)  50 % (max 55 %)",
		"memory pressure  missing: the kernel has no PSI",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
}
