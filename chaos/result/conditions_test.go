package result

import "testing"

// TestExcused: the one pass/fail rule for a starved machine. A budget
// missed there does not fail the run when the run was told so; anything
// else that did not pass does. A miss the history budgets add after the
// engine's verdict is excused the same way.
func TestExcused(t *testing.T) {
	starved := func(excuse bool) *Conditions { return &Conditions{Verdict: HostStarved, Excused: excuse} }
	missed := []BudgetCheck{{Metric: KeyDowntime, Pass: false}}
	history := []BudgetCheck{{Metric: KeyDowntime, Pass: true}, {Metric: KeyDowntime, Pass: false, History: &HistoryBasis{Runs: 20}}}
	tests := []struct {
		name          string
		r             Result
		excused, fail bool
	}{
		{"a pass on a starved machine", Result{Verdict: VerdictPass, Conditions: starved(true)}, false, false},
		{"a miss on a starved machine, excused", Result{Verdict: VerdictFail, Budgets: missed, Conditions: starved(true)}, true, false},
		{"a miss on a starved machine, not excused", Result{Verdict: VerdictFail, Budgets: missed, Conditions: starved(false)}, false, true},
		{"a miss with no conditions", Result{Verdict: VerdictFail, Budgets: missed}, false, true},
		{"could not run, on a starved machine", Result{Verdict: VerdictError, Conditions: starved(true)}, false, true},
		{"a history miss on a starved machine, excused", Result{Verdict: VerdictFail, Budgets: history, Conditions: starved(true)}, true, false},
		{"no verdict written, budgets missed, excused", Result{Budgets: missed, Conditions: starved(true)}, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.r.Excused(); got != tt.excused {
				t.Errorf("Excused() = %v, want %v", got, tt.excused)
			}
			if got := tt.r.FailsRun(); got != tt.fail {
				t.Errorf("FailsRun() = %v, want %v", got, tt.fail)
			}
		})
	}
}
