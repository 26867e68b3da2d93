package view

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/reports/trend"
)

// historyBasis says where a history budget's limit came from: "P95 of the
// last 14 runs", "floor (P95 0 ms of the last 6 runs)".
func historyBasis(b result.BudgetCheck) string {
	h := b.History
	if h == nil {
		return ""
	}
	q := "P" + strconv.FormatFloat(100*h.Quantile, 'f', -1, 64)
	of := "of the last " + plural(h.Runs, "run", "runs")
	if h.Samples != h.Runs {
		of = fmt.Sprintf("of %d results in the last %s", h.Samples, plural(h.Runs, "run", "runs"))
	}
	if h.Floor > h.Value {
		return fmt.Sprintf("the floor (%s %s %s)", q, MetricText(b.Definition(), h.Value), of)
	}
	return q + " " + of
}

// historyLines say which earlier runs r's history budgets came from and
// which were left out, and why.
func historyLines(r *result.Result) []string {
	n := r.History
	if n == nil {
		return nil
	}
	var lines []string
	if n.Fallback != "" {
		lines = append(lines, "History: "+n.Fallback+".")
	} else {
		lines = append(lines, fmt.Sprintf("History budgets (%s) from %s of the same kind: %s.", n.Settings, plural(len(n.Runs), "earlier run", "earlier runs"), runList(n.Runs)))
	}
	lines = append(lines, "Same kind: "+n.Kind+".")
	for _, e := range n.Excluded {
		lines = append(lines, fmt.Sprintf("Left out, %s: %s.", e.Reason, runList(e.Runs)))
	}
	return lines
}

// runList names runs, the first few and how many more.
func runList(ids []string) string {
	const show = 5
	if len(ids) <= show {
		return strings.Join(ids, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(ids[:show], ", "), len(ids)-show)
}

// markHistory marks the cells of row whose run missed its history budget
// on the row's figure.
func markHistory(row *TrendRow, s trend.Series, runs []trend.Run) {
	byID := map[string]*trend.Run{}
	for i := range runs {
		byID[runs[i].ID] = &runs[i]
	}
	for i, p := range s.Points {
		run := byID[p.RunID]
		if run == nil || i >= len(row.Cells) {
			continue
		}
		for _, r := range run.Results {
			if r.Label() != s.Scenario {
				continue
			}
			for _, c := range r.Budgets {
				if c.History != nil && !c.Pass && c.Metric == s.Metric.Key {
					cell := &row.Cells[i]
					cell.History = true
					cell.Title = strings.TrimPrefix(cell.Title+"; ", "; ") + "missed its history budget: " + c.Message
				}
			}
		}
	}
}
