package view

import (
	"strings"
	"testing"

	"github.com/selfheal/selfheal/chaos/result"
)

// TestBudgetRows reads each budget check in the shape chaos/scenario
// writes it (the recovered budget is metric "recovered", limit 1 for must
// recover and 0 for must not, value 1 or 0) and checks the row, the words
// and the state of the Recovery figure. A yes/no budget reads as a
// requirement and an answer, never as a number over a limit.
func TestBudgetRows(t *testing.T) {
	tests := []struct {
		name      string
		check     result.BudgetCheck
		recovered bool
		wantRow   BudgetRow
		wantText  string
		wantState State // of the Recovery figure
	}{
		{
			name:      "must recover, kept",
			check:     result.BudgetCheck{Metric: result.KeyRecovered, Limit: 1, Value: 1, Pass: true},
			recovered: true,
			wantRow:   BudgetRow{Metric: "Recovered", Value: "yes", Limit: "must recover", Pass: true},
			wantText:  "must recover: yes",
			wantState: StateGood,
		},
		{
			name:      "must recover, missed",
			check:     result.BudgetCheck{Metric: result.KeyRecovered, Limit: 1, Value: 0, Pass: false},
			wantRow:   BudgetRow{Metric: "Recovered", Value: "NO", Limit: "must recover"},
			wantText:  "must recover: NO",
			wantState: StateBad,
		},
		{
			name:      "must not recover, kept",
			check:     result.BudgetCheck{Metric: result.KeyRecovered, Limit: 0, Value: 0, Pass: true},
			wantRow:   BudgetRow{Metric: "Recovered", Value: "no", Limit: "must not recover", Pass: true},
			wantText:  "must not recover: no",
			wantState: StateGood,
		},
		{
			name:      "must not recover, missed",
			check:     result.BudgetCheck{Metric: result.KeyRecovered, Limit: 0, Value: 1, Pass: false},
			recovered: true,
			wantRow:   BudgetRow{Metric: "Recovered", Value: "YES", Limit: "must not recover"},
			wantText:  "must not recover: YES",
			wantState: StateBad,
		},
		{
			name:      "recovery over its limit",
			check:     result.BudgetCheck{Metric: result.KeyRecovery, Limit: 30000, Value: 42300, Pass: false},
			recovered: true,
			wantRow:   BudgetRow{Metric: "Recovery", Value: "42.3 s", Limit: "≤ 30.0 s"},
			wantText:  "recovery 42.3 s is over its budget of 30.0 s",
			wantState: StateBad,
		},
		{
			name:      "recovery missing",
			check:     result.BudgetCheck{Metric: result.KeyRecovery, Limit: 30000, Missing: true},
			wantRow:   BudgetRow{Metric: "Recovery", Value: "not recovered", Limit: "≤ 30.0 s"},
			wantText:  "recovery: not recovered, its budget is 30.0 s",
			wantState: StateBad,
		},
		{
			name:     "5xx within",
			check:    result.BudgetCheck{Metric: result.Key5xx, Limit: 1000, Value: 29, Pass: true},
			wantRow:  BudgetRow{Metric: "5xx answers", Value: "29", Limit: "≤ 1,000", Pass: true},
			wantText: "5xx answers 29 is within its budget of 1,000",
		},
		{
			name:     "a metric this version does not know",
			check:    result.BudgetCheck{Metric: "queue_ms", Limit: 1000, Value: 1500},
			wantRow:  BudgetRow{Metric: "queue_ms", Value: "1.5 s", Limit: "≤ 1.0 s"},
			wantText: "queue_ms 1.5 s is over its budget of 1.0 s",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &result.Result{Recovered: tt.recovered, Injections: []result.Injection{{Fault: "f"}}, Budgets: []result.BudgetCheck{tt.check}}
			rows := budgetRows(r)
			if len(rows) != 1 || rows[0] != tt.wantRow {
				t.Errorf("row %+v, want %+v", rows, tt.wantRow)
			}
			if got := BudgetText(tt.check); got != tt.wantText {
				t.Errorf("text %q, want %q", got, tt.wantText)
			}
			if got := recoveryFigure(r).State; got != tt.wantState {
				t.Errorf("Recovery figure state %q, want %q", got, tt.wantState)
			}
			for _, s := range []string{tt.wantRow.Value, tt.wantRow.Limit, BudgetText(tt.check)} {
				if tt.check.Metric == result.KeyRecovered && strings.ContainsAny(s, "0123456789") {
					t.Errorf("%q: a yes/no budget reads as a number", s)
				}
			}
		})
	}
}

// TestBoundsByMetric reads the real wp-config-break result, whose fixture
// bounds recovery (readiness, 5 s) and healing (liveness, 20 s): each
// figure shows its own bound only.
func TestBoundsByMetric(t *testing.T) {
	r := load(t, "../../docs/runs/20261123-132901/wp-config-break.json")[0]
	rec, heal := recoveryFigure(r), healingFigure(r)
	if !strings.Contains(rec.Detail, "at best 5.0 s") || strings.Contains(rec.Detail, "20.0 s") {
		t.Errorf("Recovery detail %q: want the recovery bound (5.0 s) alone", rec.Detail)
	}
	if !strings.Contains(heal.Detail, "at best 20.0 s") || strings.Contains(heal.Detail, "5.0 s") {
		t.Errorf("Healing detail %q: want the healing bound (20.0 s) alone", heal.Detail)
	}
}
