package guard

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/selfheal/selfheal/chaos/fault"
)

// Repaired is one entry Repair dealt with.
type Repaired struct {
	Entry Entry
	// Did says what the repairer did; "" when nothing was left to repair
	// (the run died after its revert, or before the fault broke anything).
	Did string
	// Dropped says why there was nothing to repair: what the entry names
	// no longer exists, or someone changed it since (fault.ErrNothingToRepair).
	Dropped string
	Took    time.Duration
	Err     error
}

func (r Repaired) String() string {
	switch {
	case r.Err != nil:
		return fmt.Sprintf("could not repair %s: %v", r.Entry, r.Err)
	case r.Dropped != "":
		return fmt.Sprintf("dropped %s: %s (checked in %s)", r.Entry, r.Dropped, r.Took.Round(100*time.Millisecond))
	case r.Did == "":
		return fmt.Sprintf("nothing left to repair of %s (checked in %s)", r.Entry, r.Took.Round(100*time.Millisecond))
	default:
		return fmt.Sprintf("repaired %s: %s (took %s)", r.Entry, r.Did, r.Took.Round(100*time.Millisecond))
	}
}

// Repair hands every entry of the record to the repairer of its kind, and
// removes the entries that were repaired, and those with nothing left to
// repair (fault.ErrNothingToRepair: the object is gone, or someone changed
// it since), saying why. It goes on past a failure; an
// entry it could not repair stays in the record, and the error names each
// one. report is called as each entry is done.
func Repair(ctx context.Context, rec *Record, repairers []fault.Repairer, report func(Repaired)) ([]Repaired, error) {
	entries, listErr := rec.List(ctx)
	byKind := map[string]fault.Repairer{}
	for _, r := range repairers {
		byKind[r.Kind()] = r
	}
	var done []Repaired
	var errs []error
	for _, e := range entries {
		r := repairOne(ctx, byKind, e)
		if r.Err == nil {
			r.Err = rec.End(ctx, e.ID)
		}
		if r.Err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", e, r.Err))
		}
		if report != nil {
			report(r)
		}
		done = append(done, r)
	}
	if listErr != nil {
		errs = append(errs, listErr)
	}
	if len(errs) > 0 {
		return done, fmt.Errorf("faults left by an earlier run could not all be repaired (they stay in %s/%s): %w", Namespace, RecordName, errors.Join(errs...))
	}
	return done, nil
}

func repairOne(ctx context.Context, byKind map[string]fault.Repairer, e Entry) (r Repaired) {
	r.Entry = e
	start := time.Now()
	defer func() {
		r.Took = time.Since(start)
		// A repairer's bug must not take the entry point down with it.
		if p := recover(); p != nil {
			r.Err = fmt.Errorf("repairer %q panicked: %v", e.Undo.Kind, p)
		}
	}()
	rep, ok := byKind[e.Undo.Kind]
	if !ok {
		r.Err = fmt.Errorf("no repairer for kind %q (written by another selfheal version?); repair it by hand from the record", e.Undo.Kind)
		return r
	}
	r.Did, r.Err = rep.Repair(ctx, e.Undo)
	if errors.Is(r.Err, fault.ErrNothingToRepair) {
		r.Dropped, r.Err = r.Err.Error(), nil
	}
	return r
}
