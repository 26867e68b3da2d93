package measure

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/selfheal/selfheal/chaos/result"
)

// epoch is a fixed instant so expected times can be written as offsets.
var epoch = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// run is a scripted request stream: segments of n requests each, one
// every interval (100 ms, i.e. 10 requests per second) from offset 0.
type seg struct {
	n      int
	code   uint16
	class  Class
	target uint8
	latMS  float64
}

func ok(n int) seg             { return seg{n: n, code: 200, latMS: 10} }
func code(n int, c uint16) seg { return seg{n: n, code: c, latMS: 10} }
func fail(n int, c Class) seg  { return seg{n: n, class: c, latMS: 500} }

const interval = 100 * time.Millisecond

func stream(segs ...seg) []Sample {
	var out []Sample
	for _, sg := range segs {
		for range sg.n {
			out = append(out, Sample{
				Sent:      time.Duration(len(out)) * interval,
				LatencyUS: uint32(sg.latMS * 1000),
				Code:      sg.code,
				Class:     sg.class,
				Target:    sg.target,
			})
		}
	}
	return out
}

// off is an offset from epoch in seconds, as an instant.
func off(sec float64) time.Time { return epoch.Add(time.Duration(sec * float64(time.Second))) }

func mark(sec float64) Mark { return Mark{At: off(sec), Fault: "f", Detail: "d"} }

func f(v float64) *float64 { return &v }

func analyze(t *testing.T, in Input) *result.Result {
	t.Helper()
	in.Epoch = epoch
	if in.Load.Rate == 0 {
		in.Load.Rate = 10
	}
	res, err := Analyze(in)
	if err != nil {
		t.Fatalf("Analyze: %v", err)
	}
	return res
}

type outage struct {
	start, end float64 // seconds from epoch
	requests   int
	cause      string
	open       bool
}

func outagesOf(res *result.Result) []outage {
	var out []outage
	for _, o := range res.Outages {
		out = append(out, outage{
			start: o.Start.Sub(epoch).Seconds(), end: o.End.Sub(epoch).Seconds(),
			requests: o.Requests, cause: o.Cause, open: o.Open,
		})
	}
	return out
}

func eqPtr(a, b *float64) bool {
	if a == nil || b == nil {
		return a == b
	}
	return math.Abs(*a-*b) < 1e-6
}

func str(p *float64) string {
	if p == nil {
		return "null"
	}
	return fmt.Sprintf("%g", *p)
}

func TestOutagesAndRecovery(t *testing.T) {
	W := 2 * time.Second
	tests := []struct {
		name       string
		samples    []Sample
		end        float64 // run's end in seconds; 0: the last send
		inj        []Mark
		p          Params
		outages    []outage
		downtimeMS float64
		longestMS  float64
		ttfe       *float64
		recovery   *float64
		recovered  bool
		from       result.RecoveryOrigin
		impact     result.Impact
		ratio      *float64
		observed   *float64
	}{
		{
			name:      "no failure, no injection",
			samples:   stream(ok(50)),
			recovered: true, recovery: f(0), impact: "none",
		},
		{
			name:      "no failure after an injection",
			samples:   stream(ok(50)),
			inj:       []Mark{mark(1)},
			recovered: true, recovery: f(0), impact: "none", from: result.FromInjection,
			ratio: f(0), observed: f(3900),
		},
		{
			// inj at 1.0 s; 503 for requests 12..19 (1.2 s to 2.0 s).
			name:       "one outage after an injection",
			samples:    stream(ok(12), code(8, 503), ok(30)),
			inj:        []Mark{mark(1)},
			outages:    []outage{{1.2, 2.0, 8, "503", false}},
			downtimeMS: 800, longestMS: 800,
			ttfe: f(200), recovery: f(1000), recovered: true, from: result.FromInjection,
			impact: "partial", ratio: f(8.0 / 10), observed: f(3900),
		},
		{
			// Failing at the end: the outage stays open up to the run's end.
			name:       "open at end",
			samples:    stream(ok(10), fail(20, ClassRefused)),
			end:        3.5,
			inj:        []Mark{mark(0.95)},
			outages:    []outage{{1.0, 3.5, 20, "refused", true}},
			downtimeMS: 2500, longestMS: 2500,
			ttfe: f(50), recovered: false, from: result.FromInjection,
			impact: "full", ratio: f(20.0 / 20), observed: f(2550),
		},
		{
			// Bursts 0.5 s apart (shorter than W) are one fault episode:
			// recovery comes after the last burst plus a confirmed run.
			name:       "flapping",
			samples:    stream(ok(10), code(3, 500), ok(5), code(2, 502), ok(5), fail(1, ClassTimeout), ok(40)),
			inj:        []Mark{mark(1)},
			outages:    []outage{{1.0, 1.3, 3, "500", false}, {1.8, 2.0, 2, "502", false}, {2.5, 2.6, 1, "timeout", false}},
			downtimeMS: 600, longestMS: 300,
			ttfe: f(0), recovery: f(1600), recovered: true, from: result.FromInjection,
			impact: "partial", ratio: f(6.0 / 16), observed: f(5500),
		},
		{
			// The run of successes after the outage lasts 1.5 s < W before
			// the run ends: not confirmed, so not recovered.
			name:       "not recovered: too short a run",
			samples:    stream(ok(10), code(10, 503), ok(15)),
			inj:        []Mark{mark(1)},
			outages:    []outage{{1.0, 2.0, 10, "503", false}},
			downtimeMS: 1000, longestMS: 1000,
			ttfe: f(0), recovered: false, from: result.FromInjection,
			impact: "full", ratio: f(10.0 / 25), observed: f(2400),
		},
		{
			// The run's end (not only a later request) can confirm a run.
			name:       "confirmed by the run's end",
			samples:    stream(ok(10), code(10, 503), ok(15)),
			end:        4.0,
			inj:        []Mark{mark(1)},
			outages:    []outage{{1.0, 2.0, 10, "503", false}},
			downtimeMS: 1000, longestMS: 1000,
			ttfe: f(0), recovery: f(1000), recovered: true, from: result.FromInjection,
			impact: "full", ratio: f(10.0 / 10), observed: f(3000),
		},
		{
			name:       "recovered after the deadline counts as not recovered",
			samples:    stream(ok(10), code(10, 503), ok(40)),
			inj:        []Mark{mark(1)},
			p:          Params{Deadline: 500 * time.Millisecond},
			outages:    []outage{{1.0, 2.0, 10, "503", false}},
			downtimeMS: 1000, longestMS: 1000,
			ttfe: f(0), recovered: false, from: result.FromInjection,
			impact: "full", ratio: f(10.0 / 50), observed: f(4900),
		},
		{
			// Nobody marked an injection: recovery runs from the first failure.
			name:       "no injection: from the first failure",
			samples:    stream(ok(10), fail(5, ClassReset), ok(40)),
			outages:    []outage{{1.0, 1.5, 5, "reset", false}},
			downtimeMS: 500, longestMS: 500,
			recovery: f(500), recovered: true, from: result.FromFirstFailure,
			impact: "partial", ratio: f(5.0 / 5), observed: f(4400),
		},
		{
			// inj1 at 1.0 (outage 1.0-1.5), inj2 at 3.0 (outage 3.0-3.5):
			// the episode recovers after the second outage.
			name:       "two injections",
			samples:    stream(ok(10), code(5, 503), ok(15), code(5, 503), ok(40)),
			inj:        []Mark{mark(1), mark(3)},
			outages:    []outage{{1.0, 1.5, 5, "503", false}, {3.0, 3.5, 5, "503", false}},
			downtimeMS: 1000, longestMS: 500,
			ttfe: f(0), recovery: f(2500), recovered: true, from: result.FromInjection,
			impact: "partial", ratio: f(10.0 / 25), observed: f(6400),
		},
		{
			// inj2 at 4.0 causes no failure: the episode still lasts until
			// it, since a fault was still being injected.
			name:       "later injection without failure extends the episode",
			samples:    stream(ok(10), code(5, 503), ok(60)),
			inj:        []Mark{mark(1), mark(4)},
			outages:    []outage{{1.0, 1.5, 5, "503", false}},
			downtimeMS: 500, longestMS: 500,
			ttfe: f(0), recovery: f(3000), recovered: true, from: result.FromInjection,
			impact: "partial", ratio: f(5.0 / 30), observed: f(6400),
		},
		{
			// 4xx succeed by default: no outage, but counted apart.
			name:      "4xx succeed by default",
			samples:   stream(ok(10), code(5, 404), ok(40)),
			inj:       []Mark{mark(1)},
			recovered: true, recovery: f(0), impact: "none", from: result.FromInjection,
			ratio: f(0), observed: f(4400),
		},
		{
			name:       "4xx fail when asked",
			samples:    stream(ok(10), code(5, 404), ok(40)),
			inj:        []Mark{mark(1)},
			p:          Params{FailOn4xx: true},
			outages:    []outage{{1.0, 1.5, 5, "404", false}},
			downtimeMS: 500, longestMS: 500,
			ttfe: f(0), recovery: f(500), recovered: true, from: result.FromInjection,
			impact: "partial", ratio: f(5.0 / 5), observed: f(4400),
		},
		{
			// The dominant cause has the most requests; ties go to the
			// first seen.
			name:       "dominant cause",
			samples:    stream(ok(10), fail(1, ClassTimeout), code(3, 503), fail(3, ClassRefused), ok(40)),
			outages:    []outage{{1.0, 1.7, 7, "503", false}},
			downtimeMS: 700, longestMS: 700,
			recovery: f(700), recovered: true, from: result.FromFirstFailure,
			impact: "partial", ratio: f(1), observed: f(4600),
		},
		{
			// A failed first request opens an outage at the run's start.
			name:       "failing from the start",
			samples:    stream(code(5, 500), ok(30)),
			outages:    []outage{{0, 0.5, 5, "500", false}},
			downtimeMS: 500, longestMS: 500,
			recovery: f(500), recovered: true, from: result.FromFirstFailure,
			impact: "partial", ratio: f(1), observed: f(3400),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.p
			if p.ConfirmationWindow == 0 {
				p.ConfirmationWindow = W
			}
			in := Input{Samples: tt.samples, Injections: tt.inj, Params: p}
			if tt.end > 0 {
				in.End = off(tt.end)
			}
			res := analyze(t, in)
			if got := outagesOf(res); !reflect.DeepEqual(got, tt.outages) {
				t.Errorf("outages = %+v\nwant %+v", got, tt.outages)
			}
			if res.DowntimeMS != tt.downtimeMS || res.LongestOutageMS != tt.longestMS {
				t.Errorf("downtime, longest = %v, %v ms; want %v, %v", res.DowntimeMS, res.LongestOutageMS, tt.downtimeMS, tt.longestMS)
			}
			if !eqPtr(res.TimeToFirstErrorMS, tt.ttfe) {
				t.Errorf("time to first error = %s; want %s", str(res.TimeToFirstErrorMS), str(tt.ttfe))
			}
			if !eqPtr(res.RecoveryMS, tt.recovery) || res.Recovered != tt.recovered {
				t.Errorf("recovery = %s recovered=%v; want %s recovered=%v", str(res.RecoveryMS), res.Recovered, str(tt.recovery), tt.recovered)
			}
			if res.RecoveryFrom != tt.from || res.Impact != tt.impact {
				t.Errorf("recovery_from, impact = %q, %q; want %q, %q", res.RecoveryFrom, res.Impact, tt.from, tt.impact)
			}
			if !eqPtr(res.ErrorRatio, tt.ratio) || !eqPtr(res.ObservedMS, tt.observed) {
				t.Errorf("error ratio, observed = %s, %s; want %s, %s", str(res.ErrorRatio), str(res.ObservedMS), str(tt.ratio), str(tt.observed))
			}
			if res.Recovered && tt.recovery != nil && *tt.recovery > 0 {
				ref := epoch
				if len(tt.inj) > 0 {
					ref = tt.inj[0].At
				} else {
					ref = res.Outages[0].Start
				}
				if want := ref.Add(time.Duration(*tt.recovery * 1e6)); res.RecoveredAt == nil || !res.RecoveredAt.Equal(want) {
					t.Errorf("recovered_at = %v; want %v", res.RecoveredAt, want)
				}
			}
		})
	}
}

func TestCausesOfAnOutage(t *testing.T) {
	res := analyze(t, Input{Samples: stream(ok(5), fail(2, ClassTimeout), code(2, 503), fail(1, ClassEOF), ok(5))})
	if len(res.Outages) != 1 {
		t.Fatalf("outages = %d; want 1", len(res.Outages))
	}
	o := res.Outages[0]
	if want := map[string]int{"timeout": 2, "503": 2, "eof": 1}; !reflect.DeepEqual(o.Causes, want) {
		t.Errorf("causes = %v; want %v", o.Causes, want)
	}
	if o.Cause != "timeout" {
		t.Errorf("cause = %q; want the first seen of the tied causes, timeout", o.Cause)
	}
}

func TestCounts(t *testing.T) {
	s := stream(ok(10), code(3, 301), code(4, 404), code(2, 500), code(5, 503), fail(6, ClassTimeout), fail(1, ClassDNS), ok(2))
	for i := range s {
		s[i].Target = uint8(i % 2)
	}
	res := analyze(t, Input{Samples: s, Load: result.Load{Targets: []string{"http://a/", "http://b/"}}})
	wantCodes := map[string]int{"200": 12, "301": 3, "404": 4, "500": 2, "503": 5}
	if !reflect.DeepEqual(res.StatusCodes, wantCodes) {
		t.Errorf("status codes = %v; want %v", res.StatusCodes, wantCodes)
	}
	if want := map[string]int{"timeout": 6, "dns": 1}; !reflect.DeepEqual(res.Errors, want) {
		t.Errorf("errors = %v; want %v", res.Errors, want)
	}
	if res.Server5xx != 7 || res.Client4xx != 4 {
		t.Errorf("5xx, 4xx = %d, %d; want 7, 4", res.Server5xx, res.Client4xx)
	}
	if want := (result.Requests{Total: 33, OK: 19, Failed: 14}); res.Requests != want {
		t.Errorf("requests = %+v; want %+v", res.Requests, want)
	}
	if len(res.Targets) != 2 {
		t.Fatalf("targets = %d; want 2", len(res.Targets))
	}
	sum := 0
	for i, tg := range res.Targets {
		sum += tg.Requests.Total
		if tg.URL != res.Load.Targets[i] {
			t.Errorf("target %d url = %q", i, tg.URL)
		}
	}
	if sum != 33 || res.Targets[0].Requests.Total != 17 {
		t.Errorf("per-target totals = %d (first %d); want 33 (17)", sum, res.Targets[0].Requests.Total)
	}
}

func TestBuckets(t *testing.T) {
	// 10 requests per second. Second 0: all ok; second 1: all 503 (full);
	// second 2: half failed (degraded); second 3: ok; then 0.5 s of ok.
	s := stream(ok(10), code(10, 503), ok(5), fail(5, ClassRefused), ok(15))
	res := analyze(t, Input{Samples: s, End: off(4.5)})
	if res.FullOutageSeconds != 1 || res.DegradedSeconds != 1 {
		t.Errorf("full, degraded seconds = %d, %d; want 1, 1", res.FullOutageSeconds, res.DegradedSeconds)
	}
	if len(res.Timeline) != 5 {
		t.Fatalf("timeline buckets = %d; want 5", len(res.Timeline))
	}
	b := res.Timeline[2]
	if b.OK2xx != 5 || b.Errors != 5 || !b.Start.Equal(off(2)) {
		t.Errorf("bucket 2 = %+v; want 5 ok, 5 errors at +2s", b)
	}
	if res.Timeline[1].S5xx != 10 || res.Timeline[4].OK2xx != 5 {
		t.Errorf("buckets 1, 4 = %+v, %+v", res.Timeline[1], res.Timeline[4])
	}
	if b.MaxMS != 500 || b.P50MS != 10 {
		t.Errorf("bucket 2 latency p50, max = %v, %v; want 10, 500", b.P50MS, b.MaxMS)
	}
	// A half-second timeline keeps full/degraded seconds on 1 s buckets.
	res = analyze(t, Input{Samples: s, End: off(4.5), Params: Params{Bucket: 500 * time.Millisecond}})
	if len(res.Timeline) != 10 || res.FullOutageSeconds != 1 || res.DegradedSeconds != 1 || res.Analysis.BucketMS != 500 {
		t.Errorf("500 ms buckets: %d buckets, full %d, degraded %d, bucket_ms %v", len(res.Timeline), res.FullOutageSeconds, res.DegradedSeconds, res.Analysis.BucketMS)
	}
}

func TestLatencyWindows(t *testing.T) {
	// Baseline 10 ms, the fault's failures 500 ms, after 30 ms.
	s := stream(ok(10), fail(5, ClassTimeout), seg{n: 30, code: 200, latMS: 30})
	res := analyze(t, Input{Samples: s, Injections: []Mark{mark(1)}, Params: Params{ConfirmationWindow: time.Second}})
	w := res.Latency
	if w.Baseline == nil || w.Baseline.Count != 10 || w.Baseline.Max != 10 {
		t.Errorf("baseline = %+v; want 10 requests at 10 ms", w.Baseline)
	}
	if w.Impact == nil || w.Impact.Count != 5 || w.Impact.P50 != 500 {
		t.Errorf("impact = %+v; want the 5 timeouts", w.Impact)
	}
	if w.After == nil || w.After.Count != 30 || w.After.P99 != 30 {
		t.Errorf("after = %+v; want 30 requests at 30 ms", w.After)
	}
}

func TestPercentilesNearestRank(t *testing.T) {
	lat := make([]uint32, 0, 200)
	for i := 200; i >= 1; i-- {
		lat = append(lat, uint32(i*1000)) // 1..200 ms, reversed
	}
	p := percentiles(lat)
	want := result.Percentiles{P50: 100, P95: 190, P99: 198, Max: 200, Count: 200}
	if *p != want {
		t.Errorf("percentiles = %+v; want %+v", *p, want)
	}
	if percentiles(nil) != nil {
		t.Error("percentiles of nothing should be nil")
	}
}

func TestPerInjectionFigures(t *testing.T) {
	// inj1 at 1.0 -> outage 1.2-1.5; inj2 at 3.0 -> nothing fails before
	// inj3 at 5.0 -> outage 5.5-6.0.
	s := stream(ok(12), code(3, 503), ok(40), code(5, 502), ok(40))
	res := analyze(t, Input{Samples: s, Injections: []Mark{mark(3), mark(1), mark(5)}, Params: Params{ConfirmationWindow: time.Second}})
	type fig struct {
		ttfe, rec *float64
		ok        bool
	}
	want := []fig{{f(200), f(500), true}, {nil, f(0), true}, {f(500), f(1000), true}}
	for i, inj := range res.Injections {
		got := fig{inj.TimeToFirstErrorMS, inj.RecoveryMS, inj.Recovered != nil && *inj.Recovered}
		if !eqPtr(got.ttfe, want[i].ttfe) || !eqPtr(got.rec, want[i].rec) || got.ok != want[i].ok {
			t.Errorf("injection %d (at %v): ttfe %s recovery %s recovered %v; want %s %s %v",
				i, inj.At.Sub(epoch), str(got.ttfe), str(got.rec), got.ok, str(want[i].ttfe), str(want[i].rec), want[i].ok)
		}
	}
	if !eqPtr(res.TimeToFirstErrorMS, f(200)) || !eqPtr(res.RecoveryMS, f(5000)) {
		t.Errorf("episode ttfe %s recovery %s; want 200 ms and 5000 ms", str(res.TimeToFirstErrorMS), str(res.RecoveryMS))
	}
}

func TestUnsortedInputAndEmptyRun(t *testing.T) {
	s := stream(ok(10), code(5, 503), ok(30))
	want := analyze(t, Input{Samples: slices.Clone(s)})
	slices.Reverse(s)
	got := analyze(t, Input{Samples: s})
	if !reflect.DeepEqual(outagesOf(got), outagesOf(want)) || got.DowntimeMS != want.DowntimeMS {
		t.Errorf("unsorted input: outages %+v; want %+v", outagesOf(got), outagesOf(want))
	}

	res := analyze(t, Input{End: off(1)})
	if res.Requests.Total != 0 || len(res.Notes) == 0 || res.Outages == nil || res.Timeline == nil {
		t.Errorf("empty run: %+v", res)
	}
}

func TestAnalyzeRejects(t *testing.T) {
	for name, in := range map[string]Input{
		"target out of range": {Samples: []Sample{{Code: 200, Target: 2}}, Load: result.Load{Targets: []string{"a", "b"}}},
		"negative window":     {Samples: stream(ok(1)), Params: Params{ConfirmationWindow: -time.Second}},
	} {
		if _, err := Analyze(in); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestLoadNotes(t *testing.T) {
	res := analyze(t, Input{Samples: stream(ok(100)), Load: result.Load{Rate: 20}})
	if res.Load.Achieved != 10.1 {
		t.Errorf("achieved = %v; want 10.1 (100 requests over 9.9 s)", res.Load.Achieved)
	}
	if len(res.Notes) != 1 || !strings.Contains(res.Notes[0], "could not keep up") {
		t.Errorf("notes = %q; want a warning that the load fell behind", res.Notes)
	}
	if res.Analysis.ResolutionMS != 50 {
		t.Errorf("resolution = %v ms; want 50", res.Analysis.ResolutionMS)
	}
}

func TestSelectKth(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for _, n := range []int{1, 2, 17, 100, 1000, 5000} {
		for _, spread := range []int{3, 1 << 20} { // many duplicates, then few
			v := make([]uint32, n)
			for i := range v {
				v[i] = uint32(rng.IntN(spread))
			}
			sorted := slices.Sorted(slices.Values(v))
			for _, k := range []int{0, n / 2, n * 95 / 100, n - 1} {
				w := slices.Clone(v)
				selectKth(w, k)
				if w[k] != sorted[k] {
					t.Fatalf("n=%d spread=%d k=%d: got %d, want %d", n, spread, k, w[k], sorted[k])
				}
			}
		}
	}
}

func TestMaxSendGap(t *testing.T) {
	s := stream(ok(30))
	for i := 20; i < len(s); i++ {
		s[i].Sent += 400 * time.Millisecond // the load side stalls after the 20th request
	}
	res := analyze(t, Input{Samples: s})
	if res.Load.MaxSendGapMS != 500 {
		t.Errorf("max send gap = %v ms; want 500", res.Load.MaxSendGapMS)
	}
	if len(res.Notes) != 1 || !strings.Contains(res.Notes[0], "paused for up to 500 ms") {
		t.Errorf("notes = %q; want the pause named", res.Notes)
	}
	if res := analyze(t, Input{Samples: stream(ok(30))}); res.Load.MaxSendGapMS != 100 || len(res.Notes) != 0 {
		t.Errorf("steady load: gap %v ms, notes %q; want 100 ms and no note", res.Load.MaxSendGapMS, res.Notes)
	}
}
