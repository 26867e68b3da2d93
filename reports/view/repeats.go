package view

import (
	"fmt"
	"math"
	"strings"

	"github.com/selfheal/selfheal/chaos/aggregate"
	"github.com/selfheal/selfheal/chaos/result"
)

// Repeats is one scenario's repetitions in a run taken together
// (chaos/aggregate): per metric every repetition as a dot on a strip, the
// median with its interval, and the history band behind them when there
// is one.
type Repeats struct {
	Anchor string
	Name   string
	// Variant is the fixture variant they ran against (baseline:
	// today's fixture); Label is the name with it: "node-halt@no-pdb".
	Variant     string `json:",omitempty"`
	Label       string
	N           int
	PassText    string // "3/3 passed"
	Verdict     result.Verdict
	VerdictText string
	// Method says how the interval of the median was computed and why.
	Method string
	// Repetitions link to each repetition's section.
	Repetitions []RepetitionLink
	Rows        []RepeatRow
	// Budgets are the aggregate budgets' checks.
	Budgets []BudgetRow `json:",omitempty"`
	// Decision says, for repetitions --repeat auto decided, how many they
	// were and why they stopped, then the rule (result.Sequential).
	Decision []string `json:",omitempty"`
}

// RepetitionLink is one repetition in the list above the strips.
type RepetitionLink struct {
	N       int
	Anchor  string
	Verdict result.Verdict
}

// RepeatRow is one metric over the repetitions. Positions (X) are in
// [0, 1] along the row's axis, which runs from 0 to Max.
type RepeatRow struct {
	Key    result.MetricKey
	Metric string
	// N is the repetitions with a number; Apart says the others in words
	// ("1 not recovered, 1 could not run").
	N     int
	Apart string `json:",omitempty"`
	// Median, Interval, Range and IQR are words; "—" when there is no
	// number at all. Interval says why there is none when there is none.
	Median, Interval, Range, IQR string
	HasMedian                    bool
	MedianX                      float64
	HasCI                        bool
	LoX, HiX                     float64
	Dots                         []Dot
	// Max labels the right end of the axis.
	Max string
	// History is the band of earlier runs (WithHistory); nil when none.
	History *Band `json:",omitempty"`
}

// Dot is one repetition's value.
type Dot struct {
	Repetition int
	X          float64
	// Never dots (not recovered, not healed) sit past the axis' end.
	Never bool `json:",omitempty"`
	Title string
	// Stack lifts dots that share a position so that ties stay visible.
	Stack int `json:",omitempty"`
}

// Band is a metric's spread over earlier runs of the same kind: P50..P95
// of the last Runs runs, drawn behind the repetitions.
type Band struct {
	LoX, HiX float64
	Text     string
}

// HistoryBand is what a history gives the report for one scenario and
// metric: the P50 and P95 of the metric over the last Runs comparable
// runs (package history computes them; the view only draws them).
type HistoryBand struct {
	P50, P95 float64
	Runs     int
	// Quantile is the upper edge's quantile when it is not the P95 (the
	// history settings choose it); 0 means 0.95.
	Quantile float64
}

// History looks up the band of a scenario's metric against a fixture
// variant ("" when the results name none); false when there is none.
type History func(scenario, variant string, key result.MetricKey) (HistoryBand, bool)

// WithHistory draws history bands behind the repetitions' strips from h
// rather than from the results' own history budgets.
func WithHistory(h History) Option { return func(c *config) { c.history = h } }

// bandsOf is the history the repetitions were judged against: the band
// of the newest repetition's history budget on each metric (chaos/history
// records its P50 and quantile in the check).
func bandsOf(rs []*result.Result) History {
	return func(_, _ string, key result.MetricKey) (HistoryBand, bool) {
		for i := len(rs) - 1; i >= 0; i-- {
			for _, c := range rs[i].HistoryChecks() {
				if c.Metric == key {
					h := c.History
					return HistoryBand{P50: h.P50, P95: h.Value, Runs: h.Runs, Quantile: h.Quantile}, true
				}
			}
		}
		return HistoryBand{}, false
	}
}

// intervalMethod is said once per repeated scenario.
const intervalMethod = "The interval is the exact order-statistic confidence interval of the median (from the binomial distribution, no assumption about the shape of the values); it needs at least 6 repetitions at 95 %, so fewer give none rather than a made-up one. Repetitions that did not recover (or heal) are counted apart, not given a number; repetitions that could not run are left out."

// RepeatsOf takes one run's repeated scenarios together as the report
// does, for the text summary and JUnit (its anchors are empty). Options
// are Build's; WithHistory is the one that matters.
func RepeatsOf(results []*result.Result, opts ...Option) []Repeats {
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	return buildRepeats(results, nil, "", &cfg, map[string]int{})
}

// buildRepeats takes the run's repeated scenarios together; anchors of
// the repetitions' sections come from scenarios, in run order.
func buildRepeats(rs []*result.Result, scenarios []Scenario, runAnchor string, cfg *config, anchors map[string]int) []Repeats {
	var repeated []*result.Result
	anchorOf := map[*result.Result]string{}
	for i, r := range rs {
		if r.Repetitions > 1 {
			repeated = append(repeated, r)
			if i < len(scenarios) {
				anchorOf[r] = scenarios[i].Anchor
			}
		}
	}
	var out []Repeats
	for _, agg := range aggregate.Of(repeated) {
		v := repeatsOf(agg, cfg, anchorOf)
		v.Anchor = unique(anchors, strings.TrimPrefix(runAnchor+"-"+slug(v.Label)+"-repeats", "-"))
		out = append(out, v)
	}
	return out
}

// RepeatsFrom shows one scenario's repetitions taken together (the
// session's gate, chaos/session.Repeats) as the report does, for the text
// summary (its anchors are empty). Options are Build's.
func RepeatsFrom(agg aggregate.Scenario, opts ...Option) Repeats {
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	return repeatsOf(agg, &cfg, nil)
}

// repeatsOf is the view of agg; anchorOf gives the repetitions' sections.
func repeatsOf(agg aggregate.Scenario, cfg *config, anchorOf map[*result.Result]string) Repeats {
	v := Repeats{
		Name: agg.Scenario, Variant: agg.Variant, Label: agg.Label(),
		N: agg.N(), PassText: agg.PassText(), Verdict: agg.Verdict(), Method: intervalMethod,
	}
	v.VerdictText = v.Verdict.Words()
	for i, r := range agg.Results {
		n := r.Repetition
		if n == 0 {
			n = i + 1
		}
		v.Repetitions = append(v.Repetitions, RepetitionLink{N: n, Anchor: anchorOf[r], Verdict: r.Outcome()})
	}
	history := cfg.history
	if history == nil {
		history = bandsOf(agg.Results)
	}
	for _, m := range agg.Metrics {
		if m.Summary.N == 0 && m.Never == 0 && m.Unknown == 0 && m.Absent > 0 {
			continue // measured in no repetition (no healing check)
		}
		v.Rows = append(v.Rows, repeatRow(agg.Scenario, agg.Variant, m, history))
	}
	for _, b := range agg.Budgets {
		v.Budgets = append(v.Budgets, aggregateBudgetRow(b))
	}
	v.Decision = decisionLines(agg.Results)
	return v
}

func repeatRow(scenario, variant string, m aggregate.Metric, history History) RepeatRow {
	return repeatRowOn(scenario, variant, m, history, 0)
}

// axisTop is where a metric's axis ends: the largest of the values and
// the interval, 0 when there is none.
func axisTop(m aggregate.Metric) float64 {
	if m.Summary.N == 0 {
		return 0
	}
	return math.Max(m.Summary.Max, m.Summary.Hi)
}

// repeatRowOn is repeatRow on an axis that ends at least at top: strips
// drawn one above the other (variants of a scenario) share one axis.
func repeatRowOn(scenario, variant string, m aggregate.Metric, history History, top float64) RepeatRow {
	def := m.Metric
	row := RepeatRow{Key: def.Key, Metric: def.Title(), N: m.Summary.N, Apart: apartText(m)}
	format := func(v float64) string { return MetricText(def, v) }
	sum := m.Summary
	// The axis runs from 0 (no metric here is negative) to the largest of
	// the values, the interval and the history band.
	top = math.Max(top, axisTop(m))
	var band HistoryBand
	hasBand := false
	if history != nil {
		band, hasBand = history(scenario, variant, def.Key)
		if hasBand {
			top = math.Max(top, band.P95)
		}
	}
	if top <= 0 {
		top = 1
	}
	top *= 1.05
	x := func(v float64) float64 { return round3(math.Min(math.Max(v/top, 0), 1)) }
	row.Max = format(top)
	row.Median, row.Interval, row.Range, row.IQR = "—", "—", "—", "—"
	if sum.N > 0 {
		row.HasMedian, row.MedianX = true, x(sum.Median)
		row.Median = format(sum.Median)
		row.Range = format(sum.Min) + " – " + format(sum.Max)
		row.IQR = format(sum.IQR())
		if sum.HasCI {
			row.HasCI, row.LoX, row.HiX = true, x(sum.Lo), x(sum.Hi)
			row.Interval = fmt.Sprintf("%s – %s (%.0f %%)", format(sum.Lo), format(sum.Hi), 100*sum.Confidence)
		} else {
			row.Interval = fmt.Sprintf("none from %s (needs 6)", plural(sum.N, "value", "values"))
		}
	}
	seen := map[float64]int{}
	for _, v := range m.Values {
		switch {
		case !v.HasNumber() && !v.Never:
			continue // could not run, unknown, does not apply: no dot
		case v.Never:
			row.Dots = append(row.Dots, Dot{Repetition: v.Repetition, X: 1, Never: true, Stack: seen[math.Inf(1)], Title: fmt.Sprintf("#%d: %s", v.Repetition, def.Missed)})
			seen[math.Inf(1)]++
		default:
			dx := x(v.V)
			row.Dots = append(row.Dots, Dot{Repetition: v.Repetition, X: dx, Stack: seen[dx], Title: fmt.Sprintf("#%d: %s", v.Repetition, format(v.V))})
			seen[dx]++
		}
	}
	if hasBand {
		q := band.Quantile
		if q <= 0 {
			q = 0.95
		}
		row.History = &Band{LoX: x(band.P50), HiX: x(band.P95),
			Text: fmt.Sprintf("P50–P%s of the last %s: %s – %s", Number(math.Round(q*1000)/10), plural(band.Runs, "run", "runs"), format(band.P50), format(band.P95))}
	}
	return row
}

// label names a scenario's section: "node-halt", or "node-halt
// (repetition 2 of 3)".
func (s Scenario) label() string {
	if s.Repetition == "" {
		return s.Name
	}
	return s.Name + " (repetition " + s.Repetition + ")"
}

// apartText names the repetitions without a number.
func apartText(m aggregate.Metric) string {
	var parts []string
	if m.Never > 0 {
		parts = append(parts, fmt.Sprintf("%d %s", m.Never, m.Metric.Missed))
	}
	if m.Unknown > 0 {
		parts = append(parts, fmt.Sprintf("%d unknown", m.Unknown))
	}
	if m.Absent > 0 {
		parts = append(parts, fmt.Sprintf("%d without a value", m.Absent))
	}
	if m.Excluded > 0 {
		parts = append(parts, fmt.Sprintf("%d could not run", m.Excluded))
	}
	return strings.Join(parts, ", ")
}

// aggregateBudgetRow is an aggregate budget check as a table row.
func aggregateBudgetRow(b result.BudgetCheck) BudgetRow {
	row := BudgetRow{Key: string(b.Metric), Metric: string(b.Metric), Pass: b.Pass, Message: b.Message, Value: "—", Limit: "—"}
	if string(b.Metric) == result.StatPassRate {
		row.Metric = "Pass rate"
		row.Value, row.Limit = Percent(b.Value), "≥ "+Percent(b.Limit)
		return row
	}
	key, stat, _ := strings.Cut(string(b.Metric), ".")
	if m, ok := result.MetricByKey(key); ok {
		row.Metric = m.Title() + " " + stat
		if !b.Missing {
			row.Value = MetricText(m, b.Value)
		}
		row.Limit = MetricText(m, b.Limit)
	}
	return row
}

// decisionLines say how --repeat auto decided the number of repetitions
// of rs (the newest record among them, which the last look wrote): the
// decision, then the rule. None for a fixed count.
func decisionLines(rs []*result.Result) []string {
	seq := sequentialOf(rs)
	if seq == nil {
		return nil
	}
	return []string{
		fmt.Sprintf("--repeat auto, against %s: %s.", seq.Reference, seq.Decision()),
		fmt.Sprintf("Rule: %s; figures %s. The chance of any false \"clear\" over every look stays at or below α (docs/measurement.md, \"Repeating until clear\").", seq.Design, metricNames(seq.Metrics)),
	}
}

// sequentialOf is the record of the latest repetition that carries one.
func sequentialOf(rs []*result.Result) *result.Sequential {
	var best *result.Result
	for _, r := range rs {
		if r.Sequential != nil && (best == nil || r.Repetition > best.Repetition) {
			best = r
		}
	}
	if best == nil {
		return nil
	}
	return best.Sequential
}

func metricNames(keys []result.MetricKey) string {
	var out []string
	for _, k := range keys {
		out = append(out, result.BudgetCheck{Metric: k}.Definition().Name)
	}
	return strings.Join(out, ", ")
}
