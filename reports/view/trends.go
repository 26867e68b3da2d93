package view

import (
	"fmt"
	"math"
	"strings"

	"github.com/selfheal/selfheal/chaos/aggregate"
	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/reports/trend"
)

// Trends follows each scenario's figures over the runs, oldest first.
type Trends struct {
	// Runs are the table's columns: the newest runs, at most
	// WithTrendColumns of them; Hidden older runs are in the sparklines
	// and the medians only.
	Runs        []TrendRun
	Hidden      int
	AllRuns     int
	Rule        string
	Regressions int
	Scenarios   []TrendScenario
}

// TrendRun is a column of the trend tables.
type TrendRun struct {
	ID, Label, Anchor string
}

// TrendScenario is one scenario's trend table.
type TrendScenario struct {
	Name        string
	Verdicts    []result.Verdict // per run: pass, fail, error, none, or "" when absent
	Rows        []TrendRow
	Regressions int
}

// TrendRow is one metric over the runs.
type TrendRow struct {
	Key       result.MetricKey
	Metric    string
	Cells     []TrendCell
	Baseline  string
	Change    string
	Regressed bool
	Spark     []SparkPoint
}

// TrendCell is one run's value.
type TrendCell struct {
	Value      string
	Regression bool `json:",omitempty"`
	// History is set when the run missed its history budget on this
	// figure (chaos/history); Title then says against what.
	History bool   `json:",omitempty"`
	Title   string `json:",omitempty"`
}

// SparkPoint is a point of a row's sparkline, X and Y in [0, 1] (Y up).
// Never points (not recovered) sit above the top.
type SparkPoint struct {
	X, Y       float64
	Never      bool `json:",omitempty"`
	Regression bool `json:",omitempty"`
}

func buildTrends(runs []trend.Run, cfg *config, views []Run) *Trends {
	t := &Trends{Rule: ruleText(cfg.rule)}
	anchor := map[string]string{}
	for _, v := range views {
		anchor[v.ID] = v.Anchor
	}
	for i := len(runs) - 1; i >= 0; i-- {
		r := runs[i]
		t.Runs = append(t.Runs, TrendRun{ID: r.ID, Label: r.Started.In(cfg.loc).Format("Jan 2 15:04"), Anchor: anchor[r.ID]})
	}
	series := trend.Analyze(runs, cfg.rule)
	byScenario := map[string]*TrendScenario{}
	var order []string
	for _, s := range series {
		if s.Measured() == 0 {
			continue // a figure the scenario never has (no revert, nothing failed)
		}
		ts, ok := byScenario[s.Scenario]
		if !ok {
			ts = &TrendScenario{Name: s.Scenario, Verdicts: verdicts(runs, s.Scenario)}
			byScenario[s.Scenario] = ts
			order = append(order, s.Scenario)
		}
		row := trendRow(s)
		markHistory(&row, s, runs)
		if row.Regressed {
			ts.Regressions++
			t.Regressions++
		}
		ts.Rows = append(ts.Rows, row)
	}
	for _, name := range order {
		t.Scenarios = append(t.Scenarios, *byScenario[name])
	}
	t.AllRuns = len(t.Runs)
	if n := cfg.trendColumns; n > 0 && len(t.Runs) > n {
		t.trim(len(t.Runs) - n)
	}
	return t
}

// trim drops the oldest k runs from the table columns.
func (t *Trends) trim(k int) {
	t.Hidden = k
	t.Runs = t.Runs[k:]
	for i := range t.Scenarios {
		sc := &t.Scenarios[i]
		sc.Verdicts = sc.Verdicts[k:]
		for j := range sc.Rows {
			sc.Rows[j].Cells = sc.Rows[j].Cells[k:]
		}
	}
}

// verdicts per run, oldest first.
func verdicts(runs []trend.Run, scenario string) []result.Verdict {
	var out []result.Verdict
	for i := len(runs) - 1; i >= 0; i-- {
		var v result.Verdict
		var reps []*result.Result
		for _, r := range runs[i].Results {
			if r.Label() == scenario {
				v = r.Outcome()
				if r.Repetitions > 1 {
					reps = append(reps, r)
				}
			}
		}
		// A repeated scenario's verdict in a run is its repetitions'
		// together (chaos/aggregate), not its last repetition's.
		if len(reps) > 0 {
			if agg := aggregate.Of(reps); len(agg) > 0 {
				v = agg[len(agg)-1].Verdict()
			}
		}
		out = append(out, v)
	}
	return out
}

func trendRow(s trend.Series) TrendRow {
	row := TrendRow{Key: s.Metric.Key, Metric: s.Metric.Title()}
	for _, p := range s.Points {
		c := TrendCell{Value: valueText(s.Metric, p.Value), Regression: p.Regression}
		if p.Regression {
			c.Title = fmt.Sprintf("regression: %s against a median of %s over the earlier runs", c.Value, valueText(s.Metric, p.Baseline))
		}
		row.Cells = append(row.Cells, c)
	}
	last := s.Latest()
	row.Regressed = last.Regression
	if last.HasBaseline {
		row.Baseline = valueText(s.Metric, last.Baseline)
		row.Change = change(s.Metric, last.Value, last.Baseline)
	} else {
		row.Baseline = "too few runs"
	}
	row.Spark = spark(s.Points)
	return row
}

func valueText(m trend.Metric, v trend.Value) string {
	switch {
	case v.Missing:
		return "—"
	case v.Never:
		return m.Missed
	}
	return MetricText(m.Metric, v.V)
}

func change(m trend.Metric, v, base trend.Value) string {
	switch {
	case v.Missing || base.Missing:
		return ""
	case v.Never && base.Never:
		return "same"
	case v.Never:
		return "now " + m.Missed
	case base.Never:
		return "now " + valueText(m, v)
	}
	d := v.V - base.V
	if d == 0 {
		return "same"
	}
	sign := "+"
	if d < 0 {
		sign = ""
	}
	s := sign + valueText(m, trend.Value{V: d})
	if m.Unit == result.UnitMS && d < 0 {
		s = "−" + Duration(-d)
	}
	switch ratio := v.V / base.V; {
	case base.V <= 0:
	case ratio >= 10:
		s += fmt.Sprintf(" (×%s)", Number(math.Round(ratio)))
	case d < 0:
		s += fmt.Sprintf(" (−%.0f%%)", -d/base.V*100)
	default:
		s += fmt.Sprintf(" (+%.0f%%)", d/base.V*100)
	}
	return s
}

func spark(ps []trend.Point) []SparkPoint {
	top := 0.0
	for _, p := range ps {
		if !p.Missing && !p.Never {
			top = math.Max(top, p.V)
		}
	}
	var out []SparkPoint
	for i, p := range ps {
		if p.Missing {
			continue
		}
		x := 0.5
		if len(ps) > 1 {
			x = float64(i) / float64(len(ps)-1)
		}
		sp := SparkPoint{X: round3(x), Regression: p.Regression}
		switch {
		case p.Never:
			sp.Y, sp.Never = 1, true
		case top > 0:
			sp.Y = round3(p.V / top * 0.85) // headroom for Never points
		}
		out = append(out, sp)
	}
	return out
}

func ruleText(r trend.Rule) string {
	var margins []string
	for _, m := range trend.Metrics() {
		abs := m.AbsMargin
		if v, ok := r.Margins[m.Key]; ok {
			abs = v
		}
		margins = append(margins, m.Name+" "+MetricText(m.Metric, abs))
	}
	return fmt.Sprintf("A value is flagged as a regression when it is worse than the median of the same scenario's earlier runs by more than %.0f%% and by more than an absolute margin (%s), with at least %s before it. Not recovered or not healed counts as worse than any time.",
		r.Relative*100, strings.Join(margins, ", "), plural(r.MinHistory, "earlier run", "earlier runs"))
}
