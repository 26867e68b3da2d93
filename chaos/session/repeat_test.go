package session

import (
	"testing"
	"time"

	"github.com/selfheal/selfheal/chaos/catalog"
	"github.com/selfheal/selfheal/chaos/measure"
	"github.com/selfheal/selfheal/chaos/plan"
	"github.com/selfheal/selfheal/chaos/variant"
)

// TestStatusLineSaysTheCell: the runner's status line gets where the plan
// is appended: the cell, its repetition and the time left.
func TestStatusLineSaysTheCell(t *testing.T) {
	base, _ := variant.Find(variant.Baseline)
	e, _ := catalog.Lookup("pod-eviction")
	p, err := plan.New(variant.Matrix{Cells: []variant.Cell{{Variant: base, Entry: e[0]}}}, 3)
	if err != nil {
		t.Fatal(err)
	}
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
