package scenario

import (
	"context"
	"fmt"
	"time"
)

// warmUp loads the app until the last Warmup of requests failed at most
// maxBaselineFailures of the time, waiting up to WarmupLimit for such a
// clean baseline: a pod that restarted a moment ago, or a machine that
// was briefly starved, settles, and the fault is injected into a serving
// app. An app that never settles is not measured: the error says so, and
// names the host's pressure when it was high, so the reader knows whether
// to fix the app or the machine.
func (x *run) warmUp(ctx context.Context) error {
	x.phase.set("warm-up")
	start := time.Now()
	every := min(time.Second, max(x.t.Warmup/4, 50*time.Millisecond))
	type point struct {
		at       time.Time
		done, ok uint64
	}
	st := x.rec.Status(start)
	window := []point{{start, st.Done, st.OK}}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return fmt.Errorf("interrupted during warm-up: %w", context.Cause(ctx))
		case now := <-tick.C:
			st := x.rec.Status(now)
			window = append(window, point{now, st.Done, st.OK})
			if now.Sub(start) < x.t.Warmup {
				continue
			}
			// The newest point at least a warm-up old opens the window.
			i := 0
			for i+1 < len(window) && !window[i+1].at.After(now.Add(-x.t.Warmup)) {
				i++
			}
			window = window[i:]
			done, ok := st.Done-window[0].done, st.OK-window[0].ok
			failed := 0.0
			if done > 0 {
				failed = 1 - float64(ok)/float64(done)
			}
			if failed <= x.maxBaselineFailures {
				if waited := now.Sub(start) - x.t.Warmup; waited >= time.Second {
					x.notes = append(x.notes, fmt.Sprintf("The warm-up waited %s for a clean %s baseline (at most %.0f%% of requests failed) before injecting.",
						waited.Round(time.Second), x.t.Warmup, 100*x.maxBaselineFailures))
				}
				return nil
			}
			why := fmt.Sprintf("%.1f%% of requests failed in the last %s", 100*failed, x.t.Warmup)
			hostText := x.warmupHost()
			if now.Sub(start) >= x.t.WarmupLimit {
				msg := fmt.Sprintf("the app failed %.1f%% of requests in the last %s of warm-up, before any fault, and found no clean %s baseline in %s (SELFHEAL_WARMUP_LIMIT, --warmup-limit): fix the app (or the load targets) first",
					100*failed, x.t.Warmup, x.t.Warmup, x.t.WarmupLimit)
				if hostText != "" {
					msg += "; but " + hostText + ": the machine may be the cause, not the app"
				}
				return fmt.Errorf("%s", msg)
			}
			if hostText != "" {
				why += "; " + hostText
			}
			x.phase.set(fmt.Sprintf("warm-up: waiting for a clean baseline (%s; gives up after %s)", why, x.t.WarmupLimit))
		}
	}
}
