package view

import (
	"strings"
	"testing"
	"time"

	"github.com/selfheal/selfheal/chaos/compare"
	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/chaos/stats"
)

// autoResults are 5 repetitions a side of image-roll, baseline (no
// failure) and statefulset-1 (57 to 61 transport errors, about 6 s of
// downtime), the last statefulset-1 one carrying the decision the
// session's look wrote: clear at the first look.
func autoResults(t *testing.T) []*result.Result {
	t.Helper()
	at := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	var base, sts []*result.Result
	for i := range 5 {
		for _, v := range []string{"baseline", "statefulset-1"} {
			at = at.Add(time.Minute)
			r := &result.Result{Schema: result.Schema, Scenario: "image-roll", Started: at, Ended: at.Add(50 * time.Second),
				Run: &result.RunInfo{ID: "auto", Variant: v, Fixture: "fixture " + v}, Repetition: i + 1, Repetitions: 5,
				Requests: result.Requests{Total: 500}, StatusCodes: map[string]int{"200": 500}, Errors: map[string]int{}, Verdict: result.VerdictPass}
			if v == "statefulset-1" {
				r.DowntimeMS, r.LongestOutageMS, r.Errors["eof"] = 5600+float64(100*i), 3100, 57+i
				sts = append(sts, r)
			} else {
				base = append(base, r)
			}
		}
	}
	d := stats.Sequential{Alpha: 0.05, Max: 10, Family: 3, Start: 5}
	family := []result.MetricKey{result.KeyDowntime, result.Key5xx, result.KeyTransportErrors}
	look, clear, err := compare.Look(d, family, base, sts, 5)
	if err != nil || !clear {
		t.Fatalf("look: clear %v, %v", clear, err)
	}
	sts[4].Sequential = &result.Sequential{Against: result.AgainstBaseline, Reference: "baseline", Design: d, Metrics: family,
		Looks: []result.Look{look}, Stop: result.StopClear}
	return append(base, sts...)
}

// The repetitions taken together say how many --repeat auto took and why
// it stopped, and the rule; the variants page says it under Why, and its
// method says how that rule and the table's verdicts differ.
func TestRepeatsSayTheDecision(t *testing.T) {
	rs := autoResults(t)
	var found bool
	for _, rp := range RepeatsOf(rs) {
		if rp.Variant != "statefulset-1" {
			if len(rp.Decision) != 0 {
				t.Errorf("%s: a decision on the baseline it was compared with: %v", rp.Label, rp.Decision)
			}
			continue
		}
		found = true
		if len(rp.Decision) != 2 ||
			rp.Decision[0] != "--repeat auto, against baseline: clear at look 1 of up to 5, 5 repetitions a side: downtime worse (p = 0.0079, Holm 0.024 ≤ 0.031); transport errors worse (p = 0.0079, Holm 0.024 ≤ 0.031)." ||
			!strings.Contains(rp.Decision[1], "Rule: looks at 5 to 10 repetitions a side; Pocock-type α spending across looks, Holm across 3 figure(s) within a look; α = 0.05; figures downtime, 5xx answers, transport errors.") {
			t.Errorf("decision %q", rp.Decision)
		}
	}
	if !found {
		t.Fatal("no repetitions of statefulset-1")
	}
	page, err := BuildVariants(rs)
	if err != nil {
		t.Fatal(err)
	}
	var why []string
	for _, w := range page.Scenarios[0].Why {
		if w.Variant == "statefulset-1" {
			why = w.Lines
		}
	}
	if len(why) == 0 || !strings.HasPrefix(why[0], "Repetitions (--repeat auto, against baseline): clear at look 1 of up to 5") {
		t.Errorf("why: %q", why)
	}
	if m := page.Method[len(page.Method)-1]; !strings.Contains(m, "decided as they ran (--repeat auto)") {
		t.Errorf("method: %q", m)
	}
}
