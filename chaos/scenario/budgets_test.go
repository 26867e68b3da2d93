package scenario

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/selfheal/selfheal/chaos/result"
)

func TestBudgetsCheck(t *testing.T) {
	rec := 3000.0
	r := &result.Result{DowntimeMS: 2500, LongestOutageMS: 2000, Server5xx: 4, RecoveryMS: &rec, Recovered: true}
	b := Budgets{Downtime: Dur(3 * time.Second), LongestOutage: Dur(time.Second), Server5xx: Count(4), Recovery: Dur(2 * time.Second), MustRecover: true}
	checks := b.Check(r)
	got := map[result.MetricKey]bool{}
	for _, c := range checks {
		got[c.Metric] = c.Pass
	}
	want := map[result.MetricKey]bool{result.KeyDowntime: true, result.KeyLongestOutage: false, result.Key5xx: true, result.KeyRecovery: false, result.KeyRecovered: true}
	for m, p := range want {
		if got[m] != p {
			t.Errorf("%s pass = %v, want %v (%+v)", m, got[m], p, checks)
		}
	}
	for _, c := range checks {
		if c.Metric == result.KeyLongestOutage && c.Message != "longest outage 2s exceeds budget 1s" {
			t.Errorf("message %q must name metric, value and limit", c.Message)
		}
	}
	if result.Judge(checks) != result.VerdictFail {
		t.Error("verdict should be fail")
	}
}

func TestBudgetsMissingFigureFailsAndEncodes(t *testing.T) {
	r := &result.Result{Recovered: false}
	checks := Budgets{Recovery: Dur(time.Minute), Healing: Dur(time.Minute)}.Check(r)
	for _, c := range checks {
		if c.Pass || !c.Missing {
			t.Errorf("%s: pass %v missing %v; an absent figure must fail its budget", c.Metric, c.Pass, c.Missing)
		}
	}
	if _, err := json.Marshal(checks); err != nil {
		t.Fatalf("checks must encode as JSON: %v", err)
	}
}

func TestOverrides(t *testing.T) {
	base := Budgets{Downtime: Dur(time.Minute), Server5xx: Count(10)}
	tests := []struct {
		in      string
		scen    string
		want    string
		wantErr string
	}{
		{"node-halt.downtime=90s", "node-halt", "downtime ≤ 1m30s, 5xx ≤ 10", ""},
		{"node-halt.downtime=90s", "image-roll", "downtime ≤ 1m0s, 5xx ≤ 10", ""},
		{"*.5xx=0,image-roll.5xx=3", "image-roll", "downtime ≤ 1m0s, 5xx ≤ 3", ""},
		{"*.downtime=none,*.recovered=true", "x", "5xx ≤ 10, must recover", ""},
		{"x.recovered=false", "x", "downtime ≤ 1m0s, 5xx ≤ 10, must not recover before the revert", ""},
		{" x.healing=2m , ", "x", "downtime ≤ 1m0s, 5xx ≤ 10, healing ≤ 2m0s", ""},
		{"downtime=5s", "", "", "want SCENARIO.METRIC=VALUE"},
		{"x.uptime=5s", "", "", `unknown metric "uptime"`},
		{"x.downtime=soon", "x", "", "want a duration"},
		{"x.5xx=-1", "x", "", "want a count"},
		{"x.recovered=maybe", "x", "", "want true, false or any"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			o, err := ParseOverrides(tt.in)
			var b Budgets
			if err == nil {
				b, err = o.Apply(tt.scen, base)
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if b.String() != tt.want {
				t.Errorf("budgets %q, want %q", b.String(), tt.want)
			}
		})
	}
}
