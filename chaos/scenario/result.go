package scenario

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/selfheal/selfheal/chaos/measure"
	"github.com/selfheal/selfheal/chaos/result"
)

// result analyses the run and fills in what the engine knows beyond the
// requests: events, healing, bounds, budgets and the verdict.
func (x *run) result(runErr error) (*result.Result, error) {
	in := x.rec.Input(x.stats.Ended)
	in.Scenario = x.s.Name
	in.Load = x.gen.Settings()
	in.Params = measure.Params{ConfirmationWindow: x.t.Confirmation, Deadline: x.deadline(in), FailOn4xx: x.failOn4xx}
	res, err := measure.Analyze(in)
	if err != nil {
		return nil, errors.Join(runErr, fmt.Errorf("analysing scenario %s: %w", x.s.Name, err))
	}
	if err := x.vantages(res, in); err != nil {
		runErr = errors.Join(runErr, fmt.Errorf("scenario %s: %w", x.s.Name, err))
	}
	res.Description = x.s.Description
	res.Run = x.run
	if x.events != nil {
		// A second before the first request: the object timestamps the
		// events carry are whole seconds.
		res.Events = x.events.Between(res.Started.Add(-time.Second), res.Ended)
	}
	var first time.Time
	if len(in.Injections) > 0 {
		first = in.Injections[0].At
	}
	res.Healing = x.healing.result(first, x.s.HealingCondition)
	res.LowerBounds = x.s.Bounds
	res.Writes = x.writes
	res.Evidence = x.proof.all()
	res.Budgets = x.s.Budgets.Check(res)
	res.Verdict = result.Judge(res.Budgets)
	res.Notes = append(res.Notes, x.notes...)
	if n, ok := x.s.Fault.(interface{ Notes() []string }); ok {
		res.Notes = append(res.Notes, n.Notes()...)
	}
	if x.loadErr != nil {
		res.Notes = append(res.Notes, "The load ended with an error: "+x.loadErr.Error())
	}
	if why := noEvidence(res); why != "" && runErr == nil {
		runErr = fmt.Errorf("scenario %s: %s", x.s.Name, why)
	}
	if runErr != nil {
		res.Verdict, res.Error = result.VerdictError, runErr.Error()
	}
	x.addConditions(res)
	return res, runErr
}

// noEvidence says why res cannot be judged, "" when it can: a fault that
// did not prove it took effect, a fault window the load did not observe.
// Either makes the scenario an error: no evidence is never a pass.
func noEvidence(res *result.Result) string {
	var why []string
	for _, w := range []string{res.Unproven(), res.Unobserved()} {
		if w != "" {
			why = append(why, w)
		}
	}
	return strings.Join(why, "; ")
}

// deadline is the analysis deadline, counted from the first injection: the
// scenario's deadline after the last one.
func (x *run) deadline(in measure.Input) time.Duration {
	if len(in.Injections) == 0 {
		return 0
	}
	return in.Injections[len(in.Injections)-1].At.Sub(in.Injections[0].At) + x.t.Deadline
}

// early is the result of a scenario that failed before its load started:
// no request, verdict error and the reason, so that it still shows in the
// result files, the report and JUnit rather than vanishing from them.
func (x *run) early(runErr error) (*result.Result, error) {
	now := time.Now()
	in := measure.Input{Scenario: x.s.Name, Epoch: now, End: now, Load: result.Load{Targets: x.targets}}
	if x.gen != nil {
		in.Load = x.gen.Settings()
	}
	res, err := measure.Analyze(in)
	if err != nil {
		return nil, errors.Join(runErr, fmt.Errorf("recording scenario %s: %w", x.s.Name, err))
	}
	res.Started = x.began.Round(0) // no request: the result spans the attempt
	res.Description, res.Run = x.s.Description, x.run
	if x.events != nil {
		res.Events = x.events.Between(res.Started.Add(-time.Second), res.Ended)
	}
	res.Notes = []string{"The scenario stopped before its load started: no request was sent and nothing was measured."}
	res.Verdict, res.Error = result.VerdictError, runErr.Error()
	return res, runErr
}
