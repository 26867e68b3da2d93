// Package scenario runs one fault scenario under load and turns it into a
// result: warm up (baseline), inject, observe until the service has
// recovered and Kubernetes has healed (or a deadline passes), revert,
// verify the steady state, stop the load, analyse.
//
// The revert always runs: after a failed assertion, a failed injection, a
// cancelled context (Ctrl-C, or the suite's own deadline ahead of go test's
// -timeout). It runs on a context of its own so that the cancellation that
// stopped the scenario does not also stop the clean-up.
package scenario

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/selfheal/selfheal/chaos/fault"
	"github.com/selfheal/selfheal/chaos/kube"
	"github.com/selfheal/selfheal/chaos/result"
)

// Scenario is one experiment: a fault, how to tell that the workload is at
// its desired state, and the budgets its figures must keep.
type Scenario struct {
	Name        string
	Description string
	// Prepare, when set, runs before the steady-state check: unmeasured
	// set-up such as spreading the pods a node halt needs apart.
	Prepare func(ctx context.Context) error
	Fault   fault.Fault
	// Steady is the workload's desired state (all replicas Ready,
	// endpoints complete, ...). Healing is the first instant after the
	// injection at which it holds again, having been seen broken.
	Steady kube.Check
	// Restored is checked after the revert, before the scenario ends
	// (e.g. every node Ready again). Steady is always checked too.
	Restored kube.Check
	// HealingCondition says in words what Steady checks, for the report.
	HealingCondition string
	Budgets          Budgets
	// Bounds are the recoveries the fixture's settings allow at best.
	Bounds []result.Bound
	// Writes runs the write stream beside the load and, after the
	// scenario, checks in the database that every acknowledged write is
	// stored (chaos/writes; the runner needs WithWrites). Give such a
	// scenario the AckedMissing budget.
	Writes bool

	Timing Timing
}

// Timing bounds each phase of a scenario.
type Timing struct {
	// Warmup is load before the injection: the baseline. Its last Warmup
	// must be clean (at most 1% failed) before the fault is injected.
	Warmup time.Duration
	// WarmupLimit is how long the warm-up waits for a clean baseline
	// before the scenario gives up as not measurable.
	WarmupLimit time.Duration
	// Deadline is the longest the scenario watches after the last
	// injection for recovery and healing.
	Deadline time.Duration
	// Confirmation is the run of successes that confirms recovery.
	Confirmation time.Duration
	// SteadyTimeout bounds the wait for the steady state before the
	// injection and after the revert.
	SteadyTimeout time.Duration
	// Tail is load kept after the revert and steady state, so the result
	// shows the service after the scenario too.
	Tail time.Duration
	// Hold keeps a timed fault (a partition, a DNS outage) in place this
	// long after the last injection, even when the service has recovered
	// meanwhile: how long the fault lasts is part of the experiment, not
	// of the observation. Zero reverts as soon as recovery and healing are
	// confirmed.
	Hold time.Duration
}

// DefaultTiming suits the fixtures' probe settings (liveness every 10 s x3,
// tolerations 30 s) with room to spare.
func DefaultTiming() Timing {
	return Timing{
		Warmup:        15 * time.Second,
		WarmupLimit:   2 * time.Minute,
		Deadline:      4 * time.Minute,
		Confirmation:  10 * time.Second,
		SteadyTimeout: 5 * time.Minute,
		Tail:          5 * time.Second,
	}
}

// RevertBound is the longest a scenario takes to revert its fault once
// stopped: the fault's Revert, the steady-state check and the wait for the
// service share one SteadyTimeout.
func (t Timing) RevertBound() time.Duration { return t.withDefaults().SteadyTimeout }

func (t Timing) withDefaults() Timing {
	d := DefaultTiming()
	if t.Warmup == 0 {
		t.Warmup = d.Warmup
	}
	if t.WarmupLimit == 0 {
		t.WarmupLimit = d.WarmupLimit
	}
	t.WarmupLimit = max(t.WarmupLimit, t.Warmup)
	if t.Deadline == 0 {
		t.Deadline = d.Deadline
	}
	t.Deadline = max(t.Deadline, t.Hold)
	if t.Confirmation == 0 {
		t.Confirmation = d.Confirmation
	}
	if t.SteadyTimeout == 0 {
		t.SteadyTimeout = d.SteadyTimeout
	}
	if t.Tail == 0 {
		t.Tail = d.Tail
	}
	return t
}

func (s Scenario) validate() error {
	var errs []error
	if s.Name == "" {
		errs = append(errs, errors.New("scenario has no name"))
	}
	if s.Fault == nil {
		errs = append(errs, fmt.Errorf("scenario %q has no fault", s.Name))
	}
	if s.Steady == nil {
		errs = append(errs, fmt.Errorf("scenario %q has no steady-state check", s.Name))
	}
	return errors.Join(errs...)
}
