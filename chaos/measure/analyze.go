package measure

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/selfheal/selfheal/chaos/result"
)

// Defaults of Params, from docs/measurement.md.
const (
	DefaultConfirmationWindow = 10 * time.Second
	DefaultBucket             = time.Second
)

// Params are the analysis knobs; the result records them.
type Params struct {
	// ConfirmationWindow is how long a run of successes must last to count
	// as recovered; 0 means DefaultConfirmationWindow.
	ConfirmationWindow time.Duration
	// Bucket is the timeline's bucket size; 0 means DefaultBucket.
	// Full-outage and degraded seconds always use 1-second buckets.
	Bucket time.Duration
	// FailOn4xx makes 4xx answers failures (they are counted apart anyway).
	FailOn4xx bool
	// Deadline, when set, is how long after the reference a recovery may
	// come and still count; a later one is "not recovered".
	Deadline time.Duration
	// Partial says that some of the sources whose requests were merged
	// stopped before the end (loaders lost with their node): a rate below
	// the one asked for is then their loss, said elsewhere, and no sign
	// of a load side that could not keep up.
	Partial bool
}

func (p Params) withDefaults() (Params, error) {
	if p.ConfirmationWindow < 0 || p.Bucket < 0 || p.Deadline < 0 {
		return p, fmt.Errorf("analysis parameters must not be negative (confirmation window %s, bucket %s, deadline %s)",
			p.ConfirmationWindow, p.Bucket, p.Deadline)
	}
	if p.ConfirmationWindow == 0 {
		p.ConfirmationWindow = DefaultConfirmationWindow
	}
	if p.Bucket == 0 {
		p.Bucket = DefaultBucket
	}
	return p, nil
}

// Input is everything Analyze needs. Recorder.Input fills Epoch, Begin,
// End, Samples and the marks; the caller adds the rest.
type Input struct {
	Scenario string
	// Epoch is the instant Sample.Sent offsets are taken from.
	Epoch time.Time
	// Begin is the instant the load began. A constant-rate load sends its
	// first request one interval after it begins, so the load ran from
	// Begin to End, not from the first send. Zero means the first send.
	Begin time.Time
	// End is the run's end, the instant the load stopped sending. Zero
	// means the last request's send time.
	End time.Time
	// Samples may come in any order; Analyze sorts them in place.
	Samples    []Sample
	Injections []Mark
	Reverts    []Mark
	// Load is how the load was driven; Analyze fills in the achieved rate.
	// Its Targets name the Sample.Target indexes.
	Load   result.Load
	Params Params
}

// Analyze computes the result of a run per docs/measurement.md (see the package
// doc for every choice it makes). It fails only on input it cannot make
// sense of.
func Analyze(in Input) (*result.Result, error) {
	p, err := in.Params.withDefaults()
	if err != nil {
		return nil, err
	}
	if !slices.IsSortedFunc(in.Samples, compareSent) {
		sortSamples(in.Samples)
	}
	if err := checkTargets(in.Samples, len(in.Load.Targets)); err != nil {
		return nil, err
	}
	a := newAnalysis(in, p)
	res := a.skeleton()
	if len(a.s) == 0 {
		res.Notes = append(res.Notes, "No request was answered: there is nothing to measure.")
		a.nothingObserved(res)
		return res, nil
	}
	a.count(res)
	a.outages(res)
	a.buckets(res)
	a.fault(res)
	a.perInjection(res)
	a.afterRevert(res)
	a.loadNotes(res)
	return res, nil
}

// OneSecondOf is the fewest requests a fault window must hold to be
// observed: one second's worth at rate, ⌈rate × 1 s⌉, and at least one.
// The warm-up asks as much of its baseline (chaos/scenario).
func OneSecondOf(rate float64) int {
	return max(1, int(math.Ceil(rate)))
}

// nothingObserved is the recovery of a run without a request: not
// observed, from the injection and from the revert alike.
func (a *analysis) nothingObserved(res *result.Result) {
	a.observation(res)
	res.RecoveryState = result.RecoveryNotObserved
	if len(a.inj) > 0 {
		res.RecoveryFrom = result.FromInjection
	}
	for i := range res.Injections {
		res.Injections[i].Recovered = new(false)
		res.Injections[i].RecoveryState = result.RecoveryNotObserved
	}
	if len(a.in.Reverts) > 0 {
		res.AfterRevert = &result.AfterRevert{State: result.RecoveryNotObserved}
	}
}

func compareSent(x, y Sample) int { return cmp.Compare(x.Sent, y.Sent) }

// sortSamples orders samples by send time. Completion order is nearly send
// order, which pdqsort handles in close to linear time.
func sortSamples(s []Sample) { slices.SortFunc(s, compareSent) }

func checkTargets(s []Sample, targets int) error {
	if targets == 0 {
		return nil // no per-target breakdown asked for
	}
	for _, x := range s {
		if int(x.Target) >= targets {
			return fmt.Errorf("a sample names target %d but the load has %d targets", x.Target, targets)
		}
	}
	return nil
}

// analysis holds a run in offsets from the epoch, with the parameters
// resolved.
type analysis struct {
	in      Input
	p       Params
	s       []Sample
	inj     []time.Duration // injection offsets, in order
	began   time.Duration   // the load's beginning, never after the first send
	started time.Duration   // first send
	end     time.Duration   // run's end, never before the last send
	second  secondBuckets
}

func newAnalysis(in Input, p Params) *analysis {
	a := &analysis{in: in, p: p, s: in.Samples}
	slices.SortStableFunc(a.in.Injections, compareMarks)
	slices.SortStableFunc(a.in.Reverts, compareMarks)
	for _, m := range a.in.Injections {
		a.inj = append(a.inj, m.At.Sub(in.Epoch))
	}
	if n := len(a.s); n > 0 {
		a.started = a.s[0].Sent
		a.end = a.s[n-1].Sent
		if !in.End.IsZero() {
			a.end = max(a.end, in.End.Sub(in.Epoch))
		}
	}
	a.began = a.started
	if !in.Begin.IsZero() {
		a.began = min(a.started, in.Begin.Sub(in.Epoch))
	}
	return a
}

func compareMarks(x, y Mark) int { return x.At.Compare(y.At) }

// at turns an offset into an instant without a monotonic reading, so the
// result compares and prints as plain wall-clock time.
func (a *analysis) at(off time.Duration) time.Time { return a.in.Epoch.Add(off).Round(0) }

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func msPtr(d time.Duration) *float64 { v := ms(d); return &v }

// skeleton is the result with everything that does not need a request.
func (a *analysis) skeleton() *result.Result {
	res := &result.Result{
		Schema:      result.Schema,
		Scenario:    a.in.Scenario,
		Started:     a.at(a.started),
		Ended:       a.at(a.end),
		Load:        a.in.Load,
		StatusCodes: map[string]int{},
		Errors:      map[string]int{},
		Outages:     []result.Outage{},
		Injections:  []result.Injection{},
		Reverts:     []result.Injection{},
		Timeline:    []result.Bucket{},
		Events:      []result.Event{},
		Analysis: result.AnalysisParams{
			ConfirmationWindowMS: ms(a.p.ConfirmationWindow),
			BucketMS:             ms(a.p.Bucket),
			FailOn4xx:            a.p.FailOn4xx,
			DeadlineMS:           ms(a.p.Deadline),
		},
	}
	res.Load.Targets = slices.Clone(a.in.Load.Targets)
	if a.in.Load.Rate > 0 {
		res.Analysis.ResolutionMS = 1000 / a.in.Load.Rate
	}
	if len(a.s) == 0 && !a.in.End.IsZero() {
		res.Started, res.Ended = a.in.End.Round(0), a.in.End.Round(0)
	}
	for _, m := range a.in.Injections {
		res.Injections = append(res.Injections, result.Injection{At: m.At.Round(0), Fault: m.Fault, Detail: m.Detail})
	}
	for _, m := range a.in.Reverts {
		res.Reverts = append(res.Reverts, result.Injection{At: m.At.Round(0), Fault: m.Fault, Detail: m.Detail})
	}
	return res
}

// tally counts requests by outcome; it backs both the totals and the
// per-target breakdown.
type tally struct {
	req     result.Requests
	codes   [1000]int
	classes [numClasses]int
	c4xx    int
	s5xx    int
}

func (t *tally) add(s Sample, failOn4xx bool) {
	t.req.Total++
	if failed(s, failOn4xx) {
		t.req.Failed++
	} else {
		t.req.OK++
	}
	if s.Code == 0 || s.Class != ClassNone {
		t.classes[causeOf(s)-classBase]++
		return
	}
	t.codes[min(int(s.Code), 999)]++
	switch {
	case s.Code >= 500:
		t.s5xx++
	case s.Code >= 400:
		t.c4xx++
	}
}

func (t *tally) statusCodes() map[string]int {
	m := map[string]int{}
	for code, n := range t.codes {
		if n > 0 {
			m[strconv.Itoa(code)] = n
		}
	}
	return m
}

func (t *tally) errors() map[string]int {
	m := map[string]int{}
	for c, n := range t.classes {
		if n > 0 {
			m[Class(c).String()] = n
		}
	}
	return m
}

func (a *analysis) count(res *result.Result) {
	var all tally
	per := make([]tally, len(a.in.Load.Targets))
	for _, s := range a.s {
		all.add(s, a.p.FailOn4xx)
		if len(per) > 0 {
			per[s.Target].add(s, a.p.FailOn4xx)
		}
	}
	res.Requests = all.req
	res.StatusCodes = all.statusCodes()
	res.Errors = all.errors()
	res.Client4xx, res.Server5xx = all.c4xx, all.s5xx
	for i, t := range per {
		res.Targets = append(res.Targets, result.Target{
			URL: a.in.Load.Targets[i], Requests: t.req, StatusCodes: t.statusCodes(), Errors: t.errors(),
		})
	}
	// Over the window the load ran in: n requests paced 1/rate apart
	// from its beginning fill n intervals, while first to last send spans
	// only n-1 of them (15 requests at 10/s would read 10.71/s).
	if secs := (a.end - a.began).Seconds(); secs > 0 {
		res.Load.Achieved = math.Round(float64(len(a.s))/secs*100) / 100
	}
	res.Load.MaxSendGapMS = ms(a.maxSendGap())
}

// maxSendGap is the longest time between consecutive sends.
func (a *analysis) maxSendGap() time.Duration {
	var gap time.Duration
	for i := 1; i < len(a.s); i++ {
		gap = max(gap, a.s[i].Sent-a.s[i-1].Sent)
	}
	return gap
}

// causeCounter finds an outage's dominant cause without a map per outage.
type causeCounter struct {
	n     map[causeKey]int
	order []causeKey // first-seen order, for ties
}

func (c *causeCounter) reset() {
	if c.n == nil {
		c.n = map[causeKey]int{}
	}
	clear(c.n)
	c.order = c.order[:0]
}

func (c *causeCounter) add(k causeKey) {
	if c.n[k] == 0 {
		c.order = append(c.order, k)
	}
	c.n[k]++
}

func (c *causeCounter) dominant() (string, map[string]int) {
	best := c.order[0]
	all := make(map[string]int, len(c.order))
	for _, k := range c.order {
		all[k.String()] = c.n[k]
		if c.n[k] > c.n[best] {
			best = k
		}
	}
	return best.String(), all
}

func (a *analysis) outages(res *result.Result) {
	var (
		open   bool
		start  time.Duration
		n      int
		causes causeCounter
	)
	closeAt := func(end time.Duration, stillOpen bool) {
		cause, all := causes.dominant()
		o := result.Outage{
			Start: a.at(start), End: a.at(end), DurationMS: ms(end - start),
			Requests: n, Cause: cause, Causes: all, Open: stillOpen,
		}
		res.Outages = append(res.Outages, o)
		res.DowntimeMS += o.DurationMS
		res.LongestOutageMS = max(res.LongestOutageMS, o.DurationMS)
		open = false
	}
	for _, s := range a.s {
		switch {
		case failed(s, a.p.FailOn4xx):
			if !open {
				open, start, n = true, s.Sent, 0
				causes.reset()
			}
			n++
			causes.add(causeOf(s))
		case open:
			closeAt(s.Sent, false)
		}
	}
	if open {
		closeAt(a.end, true)
	}
	// Summing rounded durations could drift from the true sum by a few µs
	// over thousands of outages; keep the figure to the µs like the others.
	res.DowntimeMS = math.Round(res.DowntimeMS*1000) / 1000
}

// eachBucket calls fn with the samples sent in each bucket of size d
// aligned to the first send, for nb buckets (empty ones included).
func (a *analysis) eachBucket(d time.Duration, nb int, fn func(k int, in []Sample)) {
	i := 0
	for k := range nb {
		hi := a.started + time.Duration(k+1)*d
		j := i
		for j < len(a.s) && a.s[j].Sent < hi {
			j++
		}
		fn(k, a.s[i:j])
		i = j
	}
}

// bucketCount is how many buckets of size d cover the run, the last one
// holding the run's end.
func (a *analysis) bucketCount(d time.Duration) int {
	return int((a.end-a.started)/d) + 1
}

// secondBuckets holds per-second outcome counts, for full-outage and
// degraded seconds and for the impact of a fault window.
type secondBuckets struct {
	ok, bad []int32
}

func (b secondBuckets) full(k int) bool     { return b.bad[k] > 0 && b.ok[k] == 0 }
func (b secondBuckets) degraded(k int) bool { return b.bad[k] > 0 && b.ok[k] > 0 }

func (a *analysis) buckets(res *result.Result) {
	nb := a.bucketCount(time.Second)
	a.second = secondBuckets{ok: make([]int32, nb), bad: make([]int32, nb)}
	a.eachBucket(time.Second, nb, func(k int, in []Sample) {
		for _, s := range in {
			if failed(s, a.p.FailOn4xx) {
				a.second.bad[k]++
			} else {
				a.second.ok[k]++
			}
		}
		switch {
		case a.second.full(k):
			res.FullOutageSeconds++
		case a.second.degraded(k):
			res.DegradedSeconds++
		}
	})
	nb = a.bucketCount(a.p.Bucket)
	res.Timeline = make([]result.Bucket, 0, nb)
	var lat []uint32
	a.eachBucket(a.p.Bucket, nb, func(k int, in []Sample) {
		b := result.Bucket{Start: a.at(a.started + time.Duration(k)*a.p.Bucket)}
		lat = lat[:0]
		for _, s := range in {
			lat = append(lat, s.LatencyUS)
			switch {
			case s.Code == 0 || s.Class != ClassNone || s.Code < 200:
				b.Errors++
			case s.Code < 300:
				b.OK2xx++
			case s.Code < 400:
				b.OK3xx++
			case s.Code < 500:
				b.C4xx++
			default:
				b.S5xx++
			}
		}
		if pc := percentiles(lat); pc != nil {
			b.P50MS, b.P99MS, b.MaxMS = pc.P50, pc.P99, pc.Max
		}
		res.Timeline = append(res.Timeline, b)
	})
}

// percentiles returns nearest-rank p50, p95, p99 and max of lat
// (microseconds), reordering it; nil for no latencies. Selection instead
// of a sort keeps a million latencies at a few milliseconds.
func percentiles(lat []uint32) *result.Percentiles {
	if len(lat) == 0 {
		return nil
	}
	lo := 0
	rank := func(p float64) float64 {
		k := max(int(math.Ceil(p/100*float64(len(lat))))-1, lo)
		selectKth(lat[lo:], k-lo)
		lo = k // later ranks are higher: search only above this one
		return float64(lat[k]) / 1000
	}
	return &result.Percentiles{
		P50: rank(50), P95: rank(95), P99: rank(99), Max: rank(100), Count: len(lat),
	}
}

// selectKth reorders v so that v[k] is the k-th smallest, everything
// before it no larger and everything after no smaller (quickselect with a
// median-of-three pivot and three-way partition, so runs of equal
// latencies stay linear).
func selectKth(v []uint32, k int) {
	for len(v) > 16 {
		a, b, c := v[0], v[len(v)/2], v[len(v)-1]
		pivot := max(min(a, b), min(max(a, b), c))
		lt, i, gt := 0, 0, len(v)
		for i < gt {
			switch {
			case v[i] < pivot:
				v[lt], v[i] = v[i], v[lt]
				lt++
				i++
			case v[i] > pivot:
				gt--
				v[i], v[gt] = v[gt], v[i]
			default:
				i++
			}
		}
		switch {
		case k < lt:
			v = v[:lt]
		case k >= gt:
			v, k = v[gt:], k-gt
		default:
			return
		}
	}
	slices.Sort(v)
}

// index returns the index of the first sample sent at or after off.
func (a *analysis) index(off time.Duration) int {
	i, _ := slices.BinarySearchFunc(a.s, off, func(s Sample, t time.Duration) int { return cmp.Compare(s.Sent, t) })
	return i
}

// firstFailure returns the index of the first failed request sent in
// [from, to), or -1.
func (a *analysis) firstFailure(from, to time.Duration) int {
	for i := a.index(from); i < len(a.s) && a.s[i].Sent < to; i++ {
		if failed(a.s[i], a.p.FailOn4xx) {
			return i
		}
	}
	return -1
}

// recoveredFrom finds the first run of successes starting at or after lo
// that lasts the confirmation window, and returns its first send time.
func (a *analysis) recoveredFrom(lo time.Duration) (time.Duration, bool) {
	run := -1
	for i := a.index(lo); i < len(a.s); i++ {
		s := a.s[i]
		if failed(s, a.p.FailOn4xx) {
			run = -1
			continue
		}
		if run < 0 {
			run = i
		}
		if s.Sent-a.s[run].Sent >= a.p.ConfirmationWindow {
			return a.s[run].Sent, true
		}
	}
	if run >= 0 && a.end-a.s[run].Sent >= a.p.ConfirmationWindow {
		return a.s[run].Sent, true
	}
	return 0, false
}

// recovery is the outcome of a recovery search from a reference.
type recovery struct {
	firstError time.Duration // send time of the first failure; valid when failed
	failed     bool          // something failed after the reference
	at         time.Duration // recovered instant; valid when recovered
	recovered  bool
}

// recover measures recovery from ref: the first failure in [ref, to), and
// the first confirmed run of successes after it, not before notBefore,
// within the analysis deadline.
func (a *analysis) recover(ref, to, notBefore time.Duration) recovery {
	return a.recoverWithin(ref, to, notBefore, a.p.Deadline)
}

// recoverWithin is recover with its own deadline (0: none).
func (a *analysis) recoverWithin(ref, to, notBefore, deadline time.Duration) recovery {
	fi := a.firstFailure(ref, to)
	if fi < 0 {
		return recovery{at: ref, recovered: true}
	}
	r := recovery{firstError: a.s[fi].Sent, failed: true}
	r.at, r.recovered = a.recoveredFrom(max(r.firstError, notBefore))
	if r.recovered && deadline > 0 && r.at-ref > deadline {
		r.recovered = false
	}
	return r
}

const forever = time.Duration(math.MaxInt64)

func (a *analysis) fault(res *result.Result) {
	ref, from, ok := a.reference()
	if !ok {
		// Nothing injected and nothing failed: nothing to recover from.
		res.Recovered, res.RecoveryMS, res.Impact = true, msPtr(0), result.ImpactNone
		res.RecoveryState = result.RecoveryRecovered
		res.Latency.Baseline = a.latency(0, len(a.s))
		return
	}
	res.RecoveryFrom = from
	notBefore := ref
	if len(a.inj) > 0 {
		notBefore = a.inj[len(a.inj)-1]
	}
	r := a.recover(ref, forever, notBefore)
	if r.failed && from == result.FromInjection {
		res.TimeToFirstErrorMS = msPtr(r.firstError - ref)
	}
	obs := a.observation(res)
	if a.index(notBefore) == len(a.s) || a.unseenUntilRevert(notBefore) || (obs != nil && obs.Requests < obs.Needed) {
		// No request went out after the (last) injection, none before the
		// fault was undone (the load side stalled through it), or fewer
		// than a second's worth in the whole fault window: whether the
		// service broke or recovered is unknown, not "nothing failed".
		// What came after the revert is measured from the revert.
		res.RecoveryState = result.RecoveryNotObserved
		res.Latency.Baseline = a.latency(0, a.index(ref))
		return
	}
	res.ObservedMS = msPtr(a.end - ref)
	res.Recovered = r.recovered
	res.RecoveryState = stateOf(r.recovered)
	windowEnd := a.end
	if r.recovered {
		res.RecoveryMS = msPtr(r.at - ref)
		res.RecoveredAt = new(a.at(r.at))
		windowEnd = r.at
	}
	a.window(res, ref, windowEnd, r.recovered)
}

// observation counts the requests sent in the fault window, from the
// first injection to the last revert, or to the run's end when nothing
// was reverted (then a request sent at the end counts); nil without
// injection.
func (a *analysis) observation(res *result.Result) *result.Observation {
	if len(a.inj) == 0 {
		return nil
	}
	from, to, hi := a.inj[0], a.end, len(a.s)
	if len(a.s) == 0 && !a.in.End.IsZero() {
		to = a.in.End.Sub(a.in.Epoch)
	}
	if n := len(a.in.Reverts); n > 0 {
		to = a.in.Reverts[n-1].At.Sub(a.in.Epoch)
		hi = a.index(to)
	}
	o := &result.Observation{From: a.at(from), To: a.at(max(to, from)), Requests: max(0, hi-a.index(from)), Needed: OneSecondOf(a.in.Load.Rate)}
	res.Observed = o
	return o
}

// reference is the instant recovery is measured from: the first injection,
// else the first failure.
func (a *analysis) reference() (time.Duration, result.RecoveryOrigin, bool) {
	if len(a.inj) > 0 {
		return a.inj[0], result.FromInjection, true
	}
	if fi := a.firstFailure(a.started, forever); fi >= 0 {
		return a.s[fi].Sent, result.FromFirstFailure, true
	}
	return 0, "", false
}

// window fills the fault window's figures, [ref, end) when recovered and
// [ref, end] when not, and the latency windows around it.
func (a *analysis) window(res *result.Result, ref, end time.Duration, recovered bool) {
	lo, hi := a.index(ref), a.index(end)
	if !recovered {
		hi = len(a.s)
	}
	bad := 0
	for _, s := range a.s[lo:hi] {
		if failed(s, a.p.FailOn4xx) {
			bad++
		}
	}
	ratio := 0.0
	if hi > lo {
		ratio = float64(bad) / float64(hi-lo)
	}
	res.ErrorRatio = &ratio
	res.Impact = a.impact(bad, ref, end)
	res.Latency.Baseline = a.latency(0, lo)
	res.Latency.Impact = a.latency(lo, hi)
	res.Latency.After = a.latency(hi, len(a.s))
}

func (a *analysis) impact(bad int, ref, end time.Duration) result.Impact {
	if bad == 0 {
		return result.ImpactNone
	}
	first := max(int((ref-a.started)/time.Second), 0)
	last := min(int((end-a.started)/time.Second), len(a.second.ok)-1)
	for k := first; k <= last; k++ {
		if a.second.full(k) {
			return result.ImpactFull
		}
	}
	return result.ImpactPartial
}

func (a *analysis) latency(lo, hi int) *result.Percentiles {
	if hi <= lo {
		return nil
	}
	lat := make([]uint32, hi-lo)
	for i, s := range a.s[lo:hi] {
		lat[i] = s.LatencyUS
	}
	return percentiles(lat)
}

// perInjection gives each injection its own figures: failures up to the
// next injection are its own, its recovery is searched without bound.
func (a *analysis) perInjection(res *result.Result) {
	for i, ref := range a.inj {
		next := forever
		if i+1 < len(a.inj) {
			next = a.inj[i+1]
		}
		inj := &res.Injections[i]
		if a.index(ref) == len(a.s) {
			inj.Recovered, inj.RecoveryState = new(false), result.RecoveryNotObserved
			continue
		}
		r := a.recover(ref, next, ref)
		inj.Recovered, inj.RecoveryState = new(r.recovered), stateOf(r.recovered)
		if r.failed {
			inj.TimeToFirstErrorMS = msPtr(r.firstError - ref)
		}
		if r.recovered {
			inj.RecoveryMS = msPtr(r.at - ref)
		}
	}
}

func stateOf(recovered bool) result.RecoveryState {
	if recovered {
		return result.RecoveryRecovered
	}
	return result.RecoveryNotRecovered
}

// unseenUntilRevert reports whether the fault injected at from was
// reverted before any request was sent after it.
func (a *analysis) unseenUntilRevert(from time.Duration) bool {
	for _, m := range a.in.Reverts {
		if at := m.At.Sub(a.in.Epoch); at >= from {
			return a.index(at) == a.index(from)
		}
	}
	return false
}

// afterRevert measures recovery again from the last revert, with no
// deadline: a fault nothing heals is judged by whether the service comes
// back once it is undone, and how fast.
func (a *analysis) afterRevert(res *result.Result) {
	n := len(a.in.Reverts)
	if n == 0 {
		return
	}
	ref := a.in.Reverts[n-1].At.Sub(a.in.Epoch)
	ar := &result.AfterRevert{State: result.RecoveryNotObserved}
	res.AfterRevert = ar
	if a.index(ref) == len(a.s) {
		return
	}
	r := a.recoverWithin(ref, forever, ref, 0)
	ar.State = stateOf(r.recovered)
	if r.recovered {
		ar.RecoveryMS, ar.RecoveredAt = msPtr(r.at-ref), new(a.at(r.at))
	}
}

// loadNotes warns when the load side fell behind: missing requests would
// hide failures, and a pause blurs the edges near it.
func (a *analysis) loadNotes(res *result.Result) {
	want := a.in.Load.Rate
	if want <= 0 {
		return
	}
	if got := res.Load.Achieved; got < 0.95*want && a.end-a.began >= 5*time.Second && !a.p.Partial {
		res.Notes = append(res.Notes, fmt.Sprintf(
			"The load achieved %.1f requests/s of the %.1f asked for: the load side could not keep up, so outages may be under-measured.", got, want))
	}
	interval := 1000 / want
	if gap := res.Load.MaxSendGapMS; gap > 2*interval+50 {
		res.Notes = append(res.Notes, fmt.Sprintf(
			"The load side paused for up to %.0f ms between two requests (%.0f ms expected): an outage edge near such a pause is known only to within it.", gap, interval))
	}
}
