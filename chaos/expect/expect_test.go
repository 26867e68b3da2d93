package expect

import (
	"strings"
	"testing"
	"time"

	"github.com/selfheal/selfheal/chaos/measure"
	"github.com/selfheal/selfheal/chaos/result"
)

const (
	rate     = 10
	interval = time.Second / rate
	injectAt = 15 * time.Second
)

// outcome decides request i, sent at offset t from the start: alternate
// requests go to pod A (even) and pod B (odd), as kube-proxy balances new
// connections over two ready pods.
type outcome func(t time.Duration, i int) (code uint16, class measure.Class)

func ok(time.Duration, int) (uint16, measure.Class) { return 200, measure.ClassNone }

// podA fails requests to pod A with code/class in [from, to).
func podA(from, to time.Duration, code uint16, class measure.Class) outcome {
	return func(t time.Duration, i int) (uint16, measure.Class) {
		if i%2 == 0 && t >= from && t < to {
			return code, class
		}
		return 200, measure.ClassNone
	}
}

// all fails every request in [from, to).
func all(from, to time.Duration, code uint16, class measure.Class) outcome {
	return func(t time.Duration, i int) (uint16, measure.Class) {
		if t >= from && t < to {
			return code, class
		}
		return 200, measure.ClassNone
	}
}

// at marks request indexes that fail.
func at(code uint16, class measure.Class, idx ...int) outcome {
	return func(t time.Duration, i int) (uint16, measure.Class) {
		for _, j := range idx {
			if i == j {
				return code, class
			}
		}
		return 200, measure.ClassNone
	}
}

type event struct {
	at           time.Duration
	kind, reason string
	object       string // default: WordPress pod a (or its container)
}

// run is a scenario run as the engine would produce it: requests through
// the real recorder and analysis, then the timeline and healing the engine
// adds.
type run struct {
	scenario, variant string
	length            time.Duration
	requests          outcome
	events            []event
	healedAt          time.Duration // 0: not healed
	verdict           result.Verdict
	noRequests        bool // the load sent nothing
}

func (x run) result(t *testing.T) *result.Result {
	t.Helper()
	rec := measure.NewRecorder()
	epoch := rec.Epoch()
	length := x.length
	if length == 0 {
		length = 90 * time.Second
	}
	for i := 0; time.Duration(i)*interval < length && !x.noRequests; i++ {
		sent := time.Duration(i) * interval
		code, class := x.requests(sent, i)
		if class != measure.ClassNone {
			code = 0
		}
		rec.Record(measure.Outcome{Sent: epoch.Add(sent), Latency: 5 * time.Millisecond, Code: code, Class: class})
	}
	rec.Mark(epoch.Add(injectAt), "fault", "broke it")
	in := rec.Input(epoch.Add(length))
	in.Scenario = x.scenario
	in.Load = result.Load{Rate: rate}
	res, err := measure.Analyze(in)
	if err != nil {
		t.Fatal(err)
	}
	res.Run = &result.RunInfo{ID: "test", Variant: x.variant}
	for _, e := range x.events {
		object := e.object
		if object == "" {
			object = "wordpress-a"
			if e.kind == "container" {
				object += "/wordpress"
			}
		}
		res.Events = append(res.Events, result.Event{At: epoch.Add(e.at), Kind: e.kind, Object: object, Reason: e.reason})
	}
	res.Healing = &result.Healing{Condition: "every replica Ready"}
	if x.healedAt > 0 {
		ms := float64((x.healedAt - injectAt) / time.Millisecond)
		res.Healing.Healed, res.Healing.MS = true, &ms
	}
	res.Verdict = x.verdict
	return res
}

func claim(t *testing.T, id string) Expectation {
	t.Helper()
	for _, x := range Claims() {
		if x.ID == id {
			return x
		}
	}
	t.Fatalf("no claim %s", id)
	return Expectation{}
}

var (
	notReady = event{23 * time.Second, "pod", "NotReady", ""}
	restart  = event{50 * time.Second, "container", "Restarted", ""}
)

// Each claim is shown by a run built to show it and not by a run built to
// break it; the runs go through the real analysis.
func TestClaims(t *testing.T) {
	s := 1 * time.Second
	tests := []struct {
		id    string
		run   run
		shown bool
	}{
		{"statefulset-1-drops-on-roll", run{requests: all(20*s, 35*s, 0, measure.ClassRefused)}, true},
		{"statefulset-1-drops-on-roll", run{requests: ok}, false},
		{"deployment-1-surge-rolls-clean", run{requests: ok}, true},
		{"deployment-1-surge-rolls-clean", run{requests: at(0, measure.ClassTimeout, 200, 260)}, true},
		{"deployment-1-surge-rolls-clean", run{requests: at(0, measure.ClassTimeout, 200, 201)}, false},
		{"deployment-1-surge-rolls-clean", run{requests: at(503, measure.ClassNone, 200)}, false},

		{"liveness-none-never-heals", run{requests: podA(injectAt, 24*s, 500, measure.ClassNone), events: []event{notReady}}, true},
		{"liveness-none-never-heals", run{requests: podA(injectAt, 24*s, 500, measure.ClassNone), events: []event{notReady, restart}, healedAt: 55 * s}, false},
		{"liveness-tcp-never-heals", run{requests: podA(injectAt, 24*s, 500, measure.ClassNone), events: []event{notReady}}, true},
		{"liveness-tcp-never-heals", run{requests: podA(injectAt, 24*s, 500, measure.ClassNone), events: []event{notReady, {50 * s, "container", "Restarted", "mysql-0/mysql"}}}, true},
		{"liveness-http-heals", run{requests: podA(injectAt, 24*s, 500, measure.ClassNone), events: []event{notReady, restart}, healedAt: 55 * s}, true},
		{"liveness-http-heals", run{requests: podA(injectAt, 24*s, 500, measure.ClassNone), events: []event{notReady}}, false},

		{"readiness-none-errors-until-restart", run{requests: podA(injectAt, 49500*time.Millisecond, 500, measure.ClassNone), events: []event{restart}, healedAt: 52 * s}, true},
		{"readiness-none-errors-until-restart", run{requests: podA(injectAt, 30*s, 500, measure.ClassNone), events: []event{restart}, healedAt: 52 * s}, false},
		{"readiness-none-errors-until-restart", run{requests: podA(injectAt, 90*s, 500, measure.ClassNone)}, false},
		{"readiness-stops-errors", run{requests: podA(injectAt, 24*s, 500, measure.ClassNone), events: []event{notReady, restart}, healedAt: 55 * s}, true},
		{"readiness-stops-errors", run{requests: podA(injectAt, 30*s, 500, measure.ClassNone), events: []event{notReady, restart}, healedAt: 55 * s}, false},
		{"readiness-stops-errors", run{requests: podA(injectAt, 49*s, 500, measure.ClassNone), events: []event{notReady, restart}, healedAt: 55 * s}, false},
		{"readiness-stops-errors", run{requests: podA(injectAt, 30*s, 500, measure.ClassNone), events: []event{{22 * s, "pod", "NotReady", "mysql-0"}, {28 * s, "pod", "NotReady", ""}}}, true},

		{"no-pdb-can-leave-none", run{requests: all(20*s, 23*s, 0, measure.ClassRefused)}, true},
		{"no-pdb-can-leave-none", run{requests: podA(20*s, 23*s, 0, measure.ClassRefused)}, false},
		{"pdb-never-leaves-none", run{requests: podA(20*s, 23*s, 0, measure.ClassRefused)}, true},
		{"pdb-never-leaves-none", run{requests: all(20*s, 23*s, 0, measure.ClassTimeout)}, false},

		{"no-prestop-roll-loses", run{requests: at(0, measure.ClassRefused, 201, 203)}, true},
		{"no-prestop-roll-loses", run{requests: at(502, measure.ClassNone, 201)}, true},
		{"no-prestop-roll-loses", run{requests: at(0, measure.ClassTimeout, 201, 203)}, false},
		{"prestop-roll-clean", run{requests: at(0, measure.ClassTimeout, 201, 203)}, true},
		{"prestop-roll-clean", run{requests: at(0, measure.ClassReset, 201)}, false},
		{"no-prestop-eviction-loses", run{requests: at(0, measure.ClassEOF, 201)}, true},
		{"prestop-eviction-clean", run{requests: at(503, measure.ClassNone, 201)}, false},
	}
	for _, tt := range tests {
		x := claim(t, tt.id)
		tt.run.scenario, tt.run.variant = x.Scenario, x.Variant
		res := tt.run.result(t)
		shown, why := x.Check(res)
		if shown != tt.shown {
			t.Errorf("%s: shown = %v (%s), want %v", tt.id, shown, why, tt.shown)
		}
		if why == "" {
			t.Errorf("%s: no evidence", tt.id)
		}
	}
}

func TestEvaluate(t *testing.T) {
	drop := run{scenario: imageRoll, variant: "statefulset-1", requests: all(20*time.Second, 35*time.Second, 0, measure.ClassRefused)}
	clean := run{scenario: imageRoll, variant: "statefulset-1", requests: ok}
	broken := drop
	broken.verdict = result.VerdictError
	noPDB := run{scenario: eviction, variant: "no-pdb", requests: all(20*time.Second, 23*time.Second, 0, measure.ClassRefused)}
	noPDBPartial := run{scenario: eviction, variant: "no-pdb", requests: ok}
	other := run{scenario: imageRoll, variant: "", requests: all(20*time.Second, 35*time.Second, 0, measure.ClassRefused)}

	exps := []Expectation{claim(t, "statefulset-1-drops-on-roll"), claim(t, "no-pdb-can-leave-none"), claim(t, "liveness-none-never-heals")}
	tests := []struct {
		name  string
		runs  []run
		want  []Status
		shown [][2]int // shown, runs
	}{
		{"every run shows it", []run{drop, drop, noPDB}, []Status{Held, Held, NotRun}, [][2]int{{2, 2}, {1, 1}, {0, 0}}},
		{"every: one run does not", []run{drop, clean}, []Status{NotHeld, NotRun, NotRun}, [][2]int{{1, 2}, {0, 0}, {0, 0}}},
		{"some: one run is enough", []run{noPDBPartial, noPDB, noPDBPartial}, []Status{NotRun, Held, NotRun}, [][2]int{{0, 0}, {1, 3}, {0, 0}}},
		{"some: none shows it", []run{noPDBPartial}, []Status{NotRun, NotHeld, NotRun}, [][2]int{{0, 0}, {0, 1}, {0, 0}}},
		{"a run in error is left out, not counted", []run{broken, clean}, []Status{NotHeld, NotRun, NotRun}, [][2]int{{0, 1}, {0, 0}, {0, 0}}},
		{"a run of another variant is not this one's", []run{other}, []Status{NotRun, NotRun, NotRun}, [][2]int{{0, 0}, {0, 0}, {0, 0}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var results []*result.Result
			for _, r := range tt.runs {
				results = append(results, r.result(t))
			}
			got := Evaluate(exps, results)
			for i, f := range got {
				if f.Status != tt.want[i] || f.Shown != tt.shown[i][0] || f.Runs != tt.shown[i][1] {
					t.Errorf("%s: %s, %d of %d runs; want %s, %d of %d\n%s", f.ID, f.Status, f.Shown, f.Runs, tt.want[i], tt.shown[i][0], tt.shown[i][1], f)
				}
			}
			if tt.name == "a run in error is left out, not counted" && !strings.Contains(strings.Join(got[0].Evidence, "\n"), "left out, the run ended in error") {
				t.Errorf("evidence does not say the errored run was left out: %q", got[0].Evidence)
			}
		})
	}
}

// A run that observed nothing of the fault (no request at all, or fewer
// than a second's worth after the injection) is no evidence for a claim:
// it is left out and said so, never counted as showing it. Before, a
// "never" claim held on such runs (no second without a success when
// nothing was sent), even with a pass verdict on the result.
func TestEvaluateLeavesOutRunsThatObservedNothing(t *testing.T) {
	pdb := claim(t, "pdb-never-leaves-none")
	for _, tt := range []struct {
		name string
		run  run
		why  string
	}{
		{"no request", run{requests: ok, length: time.Nanosecond, noRequests: true}, "no request was sent"},
		{"half a second after the injection", run{requests: ok, length: injectAt + 500*time.Millisecond}, "5 requests were sent in the fault window"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.run.scenario, tt.run.variant, tt.run.verdict = pdb.Scenario, pdb.Variant, result.VerdictPass
			f := Evaluate([]Expectation{pdb}, []*result.Result{tt.run.result(t)})[0]
			if f.Status != NotRun || f.Runs != 0 {
				t.Errorf("%s, %d of %d runs; want not run: the run observed nothing\n%s", f.Status, f.Shown, f.Runs, f)
			}
			if ev := strings.Join(f.Evidence, "\n"); !strings.Contains(ev, "left out, the load observed nothing of the fault") || !strings.Contains(ev, tt.why) {
				t.Errorf("evidence %q; want it to say the run was left out because %s", ev, tt.why)
			}
		})
	}
}

func TestClaimsAreDistinct(t *testing.T) {
	seen := map[string]bool{}
	for _, x := range Claims() {
		if seen[x.ID] || x.Claim == "" || x.Check == nil || (x.Over != Every && x.Over != Some) {
			t.Errorf("claim %+v: duplicate id, or missing words, check or quantifier", x.ID)
		}
		seen[x.ID] = true
	}
}
