package trend

import (
	"context"
	"testing"

	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/chaos/stats"
)

// TestRepeatedRunPoint: a run whose scenario was repeated is one point at
// the median of its repetitions, not its last repetition. The repeated
// sample run (repetitions analysed by chaos/measure) has pod-eviction
// downtimes 1200, 1200 and 800 ms (the last is not the median), node-halt
// recoveries 45 s, not recovered and 52 s, and image-roll's second
// repetition could not run.
func TestRepeatedRunPoint(t *testing.T) {
	loaded, _, err := result.ReadPaths(context.Background(), "../testdata/repeated")
	if err != nil {
		t.Fatal(err)
	}
	rs := result.Results(loaded)
	runs := Group(rs)
	if len(runs) != 1 {
		t.Fatalf("%d runs, want 1", len(runs))
	}
	series := Analyze(runs, DefaultRule())
	check := func(scenario string, key result.MetricKey, v Value) {
		t.Helper()
		for _, sr := range series {
			if sr.Scenario == scenario && sr.Metric.Key == key {
				if got := sr.Latest().Value; got != v {
					t.Errorf("%s %s = %+v, want %+v", scenario, key, got, v)
				}
				return
			}
		}
		t.Errorf("no series %s %s", scenario, key)
	}
	// The repetitions' own figures, read from the files: their median.
	var downtimes, recoveries []float64
	var imageRoll []float64
	for _, r := range rs {
		switch {
		case r.Scenario == "pod-eviction":
			downtimes = append(downtimes, r.DowntimeMS)
		case r.Scenario == "node-halt" && r.Recovered:
			recoveries = append(recoveries, *r.RecoveryMS)
		case r.Scenario == "image-roll" && r.Outcome() != result.VerdictError:
			imageRoll = append(imageRoll, r.DowntimeMS)
		}
	}
	if len(downtimes) != 3 || len(recoveries) != 2 || len(imageRoll) != 1 {
		t.Fatalf("sample changed: %v %v %v", downtimes, recoveries, imageRoll)
	}
	check("pod-eviction", result.KeyDowntime, Value{V: stats.Median(downtimes)})
	// Two numbers and one never: the middle of three is the larger number.
	check("node-halt", result.KeyRecovery, Value{V: max(recoveries[0], recoveries[1])})
	// The errored repetition is left out.
	check("image-roll", result.KeyDowntime, Value{V: imageRoll[0]})
}
