// Package vantage measures a scenario from more places than the harness's
// own load (docs/measurement.md, "Vantage points"): from inside the
// cluster, by loader pods that run selfheal's load (chaos/loader) and
// whose requests come back through the pods' logs (Loaders); and from
// the harness again, with reused connections beside new ones or at a
// control server that is not the app (Harness, Control). Each is a
// chaos/scenario.Vantage: the engine starts them before its own load,
// stops them after it, and analyses what they saw from the same fault
// instants (chaos/measure.Vantage, chaos/measure.Charge).
package vantage

import (
	"context"
	"fmt"
	"time"

	"github.com/selfheal/selfheal/chaos/load"
	"github.com/selfheal/selfheal/chaos/measure"
	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/chaos/scenario"
)

// Harness is a vantage point whose load the harness itself sends: the
// control probe (a static server behind its own NodePort), or the app
// through its NodePort with the other connection mode.
type Harness struct {
	point   result.VantagePoint
	targets []string
	opts    []load.Option
}

// NewHarness is a harness-side vantage point that loads targets with
// opts; its point says where from.
func NewHarness(point result.VantagePoint, targets []string, opts ...load.Option) (*Harness, error) {
	if _, err := load.New(targets, opts...); err != nil {
		return nil, fmt.Errorf("vantage point %s: %w", point.Name, err)
	}
	return &Harness{point: point, targets: targets, opts: opts}, nil
}

// Start sends the load until Stop.
func (h *Harness) Start(ctx context.Context, scenarioName string) (scenario.Running, error) {
	gen, err := load.New(h.targets, append([]load.Option{load.Name(scenarioName + "@" + h.point.Name)}, h.opts...)...)
	if err != nil {
		return nil, err
	}
	r := &harnessRun{point: h.point, gen: gen, rec: measure.NewRecorder(), done: make(chan struct{})}
	lctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	r.cancel = cancel
	go func() {
		defer close(r.done)
		r.stats, r.err = gen.Run(lctx, r.rec)
	}()
	select {
	case <-r.rec.Started():
		return r, nil
	case <-r.done:
		cancel()
		return nil, fmt.Errorf("vantage point %s: the load did not start: %v", h.point.Name, r.err)
	case <-ctx.Done():
		cancel()
		<-r.done
		return nil, ctx.Err()
	}
}

type harnessRun struct {
	point  result.VantagePoint
	gen    *load.Generator
	rec    *measure.Recorder
	cancel context.CancelFunc
	done   chan struct{}
	stats  load.Stats
	err    error
}

// Stop ends the load once every request in flight was answered.
func (r *harnessRun) Stop(ctx context.Context) []scenario.Seen {
	r.cancel()
	seen := scenario.Seen{Point: r.point}
	select {
	case <-r.done:
	case <-ctx.Done():
		seen.Error = "the load did not drain before the stop's deadline"
		seen.Input = r.rec.Input(time.Now())
		seen.Input.Load = r.gen.Settings()
		return []scenario.Seen{seen}
	}
	seen.Input = r.rec.Input(r.stats.Ended)
	seen.Input.Load = r.gen.Settings()
	if r.err != nil {
		seen.Error = r.err.Error()
	}
	return []scenario.Seen{seen}
}
