package view

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/selfheal/selfheal/chaos/compare"
	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/chaos/stats"
)

// Comparison is the page of `selfheal compare`: BASE against NEW, every
// string already written.
type Comparison struct {
	Title     string
	Generated string
	// Verdict is fail when NEW is clearly worse on a gating metric, pass
	// otherwise (the compare's exit status, 1 or 0).
	Verdict     result.Verdict
	Headline    string
	Base, New   CompareSide
	Differences []string // how the sides' settings differ
	Only        []string // scenarios on one side only
	Method      []string // how the verdicts were reached, in sentences
	Correction  string   // the sentence of Method on false alarms
	Scenarios   []CompareScenario
	// Worse lists the gating rows on which NEW is clearly worse.
	Worse []string
}

// CompareSide describes one side.
type CompareSide struct {
	Name  string // BASE or NEW
	Label string // what the user passed
	Text  string // "5 results from 1 run (night-14)"
	Left  []string
}

// CompareScenario is one scenario's table.
type CompareScenario struct {
	Name   string
	Anchor string
	Rows   []CompareRow
}

// CompareRow is one metric.
type CompareRow struct {
	Metric   string
	Gate     bool
	Base     string // "1.0 s (n=5)"
	New      string
	BaseSpan string // "0.9 s … 1.2 s"
	NewSpan  string
	Diff     string // "+2.1 s"
	CI       string // "+1.8 s … +2.3 s (97%)", or why there is none
	Verdict  stats.Verdict
	Words    string // "worse", "no clear difference at this sample size"
	Test     string // "Mann-Whitney U, exact: p = 0.008 (0.012 corrected)"
	Notes    []string
}

// CompareOption tunes BuildComparison.
type CompareOption func(*Comparison)

// CompareGenerated sets the generation time (default now); tests pin it.
func CompareGenerated(t time.Time) CompareOption {
	return func(c *Comparison) { c.Generated = date(t, t.Location()) }
}

// CompareTitle sets the page's title.
func CompareTitle(s string) CompareOption { return func(c *Comparison) { c.Title = s } }

// BuildComparison writes rep for readers.
func BuildComparison(rep *compare.Report, opts ...CompareOption) *Comparison {
	c := &Comparison{Title: "selfheal compare", Differences: rep.Differences}
	CompareGenerated(time.Now())(c)
	for _, o := range opts {
		o(c)
	}
	c.Base, c.New = side("BASE", rep.Base), side("NEW", rep.New)
	for _, s := range rep.OnlyBase {
		c.Only = append(c.Only, fmt.Sprintf("%s: only in BASE, not compared", s))
	}
	for _, s := range rep.OnlyNew {
		c.Only = append(c.Only, fmt.Sprintf("%s: only in NEW, not compared", s))
	}
	for _, s := range rep.Scenarios {
		cs := CompareScenario{Name: s.Name, Anchor: "s-" + slug(s.Name)}
		for _, r := range s.Rows {
			cs.Rows = append(cs.Rows, compareRow(r))
		}
		c.Scenarios = append(c.Scenarios, cs)
	}
	for _, f := range rep.Worse() {
		r := compareRow(f.Row)
		c.Worse = append(c.Worse, fmt.Sprintf("%s %s: %s → %s (%s)", f.Scenario, r.Metric, r.Base, r.New, r.Diff))
	}
	c.Verdict, c.Headline = compareHeadline(rep)
	c.Method = method(rep)
	c.Correction = c.Method[3]
	return c
}

func side(name string, s compare.SideInfo) CompareSide {
	out := CompareSide{Name: name, Label: s.Label}
	runs := strings.Join(s.Runs, ", ")
	if len(s.Runs) > 4 {
		runs = fmt.Sprintf("%s … %s", s.Runs[0], s.Runs[len(s.Runs)-1])
	}
	out.Text = fmt.Sprintf("%s from %s (%s)", plural(s.Results, "result", "results"), plural(len(s.Runs), "run", "runs"), runs)
	for _, l := range s.Left {
		out.Left = append(out.Left, fmt.Sprintf("%s left out: %s", plural(l.Count, "result", "results"), l.Reason))
	}
	return out
}

func compareHeadline(rep *compare.Report) (result.Verdict, string) {
	worse, changed := rep.Worse(), rep.Changed()
	better := 0
	for _, f := range changed {
		if f.Row.Verdict == stats.Better {
			better++
		}
	}
	rows := 0
	for _, s := range rep.Scenarios {
		rows += len(s.Rows)
	}
	if len(worse) > 0 {
		return result.VerdictFail, fmt.Sprintf("NEW is clearly worse than BASE on %s of %d compared (%d better).",
			plural(len(worse), "gating metric", "gating metrics"), rows, better)
	}
	return result.VerdictPass, fmt.Sprintf("Nothing in NEW is clearly worse than BASE: %d better, %d with no clear difference at this sample size, of %d compared.",
		better, rows-len(changed), rows)
}

func method(rep *compare.Report) []string {
	return []string{
		"Each figure is the median of the results on its side (n of them); the range is their minimum to maximum.",
		fmt.Sprintf("The difference is NEW − BASE of the medians. Its interval is the Hodges-Lehmann interval of the shift between the two sides at %g%% or more (the exact confidence is given): none is shown when the samples are too small for one.", 100*rep.Confidence),
		"The test is the two-sided Mann-Whitney U test, exact for small samples (ties included), which assumes no distribution. One result on a side is never called different.",
		correction(rep),
		direction() + " A row marked as not gating is shown but does not fail the compare (--metrics).",
	}
}

// direction says which way the figures improve, from the metric table.
func direction() string {
	var higher []string
	for _, m := range result.Metrics() {
		if m.HigherIsBetter() {
			higher = append(higher, m.Name)
		}
	}
	return fmt.Sprintf("Lower is better for every figure but %s, where higher is better.", strings.Join(higher, " and "))
}

func correction(rep *compare.Report) string {
	if rep.Family == 0 {
		return "No comparison could be tested: every one had a single result on a side, or the same value everywhere."
	}
	return fmt.Sprintf("False alarms are controlled across the %s tested at once with the Benjamini-Hochberg procedure at α = %g: when nothing changed, the chance that anything here is called better or worse is at most %g.",
		plural(rep.Family, "comparison", "comparisons"), rep.Alpha, rep.Alpha)
}

func compareRow(r compare.Row) CompareRow {
	m := r.Metric
	row := CompareRow{
		Metric: m.Name, Gate: r.Gate,
		Base: withN(m, r.Base, r.BaseValues), New: withN(m, r.New, r.NewValues),
		BaseSpan: span(m, r.Base), NewSpan: span(m, r.New),
		Verdict: r.Verdict, Words: r.Verdict.Words(),
	}
	if r.Base.N > 0 && r.New.N > 0 {
		row.Diff = signed(m, r.Diff)
	}
	switch {
	case m.Unit == result.UnitBool:
		// The difference of two shares of yes; an interval of a shift
		// between 0s and 1s says nothing more.
		if r.Base.N > 0 && r.New.N > 0 {
			row.Diff = signed(m, share(r.NewValues)-share(r.BaseValues))
		}
	case r.HasCI:
		row.CI = fmt.Sprintf("%s … %s (%s)", signed(m, r.Lo), signed(m, r.Hi), pct(r.Confidence))
	case r.Base.N > 0 && r.New.N > 0:
		row.CI = "too few results for an interval"
	}
	switch {
	case r.Tested:
		row.Test = fmt.Sprintf("%s: p %s", r.Test, pValue(r.P))
		if r.FamilySize > 1 {
			row.Test += fmt.Sprintf(", corrected p %s", pValue(r.PAdjusted))
		}
	case r.Base.N == 0 || r.New.N == 0:
		row.Test = "none: no value on one side"
	case r.Base.N < 2 || r.New.N < 2:
		row.Test = "none: one result on a side shows no difference"
	default:
		row.Test = "none: every value is the same"
	}
	if r.BaseNever > 0 || r.NewNever > 0 {
		row.Notes = append(row.Notes, fmt.Sprintf("%s: BASE %d, NEW %d (left out of this row)", m.Missed, r.BaseNever, r.NewNever))
	}
	return row
}

// value is a figure in the metric's unit.
func value(m result.Metric, v float64) string {
	switch m.Unit {
	case result.UnitMS:
		return Duration(v)
	case result.UnitBool:
		return Percent(v)
	}
	return Number(v)
}

// withN is the median with n; for a yes/no metric, how many said yes.
func withN(m result.Metric, s stats.Summary, xs []float64) string {
	if s.N == 0 {
		return "–"
	}
	if m.Unit == result.UnitBool {
		return fmt.Sprintf("%s of %d", Number(share(xs)*float64(len(xs))), s.N)
	}
	return fmt.Sprintf("%s (n=%d)", value(m, s.Median), s.N)
}

func share(xs []float64) float64 {
	yes := 0.0
	for _, x := range xs {
		if x != 0 {
			yes++
		}
	}
	return yes / float64(len(xs))
}

func span(m result.Metric, s stats.Summary) string {
	if s.N < 2 || m.Unit == result.UnitBool {
		return ""
	}
	return value(m, s.Min) + " … " + value(m, s.Max)
}

// signed is a difference with its sign; for a yes/no metric, in points of
// the share of yes.
func signed(m result.Metric, v float64) string {
	if v == 0 {
		return "±0"
	}
	if m.Unit == result.UnitBool {
		return strings.Replace(fmt.Sprintf("%+.0f pp", 100*v), "-", "−", 1)
	}
	s := value(m, math.Abs(v))
	if v < 0 {
		return "−" + s
	}
	return "+" + s
}

func pct(c float64) string {
	return trimZero(strconv.FormatFloat(100*math.Floor(c*1000)/1000, 'f', 1, 64)) + "%"
}

// pValue writes p after its relation: "= 0.010", "< 0.001".
func pValue(p float64) string {
	if p < 0.001 {
		return "< 0.001"
	}
	return "= " + strconv.FormatFloat(p, 'f', 3, 64)
}
