package html

import (
	"html"
	"strings"
	"testing"

	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/chaos/stats"
)

// A repeated scenario whose repetitions --repeat auto decided says, in
// its section, how many it took and why it stopped.
func TestRepeatsSectionSaysTheDecision(t *testing.T) {
	rs := loadSamples(t, "../testdata/repeated")
	var last *result.Result
	for _, r := range rs {
		if r.Scenario == "node-halt" && (last == nil || r.Repetition > last.Repetition) {
			last = r
		}
	}
	if last == nil {
		t.Fatal("no node-halt repetitions in the sample")
	}
	d := stats.Sequential{Alpha: 0.05, Max: 3, Family: 1, Start: 3, Reference: 20}
	l, _ := d.Look(3)
	last.Sequential = &result.Sequential{Against: result.AgainstHistory, Reference: "20 earlier results of this kind", Design: d,
		Metrics: []result.MetricKey{result.KeyRecovery}, Stop: result.StopMax,
		Looks: []result.Look{{SequentialLook: l, Calls: []result.Call{{Metric: result.KeyRecovery, BaseN: 20, NewN: 3, Tested: true, P: 0.4, PAdjusted: 0.4, Verdict: stats.NoClearDifference, Above: 0.6}}}}}
	page := html.UnescapeString(render(t, rs))
	want := "--repeat auto, against 20 earlier results of this kind: the maximum, 3 repetitions against 20 earlier, reached with nothing clear: recovery p = 0.4; a difference of the size seen would need more than 50 repetitions against 20 earlier."
	if !strings.Contains(page, want) {
		t.Errorf("the report does not say %q", want)
	}
}
