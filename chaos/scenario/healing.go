package scenario

import (
	"context"
	"sync"
	"time"

	"github.com/selfheal/selfheal/chaos/kube"
	"github.com/selfheal/selfheal/chaos/result"
)

// healing follows the workload's desired state from the API after the
// first injection: healed is the last instant it came back, having been
// seen broken (docs/measurement.md, "Faults, recovery and healing").
type healing struct {
	mu         sync.Mutex
	seenBroken bool
	broken     bool
	healedAt   time.Time
	lastWhy    string
	checks     int
	errors     int
	done       chan struct{}
}

// watch polls check every interval from the first injection on (first
// tells when that was) until ctx ends. recoverAs is deferred in its
// goroutine: a panicking check ends the run instead of the process.
func (h *healing) watch(ctx context.Context, check kube.Check, interval time.Duration, first func() (time.Time, bool), recoverAs func(string)) {
	h.done = make(chan struct{})
	go func() {
		defer close(h.done)
		defer recoverAs("the healing watcher")
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			if _, ok := first(); !ok {
				continue
			}
			cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			ok, why, err := check(cctx)
			now := time.Now()
			cancel()
			// Stopped while checking: the check may have seen the revert,
			// which is not the workload healing by itself.
			if ctx.Err() != nil {
				return
			}
			h.observe(now, ok, why, err)
		}
	}()
}

func (h *healing) observe(now time.Time, ok bool, why string, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.checks++
	if err != nil {
		// An API hiccup says nothing about the workload.
		h.errors++
		return
	}
	switch {
	case !ok:
		h.seenBroken, h.broken, h.lastWhy = true, true, why
	case h.broken:
		h.broken, h.healedAt = false, now
	}
}

// state reports whether the workload is healed now, and whether it was
// ever seen broken.
func (h *healing) state() (healed, seenBroken bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.seenBroken && !h.broken, h.seenBroken
}

// result is the Healing figure relative to the first injection.
func (h *healing) result(first time.Time, condition string) *result.Healing {
	if h.done != nil {
		<-h.done
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	r := &result.Healing{Condition: condition, State: result.HealingNotHealed}
	switch {
	case first.IsZero():
		r.Condition += " (no injection happened)"
	case !h.seenBroken:
		// Kubernetes never saw anything wrong: there is no healing to
		// time, which is the finding when the users did see errors. Not
		// a 0: a healing budget over it is missed.
		r.State = result.HealingNeverBroken
		r.Condition += "; Kubernetes never saw the workload leave its desired state"
	case h.broken:
		r.Condition += "; still not at the desired state when observation ended: " + h.lastWhy
	default:
		ms := float64(h.healedAt.Sub(first)) / float64(time.Millisecond)
		at := h.healedAt
		r.State, r.Healed, r.MS, r.At = result.HealingHealed, true, &ms, &at
	}
	return r
}
