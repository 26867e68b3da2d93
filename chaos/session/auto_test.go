package session

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/selfheal/selfheal/chaos/catalog"
	"github.com/selfheal/selfheal/chaos/history"
	"github.com/selfheal/selfheal/chaos/plan"
	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/chaos/variant"
	"github.com/selfheal/selfheal/fixtures/wordpress"
)

func (c *logConsole) text() string { return strings.Join(c.lines, "\n") }

// figures are one repetition's downtime (ms) and transport errors.
type figures func(rng *rand.Rand, c plan.Cell) (downtime, errors float64)

// autoRun is a --repeat auto run of matrix m with a fake cell runner:
// each cell's result carries the figures fig draws, and is recorded as
// the session records a real one (its file written). It returns the
// session, the cells run in order and the cells finished.
func autoRun(t *testing.T, m variant.Matrix, hist []*result.Result, fig figures) (*Session, []string, []string, *logConsole) {
	t.Helper()
	st := DefaultSettings()
	st.Repeat = plan.Repeat{Auto: true}
	first, a, err := st.Plan(m)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	con := &logConsole{}
	s := &Session{
		cfg: Config{Plan: first, Auto: a, AutoMetrics: st.RepeatMetrics, ReportDir: dir, VariantDirs: true,
			History: history.Defaults(), Console: con},
		runDir: filepath.Join(dir, "run"), progress: plan.NewProgress(first), history: hist,
	}
	rng := rand.New(rand.NewPCG(5, 6))
	clock := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	var ran, finished []string
	run := func(_ context.Context, c plan.Cell) {
		downtime, errs := fig(rng, c)
		clock = clock.Add(time.Minute)
		res := fakeResult(c.Entry.Name, c.Variant.Name, "run", clock, downtime, errs)
		if err := s.record(c, res); err != nil {
			t.Fatal(err)
		}
		ran = append(ran, c.Name())
	}
	Rounds(context.Background(), s, first, run, func(c plan.Cell) { finished = append(finished, fmt.Sprintf("%s×%d", c.Cell.Name(), c.Repetitions)) })
	return s, ran, finished, con
}

func fakeResult(scenario, v, run string, at time.Time, downtime, errs float64) *result.Result {
	return &result.Result{
		Schema: result.Schema, Scenario: scenario, Started: at, Ended: at.Add(50 * time.Second),
		Run:        &result.RunInfo{ID: run, Variant: v, Fixture: "fixture of " + v, ImageMode: "offline"},
		Load:       result.Load{Rate: 10, Timeout: "2s"},
		Requests:   result.Requests{Total: 500, Failed: int(errs)},
		DowntimeMS: downtime, LongestOutageMS: downtime, Errors: map[string]int{"eof": int(errs)},
		StatusCodes: map[string]int{"200": 500 - int(errs)}, Verdict: result.VerdictPass,
	}
}

func imageRoll(t *testing.T, variants ...string) variant.Matrix {
	t.Helper()
	e, err := catalog.Lookup("image-roll")
	if err != nil {
		t.Fatal(err)
	}
	var m variant.Matrix
	for _, name := range variants {
		v, ok := wordpress.Variants().Find(name)
		if !ok {
			t.Fatalf("no variant %s", name)
		}
		m.Cells = append(m.Cells, variant.Cell{Variant: v, Entry: e[0]})
	}
	return m
}

// statefulset-1 against baseline as the real matrix measured it: every
// statefulset-1 repetition failed 57 to 61 requests in about 6 s of
// downtime, every baseline one none. A no-prestop-like variant that
// differs from baseline by noise only runs on to the maximum, and keeps
// the baseline running with it.
func matrixFigures(rng *rand.Rand, c plan.Cell) (float64, float64) {
	switch c.Variant.Name {
	case "statefulset-1":
		return 5500 + float64(rng.IntN(1000)), float64(57 + rng.IntN(5))
	case "deployment-1-surge": // the same service as baseline
		return float64(rng.IntN(3)) * 100, float64(rng.IntN(3))
	}
	return float64(rng.IntN(3)) * 100, float64(rng.IntN(3))
}

// TestAutoStopsWhenClear: statefulset-1 against baseline is clear at the
// first look (5 a side) and takes no more; a variant that does not differ
// runs to the maximum (10), and baseline with it. The results say how
// many repetitions each took and why the comparison stopped, in the files
// too.
func TestAutoStopsWhenClear(t *testing.T) {
	s, ran, finished, con := autoRun(t, imageRoll(t, "baseline", "statefulset-1", "deployment-1-surge"), nil, matrixFigures)
	count := map[string]int{}
	for _, name := range ran {
		cell, _, _ := strings.Cut(name, "#")
		count[cell]++
	}
	if count["image-roll@statefulset-1"] != 5 || count["image-roll@deployment-1-surge"] != 10 || count["image-roll"] != 10 {
		t.Errorf("repetitions run: %v; want statefulset-1 5, deployment-1-surge 10, baseline 10", count)
	}
	if got := strings.Join(finished, " "); got != "image-roll@statefulset-1×5 image-roll×10 image-roll@deployment-1-surge×10" {
		t.Errorf("finished %q", got)
	}
	d := s.Decisions()
	if len(d) != 2 || !strings.Contains(d[0], "image-roll@statefulset-1 against baseline: clear at look 1 of up to 5, 5 repetitions a side: downtime worse") ||
		!strings.Contains(d[0], "transport errors worse") {
		t.Errorf("decisions:\n%s", strings.Join(d, "\n"))
	}
	if len(d) == 2 && !strings.Contains(d[1], "the maximum, 10 repetitions a side, reached with nothing clear") {
		t.Errorf("the variant like baseline: %s", d[1])
	}
	// The last repetition carries the decision, in its file as well.
	read := func(path string) *result.Result {
		rs, _, err := result.ReadPaths(context.Background(), path)
		if err != nil || len(rs) != 1 {
			t.Fatalf("reading %s: %v (%d)", path, err, len(rs))
		}
		return rs[0].Result
	}
	sts := read(filepath.Join(s.runDir, "statefulset-1", "image-roll.r5.json"))
	if sts.Sequential == nil || sts.Sequential.Stop != result.StopClear || sts.Repetitions != 5 || len(sts.Sequential.Looks) != 1 {
		t.Errorf("statefulset-1's 5th result: repetitions %d, record %+v", sts.Repetitions, sts.Sequential)
	}
	surge := read(filepath.Join(s.runDir, "deployment-1-surge", "image-roll.r10.json"))
	if surge.Sequential == nil || surge.Sequential.Stop != result.StopMax || len(surge.Sequential.Looks) != 6 {
		t.Errorf("deployment-1-surge's 10th result: %+v", surge.Sequential)
	}
	base := read(filepath.Join(s.runDir, "baseline", "image-roll.r3.json"))
	if base.Sequential != nil || base.Repetitions != 10 {
		t.Errorf("a baseline result: repetitions %d, record %v (baseline is the reference, not compared)", base.Repetitions, base.Sequential)
	}
	for _, want := range []string{
		"[image-roll@statefulset-1] --repeat auto, against baseline: clear at look 1 of up to 5, 5 repetitions a side: downtime worse (p = 0.0079, Holm 0.024 ≤ 0.031); transport errors worse (p = 0.0079, Holm 0.024 ≤ 0.031)",
		"[image-roll@deployment-1-surge] --repeat auto, against baseline: 6 repetitions a side: nothing can be called at this size",
		"--repeat auto: 2 more cell(s) for the comparisons not yet clear: image-roll#6, image-roll@deployment-1-surge#6",
		"[image-roll@statefulset-1] 5 repetitions, no more to come",
	} {
		if !strings.Contains(con.text(), want) {
			t.Errorf("the console does not say %q:\n%s", want, con.text())
		}
	}
}

// TestAutoBaselineAgainstBaseline: the same service on both sides (the
// lead's check: baseline against baseline) stops at the maximum and calls
// nothing; the decision says what a difference of the size seen would
// need.
func TestAutoBaselineAgainstBaseline(t *testing.T) {
	same := func(rng *rand.Rand, _ plan.Cell) (float64, float64) {
		return float64(rng.IntN(20)) * 50, float64(rng.IntN(6))
	}
	s, ran, _, _ := autoRun(t, imageRoll(t, "baseline", "deployment-1-surge"), nil, same)
	if len(ran) != 20 {
		t.Errorf("%d cells run, want 10 a side", len(ran))
	}
	d := s.Decisions()
	if len(d) != 1 || !strings.Contains(d[0], "reached with nothing clear") || !strings.Contains(d[0], "repetitions a side") {
		t.Errorf("decision: %v", d)
	}
}

// TestAutoAgainstHistory: a run without variants is compared with the
// earlier results of its kind: with 20 of them and a clear regression it
// stops at the first look; with none it runs the first batch and says
// there was nothing to compare with.
func TestAutoAgainstHistory(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	var hist []*result.Result
	for i := range 20 {
		at := time.Date(2026, 12, 1, 0, i, 0, 0, time.UTC)
		hist = append(hist, fakeResult("image-roll", "baseline", fmt.Sprintf("nightly-%02d", i), at, float64(rng.IntN(3))*100, float64(rng.IntN(2))))
	}
	worse := func(rng *rand.Rand, _ plan.Cell) (float64, float64) {
		return 6000 + float64(rng.IntN(500)), float64(60 + rng.IntN(3))
	}
	s, ran, finished, _ := autoRun(t, imageRoll(t, "baseline"), hist, worse)
	if len(ran) != 5 || strings.Join(finished, " ") != "image-roll×5" {
		t.Errorf("ran %v, finished %v; want the first batch of 5 and a stop", ran, finished)
	}
	if d := s.Decisions(); len(d) != 1 || !strings.Contains(d[0], "against 20 earlier results of this kind") || !strings.Contains(d[0], "clear at look 1") {
		t.Errorf("decision: %v", d)
	}
	s, ran, _, _ = autoRun(t, imageRoll(t, "baseline"), nil, worse)
	if len(ran) != 5 {
		t.Errorf("without history: %d run, want the first batch of 5", len(ran))
	}
	if d := s.Decisions(); len(d) != 1 || !strings.Contains(d[0], "nothing to compare with yet") {
		t.Errorf("without history: %v", d)
	}
}

// A variant whose every repetition could not run is not repeated to the
// maximum: its comparison stops, saying why.
func TestAutoStopsWhenNothingRan(t *testing.T) {
	st := DefaultSettings()
	st.Repeat = plan.Repeat{Auto: true}
	first, a, err := st.Plan(imageRoll(t, "baseline", "statefulset-1"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	s := &Session{cfg: Config{Plan: first, Auto: a, AutoMetrics: st.RepeatMetrics, ReportDir: dir, VariantDirs: true, History: history.Settings{Off: true}, Console: &logConsole{}},
		runDir: filepath.Join(dir, "run"), progress: plan.NewProgress(first)}
	n := 0
	Rounds(context.Background(), s, first, func(_ context.Context, c plan.Cell) {
		n++
		res := fakeResult(c.Entry.Name, c.Variant.Name, "run", time.Now(), 0, 0)
		if c.Variant.Name == "statefulset-1" {
			res.Verdict, res.Error = result.VerdictError, "deploying variant statefulset-1: boom"
		}
		if err := s.record(c, res); err != nil {
			t.Fatal(err)
		}
	}, func(plan.Cell) {})
	if n != 10 {
		t.Errorf("%d cells run, want the first batch only", n)
	}
	if d := s.Decisions(); len(d) != 1 || !strings.Contains(d[0], "no repetition of image-roll@statefulset-1 ran to its end") {
		t.Errorf("decision: %v", d)
	}
}
