// Package trend groups selfheal results into runs and follows each
// scenario's figures across runs, flagging regressions.
//
// # Regression rule
//
// A point (one scenario, one metric, one run) is a regression when it is
// worse than the median of the same scenario's earlier runs by both a
// relative margin (Rule.Relative, default 50%) and an absolute margin (per
// metric, e.g. 1 s of downtime, 10 answers 5xx), and at least
// Rule.MinHistory earlier runs (default 2) measured it. Both margins are
// required so that noise is not flagged: a 0.2 s outage that becomes 0.4 s
// doubles but is no news, and 5 s more on a 10-minute healing is not
// either. The median, not the mean or the last run, is the baseline so that
// one bad night does not hide the next one. "Not recovered" (or "not
// healed") counts as worse than any number: it is a regression when the
// baseline is a finite time.
package trend

import (
	"math"
	"sort"
	"time"

	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/chaos/stats"
)

// Run is the results of one run of the suite.
type Run struct {
	// ID is run.id, or for results without one a label made from the
	// start time (Inferred is then true).
	ID       string
	Inferred bool
	Started  time.Time
	Ended    time.Time
	Results  []*result.Result // by start time
}

// Info is the run's description, taken from its first result that has one.
func (r Run) Info() result.RunInfo {
	for _, res := range r.Results {
		if res.Run != nil {
			return *res.Run
		}
	}
	return result.RunInfo{}
}

// gap is how long after a run ended a result without run.id may start and
// still be in that run.
const gap = 30 * time.Minute

// Group puts results into runs by run.id; results without one are grouped
// by start time: a result joins the run before it when it started within
// 30 minutes after that run ended and its scenario is not in it yet (the
// same scenario twice means another run). Runs come back newest first.
func Group(results []*result.Result) []Run {
	sorted := append([]*result.Result(nil), results...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Started.Before(sorted[j].Started) })

	byID := map[string]*Run{}
	var runs []*Run
	var open *Run // the inferred run results without an ID may join
	for _, r := range sorted {
		if r.Run != nil && r.Run.ID != "" {
			run, ok := byID[r.Run.ID]
			if !ok {
				run = &Run{ID: r.Run.ID}
				byID[r.Run.ID] = run
				runs = append(runs, run)
			}
			add(run, r)
			continue
		}
		if open == nil || r.Started.Sub(open.Ended) > gap || hasScenario(open, r.Scenario) {
			open = &Run{ID: r.Started.Format("2006-01-02 15:04"), Inferred: true}
			runs = append(runs, open)
		}
		add(open, r)
	}
	out := make([]Run, 0, len(runs))
	for _, r := range runs {
		out = append(out, *r)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Started.After(out[j].Started) })
	return out
}

func add(run *Run, r *result.Result) {
	if len(run.Results) == 0 || r.Started.Before(run.Started) {
		run.Started = r.Started
	}
	if r.Ended.After(run.Ended) {
		run.Ended = r.Ended
	}
	run.Results = append(run.Results, r)
}

func hasScenario(run *Run, name string) bool {
	for _, r := range run.Results {
		if r.Scenario == name {
			return true
		}
	}
	return false
}

// Value is one figure of one run.
type Value struct {
	V float64
	// Never means "not recovered" or "not healed": worse than any V.
	Never bool
	// Missing means not measured: the scenario was not in the run, or
	// the figure does not apply (no injection, no healing check).
	Missing bool
}

func (v Value) num() float64 {
	if v.Never {
		return math.Inf(1)
	}
	return v.V
}

// Metric is a figure followed across runs: a metric of the result table
// (result.Metrics) and the least worsening worth flagging. Higher is worse
// for all of them.
type Metric struct {
	result.Metric
	// AbsMargin is the least worsening worth flagging, in the metric's unit.
	AbsMargin float64
}

// Of reads the metric from a result: a figure that never came (not
// recovered, not healed) is Never, one that does not apply is Missing.
func (m Metric) Of(r *result.Result) Value {
	v, ok := m.Value(r)
	switch {
	case ok:
		return Value{V: v}
	case m.Never != nil && m.Never(r):
		return Value{Never: true}
	}
	return Value{Missing: true}
}

// Metrics are the figures trends follow, in display order.
func Metrics() []Metric {
	var out []Metric
	for _, f := range []struct {
		key result.MetricKey
		abs float64
	}{
		{result.KeyDowntime, 1000},
		{result.KeyLongestOutage, 1000},
		{result.Key5xx, 10},
		{result.KeyRecovery, 2000},
		{result.KeyHealing, 5000},
		{result.KeyRecoveryAfterRevert, 5000},
		{result.KeyImpactP99, 100},
	} {
		m, _ := result.MetricByKey(f.key)
		out = append(out, Metric{Metric: m, AbsMargin: f.abs})
	}
	return out
}

// Rule decides what is a regression (see the package doc).
type Rule struct {
	Relative   float64                      // 0.5: 50% worse than the baseline
	MinHistory int                          // earlier measured runs needed for a baseline
	Margins    map[result.MetricKey]float64 // per metric key, overriding Metric.AbsMargin
}

// DefaultRule is the documented rule: 50% and the metric's absolute
// margin, with at least two earlier runs.
func DefaultRule() Rule { return Rule{Relative: 0.5, MinHistory: 2} }

func (r Rule) margin(m Metric) float64 {
	if v, ok := r.Margins[m.Key]; ok {
		return v
	}
	return m.AbsMargin
}

// Point is one run's value of a series, judged against the earlier runs.
type Point struct {
	RunID   string
	Started time.Time
	Value
	// HasBaseline is false with too little history; Baseline is then 0.
	HasBaseline bool
	Baseline    Value // median of the earlier runs' values
	Regression  bool
}

// Series is one scenario's metric over runs, oldest first.
type Series struct {
	// Scenario is the results' Label: the scenario, with "@variant" for a
	// fixture variant's (a series of its own).
	Scenario string
	Metric   Metric
	Points   []Point
}

// Latest is the newest point.
func (s Series) Latest() Point { return s.Points[len(s.Points)-1] }

// Measured counts the runs that have a value or a "never" for the series.
func (s Series) Measured() int {
	n := 0
	for _, p := range s.Points {
		if !p.Missing {
			n++
		}
	}
	return n
}

// Regressed says whether the newest run regressed.
func (s Series) Regressed() bool { return s.Latest().Regression }

// Analyze builds a series per scenario and metric over runs (in any order;
// points come oldest first). Scenarios are ordered as in the newest run,
// then by name.
func Analyze(runs []Run, rule Rule) []Series {
	ordered := append([]Run(nil), runs...)
	sort.SliceStable(ordered, func(i, j int) bool { return ordered[i].Started.Before(ordered[j].Started) })
	var out []Series
	for _, sc := range scenarios(ordered) {
		for _, m := range Metrics() {
			out = append(out, series(ordered, sc, m, rule))
		}
	}
	return out
}

func series(runs []Run, scenario string, m Metric, rule Rule) Series {
	s := Series{Scenario: scenario, Metric: m}
	var history []float64
	for _, run := range runs {
		p := Point{RunID: run.ID, Started: run.Started, Value: Value{Missing: true}}
		p.Value = pointValue(run, scenario, m)
		if len(history) >= rule.MinHistory && len(history) > 0 {
			p.HasBaseline = true
			p.Baseline = toValue(stats.Median(history))
			p.Regression = !p.Missing && worse(p.num(), stats.Median(history), rule.Relative, rule.margin(m))
		}
		if !p.Missing {
			history = append(history, p.num())
		}
		s.Points = append(s.Points, p)
	}
	return s
}

func worse(v, base, rel, abs float64) bool {
	if math.IsInf(base, 1) {
		return false
	}
	if math.IsInf(v, 1) {
		return true
	}
	return v > base*(1+rel) && v-base > abs
}

func toValue(f float64) Value {
	if math.IsInf(f, 1) {
		return Value{Never: true}
	}
	return Value{V: f}
}

// pointValue is the scenario's figure in the run: a retried scenario
// counts by its retry; a repeated one by the median of its repetitions
// against the same variant, leaving out those that could not run and
// counting "never" as worse than any value (chaos/aggregate's rule).
func pointValue(run Run, scenario string, m Metric) Value {
	r := last(run, scenario)
	if r == nil {
		return Value{Missing: true}
	}
	if r.Repetitions <= 1 {
		return m.Of(r)
	}
	var xs []float64
	for _, x := range run.Results {
		if x.Label() != scenario || x.Repetitions <= 1 || x.Outcome() == result.VerdictError {
			continue
		}
		if v := m.Of(x); !v.Missing {
			xs = append(xs, v.num())
		}
	}
	if len(xs) == 0 {
		return Value{Missing: true}
	}
	return toValue(stats.Median(xs))
}

// last is the scenario's last result in the run: a retried scenario counts
// by its retry. The scenario is a result's Label: a variant's results
// (pod-eviction@no-pdb) are a series of their own, never points of the
// baseline's.
func last(run Run, scenario string) *result.Result {
	var found *result.Result
	for _, r := range run.Results {
		if r.Label() == scenario {
			found = r
		}
	}
	return found
}

func scenarios(oldestFirst []Run) []string {
	seen := map[string]bool{}
	var names []string
	if len(oldestFirst) > 0 {
		for _, r := range oldestFirst[len(oldestFirst)-1].Results {
			if !seen[r.Label()] {
				seen[r.Label()] = true
				names = append(names, r.Label())
			}
		}
	}
	var rest []string
	for _, run := range oldestFirst {
		for _, r := range run.Results {
			if !seen[r.Label()] {
				seen[r.Label()] = true
				rest = append(rest, r.Label())
			}
		}
	}
	sort.Strings(rest)
	return append(names, rest...)
}
