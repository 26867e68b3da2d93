package view

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/selfheal/selfheal/chaos/compare"
	"github.com/selfheal/selfheal/chaos/result"
)

func cmpResult(run string, i int, downtimeS float64, recovered bool) *result.Result {
	at := time.Date(2026, 11, 30, 2, i, 0, 0, time.UTC)
	r := &result.Result{
		Schema: result.Schema, Scenario: "node-halt", Started: at, Ended: at.Add(time.Minute),
		Run:  &result.RunInfo{ID: run, ImageMode: "offline"},
		Load: result.Load{Rate: 10, Timeout: "2s"}, Requests: result.Requests{Total: 600, OK: 590, Failed: 10},
		Injections: []result.Injection{{At: at, Fault: "node-halt"}},
		DowntimeMS: downtimeS * 1000, Verdict: result.VerdictPass,
	}
	if recovered {
		ms := 50000 + downtimeS*1000
		r.Recovered, r.RecoveryMS = true, &ms
	}
	return r
}

// Five runs a side: NEW's downtime is longer in every run and two of its
// runs did not recover. The rows say it in words and numbers.
func TestBuildComparison(t *testing.T) {
	var base, new compare.Side
	for i, d := range []float64{1, 1.2, 0.9, 1.1, 1.0} {
		base.Results = append(base.Results, cmpResult("base", i, d, true))
	}
	for i, d := range []float64{3, 3.2, 2.9, 3.1, 3.3} {
		new.Results = append(new.Results, cmpResult("new", 10+i, d, i >= 2))
	}
	base.Label, new.Label = "runs/base", "runs/new"
	rep, err := compare.Compare(base, new)
	if err != nil {
		t.Fatal(err)
	}
	c := BuildComparison(rep, CompareGenerated(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)))
	rows := map[string]CompareRow{}
	for _, r := range c.Scenarios[0].Rows {
		rows[r.Metric] = r
	}
	d := rows["downtime"]
	// Hodges-Lehmann at 5+5: C = 3 (P(U ≤ 2) = 4/252), so d(3) and d(23)
	// of the 25 differences: the smallest are 2.9−1.2 = 1.7, 2.9−1.1 = 1.8,
	// 3.0−1.2 = 1.8; the largest 3.3−0.9 = 2.4, then 2.3 (3.3−1.0 twice,
	// 3.2−0.9).
	want := CompareRow{Metric: "downtime", Gate: true, Base: "1.0 s (n=5)", New: "3.1 s (n=5)", BaseSpan: "900 ms … 1.2 s", NewSpan: "2.9 s … 3.3 s",
		Diff: "+2.1 s", CI: "+1.8 s … +2.3 s (96.8%)", Verdict: "worse", Words: "worse", Test: d.Test}
	if !reflect.DeepEqual(d, want) {
		t.Errorf("downtime row\n %+v\nwant\n %+v", d, want)
	}
	if !strings.HasPrefix(d.Test, "Mann-Whitney U, exact: p = 0.008, ") {
		t.Errorf("downtime test %q", d.Test)
	}
	rec := rows["recovered"]
	if rec.Base != "5 of 5" || rec.New != "3 of 5" || rec.Diff != "−40 pp" || rec.CI != "" {
		t.Errorf("recovered row %+v", rec)
	}
	if r := rows["recovery"]; len(r.Notes) != 1 || r.Notes[0] != "not recovered: BASE 0, NEW 2 (left out of this row)" || r.New != "53.1 s (n=3)" {
		t.Errorf("recovery row %+v", r)
	}
	if c.Verdict != result.VerdictFail || !strings.HasPrefix(c.Headline, "NEW is clearly worse than BASE on ") {
		t.Errorf("verdict %q, headline %q", c.Verdict, c.Headline)
	}
	if c.Base.Text != "5 results from 1 run (base)" || c.New.Label != "runs/new" {
		t.Errorf("sides %+v / %+v", c.Base, c.New)
	}
}
