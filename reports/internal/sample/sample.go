// Package sample synthesises selfheal results for the report's tests and
// screenshots, until real runs of every scenario are at hand.
//
// The results are simulations, said so in their Notes, but they are
// self-consistent: a request stream is generated from a script of phases
// and every figure (outages, downtime, recovery, latency windows, buckets)
// is derived from that stream by the definitions in MEASUREMENT.md, so the
// report is exercised with numbers that agree with each other.
package sample

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"time"

	"github.com/selfheal/selfheal/chaos/result"
)

// Phase is a stretch of the run with one behaviour. Requests sent in
// [From, To) fail with probability FailP, with outcome Fail ("500",
// "503", "timeout", "refused", "reset", "eof"); successes take about
// LatencyMS.
type Phase struct {
	From, To  time.Duration
	FailP     float64
	Fail      string
	LatencyMS float64
	Status    int // success status, 200 when zero
}

// Event is a Kubernetes event at an offset from the start.
type Event struct {
	At      time.Duration
	Kind    string
	Object  string
	Reason  string
	Message string
}

// Mark is an injection or revert at an offset from the start.
type Mark struct {
	At     time.Duration
	Fault  string
	Detail string
}

// Spec scripts one scenario.
type Spec struct {
	Scenario    string
	Description string
	Run         *result.RunInfo
	Start       time.Time
	Duration    time.Duration
	Rate        float64
	Seed        uint64
	BaseLatency float64 // ms, for requests outside every phase
	Phases      []Phase
	Injections  []Mark
	Reverts     []Mark
	Events      []Event
	HealedAfter *time.Duration // from the first injection; nil: not healed
	HealCond    string
	LowerBounds []result.Bound
	Budgets     Budgets
	Targets     []string
}

// Budgets are the limits checked; zero means "not checked".
type Budgets struct {
	DowntimeMS, LongestOutageMS, RecoveryMS float64
	Server5xx                               float64
	MustRecover                             bool
}

const timeoutMS = 2000

type request struct {
	t       time.Time
	latency float64
	code    int    // 0 for transport errors
	errc    string // error class
}

func (q request) failed() bool { return q.code == 0 || q.code >= 500 }

func (q request) cause() string {
	if q.code == 0 {
		return q.errc
	}
	return strconv.Itoa(q.code)
}

// Build simulates the scenario and computes its result.
func Build(s Spec) *result.Result {
	reqs := simulate(s)
	end := s.Start.Add(s.Duration)
	r := &result.Result{
		Schema:      result.Schema,
		Scenario:    s.Scenario,
		Description: s.Description,
		Run:         s.Run,
		Started:     reqs[0].t,
		Ended:       end,
		Load: result.Load{
			Rate: s.Rate, TimeoutMS: timeoutMS, Timeout: "2s", Targets: s.Targets,
			KeepAlive: true, Redirects: "not followed", MaxBody: 4096, Workers: 10,
			Achieved: float64(len(reqs)) / s.Duration.Seconds(),
		},
		Analysis: result.AnalysisParams{
			ResolutionMS: 1000 / s.Rate, ConfirmationWindowMS: 10000, BucketMS: 1000,
			DeadlineMS: float64(s.Duration.Milliseconds()),
		},
		StatusCodes: map[string]int{},
		Errors:      map[string]int{},
		Events:      []result.Event{},
		Outages:     []result.Outage{},
		Injections:  []result.Injection{},
		Notes:       []string{"Synthetic sample: a simulated request stream, not a measurement."},
	}
	for _, q := range reqs {
		r.Requests.Total++
		switch {
		case q.code == 0:
			r.Errors[q.errc]++
		default:
			r.StatusCodes[strconv.Itoa(q.code)]++
		}
		switch {
		case q.failed():
			r.Requests.Failed++
		default:
			r.Requests.OK++
		}
		if q.code >= 500 {
			r.Server5xx++
		}
		if q.code >= 400 && q.code < 500 {
			r.Client4xx++
		}
	}
	r.Outages = append(r.Outages, outages(reqs, end)...)
	for _, o := range r.Outages {
		r.DowntimeMS += o.DurationMS
		r.LongestOutageMS = math.Max(r.LongestOutageMS, o.DurationMS)
	}
	r.Timeline = buckets(reqs, s.Start, end)
	for _, b := range r.Timeline {
		failed := b.S5xx + b.Errors
		total := b.OK2xx + b.OK3xx + b.C4xx + failed
		switch {
		case failed > 0 && failed == total:
			r.FullOutageSeconds++
		case failed > 0:
			r.DegradedSeconds++
		}
	}
	for _, m := range s.Injections {
		r.Injections = append(r.Injections, result.Injection{At: s.Start.Add(m.At), Fault: m.Fault, Detail: m.Detail})
	}
	for _, m := range s.Reverts {
		r.Reverts = append(r.Reverts, result.Injection{At: s.Start.Add(m.At), Fault: m.Fault, Detail: m.Detail})
	}
	fault(r, reqs, s)
	for _, e := range s.Events {
		at := s.Start.Add(e.At)
		obj := at.Truncate(time.Second)
		r.Events = append(r.Events, result.Event{At: at, ObjectTime: &obj, Kind: e.Kind, Object: e.Object, Reason: e.Reason, Message: e.Message})
	}
	sort.SliceStable(r.Events, func(i, j int) bool { return r.Events[i].At.Before(r.Events[j].At) })
	r.LowerBounds = s.LowerBounds
	budgets(r, s.Budgets)
	return r
}

func simulate(s Spec) []request {
	rng := rand.New(rand.NewPCG(s.Seed, s.Seed^0x5e1f))
	n := int(s.Duration.Seconds() * s.Rate)
	reqs := make([]request, 0, n)
	for i := range n {
		off := time.Duration(float64(i) / s.Rate * float64(time.Second))
		q := request{t: s.Start.Add(off), code: 200}
		lat := s.BaseLatency
		ph := phaseAt(s.Phases, off)
		if ph != nil {
			if ph.LatencyMS > 0 {
				lat = ph.LatencyMS
			}
			if ph.Status != 0 {
				q.code = ph.Status
			}
		}
		// A long-tailed latency: mostly near lat, sometimes a few times it.
		q.latency = lat * (0.7 + 0.5*rng.Float64()) * (1 + 3*math.Pow(rng.Float64(), 12))
		if ph != nil && rng.Float64() < ph.FailP {
			failWith(&q, ph.Fail, rng)
		}
		reqs = append(reqs, q)
	}
	return reqs
}

func failWith(q *request, kind string, rng *rand.Rand) {
	switch kind {
	case "timeout":
		q.code, q.errc, q.latency = 0, "timeout", timeoutMS
	case "refused", "reset", "eof", "dns":
		q.code, q.errc, q.latency = 0, kind, 0.3+rng.Float64()
	default:
		c, _ := strconv.Atoi(kind)
		q.code = c
		q.latency *= 0.4
	}
}

func phaseAt(ps []Phase, off time.Duration) *Phase {
	for i := range ps {
		if off >= ps[i].From && off < ps[i].To {
			return &ps[i]
		}
	}
	return nil
}

func outages(reqs []request, end time.Time) []result.Outage {
	var out []result.Outage
	var cur *result.Outage
	for _, q := range reqs {
		switch {
		case q.failed() && cur == nil:
			cur = &result.Outage{Start: q.t, Causes: map[string]int{}}
			fallthrough
		case q.failed():
			cur.Requests++
			cur.Causes[q.cause()]++
		case cur != nil:
			cur.End = q.t
			out = append(out, closeOutage(*cur))
			cur = nil
		}
	}
	if cur != nil {
		cur.End, cur.Open = end, true
		out = append(out, closeOutage(*cur))
	}
	return out
}

func closeOutage(o result.Outage) result.Outage {
	o.DurationMS = ms(o.End.Sub(o.Start))
	best := -1
	for c, n := range o.Causes {
		if n > best || (n == best && c < o.Cause) {
			o.Cause, best = c, n
		}
	}
	return o
}

func buckets(reqs []request, start, end time.Time) []result.Bucket {
	n := int(math.Ceil(end.Sub(start).Seconds()))
	bs := make([]result.Bucket, n)
	lats := make([][]float64, n)
	for i := range bs {
		bs[i].Start = start.Add(time.Duration(i) * time.Second)
	}
	for _, q := range reqs {
		i := int(q.t.Sub(start) / time.Second)
		if i < 0 || i >= n {
			continue
		}
		b := &bs[i]
		switch {
		case q.code == 0:
			b.Errors++
		case q.code >= 500:
			b.S5xx++
		case q.code >= 400:
			b.C4xx++
		case q.code >= 300:
			b.OK3xx++
		default:
			b.OK2xx++
		}
		lats[i] = append(lats[i], q.latency)
	}
	for i := range bs {
		if p := percentiles(lats[i]); p != nil {
			bs[i].P50MS, bs[i].P99MS, bs[i].MaxMS = p.P50, p.P99, p.Max
		}
	}
	return bs
}

func percentiles(l []float64) *result.Percentiles {
	if len(l) == 0 {
		return nil
	}
	s := append([]float64(nil), l...)
	sort.Float64s(s)
	at := func(p float64) float64 { return round(s[int(math.Ceil(p*float64(len(s))))-1]) }
	return &result.Percentiles{P50: at(0.50), P95: at(0.95), P99: at(0.99), Max: round(s[len(s)-1]), Count: len(s)}
}

// fault fills the figures measured from the first injection or, without
// one, from the first failed request (Result.RecoveryFrom).
func fault(r *result.Result, reqs []request, s Spec) {
	var first *request
	var ref time.Time
	injected := len(s.Injections) > 0
	if injected {
		ref = s.Start.Add(s.Injections[0].At)
		r.RecoveryFrom = result.FromInjection
	}
	for i := range reqs {
		if reqs[i].t.Before(ref) || !reqs[i].failed() {
			continue
		}
		first = &reqs[i]
		break
	}
	if !injected {
		if first == nil {
			zero := 0.0
			r.RecoveryMS, r.Recovered = &zero, true
			r.Latency.Baseline = percentiles(latencies(reqs, time.Time{}, r.Ended.Add(time.Hour)))
			return
		}
		ref = first.t
		r.RecoveryFrom = result.FromFirstFailure
	}
	r.Latency.Baseline = percentiles(latencies(reqs, time.Time{}, ref))
	observed := ms(r.Ended.Sub(ref))
	r.ObservedMS = &observed
	recoveredAt, ok := recovered(reqs, ref, first, time.Duration(r.Analysis.ConfirmationWindowMS)*time.Millisecond)
	windowEnd := r.Ended
	switch {
	case first == nil:
		zero := 0.0
		r.RecoveryMS, r.Recovered, r.Impact = &zero, true, result.ImpactNone
		r.RecoveredAt = &ref
		windowEnd = ref
	case ok:
		v := ms(recoveredAt.Sub(ref))
		r.RecoveryMS, r.Recovered, r.RecoveredAt = &v, true, &recoveredAt
		windowEnd = recoveredAt
	}
	if first != nil {
		if injected {
			v := ms(first.t.Sub(ref))
			r.TimeToFirstErrorMS = &v
		}
		r.Impact = result.ImpactPartial
		if r.FullOutageSeconds > 0 {
			r.Impact = result.ImpactFull
		}
	}
	var total, failed int
	for _, q := range reqs {
		if q.t.Before(ref) || !q.t.Before(windowEnd) {
			continue
		}
		total++
		if q.failed() {
			failed++
		}
	}
	if total > 0 {
		ratio := round(float64(failed)/float64(total)*1e4) / 1e4
		r.ErrorRatio = &ratio
	}
	if first != nil {
		r.Latency.Impact = percentiles(latencies(reqs, ref, windowEnd))
	}
	if r.Recovered {
		r.Latency.After = percentiles(latencies(reqs, windowEnd, r.Ended))
	}
	if !injected {
		return
	}
	r.Injections[0].TimeToFirstErrorMS = r.TimeToFirstErrorMS
	r.Injections[0].RecoveryMS = r.RecoveryMS
	rec := r.Recovered
	r.Injections[0].Recovered = &rec
	r.Healing = &result.Healing{Condition: s.HealCond}
	if s.HealedAfter != nil {
		at := ref.Add(*s.HealedAfter)
		v := ms(*s.HealedAfter)
		r.Healing.Healed, r.Healing.At, r.Healing.MS = true, &at, &v
	}
}

// recovered finds the first request after the first failure that starts a
// run of successes lasting window.
func recovered(reqs []request, inj time.Time, first *request, window time.Duration) (time.Time, bool) {
	if first == nil {
		return inj, true
	}
	var runStart *time.Time
	for i := range reqs {
		q := reqs[i]
		if q.t.Before(first.t) {
			continue
		}
		if q.failed() {
			runStart = nil
			continue
		}
		if runStart == nil {
			runStart = &reqs[i].t
		}
		if q.t.Sub(*runStart) >= window {
			return *runStart, true
		}
	}
	return time.Time{}, false
}

func latencies(reqs []request, from, to time.Time) []float64 {
	var l []float64
	for _, q := range reqs {
		if !q.t.Before(from) && q.t.Before(to) {
			l = append(l, q.latency)
		}
	}
	return l
}

func budgets(r *result.Result, b Budgets) {
	add := func(metric result.MetricKey, limit, value float64, unit string) {
		pass := value <= limit
		word := "within"
		if !pass {
			word = "over"
		}
		r.Budgets = append(r.Budgets, result.BudgetCheck{
			Metric: metric, Limit: limit, Value: value, Pass: pass,
			Message: fmt.Sprintf("%s %s%s is %s the budget of %s%s", metric, trim(value), unit, word, trim(limit), unit),
		})
	}
	if b.DowntimeMS > 0 {
		add(result.KeyDowntime, b.DowntimeMS, r.DowntimeMS, " ms")
	}
	if b.LongestOutageMS > 0 {
		add(result.KeyLongestOutage, b.LongestOutageMS, r.LongestOutageMS, " ms")
	}
	if b.Server5xx > 0 {
		add(result.Key5xx, b.Server5xx, float64(r.Server5xx), "")
	}
	if b.RecoveryMS > 0 && r.RecoveryMS != nil {
		add(result.KeyRecovery, b.RecoveryMS, *r.RecoveryMS, " ms")
	}
	if b.MustRecover {
		c := result.BudgetCheck{Metric: result.KeyRecovered, Limit: 1, Value: 1, Pass: r.Recovered, Message: "recovered: yes, as required"}
		if !r.Recovered {
			c.Value = 0
			c.Message = "recovered: NO, the service did not recover before the deadline (required)"
		}
		r.Budgets = append(r.Budgets, c)
	}
	if len(r.Budgets) == 0 {
		return // no verdict without budgets
	}
	r.Verdict = result.Judge(r.Budgets)
}

func ms(d time.Duration) float64 { return round(float64(d) / float64(time.Millisecond)) }

func round(v float64) float64 { return math.Round(v*1000) / 1000 }

func trim(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
