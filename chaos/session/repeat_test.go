package session

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/selfheal/selfheal/chaos/catalog"
	"github.com/selfheal/selfheal/chaos/measure"
	"github.com/selfheal/selfheal/chaos/plan"
	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/chaos/scenario"
	"github.com/selfheal/selfheal/chaos/variant"
)

// TestStatusLineSaysTheCell: the runner's status line gets where the plan
// is appended: the cell, its repetition and the time left.
func TestStatusLineSaysTheCell(t *testing.T) {
	p := podEvictions(t, 3)
	s := &Session{cfg: Config{Plan: p, StatusLine: func(measure.Status, time.Time) string { return "load" }}, progress: plan.NewProgress(p)}
	t0 := time.Now()
	s.progress.Start(0, t0)
	s.progress.Finish(0, t0.Add(2*time.Minute))
	s.progress.Start(1, t0.Add(2*time.Minute))
	got := s.statusLine()(measure.Status{}, t0.Add(3*time.Minute))
	if want := "load  | pod-eviction 2/3 · cell 2 of 3 · about 3 min left"; got != want {
		t.Errorf("status line %q, want %q", got, want)
	}
	s.cfg.Plan = nil
	if got := s.statusLine()(measure.Status{}, t0); got != "load" {
		t.Errorf("without a plan the line is the caller's alone, got %q", got)
	}
}

// TestErrorResult: a cell whose variant could not be deployed is written
// as an error with why, under its own variant, so that it counts as a
// repetition that could not run.
func TestErrorResult(t *testing.T) {
	started := time.Now().Add(-time.Minute)
	r := errorResult(scenario.Scenario{Name: "node-halt", Description: "d"}, result.RunInfo{ID: "run", Variant: "no-pdb"}, started, errors.New("deploying variant no-pdb: boom"))
	if r.Outcome() != result.VerdictError || !strings.Contains(r.Error, "boom") || r.Scenario != "node-halt" || r.Run.Variant != "no-pdb" || !r.Started.Equal(started) || r.Ended.Before(started) {
		t.Errorf("error result %+v", r)
	}
	if r.Recovery() != result.RecoveryNotObserved {
		t.Errorf("recovery %s: nothing was measured, so nothing was observed", r.Recovery())
	}
}

// TestRepeatsIsTheGate: a cell's repetitions taken together come from
// chaos/aggregate, whose missed budgets are what the suite and selfheal run
// fail on; other scenarios and variants of the session are left out.
func TestRepeatsIsTheGate(t *testing.T) {
	p := podEvictions(t, 2)
	rep := func(scenario, v string, n int, verdict result.Verdict) *result.Result {
		return &result.Result{Scenario: scenario, Run: &result.RunInfo{Variant: v}, Repetition: n, Repetitions: 2, Verdict: verdict,
			AggregateBudgets: []result.AggregateBudget{{Stat: result.StatPassRate, Limit: 1}}}
	}
	s := &Session{results: []*result.Result{
		rep("pod-eviction", variant.Baseline, 1, result.VerdictPass),
		rep("pod-eviction", "no-pdb", 1, result.VerdictPass),
		rep("node-halt", variant.Baseline, 1, result.VerdictPass),
		rep("pod-eviction", variant.Baseline, 2, result.VerdictFail),
	}}
	agg, ok := s.Repeats(p[1])
	if !ok || agg.N() != 2 || agg.Label() != "pod-eviction" {
		t.Fatalf("repeats %+v (found %v); want pod-eviction's two baseline repetitions", agg, ok)
	}
	if missed := agg.Missed(); len(missed) != 1 || missed[0].Metric != result.StatPassRate {
		t.Errorf("missed %+v; want the pass rate (1 of 2 passed, at least 1 wanted)", missed)
	}
}

// podEvictions plans pod-eviction against the baseline, n times.
func podEvictions(t *testing.T, n int) plan.Plan {
	t.Helper()
	base := variant.Base()
	e, _ := catalog.Lookup(result.ScenarioPodEviction)
	p, err := plan.New(variant.Matrix{Cells: []variant.Cell{{Variant: base, Entry: e[0]}}}, n)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
