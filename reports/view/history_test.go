package view

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/selfheal/selfheal/chaos/history"
	"github.com/selfheal/selfheal/chaos/result"
)

func nightly(day int, recoveryS float64) *result.Result {
	at := time.Date(2026, 11, day, 2, 0, 0, 0, time.UTC)
	ms := recoveryS * 1000
	return &result.Result{
		Schema: result.Schema, Scenario: "node-halt", Started: at, Ended: at.Add(3 * time.Minute),
		Run:  &result.RunInfo{ID: fmt.Sprintf("night-%02d", day), ImageMode: "offline"},
		Load: result.Load{Rate: 10, Timeout: "2s"}, Requests: result.Requests{Total: 600, OK: 600},
		Injections: []result.Injection{{At: at.Add(15 * time.Second), Fault: "node-halt"}},
		Recovered:  true, RecoveryMS: &ms, Verdict: result.VerdictPass,
	}
}

// Six nightlies judged against their history the way the session does: the
// last one is slow. P80 from 5 earlier runs (its prediction bound needs
// only 4), so only the last one is judged: against the 5th of 5
// (⌈0.8·6⌉ = 5). Its trend cell is marked, its budget row names the
// history, and the scenario says which runs were used and left out.
func TestHistoryInTheReport(t *testing.T) {
	var all []*result.Result
	settings, _ := history.Parse("p=0.8,min=5,metrics=recovery")
	for d := 1; d <= 7; d++ {
		r := nightly(d, 50+float64(d))
		if d == 3 {
			r.Load.Rate = 20
		}
		if d == 7 {
			r = nightly(d, 90)
		}
		history.Apply(r, history.Judge(r, all, settings))
		all = append(all, r)
	}
	rep, err := Build(all)
	if err != nil {
		t.Fatal(err)
	}
	var rec *TrendRow
	for i, row := range rep.Trends.Scenarios[0].Rows {
		if row.Key == result.KeyRecovery {
			rec = &rep.Trends.Scenarios[0].Rows[i]
		}
	}
	if rec == nil {
		t.Fatal("no recovery trend row")
	}
	for i, c := range rec.Cells {
		if want := i == len(rec.Cells)-1; c.History != want {
			t.Errorf("cell %d (%s): history mark %v, want %v", i, c.Value, c.History, want)
		}
	}
	if title := rec.Cells[len(rec.Cells)-1].Title; !strings.Contains(title, "missed its history budget: recovery 1m30s > P80 56s (the 5th of the last 5 runs of the same kind)") {
		t.Errorf("title %q", title)
	}
	sc := rep.Runs[0].Scenarios[0]
	var basis []string
	for _, b := range sc.Budgets {
		basis = append(basis, b.Basis)
	}
	if len(basis) != 1 || basis[0] != "P80 of the last 5 runs" || sc.Budgets[0].Limit != "≤ 56.0 s" || sc.Budgets[0].Pass {
		t.Errorf("budget rows %+v", sc.Budgets)
	}
	lines := strings.Join(sc.History, "\n")
	for _, want := range []string{
		"from 5 earlier runs of the same kind: night-06, night-05, night-04, night-02, night-01.",
		"Left out, rate 20/s, not 10/s: night-03.",
	} {
		if !strings.Contains(lines, want) {
			t.Errorf("history lines lack %q:\n%s", want, lines)
		}
	}
}
