package measure_test

import (
	"strings"
	"testing"
	"time"

	"github.com/selfheal/selfheal/chaos/measure"
	"github.com/selfheal/selfheal/chaos/result"
)

var t0 = time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)

func at(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }

func outage(from, to int) result.Outage {
	return result.Outage{Start: at(from), End: at(to), DurationMS: float64(to - from)}
}

// The charge rule: outside downtime is the app's only where the control
// probe succeeded; where both failed, the path failed.
func TestCharge(t *testing.T) {
	for _, tc := range []struct {
		name              string
		outside, control  []result.Outage
		charged, excused  float64
		excusedSpans      int
		controlDowntimeMS float64
	}{
		{name: "a clean control charges everything",
			outside: []result.Outage{outage(1000, 3000), outage(5000, 5500)}, charged: 2500},
		{name: "a control outage over the whole app outage is not charged",
			outside: []result.Outage{outage(1000, 3000)}, control: []result.Outage{outage(900, 3100)},
			charged: 0, excused: 2000, excusedSpans: 1},
		{name: "only the overlap is excused",
			outside: []result.Outage{outage(1000, 3000)}, control: []result.Outage{outage(2500, 4000)},
			charged: 1500, excused: 500, excusedSpans: 1},
		{name: "two control outages inside one app outage",
			outside: []result.Outage{outage(0, 10_000)}, control: []result.Outage{outage(1000, 2000), outage(8000, 8200)},
			charged: 8800, excused: 1200, excusedSpans: 2},
		{name: "a control outage between app outages touches neither",
			outside: []result.Outage{outage(1000, 2000), outage(3000, 4000)}, control: []result.Outage{outage(2000, 3000)},
			charged: 2000},
		{name: "a control outage alone is no app downtime",
			control: []result.Outage{outage(1000, 2000)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctl := result.Vantage{VantagePoint: result.VantagePoint{Name: "control"}, Outages: tc.control}
			for _, o := range tc.control {
				ctl.DowntimeMS += o.DurationMS
			}
			c := measure.Charge(tc.outside, ctl)
			if c.DowntimeMS != tc.charged || c.ExcusedMS != tc.excused || len(c.Excused) != tc.excusedSpans ||
				c.Control != "control" || c.ControlDowntimeMS != ctl.DowntimeMS {
				t.Errorf("charged %v, excused %v in %d spans (control %q, %v ms); want %v, %v in %d",
					c.DowntimeMS, c.ExcusedMS, len(c.Excused), c.Control, c.ControlDowntimeMS, tc.charged, tc.excused, tc.excusedSpans)
			}
			var outside float64
			for _, o := range tc.outside {
				outside += o.DurationMS
			}
			if c.DowntimeMS+c.ExcusedMS != outside {
				t.Errorf("charged + excused = %v; the outside downtime is %v", c.DowntimeMS+c.ExcusedMS, outside)
			}
		})
	}
}

// Merge puts every part's send times on the harness's clock.
func TestMerge(t *testing.T) {
	part := func(offset time.Duration, sends ...int) measure.Part {
		rec := measure.NewRecorder()
		rec.Began(at(sends[0] - 100).Add(offset))
		for _, ms := range sends {
			rec.Record(measure.Outcome{Sent: at(ms).Add(offset), Code: 200})
		}
		return measure.Part{Input: rec.Input(at(sends[len(sends)-1] + 100).Add(offset)), Offset: offset}
	}
	// Two sources whose clocks read 3 s ahead and 1.5 s behind, each
	// sending on the true times given.
	a := part(3*time.Second, 0, 200, 400)
	b := part(-1500*time.Millisecond, 100, 300, 500)
	in := measure.Merge([]measure.Part{a, b})
	if len(in.Samples) != 6 {
		t.Fatalf("%d samples merged; want 6", len(in.Samples))
	}
	for i, s := range in.Samples {
		if got, want := in.Epoch.Add(s.Sent), at(100*i); !got.Equal(want) {
			t.Errorf("sample %d sent at %v; truly at %v", i, got.Sub(t0), want.Sub(t0))
		}
	}
	if !in.Begin.Equal(at(-100)) || !in.End.Equal(at(600)) {
		t.Errorf("merged load from %v to %v; want -100ms to 600ms", in.Begin.Sub(t0), in.End.Sub(t0))
	}
}

func TestApplied(t *testing.T) {
	for _, tc := range []struct {
		name                string
		readings            []result.ClockReading
		offset, uncertainty float64
		ok                  bool
	}{
		{name: "none"},
		{name: "one", readings: []result.ClockReading{{OffsetMS: 12, UncertaintyMS: 1.5}}, offset: 12, uncertainty: 1.5, ok: true},
		{name: "the least uncertain wins",
			readings: []result.ClockReading{{OffsetMS: 12, UncertaintyMS: 4}, {OffsetMS: 11, UncertaintyMS: 1}}, offset: 11, uncertainty: 5, ok: true},
		{name: "a drift between the readings is stated",
			readings: []result.ClockReading{{OffsetMS: 0, UncertaintyMS: 1}, {OffsetMS: 30, UncertaintyMS: 2}}, offset: 0, uncertainty: 32, ok: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			off, unc, ok := measure.Applied(tc.readings)
			if ok != tc.ok || off != time.Duration(tc.offset*1e6) || unc != time.Duration(tc.uncertainty*1e6) {
				t.Errorf("Applied = %v ± %v (%v); want %v ± %v ms", off, unc, ok, tc.offset, tc.uncertainty)
			}
		})
	}
}

func TestReadingKeepsTheShortestRoundTrip(t *testing.T) {
	ex := []measure.Exchange{
		{Sent: at(0), Remote: at(5010), Received: at(20)},    // 20 ms round trip: offset 5000 ± 10
		{Sent: at(100), Remote: at(5102), Received: at(104)}, // 4 ms: offset 5000 ± 2
		{Sent: at(200), Remote: at(5230), Received: at(260)}, // 60 ms
	}
	r, ok := measure.Reading(ex)
	if !ok || r.OffsetMS != 5000 || r.UncertaintyMS != 2 || r.Exchanges != 3 || !r.At.Equal(at(100)) {
		t.Errorf("reading %+v", r)
	}
	if _, ok := measure.Reading(nil); ok {
		t.Error("a reading from no exchange")
	}
}

// A rate below the one asked for says the load side fell behind, unless
// sources were lost: then that loss is the reason, said elsewhere.
func TestPartialSilencesTheRateNote(t *testing.T) {
	for _, partial := range []bool{false, true} {
		rec := measure.NewRecorder()
		for i := range 200 { // 20/s for 10 s, of the 40/s asked
			rec.Record(measure.Outcome{Sent: rec.Epoch().Add(time.Duration(i) * 50 * time.Millisecond), Code: 200})
		}
		in := rec.Input(rec.Epoch().Add(10 * time.Second))
		in.Load = result.Load{Rate: 40}
		in.Params.Partial = partial
		v, err := measure.Vantage(result.VantagePoint{Name: "inside"}, in)
		if err != nil {
			t.Fatal(err)
		}
		said := false
		for _, n := range v.Notes {
			said = said || strings.Contains(n, "could not keep up")
		}
		if said == partial {
			t.Errorf("partial %v: notes %q", partial, v.Notes)
		}
	}
}
