package result

import (
	"slices"
	"time"
)

// FaultWindow is one injection and the revert that undid it: where a fault
// began and ended, for the reader who lays results over other graphs.
type FaultWindow struct {
	Injection Injection
	// Revert is nil when nothing was reverted for the injection: an
	// instant fault (an eviction, a roll: the next injection rolls back)
	// or one the system undid itself (a restart rewrote the broken file).
	Revert *Injection
}

// End is when the fault ended: its revert, or its injection when nothing
// reverted it (a window of no length).
func (w FaultWindow) End() time.Time {
	if w.Revert == nil {
		return w.Injection.At
	}
	return w.Revert.At
}

// FaultWindows pairs each injection with the earliest revert of the same
// fault at or after it that no earlier injection took, in time order. A
// fault that breaks two pods in turn reverts them in the same order
// (db-partition: pod A, pod B; then A, B), and a drain's cordon takes its
// uncordon while its eviction, which nothing reverts, takes none.
func (r *Result) FaultWindows() []FaultWindow {
	ins := slices.Clone(r.Injections)
	slices.SortStableFunc(ins, func(a, b Injection) int { return a.At.Compare(b.At) })
	reverts := slices.Clone(r.Reverts)
	slices.SortStableFunc(reverts, func(a, b Injection) int { return a.At.Compare(b.At) })
	taken := make([]bool, len(reverts))
	out := make([]FaultWindow, 0, len(ins))
	for _, in := range ins {
		w := FaultWindow{Injection: in}
		for i, rv := range reverts {
			if !taken[i] && rv.Fault == in.Fault && !rv.At.Before(in.At) {
				taken[i] = true
				w.Revert = &reverts[i]
				break
			}
		}
		out = append(out, w)
	}
	return out
}
