package result

import "testing"

func TestOutcome(t *testing.T) {
	tests := []struct {
		name string
		r    Result
		want Verdict
	}{
		{"given", Result{Verdict: VerdictFail}, VerdictFail},
		{"error", Result{Error: "cluster gone"}, VerdictError},
		{"no budgets", Result{}, VerdictNone},
		{"budget missed", Result{Budgets: []BudgetCheck{{Pass: true}, {Pass: false}}}, VerdictFail},
		{"budgets kept", Result{Budgets: []BudgetCheck{{Pass: true}}}, VerdictPass},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.r.Outcome(); got != tt.want {
				t.Errorf("Outcome = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestMetricTable checks the table every renderer reads: each metric is
// found by its key and its short name, and no two share either.
func TestMetricTable(t *testing.T) {
	keys, shorts := map[MetricKey]bool{}, map[string]bool{}
	for _, m := range Metrics() {
		if m.Key == "" || m.Short == "" || m.Name == "" || m.Unit == "" || m.Value == nil {
			t.Errorf("metric %+v: key, short name, name, unit and accessor are all needed", m)
		}
		if keys[m.Key] || shorts[m.Short] {
			t.Errorf("metric %s/%s named twice", m.Key, m.Short)
		}
		keys[m.Key], shorts[m.Short] = true, true
		for _, k := range []string{string(m.Key), m.Short} {
			if got, ok := MetricByKey(k); !ok || got.Key != m.Key {
				t.Errorf("MetricByKey(%q) = %s, %v", k, got.Key, ok)
			}
		}
		if m.Unit == UnitBool && m.Verb == "" {
			t.Errorf("yes/no metric %s has no verb for its budget", m.Key)
		}
		if m.Never != nil && m.Missed == "" {
			t.Errorf("metric %s can be never but has no words for it", m.Key)
		}
	}
}

// TestDefinitions finds the metric of a budget check and of a bound, also
// in results written before bounds named their metric.
func TestDefinitions(t *testing.T) {
	if m := (BudgetCheck{Metric: KeyRecovered}).Definition(); m.Requirement(1) != "must recover" || m.Requirement(0) != "must not recover" {
		t.Errorf("recovered budget reads %q / %q", m.Requirement(1), m.Requirement(0))
	}
	if m := (BudgetCheck{Metric: "queue_ms"}).Definition(); m.Unit != UnitMS || m.Name != "queue_ms" {
		t.Errorf("unknown check metric: %+v", m)
	}
	r := &Result{LowerBounds: []Bound{
		{Name: "recovery", MS: 1},                             // written before Bound.Metric
		{Metric: KeyHealing, Name: "liveness restart", MS: 2}, // a name beyond the metric
		{Name: "node NotReady", MS: 3},                        // free words: no metric
	}}
	if got := r.BoundsOf(KeyRecovery); len(got) != 1 || got[0].MS != 1 || got[0].Label() != "recovery" {
		t.Errorf("recovery bounds %+v", got)
	}
	if got := r.BoundsOf(KeyHealing); len(got) != 1 || got[0].Label() != "liveness restart" {
		t.Errorf("healing bounds %+v", got)
	}
	if got := (Bound{Metric: KeyRecovery}).Label(); got != "Recovery" {
		t.Errorf("label %q, want the metric's title", got)
	}
}

func TestTally(t *testing.T) {
	pass := &Result{Verdict: VerdictPass}
	fail := &Result{Verdict: VerdictFail}
	broke := &Result{Error: "the fault did not take effect"}
	unproven := &Result{Injections: []Injection{{Fault: "packet-loss"}}, Verdict: VerdictError,
		Error: "scenario packet-loss: the fault did not take effect: it recorded no evidence, read from the system, that it bit"}
	tests := []struct {
		results []*Result
		want    string
	}{
		{nil, "no results"},
		{[]*Result{pass}, "1 result: 1 passed"},
		{[]*Result{broke, pass, fail, pass}, "4 results: 2 passed, 1 failed, 1 could not run"},
		{[]*Result{unproven, broke, pass}, "3 results: 1 passed, 1 could not run, 1 whose fault did not take effect"},
	}
	for _, tc := range tests {
		if got := Tally(tc.results); got != tc.want {
			t.Errorf("Tally = %q, want %q", got, tc.want)
		}
	}
}
