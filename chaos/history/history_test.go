package history

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/selfheal/selfheal/chaos/result"
)

var t0 = time.Date(2026, 11, 1, 2, 0, 0, 0, time.UTC)

// res is a pod-eviction result of run day (one a day), at 10/s, with the
// given recovery and downtime in seconds.
func res(day int, recoveryS, downtimeS float64) *result.Result {
	rec := recoveryS * 1000
	return &result.Result{
		Schema: result.Schema, Scenario: "pod-eviction",
		Started: t0.AddDate(0, 0, day), Ended: t0.AddDate(0, 0, day).Add(time.Minute),
		Run:  &result.RunInfo{ID: fmt.Sprintf("night-%02d", day), ImageMode: "offline", Fixture: "WordPress x2"},
		Load: result.Load{Rate: 10, Timeout: "2s"}, Requests: result.Requests{Total: 600, OK: 600},
		Injections: []result.Injection{{At: t0.AddDate(0, 0, day).Add(20 * time.Second), Fault: "evict"}},
		Recovered:  true, RecoveryMS: &rec, DowntimeMS: downtimeS * 1000,
		Verdict: result.VerdictPass,
	}
}

func only(keys ...result.MetricKey) Settings {
	s := Defaults()
	s.Metrics = keys
	return s
}

func find(cs []result.BudgetCheck, k result.MetricKey) *result.BudgetCheck {
	for i := range cs {
		if cs[i].Metric == k {
			return &cs[i]
		}
	}
	return nil
}

// Fourteen nightly recoveries of 1..14 s. P95 by Hyndman & Fan 8:
// h = (14 + 1/3)·0.95 + 1/3 = 13.95, so 13 + 0.95·(14 − 13) = 13.95 s.
func TestJudgeP95OfLastK(t *testing.T) {
	var hist []*result.Result
	for d := 1; d <= 14; d++ {
		hist = append(hist, res(d, float64(d), 0))
	}
	for _, tt := range []struct {
		recovery float64
		pass     bool
		message  string
	}{
		{13.9, true, "recovery 13.9s ≤ P95 13.95s of the last 14 runs of the same kind"},
		{14.2, false, "recovery 14.2s > P95 13.95s of the last 14 runs of the same kind"},
	} {
		r := res(15, tt.recovery, 0)
		o := Judge(r, hist, only(result.KeyRecovery))
		c := find(o.Checks, result.KeyRecovery)
		if c == nil {
			t.Fatalf("no recovery check: %+v", o)
		}
		if c.Pass != tt.pass || c.Message != tt.message || !near(c.Limit, 13950) {
			t.Errorf("recovery %v s: pass %v limit %v %q; want pass %v %q", tt.recovery, c.Pass, c.Limit, c.Message, tt.pass, tt.message)
		}
		if b := c.History; b == nil || b.Runs != 14 || b.Samples != 14 || !near(b.Value, 13950) || !near(b.P50, 7500) || b.Quantile != 0.95 {
			t.Errorf("basis %+v, want 14 runs, P95 13950, P50 7500", c.History)
		}
		if len(o.Note.Runs) != 14 || o.Note.Runs[0] != "night-14" || o.Note.Fallback != "" {
			t.Errorf("note %+v: want 14 runs, newest first, no fallback", o.Note)
		}
	}
}

// A history of zero downtime must not fail a 100 ms blip; the floor (1 s)
// is the limit. Counts get the requests of a second at the run's rate.
func TestJudgeFloor(t *testing.T) {
	var hist []*result.Result
	for d := 1; d <= 6; d++ {
		hist = append(hist, res(d, 1, 0))
	}
	s := only(result.KeyDowntime, result.Key5xx)
	blip := res(7, 1, 0.1)
	blip.Server5xx = 9
	o := Judge(blip, hist, s)
	if c := find(o.Checks, result.KeyDowntime); c == nil || !c.Pass || c.Limit != 1000 {
		t.Errorf("downtime blip: %+v, want a pass against the 1 s floor", c)
	}
	if c := find(o.Checks, result.Key5xx); c == nil || !c.Pass || c.Limit != 10 {
		t.Errorf("9 5xx at 10/s: %+v, want a pass against a floor of 10", c)
	}
	big := res(7, 1, 1.2)
	o = Judge(big, hist, s)
	c := find(o.Checks, result.KeyDowntime)
	want := "downtime 1.2s > 1s (the floor; P95 of the last 6 runs of the same kind is 0s)"
	if c == nil || c.Pass || c.Message != want {
		t.Errorf("downtime 1.2 s: %+v, want a failure %q", c, want)
	}
}

func TestJudgeFallsBackWithFewRuns(t *testing.T) {
	hist := []*result.Result{res(1, 1, 0), res(2, 1, 0), res(3, 1, 0), res(4, 1, 0)}
	o := Judge(res(5, 100, 100), hist, Defaults())
	if len(o.Checks) != 0 {
		t.Errorf("4 runs (min 5) gave checks: %+v", o.Checks)
	}
	if want := "4 results of this kind before this one, fewer than 5: the static budgets judge alone"; o.Note.Fallback != want {
		t.Errorf("fallback %q, want %q", o.Note.Fallback, want)
	}
}

// Only runs of the same kind count; the others are listed with why.
func TestJudgeLeavesOutOtherKinds(t *testing.T) {
	var hist []*result.Result
	for d := 1; d <= 5; d++ {
		hist = append(hist, res(d, 10, 0))
	}
	fast := res(6, 1, 0)
	fast.Load.Rate = 20
	kept := res(7, 1, 0)
	kept.Load.KeepAlive = true
	online := res(8, 1, 0)
	online.Run.ImageMode = "online"
	broken := res(9, 1, 0)
	broken.Verdict, broken.Error = result.VerdictError, "warm-up failed"
	other := res(10, 1, 0)
	other.Scenario = "node-halt" // another scenario is not even listed
	starved := res(11, 1, 0)
	starved.Run.ID = "night-11s"
	starved.Conditions = &result.Conditions{Verdict: result.HostStarved}
	r := res(12, 5, 0)
	sameRun := res(11, 1, 0)
	sameRun.Run.ID = r.Run.ID
	later := res(13, 1, 0)
	hist = append(hist, fast, kept, online, broken, other, starved, sameRun, later)

	o := Judge(r, hist, only(result.KeyRecovery))
	want := []result.HistoryExclusion{
		{Reason: "rate 20/s, not 10/s", Runs: []string{"night-06"}},
		{Reason: "kept-alive connections, not a new connection per request", Runs: []string{"night-07"}},
		{Reason: "image mode online, not offline", Runs: []string{"night-08"}},
		{Reason: "could not run to the end", Runs: []string{"night-09"}},
		{Reason: "measured on a starved machine", Runs: []string{"night-11s"}},
		{Reason: "ran after this one", Runs: []string{"night-13"}},
	}
	if !reflect.DeepEqual(o.Note.Excluded, want) {
		t.Errorf("excluded\n %+v\nwant\n %+v", o.Note.Excluded, want)
	}
	c := find(o.Checks, result.KeyRecovery)
	if c == nil || c.History.Runs != 5 || c.Limit != 10000 || !c.Pass {
		t.Errorf("recovery check %+v: want 5 runs of 10 s, a pass", c)
	}
}

func TestJudgeKeepsTheLastK(t *testing.T) {
	var hist []*result.Result
	for d := 1; d <= 20; d++ {
		hist = append(hist, res(d, 100, 0)) // old and slow...
	}
	for d := 21; d <= 25; d++ {
		hist = append(hist, res(d, 2, 0)) // ...then fast
	}
	s := only(result.KeyRecovery)
	s.Last = 5
	o := Judge(res(26, 3, 0), hist, s)
	c := find(o.Checks, result.KeyRecovery)
	if c == nil || c.Pass || c.Limit != 2000 {
		t.Errorf("check %+v: want the last 5 runs' 2 s and a failure", c)
	}
	if len(o.Note.Excluded) != 1 || len(o.Note.Excluded[0].Runs) != 20 || o.Note.Excluded[0].Reason != "older than the last 5 results of this kind" {
		t.Errorf("excluded %+v: want the 20 older runs", o.Note.Excluded)
	}
}

// Repetitions: a run with several results of the scenario gives several
// values; the message says results of runs.
func TestJudgeRepetitions(t *testing.T) {
	var hist []*result.Result
	for d := 1; d <= 5; d++ {
		for rep := 0; rep < 3; rep++ {
			h := res(d, float64(rep+1), 0)
			h.Started = h.Started.Add(time.Duration(rep) * time.Minute)
			hist = append(hist, h)
		}
	}
	o := Judge(res(6, 4, 0), hist, only(result.KeyRecovery))
	c := find(o.Checks, result.KeyRecovery)
	// The last 14 of 15 values (the oldest, 1 s, is cut): four of 1 s and
	// five each of 2 and 3 s. P95: h = (14 + 1/3)·0.95 + 1/3 ≥ 13.9 → 3 s.
	want := "recovery 4s > P95 3s of 14 results in the last 5 runs of the same kind"
	if c == nil || c.Message != want {
		t.Errorf("check %+v, want %q", c, want)
	}
	// Two runs of three repetitions are six results: enough for a budget
	// (min 5).
	o = Judge(res(6, 4, 0), hist[9:], only(result.KeyRecovery))
	if c := find(o.Checks, result.KeyRecovery); c == nil || c.History.Runs != 2 || c.History.Samples != 6 {
		t.Errorf("two runs of three: %+v (fallback %q)", c, o.Note.Fallback)
	}
}

// A run that did not recover fails its history budget on recovery (the
// figure is worse than any time); a figure that does not apply is not
// checked.
func TestJudgeMissingFigures(t *testing.T) {
	var hist []*result.Result
	for d := 1; d <= 5; d++ {
		hist = append(hist, res(d, 10, 0))
	}
	r := res(6, 0, 0)
	r.Recovered, r.RecoveryMS = false, nil
	o := Judge(r, hist, only(result.KeyRecovery, result.KeyHealing))
	c := find(o.Checks, result.KeyRecovery)
	if c == nil || c.Pass || !c.Missing || !strings.HasPrefix(c.Message, "recovery: not recovered, against P95 10s") {
		t.Errorf("not recovered: %+v", c)
	}
	if find(o.Checks, result.KeyHealing) != nil {
		t.Error("healing checked without any healing figure in the history")
	}
}

func TestApply(t *testing.T) {
	var hist []*result.Result
	for d := 1; d <= 5; d++ {
		hist = append(hist, res(d, 10, 0))
	}
	r := res(6, 30, 0)
	r.Budgets = []result.BudgetCheck{{Metric: result.KeyRecovery, Limit: 60000, Value: 30000, Pass: true}}
	Apply(r, Judge(r, hist, only(result.KeyRecovery)))
	if r.Verdict != result.VerdictFail || !r.FailedHistory() || len(r.Budgets) != 2 || r.History == nil {
		t.Errorf("after Apply: verdict %q, budgets %+v, history %+v", r.Verdict, r.Budgets, r.History)
	}
	// A fail stays a fail when the history is kept.
	f := res(6, 10, 0)
	f.Verdict = result.VerdictFail
	Apply(f, Judge(f, hist, only(result.KeyRecovery)))
	if f.Verdict != result.VerdictFail || f.FailedHistory() {
		t.Errorf("a failed run within its history: verdict %q", f.Verdict)
	}
	e := res(6, 30, 0)
	e.Verdict = result.VerdictError
	Apply(e, Judge(e, hist, only(result.KeyRecovery)))
	if e.Verdict != result.VerdictError {
		t.Errorf("an error became %q", e.Verdict)
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		spec    string
		want    string
		wantErr string
	}{
		{"", "p=0.95,last=14,min=5,floor=1s,metrics=downtime+longest_outage+5xx+errors+recovery+healing", ""},
		{"off", "off", ""},
		{"p=0.99, last=30,min=10,floor=500ms,metrics=recovery+downtime", "p=0.99,last=30,min=10,floor=500ms,metrics=recovery+downtime", ""},
		{"p=95", "", "want between 0 and 1"},
		{"last=3", "", "history min=5: want between 1 and last=3"},
		{"floor=soon", "", `history setting "floor=soon": bad value`},
		{"metrics=uptime", "", `no metric "uptime"`},
		{"k=3", "", `unknown key "k"`},
		{"p95", "", "want key=value"},
	}
	for _, tt := range tests {
		s, err := Parse(tt.spec)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Parse(%q) error %v, want one containing %q", tt.spec, err, tt.wantErr)
			}
			continue
		}
		if err != nil || s.String() != tt.want {
			t.Errorf("Parse(%q) = %q, %v; want %q", tt.spec, s.String(), err, tt.want)
		}
		if back, err := Parse(s.String()); err != nil || back.String() != s.String() {
			t.Errorf("Parse(String()) of %q: %q, %v", tt.spec, back.String(), err)
		}
	}
}

func near(a, b float64) bool { d := a - b; return d < 1e-6 && d > -1e-6 }

// A result from before variants ran against the baseline: it is history
// for a baseline result, not for another variant.
func TestKindVariant(t *testing.T) {
	old, base, other := res(1, 1, 0), res(2, 1, 0), res(3, 1, 0)
	base.Run.Variant, other.Run.Variant = "baseline", "no-pdb"
	if d := KindOf(base).Differences(KindOf(old)); len(d) != 0 {
		t.Errorf("a result without a variant differs from a baseline one: %q", d)
	}
	if d := KindOf(base).Differences(KindOf(other)); len(d) != 1 || d[0] != "variant no-pdb, not baseline" {
		t.Errorf("variants: %q", d)
	}
}
