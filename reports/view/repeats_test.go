package view

import (
	"testing"
	"time"

	"github.com/selfheal/selfheal/chaos/result"
)

// TestRepeatsHistoryFromResults: without WithHistory, the band behind a
// strip is the history budget the repetitions carry (chaos/history
// records the P50 and the quantile it was derived from), from the newest
// repetition that has one.
func TestRepeatsHistoryFromResults(t *testing.T) {
	rs := load(t, "../testdata/repeated")
	var halts []*result.Result
	for _, r := range rs {
		if r.Scenario == "node-halt" {
			halts = append(halts, r)
		}
	}
	basis := func(p50, q, runs float64) result.BudgetCheck {
		return result.BudgetCheck{Metric: result.KeyRecovery, Limit: q, Pass: true,
			History: &result.HistoryBasis{Quantile: 0.9, Value: q, P50: p50, Runs: int(runs)}}
	}
	halts[0].Budgets = append(halts[0].Budgets, basis(40000, 80000, 9))
	halts[2].Budgets = append(halts[2].Budgets, basis(48000, 70000, 14))
	reps := RepeatsOf(rs)
	var got *Band
	for _, rp := range reps {
		for _, row := range rp.Rows {
			if rp.Name == "node-halt" && row.Key == result.KeyRecovery {
				got = row.History
			} else if row.History != nil {
				t.Errorf("%s %s: a band without a history budget", rp.Name, row.Key)
			}
		}
	}
	if got == nil {
		t.Fatal("no band behind node-halt's recovery")
	}
	if want := "P50–P90 of the last 14 runs: 48.0 s – 1 min 10 s"; got.Text != want {
		t.Errorf("band %q, want %q (the newest repetition's)", got.Text, want)
	}
	if !(got.LoX > 0 && got.LoX < got.HiX && got.HiX <= 1) {
		t.Errorf("band at %v..%v", got.LoX, got.HiX)
	}
}

// TestTrendVerdictOfRepeats: in the trend table a repeated scenario's
// verdict for a run is its repetitions' together. node-halt's last
// repetition passed, but one of three did not recover and its pass-rate
// budget asks for all: the run's node-halt failed.
func TestTrendVerdictOfRepeats(t *testing.T) {
	first := load(t, "../testdata/repeated")
	second := load(t, "../testdata/repeated")
	for _, r := range second {
		run := *r.Run
		run.ID = "later"
		r.Run = &run
		r.Started, r.Ended = r.Started.Add(24*time.Hour), r.Ended.Add(24*time.Hour)
	}
	rep, err := Build(append(first, second...), WithGenerated(generated))
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range rep.Trends.Scenarios {
		if sc.Name != "node-halt" {
			continue
		}
		for i, v := range sc.Verdicts {
			if v != result.VerdictFail {
				t.Errorf("run %d: node-halt verdict %s, want fail (2/3 passed, pass_rate=1)", i, v)
			}
		}
		return
	}
	t.Fatal("no node-halt trend")
}
