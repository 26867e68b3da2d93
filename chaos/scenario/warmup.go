package scenario

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// warmUp loads the app until the last Warmup of requests is a clean
// baseline, waiting up to WarmupLimit for one: a pod that restarted a
// moment ago, or a machine that was briefly starved, settles, and the
// fault is injected into a serving app. A clean baseline needs completed
// requests, at most maxBaselineFailures of them failed, and, for a
// scenario with a write stream, at least one acknowledged
// write: a stream that never worked (the write endpoint missing) would
// make "no acknowledged write lost" a pass on nothing. An app that never
// settles is not measured: the error says why, and names the host's
// pressure when it was high, so the reader knows whether to fix the app
// or the machine.
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
			problems := x.baselineProblems(st.Done-window[0].done, st.OK-window[0].ok)
			if len(problems) == 0 {
				if waited := now.Sub(start) - x.t.Warmup; waited >= time.Second {
					x.notes = append(x.notes, fmt.Sprintf("The warm-up waited %s for a clean %s baseline (at most %.0f%% of requests failed) before injecting.",
						waited.Round(time.Second), x.t.Warmup, 100*x.maxBaselineFailures))
				}
				return nil
			}
			hostText := x.warmupHost()
			if now.Sub(start) >= x.t.WarmupLimit {
				return x.warmupError(problems, hostText)
			}
			why := strings.Join(problems, "; ")
			if hostText != "" {
				why += "; " + hostText
			}
			x.phase.set(fmt.Sprintf("warm-up: waiting for a clean baseline (%s; gives up after %s)", why, x.t.WarmupLimit))
		}
	}
}

// baselineProblems says what keeps the last warm-up's done requests, ok
// of them successes, and the write stream so far from being a clean
// baseline; none when they are one.
func (x *run) baselineProblems(done, ok uint64) []string {
	var out []string
	switch {
	case done == 0:
		// Nothing completed is no baseline, not a 0 % failed one.
		out = append(out, fmt.Sprintf("no request completed in the last %s", x.t.Warmup))
	case 1-float64(ok)/float64(done) > x.maxBaselineFailures:
		out = append(out, fmt.Sprintf("%.1f%% of requests failed in the last %s", 100*(1-float64(ok)/float64(done)), x.t.Warmup))
	}
	if x.stream != nil {
		if p := x.stream.Progress(); p.Acknowledged == 0 {
			out = append(out, fmt.Sprintf("the write stream never worked in the warm-up: %d sent, 0 acknowledged (%s)", p.Answered, p.Failures()))
		}
	}
	return out
}

// warmupError is the error of a warm-up that found no clean baseline in
// its limit: each problem, what to fix, and the host's pressure when it
// was high.
func (x *run) warmupError(problems []string, hostText string) error {
	msg := fmt.Sprintf("no clean %s baseline in %s of warm-up (SELFHEAL_WARMUP_LIMIT, --warmup-limit), before any fault: %s",
		x.t.Warmup, x.t.WarmupLimit, strings.Join(problems, "; "))
	switch {
	case strings.Contains(msg, "write stream") && x.stream != nil:
		// the app's own endpoint (the WordPress fixture's is
		// fixtures/wordpress/manifests/wordpress-mu-plugins.yaml)
		msg += fmt.Sprintf(": is the app's write endpoint deployed (POST %s)?", x.stream.Settings().Target)
	default:
		msg += ": fix the app (or the load targets) first"
	}
	if hostText != "" {
		msg += "; but " + hostText + ": the machine may be the cause, not the app"
	}
	return errors.New(msg)
}
