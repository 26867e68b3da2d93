package result

import "testing"

func TestOutcome(t *testing.T) {
	tests := []struct {
		name string
		r    Result
		want Verdict
	}{
		{"given", Result{Verdict: "fail"}, "fail"},
		{"error", Result{Error: "cluster gone"}, "error"},
		{"no budgets", Result{}, "none"},
		{"budget missed", Result{Budgets: []BudgetCheck{{Pass: true}, {Pass: false}}}, "fail"},
		{"budgets kept", Result{Budgets: []BudgetCheck{{Pass: true}}}, "pass"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.r.Outcome(); got != tt.want {
				t.Errorf("Outcome = %q, want %q", got, tt.want)
			}
		})
	}
}
