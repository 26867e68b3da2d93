package sample

import (
	"time"

	"github.com/selfheal/selfheal/chaos/measure"
	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/chaos/scenario"
)

// rep scripts one repetition for Repeated: the fault fails every request
// from FailFrom for FailFor (Forever: until the end), with Code (0: a
// transport timeout).
type rep struct {
	failFrom, failFor time.Duration
	code              uint16
	err               string // the repetition could not run to its end
}

// forever fails until the load stops: not recovered.
const forever = -1

// repeatedScript is a run of three scenarios repeated: ties, a repetition
// that did not recover, and one that could not run.
var repeatedScript = []struct {
	scenario string
	length   time.Duration
	budgets  scenario.Budgets
	agg      []result.AggregateBudget
	reps     []rep
}{
	{"pod-eviction", 60 * time.Second, scenario.Budgets{Downtime: scenario.Dur(2500 * time.Millisecond), MustRecover: true},
		[]result.AggregateBudget{{Metric: result.KeyDowntime, Stat: result.StatMedian, Limit: 1500}, {Stat: result.StatPassRate, Limit: 1}},
		[]rep{{failFrom: 16 * time.Second, failFor: 1200 * time.Millisecond, code: 503}, {failFrom: 16 * time.Second, failFor: 1200 * time.Millisecond, code: 503}, {failFrom: 16 * time.Second, failFor: 800 * time.Millisecond, code: 503}}},
	{"node-halt", 120 * time.Second, scenario.Budgets{Recovery: scenario.Dur(90 * time.Second), MustRecover: true},
		[]result.AggregateBudget{{Metric: result.KeyRecovery, Stat: result.StatMedian, Limit: 60000}, {Stat: result.StatPassRate, Limit: 1}},
		[]rep{{failFrom: 20 * time.Second, failFor: 40 * time.Second}, {failFrom: 20 * time.Second, failFor: forever}, {failFrom: 20 * time.Second, failFor: 47 * time.Second}}},
	{"image-roll", 60 * time.Second, scenario.Budgets{Downtime: scenario.Dur(5 * time.Second), MustRecover: true},
		[]result.AggregateBudget{{Stat: result.StatPassRate, Limit: 0.5}},
		[]rep{{failFrom: 17 * time.Second, failFor: 300 * time.Millisecond, code: 502}, {failFrom: 17 * time.Second, failFor: 0, err: "injecting image: rolling out wordpress: context deadline exceeded"}}},
}

// Repeated is one run of scenarios each repeated, as the suite writes it
// with --repeat: every repetition is a request stream at 10/s, scripted
// to fail for a known time after a fault injected 15 s in, and analysed
// by chaos/measure.Analyze and judged by chaos/scenario.Budgets, as every
// sample is.
func Repeated() []*result.Result {
	run := &result.RunInfo{ID: "20261123-140000", Cluster: "selfheal", KubernetesVersion: "v1.34.1", ImageMode: "offline", Host: "ci-runner-2"}
	start := time.Date(2026, 11, 23, 14, 0, 0, 0, time.UTC)
	var out []*result.Result
	for _, sc := range repeatedScript {
		for i, rp := range sc.reps {
			r := repetition(start, sc.length, rp)
			r.Scenario, r.Run = sc.scenario, run
			r.Repetition, r.Repetitions = i+1, len(sc.reps)
			r.AggregateBudgets = sc.agg
			r.Description = "A scripted repetition: the fault fails requests for a known time."
			r.Budgets = sc.budgets.Check(r)
			r.Verdict = result.Judge(r.Budgets)
			if rp.err != "" {
				r.Verdict, r.Error = result.VerdictError, rp.err
			}
			out = append(out, r)
			start = start.Add(sc.length + 20*time.Second)
		}
	}
	return out
}

func repetition(epoch time.Time, length time.Duration, rp rep) *result.Result {
	const interval = 100 * time.Millisecond
	in := measure.Input{
		Epoch: epoch, End: epoch.Add(length),
		Load:   result.Load{Rate: 10, TimeoutMS: float64(timeout.Milliseconds()), Timeout: timeout.String(), Targets: []string{"http://127.0.0.1:30080/"}, Redirects: "not followed"},
		Params: measure.Params{ConfirmationWindow: 10 * time.Second},
	}
	inject := 15 * time.Second
	if rp.err == "" {
		in.Injections = []measure.Mark{{At: epoch.Add(inject), Fault: "fault", Detail: "the scripted fault"}}
	} else {
		length = inject // the scenario broke off at its injection
		in.End = epoch.Add(length)
	}
	for t := time.Duration(0); t < length; t += interval {
		s := measure.Sample{Sent: t, LatencyUS: 20000, Code: 200}
		failing := rp.failFor != 0 && t >= rp.failFrom && (rp.failFor == forever || t < rp.failFrom+rp.failFor)
		if failing {
			s.Code, s.LatencyUS = rp.code, 5000
			if rp.code == 0 {
				s.Class, s.LatencyUS = measure.ClassTimeout, uint32(timeout.Microseconds())
			}
		}
		in.Samples = append(in.Samples, s)
	}
	r, err := measure.Analyze(in)
	if err != nil {
		panic("sample.Repeated: " + err.Error()) // a script error, found by the tests
	}
	return r
}
