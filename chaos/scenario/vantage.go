package scenario

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/selfheal/selfheal/chaos/measure"
	"github.com/selfheal/selfheal/chaos/result"
)

// Vantage is a vantage point measured beside the outside load
// (chaos/vantage): a load of its own, started before the outside load and
// stopped after it, whose requests are analysed from the same fault
// instants as the outside's (docs/measurement.md, "Vantage points").
type Vantage interface {
	// Start begins its load for the named scenario and returns once its
	// requests are being sent. An error leaves nothing running.
	Start(ctx context.Context, scenario string) (Running, error)
}

// Running is a started vantage point.
type Running interface {
	// Stop ends its load and hands its requests over, send times on the
	// harness's clock: one Seen per vantage point (a fleet of loaders
	// with new and reused connections is two).
	Stop(ctx context.Context) []Seen
}

// Seen is one vantage point's requests, ready for the analysis: the
// runner adds the fault instants and the analysis parameters.
type Seen struct {
	Point result.VantagePoint
	// Input holds the samples, the load's beginning and end, and its
	// settings (Input.Load).
	Input   measure.Input
	Loaders []result.Loader
	// Error says what the vantage point could not measure; Partial that
	// some of its sources stopped before the end (Error says which).
	Error   string
	Partial bool
	Notes   []string
}

// WithVantages measures every scenario from these vantage points too.
func WithVantages(vs ...Vantage) Option {
	return func(r *Runner) { r.vantages = append(r.vantages, vs...) }
}

// vantageStopTimeout bounds a vantage point's stop: its loaders' drain,
// their last lines, the deletion of what it made.
const vantageStopTimeout = 2 * time.Minute

// startVantages starts every vantage point; on an error it stops those it
// started, and nothing of them is measured.
func (x *run) startVantages(ctx context.Context) error {
	for _, v := range x.Runner.vantages {
		x.phase.set("starting the vantage points")
		r, err := v.Start(ctx, x.s.Name)
		if err != nil {
			x.stopVantages(ctx)
			return fmt.Errorf("starting a vantage point: %w", err)
		}
		x.running = append(x.running, r)
	}
	return nil
}

// stopVantages stops the vantage points still running and keeps what
// they saw; a cancelled ctx does not cut their stop short.
func (x *run) stopVantages(ctx context.Context) {
	if len(x.running) == 0 {
		return
	}
	x.phase.set("stopping the vantage points")
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), vantageStopTimeout)
	defer cancel()
	for _, r := range x.running {
		x.seen = append(x.seen, r.Stop(sctx)...)
	}
	x.running = nil
}

// vantages analyses what each vantage point saw from the outside run's
// fault instants and parameters, and charges the outside downtime to the
// app where the control probe was healthy.
func (x *run) vantages(res *result.Result, main measure.Input) error {
	if len(x.seen) == 0 {
		return nil
	}
	top := res.TopVantage()
	if len(res.Load.Targets) > 0 {
		if u, err := url.Parse(res.Load.Targets[0]); err == nil {
			top.From = "the harness, to " + u.Host
		}
	}
	res.Vantage = &top
	var errs []error
	for _, s := range x.seen {
		in := s.Input
		in.Scenario, in.Injections, in.Reverts, in.Params = main.Scenario, main.Injections, main.Reverts, main.Params
		in.Params.Partial = s.Partial
		v, err := measure.Vantage(s.Point, in)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		v.Loaders, v.Error = s.Loaders, s.Error
		v.Notes = append(v.Notes, s.Notes...)
		res.Vantages = append(res.Vantages, v)
		if s.Point.Kind == result.VantageControl && res.Charged == nil {
			res.Charged = measure.Charge(res.Outages, v)
		}
	}
	return errors.Join(errs...)
}
