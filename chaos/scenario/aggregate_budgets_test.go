package scenario

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/selfheal/selfheal/chaos/result"
)

func TestParseBudgetsAggregate(t *testing.T) {
	tests := []struct {
		in, scen string
		want     string // the aggregate budgets of scen
		perRep   string // the scenario's own budgets after the overrides
		wantErr  string
	}{
		{"node-halt.recovery.p50=60s", "node-halt", "recovery_ms p50 60000", "no budgets", ""},
		{"node-halt.recovery.p50=60s", "image-roll", "", "no budgets", ""},
		{"*.pass_rate=1,node-halt.downtime=5s", "node-halt", "pass_rate 1", "downtime ≤ 5s", ""},
		{"*.pass_rate=67%", "x", "pass_rate 0.67", "no budgets", ""},
		{"*.pass_rate=1,x.pass_rate=0.5", "x", "pass_rate 0.5", "no budgets", ""},
		{"*.pass_rate=1,x.pass_rate=none", "x", "", "no budgets", ""},
		{"*.pass_rate=1,x.pass_rate=none", "y", "pass_rate 1", "no budgets", ""},
		{"x.5xx.p50=2.5,x.errors.median=0,x.healing_ms.p50=2m", "x", "server_5xx p50 2.5; transport_errors p50 0; healing_ms p50 120000", "no budgets", ""},
		{"*.pass_rate=1,x.recovery.median=1m,x.recovery.p50=2m,*.downtime.p50=3s", "x", "downtime_ms p50 3000; recovery_ms p50 120000; pass_rate 1", "no budgets", ""},
		{" x.longest_outage.p50=1s , x.5xx=0", "x", "longest_outage_ms p50 1000", "5xx ≤ 0", ""},
		{"x.recovery.p95=60s", "", "", "", `unknown statistic "p95" after recovery; use p50`},
		{"x.uptime.p50=60s", "", "", "", `unknown metric "uptime"; use one of downtime, longest_outage, 5xx, errors, recovery, healing`},
		{"x.first_error.p50=1s", "", "", "", "first_error: a longer time to first error is better, so it takes no limit"},
		{"x.recovered.p50=1", "", "", "", `unknown metric "recovered"`},
		{"x.recovery.p50=soon", "", "", "", "soon: want a duration such as 30s"},
		{"x.recovery.p50=-1s", "", "", "", "want a duration"},
		{"x.5xx.p50=-1", "", "", "", "-1: want a count >= 0"},
		{"x.5xx.p50=NaN", "", "", "", "want a count >= 0"},
		{"x.pass_rate=1.5", "", "", "", "1.5: want the least share of repetitions that must pass, from 0 to 1"},
		{"x.pass_rate=120%", "", "", "", "want the least share"},
		{"x.pass_rate=all", "", "", "", "want the least share"},
		{".pass_rate=1", "", "", "", "want SCENARIO.METRIC.p50=VALUE or SCENARIO.pass_rate=SHARE"},
		{"x.pass_rate=", "", "", "", "want SCENARIO.METRIC.p50=VALUE"},
		{"x.pass_rate=1,x.uptime=5s", "", "", "", `unknown metric "uptime"`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			o, agg, err := ParseBudgets(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, b := range agg.For(tt.scen) {
				got = append(got, strings.TrimSpace(fmt.Sprintf("%s %s %v", b.Metric, b.Stat, b.Limit)))
			}
			if g := strings.Join(got, "; "); g != tt.want {
				t.Errorf("aggregate budgets %q, want %q", g, tt.want)
			}
			b, err := o.Apply(tt.scen, Budgets{})
			if err != nil {
				t.Fatal(err)
			}
			if b.String() != tt.perRep {
				t.Errorf("per-repetition budgets %q, want %q", b.String(), tt.perRep)
			}
		})
	}
}

func TestAggregateBudgetsScenarios(t *testing.T) {
	_, agg, err := ParseBudgets("*.pass_rate=1,node-halt.recovery.p50=1m,image-roll.pass_rate=none")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(agg.Scenarios(), ","); got != "image-roll,node-halt" {
		t.Errorf("scenarios %q", got)
	}
	if got := agg.For("node-halt"); len(got) != 2 || got[0].Limit != float64(time.Minute/time.Millisecond) || got[0].Stat != result.StatMedian || got[1].Stat != result.StatPassRate {
		t.Errorf("node-halt budgets %+v", got)
	}
}
