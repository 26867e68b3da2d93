package trend

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/selfheal/selfheal/chaos/result"
)

func TestWorse(t *testing.T) {
	inf := math.Inf(1)
	tests := []struct {
		name     string
		v, base  float64
		rel, abs float64
		want     bool
	}{
		{"both margins exceeded", 3000, 1000, 0.5, 1000, true},
		{"relative only: noise on a small number", 400, 200, 0.5, 1000, false},
		{"absolute only: small change on a big number", 606000, 600000, 0.5, 5000, false},
		{"exactly at both margins is not worse", 3000, 2000, 0.5, 1000, false},
		{"better is never worse", 100, 1000, 0.5, 10, false},
		{"never recovered against a finite baseline", inf, 35000, 0.5, 2000, true},
		{"never recovered against a never baseline", inf, inf, 0.5, 2000, false},
		{"finite against a never baseline", 90000, inf, 0.5, 2000, false},
		{"from zero", 50, 0, 0.5, 10, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := worse(tt.v, tt.base, tt.rel, tt.abs); got != tt.want {
				t.Errorf("worse(%v, %v) = %v, want %v", tt.v, tt.base, got, tt.want)
			}
		})
	}
}

func res(scenario, runID string, start time.Time, d time.Duration) *result.Result {
	r := &result.Result{Scenario: scenario, Started: start, Ended: start.Add(d)}
	if runID != "" {
		r.Run = &result.RunInfo{ID: runID}
	}
	return r
}

func TestGroup(t *testing.T) {
	t0 := time.Date(2025, 6, 2, 2, 0, 0, 0, time.UTC)
	m := time.Minute
	tests := []struct {
		name    string
		results []*result.Result
		want    [][]string // scenarios per run, newest run first
		ids     []string
	}{
		{
			name: "by run id, whatever the times",
			results: []*result.Result{
				res("a", "n1", t0, m), res("b", "n1", t0.Add(5*time.Hour), m),
				res("a", "n2", t0.Add(24*time.Hour), m),
			},
			want: [][]string{{"a"}, {"a", "b"}},
			ids:  []string{"n2", "n1"},
		},
		{
			name: "without id: by proximity",
			results: []*result.Result{
				res("b", "", t0.Add(5*m), m), res("a", "", t0, m),
				res("a", "", t0.Add(3*time.Hour), m),
			},
			want: [][]string{{"a"}, {"a", "b"}},
			ids:  []string{"2025-06-02 05:00", "2025-06-02 02:00"},
		},
		{
			name: "without id: the same scenario again starts a run",
			results: []*result.Result{
				res("a", "", t0, m), res("a", "", t0.Add(2*m), m),
			},
			want: [][]string{{"a"}, {"a"}},
			ids:  []string{"2025-06-02 02:02", "2025-06-02 02:00"},
		},
		{
			name: "gap counts from the end of the run",
			results: []*result.Result{
				res("a", "", t0, 50*m), res("b", "", t0.Add(75*m), m),
			},
			want: [][]string{{"a", "b"}},
			ids:  []string{"2025-06-02 02:00"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runs := Group(tt.results)
			if len(runs) != len(tt.want) {
				t.Fatalf("got %d runs, want %d", len(runs), len(tt.want))
			}
			for i, run := range runs {
				var got []string
				for _, r := range run.Results {
					got = append(got, r.Scenario)
				}
				if run.ID != tt.ids[i] || !equal(got, tt.want[i]) {
					t.Errorf("run %d = %q %v, want %q %v", i, run.ID, got, tt.ids[i], tt.want[i])
				}
			}
		})
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestAnalyzeSamples checks the rule on the sample nightlies, where the
// third night's wp-config break doubled its downtime and its node halt
// never recovered.
func TestAnalyzeSamples(t *testing.T) {
	loaded, _, err := result.ReadPaths(context.Background(), "../testdata/nightly")
	if err != nil {
		t.Fatal(err)
	}
	rs := result.Results(loaded)
	runs := Group(rs)
	if len(runs) != 3 || runs[0].ID != "nightly-20250604" {
		t.Fatalf("got %d runs, newest %q; want 3, newest nightly-20250604", len(runs), runs[0].ID)
	}
	flagged := map[string]bool{}
	for _, s := range Analyze(runs, DefaultRule()) {
		if len(s.Points) != 3 {
			t.Fatalf("%s %s has %d points, want 3", s.Scenario, s.Metric.Key, len(s.Points))
		}
		if s.Points[0].HasBaseline || s.Points[1].HasBaseline {
			t.Errorf("%s %s: a baseline with fewer than 2 earlier runs", s.Scenario, s.Metric.Key)
		}
		for i, p := range s.Points[:2] {
			if p.Regression {
				t.Errorf("%s %s flagged in run %d without history", s.Scenario, s.Metric.Key, i)
			}
		}
		if s.Regressed() {
			flagged[s.Scenario+" "+string(s.Metric.Key)] = true
		}
	}
	want := []string{
		"wp-config-break downtime_ms", "wp-config-break longest_outage_ms", "wp-config-break recovery_ms", "wp-config-break healing_ms",
		"node-halt downtime_ms", "node-halt longest_outage_ms", "node-halt server_5xx", "node-halt recovery_ms", "node-halt healing_ms",
	}
	for _, w := range want {
		if !flagged[w] {
			t.Errorf("%s not flagged as a regression", w)
		}
		delete(flagged, w)
	}
	for f := range flagged {
		t.Errorf("%s flagged, but is within the margins", f)
	}
}

// A variant's results are a series of their own: a matrix run's
// pod-eviction@no-pdb is never a point of pod-eviction's trend.
func TestVariantsAreSeriesOfTheirOwn(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var rs []*result.Result
	for i, id := range []string{"r1", "r2", "r3"} {
		start := t0.Add(time.Duration(i) * time.Hour)
		base := res("pod-eviction", id, start, time.Minute)
		base.DowntimeMS = 1000
		other := res("pod-eviction", id, start.Add(2*time.Minute), time.Minute)
		other.Run.Variant, other.DowntimeMS = "no-pdb", 9000
		rs = append(rs, base, other)
	}
	series := map[string]Series{}
	for _, s := range Analyze(Group(rs), DefaultRule()) {
		if s.Metric.Key == result.KeyDowntime {
			series[s.Scenario] = s
		}
	}
	for name, want := range map[string]float64{"pod-eviction": 1000, "pod-eviction@no-pdb": 9000} {
		s, ok := series[name]
		if !ok || len(s.Points) != 3 {
			t.Fatalf("series %s: %+v", name, s)
		}
		for _, p := range s.Points {
			if p.Missing || p.V != want || p.Regression {
				t.Errorf("%s point %+v, want %v and no regression", name, p, want)
			}
		}
	}
}
