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

// nights returns one result a day for days from..to, each recovering in
// recoveryS seconds.
func nights(from, to int, recoveryS float64) []*result.Result {
	var hist []*result.Result
	for d := from; d <= to; d++ {
		hist = append(hist, res(d, recoveryS, 0))
	}
	return hist
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

// Twenty nightly recoveries of 1..20 s. The P95 prediction bound is the
// k-th smallest with k = ⌈0.95·21⌉ = 20: 20 s. Their median by Hyndman &
// Fan 8: h = (20 + 1/3)·0.5 + 1/3 = 10.5, so 10.5 s.
func TestJudgeP95OfLastK(t *testing.T) {
	var hist []*result.Result
	for d := 1; d <= 20; d++ {
		hist = append(hist, res(d, float64(d), 0))
	}
	for _, tt := range []struct {
		recovery float64
		pass     bool
		message  string
	}{
		{19.9, true, "recovery 19.9s ≤ P95 20s (the 20th of the last 20 runs of the same kind)"},
		{20.2, false, "recovery 20.2s > P95 20s (the 20th of the last 20 runs of the same kind)"},
	} {
		r := res(21, tt.recovery, 0)
		o := Judge(r, hist, only(result.KeyRecovery))
		c := find(o.Checks, result.KeyRecovery)
		if c == nil {
			t.Fatalf("no recovery check: %+v", o)
		}
		if c.Pass != tt.pass || c.Message != tt.message || !near(c.Limit, 20000) {
			t.Errorf("recovery %v s: pass %v limit %v %q; want pass %v %q", tt.recovery, c.Pass, c.Limit, c.Message, tt.pass, tt.message)
		}
		if b := c.History; b == nil || b.Runs != 20 || b.Samples != 20 || b.Rank != 20 || !near(b.Value, 20000) || !near(b.P50, 10500) || b.Quantile != 0.95 {
			t.Errorf("basis %+v, want 20 runs, the 20th (20000), P50 10500", c.History)
		}
		if len(o.Note.Runs) != 20 || o.Note.Runs[0] != "night-20" || o.Note.Fallback != "" {
			t.Errorf("note %+v: want 20 runs, newest first, no fallback", o.Note)
		}
	}
}

// A history of zero downtime must not fail a 100 ms blip; the floor (1 s)
// is the limit. Counts get the requests of a second at the run's rate.
func TestJudgeFloor(t *testing.T) {
	hist := nights(1, 19, 1)
	s := only(result.KeyDowntime, result.Key5xx)
	blip := res(20, 1, 0.1)
	blip.Server5xx = 9
	o := Judge(blip, hist, s)
	if c := find(o.Checks, result.KeyDowntime); c == nil || !c.Pass || c.Limit != 1000 {
		t.Errorf("downtime blip: %+v, want a pass against the 1 s floor", c)
	}
	if c := find(o.Checks, result.Key5xx); c == nil || !c.Pass || c.Limit != 10 {
		t.Errorf("9 5xx at 10/s: %+v, want a pass against a floor of 10", c)
	}
	big := res(20, 1, 1.2)
	o = Judge(big, hist, s)
	c := find(o.Checks, result.KeyDowntime)
	want := "downtime 1.2s > 1s (the floor; P95 is 0s, the 19th of the last 19 runs of the same kind)"
	if c == nil || c.Pass || c.Message != want {
		t.Errorf("downtime 1.2 s: %+v, want a failure %q", c, want)
	}
}

// Eighteen results are too few for a P95 bound (k = ⌈0.95·19⌉ = 19 > 18):
// their maximum would be exceeded by a healthy 19th one time in 19.
func TestJudgeFallsBackWithFewRuns(t *testing.T) {
	hist := nights(1, 18, 1)
	o := Judge(res(19, 100, 100), hist, Defaults())
	if len(o.Checks) != 0 {
		t.Errorf("18 runs (P95 needs 19) gave checks: %+v", o.Checks)
	}
	if want := "18 results of this kind before this one, fewer than the 19 a P95 budget needs: the static budgets judge alone"; o.Note.Fallback != want {
		t.Errorf("fallback %q, want %q", o.Note.Fallback, want)
	}
}

// Only runs of the same kind count; the others are listed with why.
func TestJudgeLeavesOutOtherKinds(t *testing.T) {
	hist := nights(1, 19, 10)
	fast := res(20, 1, 0)
	fast.Load.Rate = 20
	kept := res(21, 1, 0)
	kept.Load.KeepAlive = true
	online := res(22, 1, 0)
	online.Run.ImageMode = "online"
	broken := res(23, 1, 0)
	broken.Verdict, broken.Error = result.VerdictError, "warm-up failed"
	other := res(24, 1, 0)
	other.Scenario = "node-halt" // another scenario is not even listed
	starved := res(25, 1, 0)
	starved.Run.ID = "night-25s"
	starved.Conditions = &result.Conditions{Verdict: result.HostStarved}
	// Sampled without a sample: unknown is not clean, and is left out.
	unsampled := res(25, 1, 0)
	unsampled.Run.ID = "night-25u"
	unsampled.Conditions = &result.Conditions{Verdict: result.HostUnknown}
	r := res(26, 5, 0)
	sameRun := res(25, 1, 0)
	sameRun.Run.ID = r.Run.ID
	later := res(27, 1, 0)
	hist = append(hist, fast, kept, online, broken, other, starved, unsampled, sameRun, later)

	o := Judge(r, hist, only(result.KeyRecovery))
	want := []result.HistoryExclusion{
		{Reason: "rate 20/s, not 10/s", Runs: []string{"night-20"}},
		{Reason: "kept-alive connections, not a new connection per request", Runs: []string{"night-21"}},
		{Reason: "image mode online, not offline", Runs: []string{"night-22"}},
		{Reason: "could not run to the end", Runs: []string{"night-23"}},
		{Reason: "measured on a starved machine", Runs: []string{"night-25s"}},
		{Reason: "measured on a machine whose load is unknown (no host sample)", Runs: []string{"night-25u"}},
		{Reason: "ran after this one", Runs: []string{"night-27"}},
	}
	if !reflect.DeepEqual(o.Note.Excluded, want) {
		t.Errorf("excluded\n %+v\nwant\n %+v", o.Note.Excluded, want)
	}
	c := find(o.Checks, result.KeyRecovery)
	if c == nil || c.History.Runs != 19 || c.Limit != 10000 || !c.Pass {
		t.Errorf("recovery check %+v: want 19 runs of 10 s, a pass", c)
	}
}

func TestJudgeKeepsTheLastK(t *testing.T) {
	var hist []*result.Result
	for d := 1; d <= 20; d++ {
		hist = append(hist, res(d, 100, 0)) // old and slow...
	}
	hist = append(hist, nights(21, 39, 2)...) // ...then fast
	s := only(result.KeyRecovery)
	s.Last = 19
	o := Judge(res(40, 3, 0), hist, s)
	c := find(o.Checks, result.KeyRecovery)
	if c == nil || c.Pass || c.Limit != 2000 {
		t.Errorf("check %+v: want the last 19 runs' 2 s and a failure", c)
	}
	if len(o.Note.Excluded) != 1 || len(o.Note.Excluded[0].Runs) != 20 || o.Note.Excluded[0].Reason != "older than the last 19 results of this kind" {
		t.Errorf("excluded %+v: want the 20 older runs", o.Note.Excluded)
	}
}

// Repetitions: a run with several results of the scenario gives several
// values; the message says results of runs.
func TestJudgeRepetitions(t *testing.T) {
	var hist []*result.Result
	for d := 1; d <= 7; d++ {
		for rep := 0; rep < 3; rep++ {
			h := res(d, float64(rep+1), 0)
			h.Started = h.Started.Add(time.Duration(rep) * time.Minute)
			hist = append(hist, h)
		}
	}
	o := Judge(res(8, 4, 0), hist, only(result.KeyRecovery))
	c := find(o.Checks, result.KeyRecovery)
	// 21 values, seven each of 1, 2 and 3 s: the bound is the
	// ⌈0.95·22⌉ = 21st smallest, 3 s.
	want := "recovery 4s > P95 3s (the 21st of 21 results in the last 7 runs of the same kind)"
	if c == nil || c.Message != want {
		t.Errorf("check %+v, want %q", c, want)
	}
	// Six runs of three repetitions are 18 results: too few for P95.
	o = Judge(res(8, 4, 0), hist[3:], only(result.KeyRecovery))
	if c := find(o.Checks, result.KeyRecovery); c != nil || o.Note.Fallback == "" {
		t.Errorf("six runs of three: %+v (fallback %q), want no check", c, o.Note.Fallback)
	}
}

// A run that did not recover fails its history budget on recovery (the
// figure is worse than any time); a figure that does not apply is not
// checked.
func TestJudgeMissingFigures(t *testing.T) {
	hist := nights(1, 19, 10)
	r := res(20, 0, 0)
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
	hist := nights(1, 19, 10)
	r := res(20, 30, 0)
	r.Budgets = []result.BudgetCheck{{Metric: result.KeyRecovery, Limit: 60000, Value: 30000, Pass: true}}
	Apply(r, Judge(r, hist, only(result.KeyRecovery)))
	if r.Verdict != result.VerdictFail || !r.FailedHistory() || len(r.Budgets) != 2 || r.History == nil {
		t.Errorf("after Apply: verdict %q, budgets %+v, history %+v", r.Verdict, r.Budgets, r.History)
	}
	// A fail stays a fail when the history is kept.
	f := res(20, 10, 0)
	f.Verdict = result.VerdictFail
	Apply(f, Judge(f, hist, only(result.KeyRecovery)))
	if f.Verdict != result.VerdictFail || f.FailedHistory() {
		t.Errorf("a failed run within its history: verdict %q", f.Verdict)
	}
	e := res(20, 30, 0)
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
		{"", "p=0.95,last=30,min=19,floor=1s,metrics=downtime+longest_outage+5xx+errors+recovery+healing", ""},
		{"off", "off", ""},
		{"p=0.9, last=30,min=10,floor=500ms,metrics=recovery+downtime", "p=0.9,last=30,min=10,floor=500ms,metrics=recovery+downtime", ""},
		{"p=0.9,min=5", "p=0.9,last=30,min=9,floor=1s,metrics=downtime+longest_outage+5xx+errors+recovery+healing", ""},
		{"p=95", "", "want between 0 and 1"},
		{"last=3", "", "history last=3: a P95 budget needs at least 19 results of history (min), so last must keep that many"},
		{"p=0.99", "", "history last=30: a P99 budget needs at least 99 results"},
		{"min=-1", "", "history min=-1: must not be negative"},
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

// A starved run told not to fail for it (SELFHEAL_FAIL_STARVED=false)
// that passed its static budgets and misses a history budget is excused
// like any other miss on a starved machine (result.Result.Excused).
func TestApplyKeepsTheStarvedExcuse(t *testing.T) {
	r := &result.Result{Scenario: "s", Verdict: result.VerdictPass,
		Conditions: &result.Conditions{Verdict: result.HostStarved, Excused: true}}
	Apply(r, Outcome{Checks: []result.BudgetCheck{{Metric: result.KeyDowntime, Pass: false, History: &result.HistoryBasis{Runs: 20}}}})
	if r.Verdict != result.VerdictFail || !r.Excused() || r.FailsRun() {
		t.Fatalf("verdict %s, excused %v, fails the run %v; want fail, excused, not failing the run", r.Verdict, r.Excused(), r.FailsRun())
	}
}

// A healing Kubernetes never saw broken is no figure: it misses its
// history budget, as a missing figure does, instead of passing as 0 ms
// (before) or going unjudged.
func TestUnknownFigureMissesItsHistoryBudget(t *testing.T) {
	hist := nights(1, 20, 10)
	for i, h := range hist {
		ms := float64(30000 + i*1000)
		h.Healing = &result.Healing{State: result.HealingHealed, Healed: true, MS: &ms}
	}
	r := res(21, 10, 0)
	r.Healing = &result.Healing{State: result.HealingNeverBroken, Condition: "every replica Ready; Kubernetes never saw the workload leave its desired state"}
	c := find(Judge(r, hist, only(result.KeyHealing)).Checks, result.KeyHealing)
	if c == nil || c.Pass || !c.Missing || !strings.Contains(c.Message, "Kubernetes never saw the workload leave its desired state") {
		t.Errorf("healing check %+v; want missed, saying Kubernetes never saw it broken", c)
	}
}
