package view

import (
	"context"
	"encoding/json"
	"flag"
	"github.com/selfheal/selfheal/reports/internal/golden"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/selfheal/selfheal/chaos/result"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var generated = time.Date(2025, 6, 5, 8, 0, 0, 0, time.UTC)

func load(t *testing.T, paths ...string) []*result.Result {
	t.Helper()
	loaded, _, err := result.ReadPaths(context.Background(), paths...)
	if err != nil {
		t.Fatal(err)
	}
	rs := result.Results(loaded)
	return rs
}

// TestGolden pins the whole view model of the sample results: every string
// a reader sees and every chart's data. Run with -update after a deliberate
// change and read the diff.
func TestGolden(t *testing.T) {
	tests := []struct {
		name  string
		paths []string
		opts  []Option
	}{
		{"nightly", []string{"../testdata/nightly"}, nil},
		{"probe", []string{"../testdata/probe/probe.json"}, []Option{WithTitle("selfheal probe")}},
		// A node halt seen from inside, the control probe and reused
		// connections beside the outside (reports/internal/sample.Vantages).
		{"vantages", []string{"../testdata/vantages"}, nil},
		// The real suite run of docs/report.md, as its result files are.
		{"real-run", []string{"../../docs/runs/20261123-132901"}, nil},
		// A run with repeated scenarios, each repetition analysed by
		// chaos/measure (reports/internal/sample.Repeated), and a history
		// band for node-halt's recovery.
		{"repeated", []string{"../testdata/repeated"}, []Option{WithHistory(func(sc, _ string, key result.MetricKey) (HistoryBand, bool) {
			if sc == "node-halt" && key == result.KeyRecovery {
				return HistoryBand{P50: 48000, P95: 70000, Runs: 14}, true
			}
			return HistoryBand{}, false
		})}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := Build(load(t, tt.paths...), append([]Option{WithGenerated(generated)}, tt.opts...)...)
			if err != nil {
				t.Fatal(err)
			}
			got, err := json.MarshalIndent(rep, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			golden.Check(t, filepath.Join("testdata", tt.name+".golden.json"), got, *update)
		})
	}
}

func TestBuildRuns(t *testing.T) {
	rep, err := Build(load(t, "../testdata/nightly"), WithGenerated(generated))
	if err != nil {
		t.Fatal(err)
	}
	if got := len(rep.Runs); got != 3 {
		t.Fatalf("%d runs, want 3", got)
	}
	newest := rep.Runs[0]
	if newest.ID != "nightly-20250604" || !newest.Detailed || rep.Runs[1].Detailed {
		t.Errorf("newest run %q detailed=%v, next detailed=%v; want nightly-20250604 alone in detail", newest.ID, newest.Detailed, rep.Runs[1].Detailed)
	}
	if newest.Verdict != result.VerdictFail || newest.Totals.Failed != 2 || newest.Totals.Passed != 2 {
		t.Errorf("newest run verdict %q totals %+v; want fail with 2 failed, 2 passed", newest.Verdict, newest.Totals)
	}
	for _, s := range rep.Runs[1].Scenarios {
		if s.Chart != nil || s.Events != nil {
			t.Errorf("older run scenario %s has detail", s.Name)
		}
	}
	if rep.Trends == nil || rep.Trends.Regressions == 0 {
		t.Fatal("no trends or no regression flagged in the sample nightlies")
	}
}

func TestLongRunChart(t *testing.T) {
	rs := load(t, "../testdata/nightly/2025-06-04/node-halt.json")
	// An hour of buckets, and the analysis's last one holding the end.
	if n := len(rs[0].Timeline); n != 3601 {
		t.Fatalf("sample has %d buckets, want 3601", n)
	}
	tests := []struct {
		max       int
		wantCols  int
		wantMerge int
	}{
		{480, 450, 8},
		{3600, 3600, 1},
		{100, 100, 36},
	}
	for _, tt := range tests {
		rep, err := Build(rs, WithGenerated(generated), WithMaxColumns(tt.max))
		if err != nil {
			t.Fatal(err)
		}
		c := rep.Runs[0].Scenarios[0].Chart
		if len(c.Columns) != tt.wantCols || c.Merged != tt.wantMerge {
			t.Errorf("max %d: %d columns merging %d, want %d merging %d", tt.max, len(c.Columns), c.Merged, tt.wantCols, tt.wantMerge)
		}
		// Merging keeps the request count: rate x time summed over
		// columns equals the total.
		var total float64
		for _, col := range c.Columns {
			total += col.Total() * c.ColumnS
		}
		if d := total - float64(rs[0].Requests.Total); d > 1 || d < -1 {
			t.Errorf("max %d: columns hold %.1f requests, result %d", tt.max, total, rs[0].Requests.Total)
		}
		if len(c.TimeTicks) < 4 || len(c.TimeTicks) > 10 {
			t.Errorf("max %d: %d time ticks", tt.max, len(c.TimeTicks))
		}
		for _, l := range c.Lanes {
			if len(l.Marks) > 300 {
				t.Errorf("lane %s has %d marks: not merged", l.Kind, len(l.Marks))
			}
		}
	}
}

// TestProbeStory checks that a run without injection tells when it broke,
// how, and when it came back, in words.
func TestProbeStory(t *testing.T) {
	rep, err := Build(load(t, "../testdata/probe/probe.json"), WithGenerated(generated))
	if err != nil {
		t.Fatal(err)
	}
	s := rep.Runs[0].Scenarios[0]
	text := strings.Join(s.Story, " ")
	for _, want := range []string{
		"injected nothing",
		"It broke 2 times",
		"From 14:30:15.0 requests failed until 14:30:27.0",
		"HTTP 503",
		"connections refused",
		"Service recovered at 14:30:27.0, 12.0 s after the first failure",
		"came back for good at 14:30:46.9",
		"No budgets were set",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("story lacks %q:\n%s", want, strings.Join(s.Story, "\n"))
		}
	}
	if rep.Zone != "UTC+02:00" {
		t.Errorf("zone %q, want the offset of the result's own times", rep.Zone)
	}
}

func TestBuildEmpty(t *testing.T) {
	if _, err := Build(nil); err != ErrNoResults {
		t.Errorf("Build(nil) error %v, want ErrNoResults", err)
	}
}

func TestTrendColumns(t *testing.T) {
	rs := load(t, "../testdata/nightly")
	rep, err := Build(rs, WithGenerated(generated), WithTrendColumns(2))
	if err != nil {
		t.Fatal(err)
	}
	tr := rep.Trends
	if len(tr.Runs) != 2 || tr.Hidden != 1 || tr.AllRuns != 3 {
		t.Fatalf("trend columns %d hidden %d of %d; want 2, 1 of 3", len(tr.Runs), tr.Hidden, tr.AllRuns)
	}
	if tr.Runs[1].ID != "nightly-20250604" {
		t.Errorf("last column %q, want the newest run", tr.Runs[1].ID)
	}
	for _, sc := range tr.Scenarios {
		for _, row := range sc.Rows {
			if len(row.Cells) != 2 || len(sc.Verdicts) != 2 {
				t.Fatalf("%s %s: %d cells, %d verdicts", sc.Name, row.Key, len(row.Cells), len(sc.Verdicts))
			}
			if len(row.Spark) < 2 && row.Key != "latency_ms.impact.p99" {
				t.Errorf("%s %s: sparkline lost the hidden runs: %d points", sc.Name, row.Key, len(row.Spark))
			}
		}
	}
}

// TestRealProbeStory reads the result of a real `selfheal probe` run
// against the flaky server (testdata/probe-flaky/README.md has the
// server's schedule) and checks that the story tells when it broke, how,
// and when it came back, matching the server's phase edges.
func TestRealProbeStory(t *testing.T) {
	rep, err := Build(load(t, "../testdata/probe-flaky/result.json"), WithGenerated(generated))
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(rep.Runs[0].Scenarios[0].Story, " ")
	for _, want := range []string{
		"injected nothing",
		"From 09:56:04.1 requests failed until 09:56:19.1 (15.0 s: HTTP 503 ×403, connections refused ×200, timeouts ×150)", // phases 2-4
		"it came back for 6.1 s, then failed again from 09:56:25.2 until 09:56:28.1 (2.9 s: HTTP 500 ×149)",                 // phase 6
		"Service recovered at 09:56:28.1",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("story lacks %q:\n%s", want, text)
		}
	}
}

// A run over several variants tells its results apart by variant, and
// names each variant's fixture rather than the first one's.
func TestVariantsOfARun(t *testing.T) {
	rs := load(t, "../testdata/nightly/2025-06-04/pod-eviction.json")
	other := load(t, "../testdata/nightly/2025-06-04/pod-eviction.json")[0]
	run := *other.Run
	run.Variant, run.Fixture = "no-pdb", "WordPress Deployment x2, no PDB"
	other.Run = &run
	rep, err := Build(append(rs, other), WithGenerated(generated))
	if err != nil {
		t.Fatal(err)
	}
	r := rep.Runs[0]
	if len(r.Scenarios) != 2 || r.Scenarios[0].Name != "pod-eviction" || r.Scenarios[1].Name != "pod-eviction@no-pdb" || r.Scenarios[0].Anchor == r.Scenarios[1].Anchor {
		t.Fatalf("scenarios %+v; want pod-eviction and pod-eviction@no-pdb with their own anchors", r.Scenarios)
	}
	facts := map[string]string{}
	for _, f := range r.Facts {
		facts[f.Label] = f.Value
	}
	if facts["Fixture no-pdb"] != run.Fixture || facts["Fixture baseline"] != rs[0].Run.Fixture || facts["Fixture"] != "" {
		t.Errorf("facts %v; want each variant's fixture", facts)
	}
}
