// Package aggregate takes a scenario's repetitions in one run together:
// per metric of the result model (result.Metrics) the number of values,
// the median, range, interquartile range and the confidence interval of
// the median (chaos/stats), how many repetitions passed their own budgets,
// and the verdicts of the aggregate budgets the repetitions carry. The
// suite, `selfheal run`, the report and JUnit all read it from here.
//
// # What is counted where
//
//   - A repetition that could not run to its end (verdict error) is counted
//     as such and left out of every metric: its figures stop wherever it
//     broke off.
//   - A repetition where something never happened (not recovered, not
//     healed: result.Metric.Never) is counted apart for that metric, not
//     given a number: the median, range and interval are over the
//     repetitions that have a value. Averaging "did not recover" as the
//     observation time would invent a recovery time.
//   - A repetition where the figure was due but is unknown (the fault
//     window not observed, a workload Kubernetes never saw broken, no
//     write acknowledged: result.Metric.UnknownWhy) is counted apart as
//     unknown.
//   - A repetition where the metric does not apply (no failed request, so
//     no time to first error; no healing check) is counted as absent.
//   - An aggregate budget on the median counts every repetition without a
//     figure as never (longer than any time): never happened, unknown,
//     could not run. Only "does not apply" is left out. So two of three
//     not recovering, or not observed, fails a recovery median whatever
//     the third did: a median budget never passes on fewer repetitions
//     than it names.
package aggregate

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/chaos/stats"
)

// Confidence is the level of the intervals of the median.
const Confidence = 0.95

// Scenario is one scenario's repetitions taken together.
type Scenario struct {
	Scenario string
	// Variant is the fixture variant the repetitions ran against
	// (result.Result.VariantName: baseline for results that name none).
	Variant string
	// Results are the repetitions in the order they ran.
	Results []*result.Result
	// Passed, Failed, Errored and Unjudged count the repetitions by
	// verdict.
	Passed, Failed, Errored, Unjudged int
	Metrics                           []Metric
	// Budgets are the aggregate budgets' checks (result.AggregateBudgets
	// of the repetitions), in the order given.
	Budgets []result.BudgetCheck
}

// N is the number of repetitions.
func (s Scenario) N() int { return len(s.Results) }

// Label names the scenario for people, with its variant unless baseline
// (result.Result.Label): "pod-eviction", "pod-eviction@no-pdb".
func (s Scenario) Label() string {
	if len(s.Results) == 0 {
		return s.Scenario
	}
	return s.Results[0].Label()
}

// Missed are the aggregate budgets the repetitions missed: the gate.
func (s Scenario) Missed() []result.BudgetCheck {
	var out []result.BudgetCheck
	for _, b := range s.Budgets {
		if !b.Pass {
			out = append(out, b)
		}
	}
	return out
}

// PassRate is the share of repetitions that passed their own budgets.
func (s Scenario) PassRate() float64 {
	if s.N() == 0 {
		return 0
	}
	return float64(s.Passed) / float64(s.N())
}

// PassText says it as "3/3 passed", naming the others: "1/3 passed, 1
// failed, 1 could not run".
func (s Scenario) PassText() string {
	t := fmt.Sprintf("%d/%d passed", s.Passed, s.N())
	for _, p := range []struct {
		n    int
		verd result.Verdict
	}{{s.Failed, result.VerdictFail}, {s.Errored, result.VerdictError}, {s.Unjudged, result.VerdictNone}} {
		if p.n > 0 {
			t += fmt.Sprintf(", %d %s", p.n, p.verd.Words())
		}
	}
	return t
}

// Verdict is the whole's: error when no repetition ran to its end, fail
// when an aggregate budget was missed, or, without aggregate budgets, when
// any repetition did not pass; pass otherwise.
func (s Scenario) Verdict() result.Verdict {
	if s.N() == 0 || s.Errored == s.N() {
		return result.VerdictError
	}
	if len(s.Budgets) > 0 {
		return result.Judge(s.Budgets)
	}
	switch {
	case s.Passed == s.N():
		return result.VerdictPass
	case s.Unjudged == s.N():
		return result.VerdictNone
	case s.Errored > 0 && s.Failed == 0 && s.Passed+s.Errored == s.N():
		return result.VerdictError
	}
	return result.VerdictFail
}

// Value is one repetition's figure.
type Value struct {
	Repetition int // from 1, in run order
	V          float64
	// Never: the thing did not happen while watched (not recovered).
	Never bool
	// Unknown says why the figure was due but is unknown (not observed,
	// never seen broken); "" when it is not.
	Unknown string
	// Absent: the metric does not apply to this repetition.
	Absent bool
	// Excluded: the repetition could not run to its end.
	Excluded bool
}

// HasNumber reports whether the repetition has a figure of its own.
func (v Value) HasNumber() bool { return !v.Never && v.Unknown == "" && !v.Absent && !v.Excluded }

// Metric is one metric over the repetitions.
type Metric struct {
	Metric result.Metric
	// Values has one entry per repetition, in run order.
	Values []Value
	// Never, Unknown, Absent and Excluded count the repetitions without
	// a number.
	Never, Unknown, Absent, Excluded int
	// Summary is over the repetitions with a number (Summary.N of them);
	// N is 0 when none has one.
	Summary stats.Summary
}

// Numbers are the values that count in Summary.
func (m Metric) Numbers() []float64 {
	var xs []float64
	for _, v := range m.Values {
		if v.HasNumber() {
			xs = append(xs, v.V)
		}
	}
	return xs
}

// Of groups results by scenario and fixture variant, in the order each
// first appears, and takes each group's repetitions together. The results
// should be one run's (see trend.Group); repetitions are ordered by their
// Repetition index, then by start.
func Of(results []*result.Result) []Scenario {
	type key struct{ scenario, variant string }
	var order []key
	by := map[key][]*result.Result{}
	for _, r := range results {
		k := key{r.Scenario, r.VariantName()}
		if _, ok := by[k]; !ok {
			order = append(order, k)
		}
		by[k] = append(by[k], r)
	}
	out := make([]Scenario, 0, len(order))
	for _, k := range order {
		out = append(out, Summarize(by[k]))
	}
	return out
}

// Summarize takes one scenario's repetitions together.
func Summarize(results []*result.Result) Scenario {
	rs := append([]*result.Result(nil), results...)
	sort.SliceStable(rs, func(i, j int) bool {
		if rs[i].Repetition != rs[j].Repetition {
			return rs[i].Repetition < rs[j].Repetition
		}
		return rs[i].Started.Before(rs[j].Started)
	})
	s := Scenario{Results: rs}
	if len(rs) > 0 {
		s.Scenario, s.Variant = rs[0].Scenario, rs[0].VariantName()
	}
	for _, r := range rs {
		switch r.Outcome() {
		case result.VerdictPass:
			s.Passed++
		case result.VerdictFail:
			s.Failed++
		case result.VerdictError:
			s.Errored++
		default:
			s.Unjudged++
		}
	}
	for _, m := range result.Metrics() {
		if m.Unit == result.UnitBool { // recovered: counted as Never of recovery
			continue
		}
		s.Metrics = append(s.Metrics, metric(m, rs))
	}
	s.Budgets = s.check(budgetsOf(rs))
	return s
}

func metric(m result.Metric, rs []*result.Result) Metric {
	out := Metric{Metric: m}
	for i, r := range rs {
		v := Value{Repetition: i + 1}
		if r.Repetition > 0 {
			v.Repetition = r.Repetition
		}
		x, ok := m.Value(r)
		switch {
		case r.Outcome() == result.VerdictError:
			v.Excluded = true
			out.Excluded++
		case ok:
			v.V = x
		case m.Never != nil && m.Never(r):
			v.Never = true
			out.Never++
		case m.UnknownWhy(r) != "":
			v.Unknown = m.UnknownWhy(r)
			out.Unknown++
		default:
			v.Absent = true
			out.Absent++
		}
		out.Values = append(out.Values, v)
	}
	if xs := out.Numbers(); len(xs) > 0 {
		out.Summary = stats.Summarize(xs, Confidence)
	}
	return out
}

// budgetsOf is the aggregate budgets the repetitions carry: the newest
// repetition's, since they were all run with the same settings.
func budgetsOf(rs []*result.Result) []result.AggregateBudget {
	for i := len(rs) - 1; i >= 0; i-- {
		if len(rs[i].AggregateBudgets) > 0 {
			return rs[i].AggregateBudgets
		}
	}
	return nil
}

// Metric finds a metric by key.
func (s Scenario) Metric(key result.MetricKey) (Metric, bool) {
	for _, m := range s.Metrics {
		if m.Metric.Key == key {
			return m, true
		}
	}
	return Metric{}, false
}

func (s Scenario) check(budgets []result.AggregateBudget) []result.BudgetCheck {
	var out []result.BudgetCheck
	for _, b := range budgets {
		switch b.Stat {
		case result.StatPassRate:
			out = append(out, s.checkPassRate(b))
		case result.StatMedian:
			out = append(out, s.checkMedian(b))
		default:
			out = append(out, result.BudgetCheck{Metric: b.Metric + result.MetricKey("."+b.Stat), Limit: b.Limit, Missing: true,
				Message: fmt.Sprintf("unknown statistic %q in an aggregate budget: this selfheal cannot judge it", b.Stat)})
		}
	}
	return out
}

func (s Scenario) checkPassRate(b result.AggregateBudget) result.BudgetCheck {
	c := result.BudgetCheck{Metric: result.StatPassRate, Limit: b.Limit, Value: s.PassRate()}
	// Compared in whole percents, as shares are written: 2/3 meets 67%
	// and 0.67.
	c.Pass = s.N() > 0 && math.Round(100*c.Value) >= math.Round(100*b.Limit)
	word := "meets"
	if !c.Pass {
		word = "is below"
	}
	c.Message = fmt.Sprintf("pass rate %s (%s) %s the required %s", pct(c.Value), s.PassText(), word, pct(b.Limit))
	return c
}

func (s Scenario) checkMedian(b result.AggregateBudget) result.BudgetCheck {
	name := b.Metric + result.MetricKey("."+b.Stat)
	c := result.BudgetCheck{Metric: name, Limit: b.Limit}
	m, ok := s.Metric(b.Metric)
	if !ok {
		c.Missing = true
		c.Message = fmt.Sprintf("%s: unknown metric %q in an aggregate budget", name, b.Metric)
		return c
	}
	label := m.Metric.Name + " " + b.Stat
	var xs []float64
	for _, v := range m.Values {
		switch {
		case v.HasNumber():
			xs = append(xs, v.V)
		case !v.Absent:
			xs = append(xs, math.Inf(1)) // no figure: never, unknown, could not run
		}
	}
	if len(xs) == 0 {
		c.Missing = true
		c.Message = fmt.Sprintf("%s: no repetition has a value (%s), budget %s", label, m.missingText(), m.Metric.Format(b.Limit))
		return c
	}
	med := stats.Median(xs)
	over := fmt.Sprintf("over %d of %d repetitions", len(xs), s.N())
	never := m.Never + m.Unknown + m.Excluded
	if math.IsInf(med, 1) {
		c.Missing = true
		c.Message = fmt.Sprintf("%s: no figure in %d of %d repetitions (%s), so the median is never; budget %s", label, never, len(xs), m.missingText(), m.Metric.Format(b.Limit))
		return c
	}
	c.Value = med
	c.Pass = med <= b.Limit
	word := "within"
	if !c.Pass {
		word = "exceeds"
	}
	c.Message = fmt.Sprintf("%s %s %s budget %s (%s)", label, m.Metric.Format(med), word, m.Metric.Format(b.Limit), over)
	if never > 0 {
		c.Message = strings.TrimSuffix(c.Message, ")") + fmt.Sprintf("; %s, counted as longer than any time)", m.missingText())
	}
	return c
}

// missingText says why repetitions have no number: "1 not recovered, 1
// unknown (not observed: ...), 2 could not run".
func (m Metric) missingText() string {
	var parts []string
	if m.Never > 0 {
		parts = append(parts, fmt.Sprintf("%d %s", m.Never, m.Metric.Missed))
	}
	if m.Unknown > 0 {
		why := ""
		for _, v := range m.Values {
			if v.Unknown != "" {
				why = v.Unknown
				break
			}
		}
		parts = append(parts, fmt.Sprintf("%d unknown (%s)", m.Unknown, why))
	}
	if m.Excluded > 0 {
		parts = append(parts, fmt.Sprintf("%d could not run", m.Excluded))
	}
	if m.Absent > 0 {
		parts = append(parts, fmt.Sprintf("%d without it", m.Absent))
	}
	return strings.Join(parts, ", ")
}

// pct writes a share in whole percents: "67%".
func pct(r float64) string { return fmt.Sprintf("%.0f%%", 100*r) }
