package scenario

import (
	"errors"
	"fmt"
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
	in.Params = measure.Params{ConfirmationWindow: x.t.Confirmation, Deadline: x.deadline(in)}
	res, err := measure.Analyze(in)
	if err != nil {
		return nil, errors.Join(runErr, fmt.Errorf("analysing scenario %s: %w", x.s.Name, err))
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
	res.Budgets = x.s.Budgets.Check(res)
	res.Verdict = result.Judge(res.Budgets)
	res.Notes = append(res.Notes, x.notes...)
	if n, ok := x.s.Fault.(interface{ Notes() []string }); ok {
		res.Notes = append(res.Notes, n.Notes()...)
	}
	if note := x.afterRevert(in, res); note != "" {
		res.Notes = append(res.Notes, note)
	}
	if x.loadErr != nil {
		res.Notes = append(res.Notes, "The load ended with an error: "+x.loadErr.Error())
	}
	if runErr != nil {
		res.Verdict, res.Error = result.VerdictError, runErr.Error()
	}
	x.addConditions(res)
	return res, runErr
}

// deadline is the analysis deadline, counted from the first injection: the
// scenario's deadline after the last one.
func (x *run) deadline(in measure.Input) time.Duration {
	if len(in.Injections) == 0 {
		return 0
	}
	return in.Injections[len(in.Injections)-1].At.Sub(in.Injections[0].At) + x.t.Deadline
}

// afterRevert says when the service came back, if it did only after the
// fault was reverted (the deadline made the result "not recovered").
func (x *run) afterRevert(in measure.Input, res *result.Result) string {
	if res.Recovered || len(in.Reverts) == 0 || len(in.Injections) == 0 {
		return ""
	}
	in.Params.Deadline = 0
	again, err := measure.Analyze(in)
	if err != nil || !again.Recovered || again.RecoveredAt == nil {
		return "The service had not recovered when the scenario ended, even after the revert."
	}
	revert := in.Reverts[len(in.Reverts)-1].At
	return fmt.Sprintf("Not recovered within the deadline; the service came back %.1f s after the revert (%.1f s after the first injection).",
		again.RecoveredAt.Sub(revert).Seconds(), again.RecoveredAt.Sub(in.Injections[0].At).Seconds())
}
