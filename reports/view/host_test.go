package view

import (
	"strings"
	"testing"
	"time"

	"github.com/selfheal/selfheal/chaos/result"
)

// starvedRun is a failed scenario measured while the machine lost half
// its CPU to the hypervisor: warm-up clean, fault window starved.
func starvedRun(excused bool) *result.Result {
	t0 := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	sec := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Second) }
	c := &result.Conditions{
		IntervalMS: 1000, CPUs: 2, Samples: 6,
		Thresholds: []result.HostThreshold{{Signal: result.SignalSteal, Contended: 10, Starved: 30}, {Signal: result.SignalCPUPressure, Contended: 20, Starved: 40}},
		Phases: []result.PhaseConditions{
			{Phase: result.PhaseWarmup, From: sec(0), To: sec(3), Samples: 3, Signals: map[string]result.SignalStat{
				result.SignalSteal: {Median: 1, Max: 2}, result.SignalCPUPressure: {Median: 5, Max: 8}}},
			{Phase: result.PhaseFault, From: sec(3), To: sec(6), Samples: 3, Signals: map[string]result.SignalStat{
				result.SignalSteal: {Median: 50, Max: 55}, result.SignalCPUPressure: {Median: 42, Max: 61}}},
		},
		Missing: map[string]string{result.SignalMemoryPressure: "the kernel has no PSI (no /proc/pressure/memory)"},
		Excused: excused,
	}
	for i, v := range []result.HostVerdict{result.HostClean, result.HostClean, result.HostClean, result.HostStarved, result.HostStarved, result.HostContended} {
		c.Timeline = append(c.Timeline, result.HostPoint{At: sec(i + 1), Verdict: v, Values: map[string]float64{result.SignalSteal: float64(10 * i)}})
	}
	c.Judge()
	return &result.Result{
		Scenario: "pod-eviction", Started: t0, Ended: sec(6), Requests: result.Requests{Total: 60, OK: 50, Failed: 10},
		Budgets:    []result.BudgetCheck{{Metric: result.KeyDowntime, Limit: 5000, Value: 22100, Message: "downtime 22.1s over 5s"}},
		Verdict:    result.VerdictFail,
		Analysis:   result.AnalysisParams{BucketMS: 1000},
		Conditions: c,
	}
}

func TestVerdictLineNamesAStarvedMachine(t *testing.T) {
	tests := []struct {
		name string
		r    *result.Result
		want string
	}{
		{"starved", starvedRun(false), "FAIL (measured on a starved machine: CPU steal 50 %, CPU pressure 42 %; rerun before trusting it)"},
		{"excused", starvedRun(true), "FAIL (measured on a starved machine: CPU steal 50 %, CPU pressure 42 %; rerun before trusting it), not counted as a failure: budget misses on a starved machine were excused (SELFHEAL_FAIL_STARVED=false)"},
		{"not sampled", &result.Result{Verdict: result.VerdictPass}, "PASS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := VerdictLine(tt.r); got != tt.want {
				t.Errorf("VerdictLine\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestHostViewAndLane(t *testing.T) {
	r := starvedRun(false)
	h := Host(r)
	if h.Badge != "starved machine" || strings.Join(h.Phases, ",") != "warm-up,fault window" {
		t.Errorf("badge %q phases %v", h.Badge, h.Phases)
	}
	if len(h.Rows) != 2 || strings.Join(h.Rows[0].Cells, " | ") != "1 % (max 2 %) | 50 % (max 55 %)" {
		t.Errorf("rows %+v", h.Rows)
	}
	if len(h.Missing) != 1 || !strings.Contains(h.Missing[0].Value, "no PSI") {
		t.Errorf("missing %+v", h.Missing)
	}
	story := strings.Join(Story(r, time.UTC), " ")
	if !strings.Contains(story, "may be the machine's, not the app's") {
		t.Errorf("story does not say the miss may be the machine's: %s", story)
	}
	rep, err := Build([]*result.Result{r})
	if err != nil {
		t.Fatal(err)
	}
	lane := rep.Runs[0].Scenarios[0].Chart.Host
	var got []string
	for _, s := range lane {
		got = append(got, string(s.Verdict)+" "+Number(s.From)+"-"+Number(s.To))
	}
	if strings.Join(got, ", ") != "clean 0-3, starved 3-5, contended 5-6" {
		t.Errorf("host lane %v", got)
	}
}

// A result whose host was sampled without a sample says its conditions
// are unknown, next to its verdict: never as a clean machine.
func TestHostUnknownIsSaid(t *testing.T) {
	r := &result.Result{Verdict: result.VerdictPass, Conditions: &result.Conditions{}}
	r.Conditions.Judge()
	if got := VerdictLine(r); got != "PASS (host conditions unknown: no sample of the host was taken while it measured)" {
		t.Errorf("verdict line %q", got)
	}
	if h := Host(r); h.Badge != "unknown machine" {
		t.Errorf("badge %q", h.Badge)
	}
}
