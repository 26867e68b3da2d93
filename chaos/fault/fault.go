// Package fault defines what a fault injector is. The injectors live in
// subpackages, one per fault: configbreak, nodehalt, imageroll, evict, procsignal,
// dbpartition and packetloss (the network faults, on netfilter), dnsoutage
// and apiserver (the cluster's own components).
//
// A fault must never outlive the run that injected it, even a run killed
// with SIGKILL: before it breaks anything it hands the engine an Undo (what
// it takes to put that back), which the engine keeps with the cluster
// (chaos/guard) until the revert is done. Each fault package also offers a
// Repairer that puts things back from an Undo alone, in a new process: the
// next run calls it first.
package fault

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/selfheal/selfheal/chaos/result"
)

// Fault breaks one thing and puts it back.
type Fault interface {
	// Name is the fault's short name, as it appears in results ("wp-config-break").
	Name() string
	// Inject breaks things. Before each thing it breaks, it calls
	// m.Breaking with how to undo it, and breaks nothing if that fails. It
	// calls m.Injected at each injection instant, right after the breaking
	// call returned (a fault may inject several times, e.g. evicting pods
	// in turn), and returns when the fault is fully injected.
	Inject(ctx context.Context, m Marker) error
	// Revert undoes whatever Inject did, so the cluster is as it was. It
	// is idempotent, and safe to call after a failed or partial Inject, or
	// when Inject never ran. It calls m.Reverted for each thing it put back.
	Revert(ctx context.Context, m Marker) error
}

// Marker records fault instants; the scenario engine gives one to Inject
// and Revert. The instant is taken when the method is called.
type Marker interface {
	// Breaking records, before the fault breaks something, how to undo it.
	// When it returns an error the fault must not break it: a fault that
	// cannot be recorded could be left behind by a killed run.
	Breaking(ctx context.Context, u Undo) error
	Injected(detail string)
	Reverted(detail string)
	// Proved records evidence, read from the system after an injection,
	// that the fault took effect (Held true), or that it did not (Held
	// false): the rule listed with its counters, the process state, the
	// node seen NotReady. The engine fills in At and Fault when they are
	// empty. A fault that proves nothing ends its scenario as an error,
	// never a pass (result.Result.Unproven), so every fault must call it.
	Proved(e result.Evidence)
	// Logf reports progress to the person watching (never to the result).
	Logf(format string, args ...any)
}

// Undo is what it takes to put back one thing a fault is about to break,
// written so that a process that did not inject the fault can do it.
type Undo struct {
	// Kind names the Repairer that reads it (each fault package's
	// RepairKind).
	Kind string `json:"kind"`
	// Detail says in words what is broken ("node selfheal-worker halted").
	Detail string `json:"detail"`
	// Params is what the repairer needs: names, original values...
	Params map[string]string `json:"params,omitempty"`
}

// Repairer puts back what one kind of fault broke, from its Undo alone:
// the safety net for a run that died before its revert. Repair is
// idempotent (nothing left to repair is not an error) and bounded in
// time; it says what it did, in words ("" when there was nothing to do).
// It puts a value back only while it is still what the fault left, and
// returns an ErrNothingToRepair (Gone, Changed) when it is not.
type Repairer interface {
	Kind() string
	Repair(ctx context.Context, u Undo) (string, error)
}

// ErrNothingToRepair marks a revert or repair that found nothing of the
// fault left to put back: what the Undo names no longer exists (Gone), or
// someone changed it since (Changed), and putting the old value back would
// undo their change. It is no failure: chaos/guard says so and drops the
// record's entry, which would otherwise block every later run.
var ErrNothingToRepair = errors.New("nothing to repair")

// Gone says that what (a pod, a workload) no longer exists.
func Gone(what string) error {
	return fmt.Errorf("%s no longer exists: %w", what, ErrNothingToRepair)
}

// Changed says that what is now `now`, not the `left` the fault left it at.
func Changed(what, now, left string) error {
	return fmt.Errorf("%s is %s, not the %s the fault left: someone changed it since, so it is left as it is: %w", what, now, left, ErrNothingToRepair)
}

// RepairFunc makes a Repairer of kind from repair, which gets a context
// that ends after timeout: the bound every repair must keep. Every fault
// package's NewRepairer is one: the one shape of a repairer.
func RepairFunc(kind string, timeout time.Duration, repair func(ctx context.Context, u Undo) (string, error)) Repairer {
	return repairFunc{kind: kind, timeout: timeout, repair: repair}
}

type repairFunc struct {
	kind    string
	timeout time.Duration
	repair  func(ctx context.Context, u Undo) (string, error)
}

func (r repairFunc) Kind() string { return r.kind }

func (r repairFunc) Repair(ctx context.Context, u Undo) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	return r.repair(ctx, u)
}
