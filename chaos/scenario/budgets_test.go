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
	r := &result.Result{DowntimeMS: 2500, LongestOutageMS: 2000, Server5xx: 4, Errors: map[string]int{"refused": 2, "timeout": 1}, RecoveryMS: &rec, Recovered: true}
	b := Budgets{Downtime: Dur(3 * time.Second), LongestOutage: Dur(time.Second), Server5xx: Requests(4), TransportErrors: Requests(2), Recovery: Dur(2 * time.Second), MustRecover: true}
	checks := b.Check(r)
	got := map[result.MetricKey]bool{}
	for _, c := range checks {
		got[c.Metric] = c.Pass
	}
	want := map[result.MetricKey]bool{result.KeyDowntime: true, result.KeyLongestOutage: false, result.Key5xx: true, result.KeyTransportErrors: false, result.KeyRecovery: false, result.KeyRecovered: true}
	for m, p := range want {
		if got[m] != p {
			t.Errorf("%s pass = %v, want %v (%+v)", m, got[m], p, checks)
		}
	}
	for _, c := range checks {
		if c.Metric == result.KeyLongestOutage && c.Message != "longest outage 2s exceeds budget 1s" {
			t.Errorf("message %q must name metric, value and limit", c.Message)
		}
		if c.Metric == result.KeyTransportErrors && c.Message != "transport errors 3 exceeds budget 2" {
			t.Errorf("message %q must count every transport error class", c.Message)
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
	base := Budgets{Downtime: Dur(time.Minute), Server5xx: Requests(10)}
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
		{"x.5xx=none,x.healing=none", "x", "downtime ≤ 1m0s", ""},
		{"*.recovered=true,x.recovered=any", "x", "downtime ≤ 1m0s, 5xx ≤ 10", ""},
		{"*.acked_missing=2", "x", "downtime ≤ 1m0s, 5xx ≤ 10, acknowledged writes missing ≤ 2", ""},
		{"*.acked_missing=0,x.acked_missing=none", "x", "downtime ≤ 1m0s, 5xx ≤ 10", ""},
		{"x.acked_missing=-1", "x", "", "want a count"},
		{"x.acked_missing=0.5", "x", "", "want a count"},
		{"x.errors=0", "x", "downtime ≤ 1m0s, 5xx ≤ 10, transport errors ≤ 0", ""},
		{"x.errors=0,x.errors=none", "x", "", "given twice"},
		{"x.errors=some", "x", "", "want a count"},
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

// Nothing observed neither recovered nor stayed down: both expectations
// miss, as a missing figure. Before, a must-not-recover budget passed on a
// run that sent no request after the injection.
func TestBudgetsOnNothingObserved(t *testing.T) {
	r := &result.Result{Requests: result.Requests{Total: 20, OK: 20}, Injections: []result.Injection{{}},
		RecoveryState: result.RecoveryNotObserved, RecoveryFrom: result.FromInjection}
	for _, b := range []Budgets{{MustRecover: true}, {MustNotRecover: true}, {Recovery: Dur(time.Minute)}} {
		for _, c := range b.Check(r) {
			if c.Pass || !c.Missing || !c.NotObserved || !strings.Contains(c.Message, "not observed: no request was sent after the injection") {
				t.Errorf("%s with %s: pass %v missing %v %q; want a miss saying it was not observed", c.Metric, b, c.Pass, c.Missing, c.Message)
			}
		}
	}
}

func TestBudgetRecoveryAfterRevert(t *testing.T) {
	back := func(state result.RecoveryState, ms *float64) *result.Result {
		return &result.Result{Requests: result.Requests{Total: 100}, Reverts: []result.Injection{{}},
			AfterRevert: &result.AfterRevert{State: state, RecoveryMS: ms}}
	}
	v := func(x float64) *float64 { return &x }
	tests := []struct {
		name    string
		r       *result.Result
		pass    bool
		missing bool
		say     string
	}{
		{"back in time", back(result.RecoveryRecovered, v(43000)), true, false, "recovery after the revert 43s within budget 2m0s"},
		{"back too late", back(result.RecoveryRecovered, v(150000)), false, false, "exceeds budget"},
		{"never back", back(result.RecoveryNotRecovered, nil), false, true, "not back after the revert"},
		{"not watched after the revert", back(result.RecoveryNotObserved, nil), false, true, "not observed"},
		{"not reverted", &result.Result{Requests: result.Requests{Total: 100}}, false, true, "not reverted"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checks := Budgets{RecoveryAfterRevert: Dur(2 * time.Minute)}.Check(tt.r)
			if len(checks) != 1 {
				t.Fatalf("checks %+v", checks)
			}
			c := checks[0]
			if c.Metric != result.KeyRecoveryAfterRevert || c.Pass != tt.pass || c.Missing != tt.missing || !strings.Contains(c.Message, tt.say) {
				t.Errorf("check %+v; want pass %v missing %v saying %q", c, tt.pass, tt.missing, tt.say)
			}
			if _, ok := result.MetricByKey(c.Metric); !ok {
				t.Errorf("metric %q is not in the metric table", c.Metric)
			}
		})
	}
	o, err := ParseOverrides("mysql-node-halt.recovery_after_revert=3m")
	if err != nil {
		t.Fatal(err)
	}
	b, err := o.Apply("mysql-node-halt", Budgets{RecoveryAfterRevert: Dur(2 * time.Minute)})
	if err != nil || b.RecoveryAfterRevert == nil || *b.RecoveryAfterRevert != 3*time.Minute {
		t.Errorf("override: %v %v", b, err)
	}
}

// The acknowledged-writes budget reads the database check: a loss fails
// it, an unread database fails it as unknown, and a scenario without a
// write stream is not held to it.
func TestBudgetAckedMissing(t *testing.T) {
	n := func(x int) *int { return &x }
	checked := func(missing int) *result.Result {
		return &result.Result{Writes: &result.Writes{Sent: 10, Acknowledged: 10, Checked: true, Stored: n(10 - missing), AckedMissing: n(missing), Duplicates: n(0), FailedStored: n(0)}}
	}
	tests := []struct {
		name    string
		r       *result.Result
		checks  int
		pass    bool
		missing bool
		say     string
	}{
		{"none missing", checked(0), 1, true, false, "acknowledged writes missing 0 within budget 0 (the verdict rests on 10 acknowledged writes of 10 sent)"},
		{"one missing", checked(1), 1, false, false, "acknowledged writes missing 1 exceeds budget 0"},
		{"not checked", &result.Result{Writes: &result.Writes{Sent: 10, CheckError: "exec: timeout"}}, 1, false, true, "no value (not checked: exec: timeout)"},
		// Nothing acknowledged, nothing could go missing: no figure, not 0.
		{"none acknowledged", &result.Result{Writes: &result.Writes{Sent: 15, Failed: 15, FailedBy: map[string]int{"404": 15}, Checked: true,
			Stored: n(0), AckedMissing: n(0), Duplicates: n(0), FailedStored: n(0)}}, 1, false, true, "no value (no write was acknowledged, of 15 sent (404 ×15))"},
		{"none sent", &result.Result{Writes: &result.Writes{Checked: true, Stored: n(0), AckedMissing: n(0), Duplicates: n(0), FailedStored: n(0)}},
			1, false, true, "no value (no write was acknowledged, of 0 sent)"},
		{"no write stream", &result.Result{}, 0, false, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checks := Budgets{AckedMissing: Count(0)}.Check(tt.r)
			if len(checks) != tt.checks {
				t.Fatalf("checks %+v, want %d", checks, tt.checks)
			}
			if tt.checks == 0 {
				return
			}
			c := checks[0]
			if c.Metric != result.KeyWritesAckedMissing || c.Pass != tt.pass || c.Missing != tt.missing || !strings.Contains(c.Message, tt.say) {
				t.Errorf("check %+v; want pass %v missing %v saying %q", c, tt.pass, tt.missing, tt.say)
			}
		})
	}
}

// Every value is checked when the overrides are read, not when the
// scenario they name runs (after the cluster was prepared, or never for a
// scenario not selected): the error names the item and the value.
func TestParseOverridesChecksValues(t *testing.T) {
	tests := []struct{ in, want string }{
		{"*.downtime=abc", `budget override "*.downtime=abc": downtime="abc": want a duration`},
		{"*.downtime=-5s", `downtime="-5s": want a duration >= 0`},
		{"*.5xx=-1", `budget override "*.5xx=-1": 5xx="-1": want a count >= 0`},
		{"*.5xx=1.5", `5xx="1.5"`},
		{"*.recovered=maybe", `budget override "*.recovered=maybe": recovered="maybe": want true, false or any`},
		{"node-halt.healing=2m,node-halt.recovery=1h3", `recovery="1h3"`},
		{"x.downtime=1s,x.downtime=2s", "x.downtime is given twice"},
		{"x.first_error=1s", `unknown metric "first_error"`}, // in the metric table, but not a budget
		{"x.downtime_ms=5s", `unknown metric "downtime_ms"`}, // the key, not the short name
		{"x.=5s", "want SCENARIO.METRIC=VALUE"},
		{"x.downtime=", "want SCENARIO.METRIC=VALUE"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			o, err := ParseOverrides(tt.in)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ParseOverrides(%q) = %v, %v; want an error containing %q", tt.in, o, err, tt.want)
			}
		})
	}
}

func TestOverrideMetricsAreTheTablesShortNames(t *testing.T) {
	want := []string{"downtime", "longest_outage", "5xx", "errors", "recovery", "healing", "recovered", "recovery_after_revert", "acked_missing"}
	if got := OverrideMetrics(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("OverrideMetrics() = %v, want %v", got, want)
	}
	for _, name := range want {
		if m, ok := result.MetricByKey(name); !ok || m.Short != name {
			t.Errorf("%s is not a Short name of result.Metrics()", name)
		}
	}
}

func TestOverridesCheckScenarios(t *testing.T) {
	known := []string{"node-halt", "image-roll"}
	o, err := ParseOverrides("*.5xx=0,node-halt.recovery=2m")
	if err != nil {
		t.Fatal(err)
	}
	if err := o.CheckScenarios(known); err != nil {
		t.Errorf("known scopes refused: %v", err)
	}
	o, err = ParseOverrides("nod-halt.downtime=30s,*.5xx=0")
	if err != nil {
		t.Fatal(err)
	}
	err = o.CheckScenarios(known)
	if err == nil || !strings.Contains(err.Error(), "nod-halt.downtime=30s") || !strings.Contains(err.Error(), "known: node-halt, image-roll") {
		t.Errorf("misspelt scope: %v; want an error naming nod-halt.downtime=30s and the known names", err)
	}
}

// A budget on requests written as seconds of load follows the rate the
// result was measured at; a plain number does not. Before, a count was a
// count whatever --rate was: wp-config-break allowed 1,000 5xx at 20/s as
// at 10/s.
func TestRequestBudgetFollowsTheRate(t *testing.T) {
	b := Budgets{Server5xx: SecondsOfLoad(100 * time.Second), TransportErrors: Requests(3)}
	for _, tt := range []struct {
		rate         float64
		n5xx, errs   int
		pass5xx      bool
		say5xx       string
		passE        bool
		limit5xx     float64
		limitErrorsN float64
	}{
		{10, 1500, 3, false, "5xx answers 1500 exceeds budget 1000 (100 s of load at 10/s)", true, 1000, 3},
		{20, 1500, 3, true, "5xx answers 1500 within budget 2000 (100 s of load at 20/s)", true, 2000, 3},
		{2.5, 250, 4, true, "5xx answers 250 within budget 250 (100 s of load at 2.5/s)", false, 250, 3},
	} {
		r := &result.Result{Load: result.Load{Rate: tt.rate}, Server5xx: tt.n5xx, Errors: map[string]int{"refused": tt.errs}}
		checks := b.Check(r)
		if len(checks) != 2 {
			t.Fatalf("checks %+v", checks)
		}
		if c := checks[0]; c.Pass != tt.pass5xx || c.Limit != tt.limit5xx || c.Message != tt.say5xx {
			t.Errorf("at %v/s: 5xx check %+v; want pass %v, limit %v, %q", tt.rate, c, tt.pass5xx, tt.limit5xx, tt.say5xx)
		}
		if c := checks[1]; c.Pass != tt.passE || c.Limit != tt.limitErrorsN {
			t.Errorf("at %v/s: errors check %+v; want pass %v, limit %v whatever the rate", tt.rate, c, tt.passE, tt.limitErrorsN)
		}
	}
	if got := b.String(); got != "5xx ≤ 100 s of load, transport errors ≤ 3" {
		t.Errorf("String() = %q", got)
	}
	// Overrides take either form.
	o, err := ParseOverrides("x.5xx=50s,x.errors=2")
	if err != nil {
		t.Fatal(err)
	}
	got, err := o.Apply("x", Budgets{})
	if err != nil || got.Server5xx.Limit(10) != 500 || got.Server5xx.Limit(20) != 1000 || got.TransportErrors.Limit(20) != 2 {
		t.Errorf("overrides gave %s (%v)", got, err)
	}
	if _, err := ParseOverrides("x.5xx=-5s"); err == nil || !strings.Contains(err.Error(), "seconds of the run's load") {
		t.Errorf("x.5xx=-5s: %v", err)
	}
}
