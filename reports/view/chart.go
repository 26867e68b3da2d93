package view

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/chaos/stats"
)

// Chart is a scenario's timeline: requests per second by outcome (stacked)
// and latency per column, with faults, recovery, outages and Kubernetes
// events on the same time axis. Positions are seconds from Start.
type Chart struct {
	DurationS float64
	ColumnS   float64 // seconds one column covers
	Merged    int     // source buckets per column (1 = as measured)
	Columns   []Column
	RateMax   float64
	RateTicks []Tick
	LatMin    float64 // ms, bottom of the log latency axis
	LatMax    float64
	LatTicks  []Tick
	TimeTicks []Tick
	TimeLabel string
	Markers   []Marker
	Outages   []Span
	// Vantages are the vantage points' outages, a row each under the
	// latency, the outside first; nil when measured from there alone.
	Vantages []VantageLane `json:",omitempty"`
	Lanes    []Lane
	// Host is the host's verdict over time, a thin lane under the events.
	Host []HostSpan `json:",omitempty"`
	// Alt is the chart's text alternative, for screen readers and for a
	// reader whose viewer shows no SVG.
	Alt string
}

// Column is one stretch of time: rates in requests per second, latency in
// ms (0 when no request was sent in it).
type Column struct {
	T        float64
	OK2xx    float64
	OK3xx    float64
	C4xx     float64
	S5xx     float64
	Errors   float64
	P50, P99 float64
	Title    string
}

// Total is the column's total rate.
func (c Column) Total() float64 { return c.OK2xx + c.OK3xx + c.C4xx + c.S5xx + c.Errors }

// Tick is an axis tick.
type Tick struct {
	At    float64
	Label string
}

// Marker is a vertical line: "inject", "revert", "recovered", "healed".
type Marker struct {
	At    float64
	Kind  string
	Label string
	Title string
}

// Span is a shaded stretch (an outage).
type Span struct {
	From, To float64
	Open     bool
	Title    string
}

// Lane is one row of event marks, by event kind.
type Lane struct {
	Kind  string
	Label string
	Marks []Mark
}

// Mark is one or more events close together in a lane.
type Mark struct {
	At       float64
	N        int
	Severity string
	Title    string
}

// laneOrder puts cause before effect, top to bottom: what selfheal did,
// then the objects closest to it.
var laneOrder = []string{"fault", "api", "node", "deployment", "statefulset", "pod", "container", "endpoints", "event"}

// maxMarkTitleLines caps a merged mark's tooltip; the table has them all.
const maxMarkTitleLines = 12

func buildChart(r *result.Result, cfg *config) *Chart {
	loc := cfg.loc
	dur := r.Ended.Sub(r.Started).Seconds()
	if dur <= 0 {
		return nil
	}
	c := &Chart{DurationS: round3(dur), TimeLabel: "time (" + zoneName(r.Started.In(loc)) + ")"}
	c.Columns, c.Merged, c.ColumnS = columns(r, cfg.maxColumns, loc)
	c.RateMax, c.RateTicks = rateAxis(c.Columns)
	c.LatMin, c.LatMax, c.LatTicks = latencyAxis(c.Columns)
	c.TimeTicks = timeTicks(r.Started, dur, loc)
	c.Markers = markers(r, loc)
	c.Outages = outageSpans(r, loc)
	c.Vantages = vantageLanes(r, loc)
	c.Lanes = lanes(r, dur, loc)
	c.Host = hostLane(r, loc)
	c.Alt = chartAlt(r, c, loc)
	return c
}

func at(r *result.Result, t time.Time) float64 {
	s := t.Sub(r.Started).Seconds()
	return round3(math.Max(0, math.Min(s, r.Ended.Sub(r.Started).Seconds())))
}

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

// columns merges timeline buckets so there are at most max columns. Rates
// are the merged counts over the merged time. Latency cannot be merged
// exactly from percentiles: p50 shows the median of the buckets' p50s and
// p99 the highest of their p99s, so a spike is never averaged away.
func columns(r *result.Result, max int, loc *time.Location) ([]Column, int, float64) {
	bucketS := r.Analysis.BucketMS / 1000
	if bucketS <= 0 {
		bucketS = 1
	}
	// The analysis's last bucket holds the run's end; when the run spans
	// whole buckets it starts at the end and is empty: nothing to draw.
	n := len(r.Timeline)
	for n > 0 && !r.Timeline[n-1].Start.Before(r.Ended) && total(r.Timeline[n-1]) == 0 {
		n--
	}
	merge := 1
	if max > 0 && n > max {
		merge = (n + max - 1) / max
	}
	var cols []Column
	for i := 0; i < n; i += merge {
		group := r.Timeline[i:min(i+merge, n)]
		cols = append(cols, column(r, group, bucketS, loc))
	}
	return cols, merge, round3(bucketS * float64(merge))
}

func total(b result.Bucket) int { return b.OK2xx + b.OK3xx + b.C4xx + b.S5xx + b.Errors }

func column(r *result.Result, group []result.Bucket, bucketS float64, loc *time.Location) Column {
	span := bucketS * float64(len(group))
	var c Column
	var p50s []float64
	var n2, n3, n4, n5, ne int
	for _, b := range group {
		n2, n3, n4, n5, ne = n2+b.OK2xx, n3+b.OK3xx, n4+b.C4xx, n5+b.S5xx, ne+b.Errors
		if total(b) > 0 {
			p50s = append(p50s, b.P50MS)
			c.P99 = math.Max(c.P99, b.P99MS)
		}
	}
	c.T = at(r, group[0].Start)
	rate := func(k int) float64 { return round3(float64(k) / span) }
	c.OK2xx, c.OK3xx, c.C4xx, c.S5xx, c.Errors = rate(n2), rate(n3), rate(n4), rate(n5), rate(ne)
	if len(p50s) > 0 {
		c.P50 = stats.Median(p50s)
	}
	end := group[0].Start.Add(time.Duration(span * float64(time.Second)))
	c.Title = fmt.Sprintf("%s – %s: %s", group[0].Start.In(loc).Format("15:04:05"), end.In(loc).Format("15:04:05"), columnCounts(n2, n3, n4, n5, ne))
	if len(p50s) > 0 {
		c.Title += fmt.Sprintf("; latency p50 %s, p99 %s", Duration(c.P50), Duration(c.P99))
	}
	return c
}

func columnCounts(n2, n3, n4, n5, ne int) string {
	var parts []string
	for _, p := range []struct {
		n    int
		name string
	}{{n2, "2xx"}, {n3, "3xx"}, {n4, "4xx"}, {n5, "5xx"}, {ne, "errors"}} {
		if p.n > 0 {
			parts = append(parts, fmt.Sprintf("%s %s", Count(p.n), p.name))
		}
	}
	if len(parts) == 0 {
		return "no requests"
	}
	return strings.Join(parts, ", ")
}

// niceCeil rounds up to 1, 2, 2.5 or 5 times a power of ten.
func niceCeil(v float64) float64 { return ceilTo(v, []float64{1, 2, 2.5, 5, 10}) }

// axisCeil rounds an axis top up with finer steps than niceCeil, so that
// 50 req/s does not get an axis to 100.
func axisCeil(v float64) float64 { return ceilTo(v, []float64{1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10}) }

func ceilTo(v float64, steps []float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range steps {
		if v <= m*p*(1+1e-9) {
			return m * p
		}
	}
	return 10 * p
}

func rateAxis(cols []Column) (float64, []Tick) {
	top := 0.0
	for _, c := range cols {
		top = math.Max(top, c.Total())
	}
	top = axisCeil(top * 1.05)
	step := niceCeil(top / 5)
	// The top must sit on a tick.
	top = math.Ceil(top/step-1e-9) * step
	var ticks []Tick
	for v := 0.0; v <= top*(1+1e-9); v += step {
		ticks = append(ticks, Tick{At: round3(v), Label: Number(round3(v))})
	}
	return top, ticks
}

// latencyAxis is logarithmic: a 2 s timeout and a 30 ms baseline must
// both be readable on one chart.
func latencyAxis(cols []Column) (lo, hi float64, ticks []Tick) {
	lo, hi = math.Inf(1), 0
	for _, c := range cols {
		if c.P50 > 0 {
			lo = math.Min(lo, c.P50)
		}
		hi = math.Max(hi, c.P99)
	}
	if hi == 0 {
		lo, hi = 1, 1000
	}
	lo = math.Pow(10, math.Floor(math.Log10(math.Max(lo, 0.1))))
	hi = math.Pow(10, math.Ceil(math.Log10(math.Max(hi, lo*10))))
	if hi/lo < 100 {
		hi = lo * 100
	}
	decades := math.Round(math.Log10(hi / lo))
	for v := lo; v <= hi*(1+1e-9); v *= 10 {
		ticks = append(ticks, Tick{At: v, Label: latencyLabel(v)})
		if decades <= 2 && v < hi {
			for _, m := range []float64{2, 5} {
				ticks = append(ticks, Tick{At: v * m, Label: ""})
			}
		}
	}
	return lo, hi, ticks
}

// latencyLabel names a latency axis tick: "10 ms", "1 s".
func latencyLabel(v float64) string {
	if v >= 1000 {
		return Number(v/1000) + " s"
	}
	return Number(v) + " ms"
}

var tickSteps = []time.Duration{
	time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second, 15 * time.Second, 30 * time.Second,
	time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 6 * time.Hour,
}

// timeTicks puts ticks on round wall-clock instants, 5 to 10 of them.
func timeTicks(start time.Time, durS float64, loc *time.Location) []Tick {
	step := tickSteps[len(tickSteps)-1]
	for _, s := range tickSteps {
		if durS/s.Seconds() <= 9 {
			step = s
			break
		}
	}
	layout := "15:04:05"
	if step >= time.Minute {
		layout = "15:04"
	}
	local := start.In(loc)
	_, off := local.Zone()
	stepS := int64(step / time.Second)
	wall := local.Unix() + int64(off)
	first := (wall + stepS - 1) / stepS * stepS
	var ticks []Tick
	for w := first; float64(w-wall) <= durS; w += stepS {
		t := time.Unix(w-int64(off), 0).In(loc)
		ticks = append(ticks, Tick{At: round3(t.Sub(start).Seconds()), Label: t.Format(layout)})
	}
	return ticks
}

func markers(r *result.Result, loc *time.Location) []Marker {
	var ms []Marker
	for _, in := range r.Injections {
		ms = append(ms, Marker{At: at(r, in.At), Kind: "inject", Label: "inject " + in.Fault,
			Title: fmt.Sprintf("%s injected %s: %s", clock(in.At, loc), in.Fault, in.Detail)})
	}
	for _, rv := range r.Reverts {
		ms = append(ms, Marker{At: at(r, rv.At), Kind: "revert", Label: "revert",
			Title: fmt.Sprintf("%s reverted %s: %s", clock(rv.At, loc), rv.Fault, rv.Detail)})
	}
	if r.Recovered && r.RecoveredAt != nil && r.RecoveryMS != nil && *r.RecoveryMS > 0 {
		ms = append(ms, Marker{At: at(r, *r.RecoveredAt), Kind: "recovered", Label: "recovered",
			Title: fmt.Sprintf("%s recovered, %s after %s", clock(*r.RecoveredAt, loc), Duration(*r.RecoveryMS), origin(r))})
	}
	if h := r.Healing; h != nil && h.Of() == result.HealingHealed && h.At != nil && h.MS != nil {
		ms = append(ms, Marker{At: at(r, *h.At), Kind: "healed", Label: "healed",
			Title: fmt.Sprintf("%s healed (Kubernetes), %s after the injection: %s", clock(*h.At, loc), Duration(*h.MS), h.Condition)})
	}
	sort.SliceStable(ms, func(i, j int) bool { return ms[i].At < ms[j].At })
	return ms
}

func outageSpans(r *result.Result, loc *time.Location) []Span {
	var spans []Span
	for _, o := range r.Outages {
		title := fmt.Sprintf("outage %s – %s, %s, %s failed, %s", clock(o.Start, loc), clock(o.End, loc), Duration(o.DurationMS), Count(o.Requests), causeText(o.Cause))
		if o.Open {
			title += ", still open at the end"
		}
		spans = append(spans, Span{From: at(r, o.Start), To: at(r, o.End), Open: o.Open, Title: title})
	}
	return spans
}

// lanes puts events in rows by kind and merges those closer than 1/300
// of the run, so an hour of crash-looping pods stays a row of marks
// rather than a smear; every event is still in the table.
func lanes(r *result.Result, durS float64, loc *time.Location) []Lane {
	byKind := map[string][]result.Event{}
	for _, e := range r.Events {
		byKind[e.Kind] = append(byKind[e.Kind], e)
	}
	var kinds []string
	for _, k := range laneOrder {
		if len(byKind[k]) > 0 {
			kinds = append(kinds, k)
		}
	}
	var rest []string
	for k := range byKind {
		if !contains(laneOrder, k) {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	kinds = append(kinds, rest...)

	gap := durS / 300
	var out []Lane
	for _, k := range kinds {
		es := append([]result.Event(nil), byKind[k]...)
		sort.SliceStable(es, func(i, j int) bool { return es[i].At.Before(es[j].At) })
		lane := Lane{Kind: k, Label: laneLabel(k)}
		var group []result.Event
		flush := func() {
			if len(group) > 0 {
				lane.Marks = append(lane.Marks, mark(r, group, loc))
				group = nil
			}
		}
		for _, e := range es {
			if len(group) > 0 && e.At.Sub(group[0].At).Seconds() > gap {
				flush()
			}
			group = append(group, e)
		}
		flush()
		out = append(out, lane)
	}
	return out
}

func mark(r *result.Result, es []result.Event, loc *time.Location) Mark {
	m := Mark{At: at(r, es[0].At), N: len(es)}
	var lines []string
	for i, e := range es {
		switch sev := severity(e); {
		case sev == "bad":
			m.Severity = "bad"
		case sev == "good" && m.Severity == "":
			m.Severity = "good"
		}
		if i < maxMarkTitleLines {
			line := fmt.Sprintf("%s %s %s", clock(e.At, loc), e.Object, e.Reason)
			if e.Message != "" {
				line += ": " + e.Message
			}
			lines = append(lines, line)
		}
	}
	if extra := len(es) - maxMarkTitleLines; extra > 0 {
		lines = append(lines, fmt.Sprintf("… and %d more (see the events table)", extra))
	}
	m.Title = strings.Join(lines, "\n")
	return m
}

func laneLabel(kind string) string {
	switch kind {
	case "fault":
		return "faults"
	case "api":
		return "API server"
	case "endpoints":
		return "endpoints"
	case "event":
		return "events"
	}
	return kind + "s"
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// chartAlt describes the chart in words; the story says the rest.
func chartAlt(r *result.Result, c *Chart, loc *time.Location) string {
	s := fmt.Sprintf("Timeline from %s to %s %s: requests per second by outcome (2xx, 3xx, 4xx, 5xx, transport error), stacked, in %d columns of %s, with latency p50 and p99 on a logarithmic axis below",
		clock(r.Started, loc), clock(r.Ended, loc), zoneName(r.Started.In(loc)), len(c.Columns), Duration(c.ColumnS*1000))
	if len(c.Markers) > 0 {
		var ms []string
		for _, m := range c.Markers {
			ms = append(ms, m.Title)
		}
		s += ". Marked: " + strings.Join(ms, "; ")
	}
	s += fmt.Sprintf(". %s shaded", plural(len(c.Outages), "outage", "outages"))
	if len(c.Vantages) > 0 {
		var names []string
		for _, v := range c.Vantages {
			names = append(names, v.Name)
		}
		s += fmt.Sprintf("; the outages seen from each vantage point (%s) in a row each under the latency", strings.Join(names, ", "))
	}
	if len(r.Events) > 0 {
		s += fmt.Sprintf("; %s from Kubernetes in %d lanes under the chart, listed in the table below", plural(len(r.Events), "event", "events"), len(c.Lanes))
	}
	if len(c.Host) > 0 && r.Conditions != nil {
		s += fmt.Sprintf("; the host's load (clean, contended or starved per sample; %s overall) in a thin lane at the bottom", r.Conditions.Verdict)
	}
	return s + "."
}
