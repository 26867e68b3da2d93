package plan

import (
	"strings"
	"testing"
	"time"

	"github.com/selfheal/selfheal/chaos/catalog"
	"github.com/selfheal/selfheal/chaos/variant"
)

// cells is a matrix of variant:scenario pairs, in the order given.
func cells(pairs ...string) variant.Matrix {
	var m variant.Matrix
	for _, p := range pairs {
		v, sc, _ := strings.Cut(p, ":")
		m.Cells = append(m.Cells, variant.Cell{Variant: variant.Variant{Name: v}, Entry: catalog.Entry{Name: sc}})
	}
	return m
}

// The rounds of an Auto plan over baseline and two variants of one
// scenario and a scenario only baseline runs: the first batch is Start of
// each; a variant whose comparison is closed takes no more, the baseline
// it was compared with goes on while another variant needs it, and the
// scenario without a variant is compared with history.
func TestAutoRounds(t *testing.T) {
	a, err := NewAuto(cells("baseline:roll", "baseline:drain", "sts:roll", "surge:roll"), 2, 4)
	if err != nil {
		t.Fatal(err)
	}
	if got := names(a.First()); got != "roll#1 roll#2 drain#1 drain#2 roll@sts#1 roll@sts#2 roll@surge#1 roll@surge#2" {
		t.Errorf("first batch %q", got)
	}
	var open []string
	for _, c := range a.Open() {
		ref := "history"
		if c.Reference != nil {
			ref = c.Reference.Name()
		}
		open = append(open, c.Cell.Name()+" vs "+ref)
	}
	if got := strings.Join(open, ", "); got != "drain vs history, roll@sts vs roll, roll@surge vs roll" {
		t.Errorf("open comparisons: %s", got)
	}
	if f := a.Finished(); len(f) != 0 {
		t.Errorf("finished before any look: %v", names(f))
	}
	// After each round: its looks close comparisons, the cells whose
	// repetitions are over are named, then the next round is planned.
	a.Stop(a.cells[2]) // sts clear at the first look
	if got := names(a.Finished()); got != "roll@sts#2" {
		t.Errorf("finished after the first look: %q", got)
	}
	if got := names(a.Next()); got != "roll#3 drain#3 roll@surge#3" {
		t.Errorf("second round %q", got)
	}
	a.Stop(a.cells[1]) // drain clear against history
	if got := names(a.Finished()); got != "drain#3" {
		t.Errorf("finished after the second look: %q", got)
	}
	if got := names(a.Next()); got != "roll#4 roll@surge#4" {
		t.Errorf("third round %q", got)
	}
	// surge reached the maximum with nothing clear: the plan ends, and
	// baseline with it.
	if got := names(a.Finished()); got != "roll#4 roll@surge#4" {
		t.Errorf("finished at the end: %q", got)
	}
	if p := a.Next(); len(p) != 0 {
		t.Errorf("a round past the maximum: %q", names(p))
	}
	if len(a.Open()) != 0 || len(a.Finished()) != 0 {
		t.Error("something still open, or finished twice")
	}
}

func TestAutoCells(t *testing.T) {
	a, err := NewAuto(cells("baseline:roll"), 3, 10)
	if err != nil {
		t.Fatal(err)
	}
	p := a.First()
	c := p[2]
	if !c.Auto || c.Repetition != 3 || c.Repetitions != 10 || c.Name() != "roll#3" || c.FileName() != "roll.r3.json" || c.Labels()["repetition"] != "3" {
		t.Errorf("cell %+v named %s, file %s", c, c.Name(), c.FileName())
	}
	for _, bad := range [][2]int{{1, 10}, {11, 10}, {3, 101}, {3, 0}} {
		if _, err := NewAuto(cells("baseline:roll"), bad[0], bad[1]); err == nil {
			t.Errorf("NewAuto start %d max %d accepted", bad[0], bad[1])
		}
	}
}

// A further round extends the plan the progress follows; an auto cell
// says it is one of up to Max, and the count of cells is of those planned
// so far.
func TestProgressExtends(t *testing.T) {
	a, err := NewAuto(cells("baseline:roll"), 2, 10)
	if err != nil {
		t.Fatal(err)
	}
	first := a.First()
	pr := NewProgress(first)
	t0 := time.Now()
	pr.Start(0, t0)
	pr.Finish(0, t0.Add(time.Minute))
	pr.Start(1, t0.Add(time.Minute))
	pr.Finish(1, t0.Add(2*time.Minute))
	more := a.Next()
	pr.Extend(more)
	all := append(first, more...)
	i := all.Index(more[0])
	if i != 2 {
		t.Fatalf("the third repetition is at %d of the extended plan", i)
	}
	pr.Start(i, t0.Add(2*time.Minute))
	if got := pr.Line(t0.Add(2*time.Minute + 30*time.Second)); got != "roll 3/≤10 · cell 3 of 3 so far · about 30 s left" {
		t.Errorf("line %q", got)
	}
}
