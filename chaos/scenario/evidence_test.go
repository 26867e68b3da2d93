package scenario

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/selfheal/selfheal/chaos/result"
)

// A fault that cannot show it took effect never passes: the scenario ends
// as an error naming the missing evidence, even though every budget holds
// (nothing failed: a fault that did not bite looks like a perfect app).
func TestRunnerRefusesAPassWithoutEvidence(t *testing.T) {
	tests := []struct {
		name      string
		fault     *breakFor
		wantError string // "" for a verdict from the budgets
	}{
		{name: "proved", fault: &breakFor{heal: time.Nanosecond}},
		{name: "no evidence", fault: &breakFor{heal: time.Nanosecond, unproven: true}, wantError: "recorded no evidence"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := newApp(t)
			tc.fault.app = a
			s := Scenario{Name: "bite", Fault: tc.fault, Steady: a.steady, Timing: fastTiming(),
				Budgets: Budgets{MustRecover: true, Recovery: Dur(5 * time.Second)}}
			res, err := runner(a, &events{}).Run(context.Background(), s)
			if tc.wantError == "" {
				if err != nil || res.Verdict == result.VerdictError || len(res.Evidence) == 0 {
					t.Fatalf("err %v verdict %s evidence %v; want a verdict from the budgets, with the evidence in the result", err, res.Verdict, res.Evidence)
				}
				if e := res.Evidence[0]; e.Fault != "break" || e.At.IsZero() || !e.Held {
					t.Errorf("evidence %+v: want the fault's name and the instant filled in", e)
				}
				return
			}
			if err == nil || res.Verdict != result.VerdictError || !strings.Contains(res.Error, tc.wantError) || !strings.Contains(res.Error, "did not take effect") {
				t.Fatalf("err %v verdict %s error %q; want an error saying the fault did not take effect (%s)", err, res.Verdict, res.Error, tc.wantError)
			}
			if tc.fault.reverts != 1 {
				t.Errorf("reverted %d times, want 1", tc.fault.reverts)
			}
		})
	}
}
