package scenario

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/selfheal/selfheal/chaos/result"
)

// AggregateBudgets are limits on a scenario's repetitions taken together,
// by scenario ("*" for all) and then by "metric.stat" (or "pass_rate"):
//
//	node-halt.recovery.p50=60s   the median recovery over the repetitions
//	*.pass_rate=1                every repetition passed its own budgets
//	*.pass_rate=67%              at least two of three did
//
// "none" removes one set for "*". The repetitions are still judged one by
// one by their own budgets; these add a verdict on the whole.
type AggregateBudgets map[string]map[string]result.AggregateBudget

// aggregateStats are the statistics a budget may name after a metric.
var aggregateStats = map[string]string{"p50": result.StatMedian, "median": result.StatMedian}

// ParseBudgets reads a budgets setting that may mix both forms:
// per-repetition overrides (SCENARIO.METRIC=VALUE, see ParseOverrides) and
// aggregate budgets (SCENARIO.METRIC.p50=VALUE, SCENARIO.pass_rate=VALUE).
func ParseBudgets(s string) (Overrides, AggregateBudgets, error) {
	agg := AggregateBudgets{}
	var rest []string
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		key, _, _ := strings.Cut(item, "=")
		_, metric, _ := strings.Cut(key, ".")
		if metric != result.StatPassRate && !strings.Contains(metric, ".") {
			rest = append(rest, item)
			continue
		}
		if err := agg.add(item); err != nil {
			return nil, nil, err
		}
	}
	o, err := ParseOverrides(strings.Join(rest, ","))
	if err != nil {
		return nil, nil, err
	}
	return o, agg, nil
}

// add parses one aggregate item.
func (a AggregateBudgets) add(item string) error {
	key, value, ok := strings.Cut(item, "=")
	scen, what, _ := strings.Cut(key, ".")
	value = strings.TrimSpace(value)
	if !ok || scen == "" || value == "" {
		return fmt.Errorf("aggregate budget %q: want SCENARIO.METRIC.p50=VALUE or SCENARIO.pass_rate=SHARE (SCENARIO may be *)", item)
	}
	var b result.AggregateBudget
	var err error
	if what == result.StatPassRate {
		b.Stat = result.StatPassRate
		if value != "none" {
			b.Limit, err = parseShare(value)
		}
	} else {
		var m result.Metric
		if m, b.Stat, err = parseMetricStat(what); err == nil {
			b.Metric = m.Key
			if value != "none" {
				b.Limit, err = parseLimit(m, value)
			}
		}
	}
	if err != nil {
		return fmt.Errorf("aggregate budget %q: %w", item, err)
	}
	if a[scen] == nil {
		a[scen] = map[string]result.AggregateBudget{}
	}
	id := result.StatPassRate
	if b.Metric != "" {
		id = string(b.Metric) + "." + b.Stat // p50 and median are one budget
	}
	if value == "none" {
		b.Stat = "" // a tombstone: For drops the "*" budget it shadows
	}
	a[scen][id] = b
	return nil
}

func parseMetricStat(what string) (result.Metric, string, error) {
	name, stat, _ := strings.Cut(what, ".")
	m, ok := result.MetricByKey(name)
	if !ok || m.Unit == result.UnitBool {
		return m, "", fmt.Errorf("unknown metric %q; use one of %s", name, strings.Join(aggregateMetricNames(), ", "))
	}
	if m.Key == result.KeyTimeToFirstError {
		// Budgets are upper limits: a longer time to first error is
		// better (the service held out longer).
		return m, "", fmt.Errorf("%s: a longer time to first error is better, so it takes no limit; use one of %s", name, strings.Join(aggregateMetricNames(), ", "))
	}
	s, ok := aggregateStats[stat]
	if !ok {
		return m, "", fmt.Errorf("unknown statistic %q after %s; use p50 (the median over the repetitions), or pass_rate on its own", stat, name)
	}
	return m, s, nil
}

func aggregateMetricNames() []string {
	var names []string
	for _, m := range result.Metrics() {
		if m.Unit != result.UnitBool && m.Key != result.KeyTimeToFirstError {
			names = append(names, m.Short)
		}
	}
	return names
}

func parseLimit(m result.Metric, v string) (float64, error) {
	if m.Unit == result.UnitMS {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return 0, fmt.Errorf("%s: want a duration such as 30s or 1m30s, or none", v)
		}
		return float64(d) / float64(time.Millisecond), nil
	}
	n, err := strconv.ParseFloat(v, 64)
	if err != nil || n < 0 || n != n {
		return 0, fmt.Errorf("%s: want a count >= 0, or none", v)
	}
	return n, nil
}

// parseShare reads a share of repetitions: 1, 0.67 or 67%.
func parseShare(v string) (float64, error) {
	pct := strings.HasSuffix(v, "%")
	n, err := strconv.ParseFloat(strings.TrimSuffix(v, "%"), 64)
	if pct {
		n /= 100
	}
	if err != nil || !(n >= 0 && n <= 1) {
		return 0, fmt.Errorf("%s: want the least share of repetitions that must pass, from 0 to 1 (or 0%% to 100%%), or none", v)
	}
	return n, nil
}

// For returns the aggregate budgets of scenario: those for "*", replaced
// or removed ("none") by the scenario's own, in a stable order.
func (a AggregateBudgets) For(scenario string) []result.AggregateBudget {
	merged := map[string]result.AggregateBudget{}
	for _, scope := range []string{"*", scenario} {
		for id, b := range a[scope] {
			merged[id] = b
		}
	}
	// In the metric table's order, the pass rate last.
	var ids []string
	for _, m := range result.Metrics() {
		ids = append(ids, string(m.Key)+"."+result.StatMedian)
	}
	var out []result.AggregateBudget
	for _, id := range append(ids, result.StatPassRate) {
		if b, ok := merged[id]; ok && b.Stat != "" {
			out = append(out, b)
		}
	}
	return out
}

// Scenarios lists the scenario names the budgets mention (not "*"), so a
// caller can reject a misspelt one.
func (a AggregateBudgets) Scenarios() []string { return scopes(a) }
