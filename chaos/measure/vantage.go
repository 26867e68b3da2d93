package measure

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/selfheal/selfheal/chaos/result"
)

// Part is the requests of one source of a vantage point (a loader pod),
// with the offset of the clock its send times were read on from the
// harness's clock (its clock minus the harness's).
type Part struct {
	Input  Input
	Offset time.Duration
}

// Merge puts the requests of several sources into one Input on the
// harness's clock: every send time, and each part's beginning and end,
// moves back by its part's offset. The merged load began with the first
// part and ended with the last. Marks and the load's settings are the
// caller's to set.
func Merge(parts []Part) Input {
	var out Input
	if len(parts) == 0 {
		return out
	}
	// Wall-clock arithmetic throughout: a source's send times are read
	// on another clock, so its offsets from its epoch were taken on the
	// wall clock, and the monotonic reading of the epochs would differ
	// from it by whatever the wall clock was slewed by meanwhile.
	out.Epoch = parts[0].Input.Epoch.Round(0)
	n := 0
	for _, p := range parts {
		n += len(p.Input.Samples)
	}
	out.Samples = make([]Sample, 0, n)
	for _, p := range parts {
		// Offsets are from each part's epoch: re-base them on the
		// merged one, then take the clock's offset away.
		shift := p.Input.Epoch.Round(0).Sub(out.Epoch) - p.Offset
		for _, s := range p.Input.Samples {
			s.Sent += shift
			out.Samples = append(out.Samples, s)
		}
		if b := p.Input.Begin; !b.IsZero() {
			b = b.Add(-p.Offset)
			if out.Begin.IsZero() || b.Before(out.Begin) {
				out.Begin = b
			}
		}
		if e := p.Input.End; !e.IsZero() {
			e = e.Add(-p.Offset)
			if e.After(out.End) {
				out.End = e
			}
		}
	}
	sortSamples(out.Samples)
	return out
}

// Vantage analyses one vantage point's requests as Analyze does the
// outside's, from the same fault instants (in carries them), and keeps
// the figures a result has per vantage point.
func Vantage(p result.VantagePoint, in Input) (result.Vantage, error) {
	res, err := Analyze(in)
	if err != nil {
		return result.Vantage{}, fmt.Errorf("analysing vantage point %s: %w", p.Name, err)
	}
	return result.Vantage{
		VantagePoint: p, Load: res.Load, Requests: res.Requests, StatusCodes: res.StatusCodes, Errors: res.Errors,
		Server5xx: res.Server5xx, DowntimeMS: res.DowntimeMS, LongestOutageMS: res.LongestOutageMS,
		FullOutageSeconds: res.FullOutageSeconds, Outages: res.Outages,
		TimeToFirstErrorMS: res.TimeToFirstErrorMS, RecoveryMS: res.RecoveryMS, RecoveryState: res.RecoveryState,
		Timeline: res.Timeline, Notes: res.Notes,
	}, nil
}

// Charge applies the charge rule (docs/measurement.md, "Downtime charged
// to the app"): the outside downtime is charged to the app only where the
// control probe was healthy. Each outside outage is charged less its
// overlap with the control probe's outages; the overlaps are excused. A
// stretch the control probe sent nothing in is no evidence for the path,
// so it is charged.
func Charge(outside []result.Outage, control result.Vantage) *result.Charge {
	c := &result.Charge{Control: control.Name, ControlDowntimeMS: control.DowntimeMS, Excused: []result.Span{}}
	var total float64
	var excused time.Duration
	for _, o := range outside {
		total += o.DurationMS
		var over time.Duration
		for _, k := range control.Outages {
			lo, hi := later(o.Start, k.Start), earlier(o.End, k.End)
			if hi.After(lo) {
				over += hi.Sub(lo)
				c.Excused = append(c.Excused, result.Span{Start: lo, End: hi})
			}
		}
		excused += over
	}
	slices.SortFunc(c.Excused, func(a, b result.Span) int { return a.Start.Compare(b.Start) })
	// Charged and excused add up to the outside downtime as the result
	// has it (the sum of its outages' durations, each to the µs).
	c.ExcusedMS = ms(excused)
	c.DowntimeMS = math.Round((total-c.ExcusedMS)*1000) / 1000
	return c
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// Exchange is one NTP-style reading of a remote clock: the harness's
// clock before the question (Sent) and after the answer (Received), and
// the remote clock's answer in between (Remote).
type Exchange struct {
	Sent, Remote, Received time.Time
}

// Offset is the remote clock minus the harness's at the middle of the
// exchange, t1 − (t0+t2)/2: exact when the question and the answer took
// as long as each other.
func (e Exchange) Offset() time.Duration {
	return e.Remote.Sub(e.Sent) - e.Received.Sub(e.Sent)/2
}

// Uncertainty is how far Offset may be off whatever the two legs took:
// half the round trip, (t2−t0)/2.
func (e Exchange) Uncertainty() time.Duration { return e.Received.Sub(e.Sent) / 2 }

// Reading keeps the exchange with the shortest round trip, the one whose
// offset is the least uncertain (NTP's minimum-delay filter); false when
// there is none.
func Reading(ex []Exchange) (result.ClockReading, bool) {
	if len(ex) == 0 {
		return result.ClockReading{}, false
	}
	best := ex[0]
	for _, e := range ex[1:] {
		if e.Uncertainty() < best.Uncertainty() {
			best = e
		}
	}
	return result.ClockReading{
		At: best.Sent.Round(0), OffsetMS: ms(best.Offset()), UncertaintyMS: ms(best.Uncertainty()), Exchanges: len(ex),
	}, true
}

// Applied is the offset a source's send times are corrected by, from its
// clock readings (before and after its load): the least uncertain one.
// Its uncertainty covers every reading, so a clock that drifted between
// them states the drift: the largest of |applied − offset| + uncertainty
// over the readings. False without a reading.
func Applied(readings []result.ClockReading) (offset, uncertainty time.Duration, ok bool) {
	if len(readings) == 0 {
		return 0, 0, false
	}
	best := readings[0]
	for _, r := range readings[1:] {
		if r.UncertaintyMS < best.UncertaintyMS {
			best = r
		}
	}
	var worst float64
	for _, r := range readings {
		d := r.OffsetMS - best.OffsetMS
		worst = max(worst, max(d, -d)+r.UncertaintyMS)
	}
	return msDur(best.OffsetMS), msDur(worst), true
}

func msDur(v float64) time.Duration { return time.Duration(v * float64(time.Millisecond)) }
