package scenario

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/selfheal/selfheal/chaos/result"
)

// Budgets are the limits a scenario's figures must keep to pass. A nil
// limit is not checked.
type Budgets struct {
	Downtime      *time.Duration
	LongestOutage *time.Duration
	Server5xx     *int
	Recovery      *time.Duration
	Healing       *time.Duration
	// MustRecover fails the scenario when the service did not recover
	// before the deadline (the "not-recovered" budget).
	MustRecover bool
	// MustNotRecover is the opposite expectation: a fault nothing can heal
	// until it is reverted (the database's node lost with its volume).
	MustNotRecover bool
}

// Budget metric names, as written in overrides and results.
const (
	MetricDowntime      = "downtime"
	MetricLongestOutage = "longest_outage"
	Metric5xx           = "5xx"
	MetricRecovery      = "recovery"
	MetricHealing       = "healing"
	MetricRecovered     = "recovered"
)

// Dur is a helper for budget literals.
func Dur(d time.Duration) *time.Duration { return &d }

// Count is a helper for budget literals.
func Count(n int) *int { return &n }

// Check compares r's figures with the budgets. A missing figure (recovery
// of a run that did not recover, healing that never happened) fails its
// budget: unknown is not within a limit.
func (b Budgets) Check(r *result.Result) []result.BudgetCheck {
	var out []result.BudgetCheck
	add := func(metric string, limit, value float64, known bool, unit string) {
		c := result.BudgetCheck{Metric: metric, Limit: limit, Value: value, Pass: known && value <= limit}
		switch {
		case !known:
			c.Value, c.Missing = 0, true
			c.Message = fmt.Sprintf("%s: no value (%s), budget %s", metric, unknownWhy(metric), format(limit, unit))
		case c.Pass:
			c.Message = fmt.Sprintf("%s %s within budget %s", metric, format(value, unit), format(limit, unit))
		default:
			c.Message = fmt.Sprintf("%s %s exceeds budget %s", metric, format(value, unit), format(limit, unit))
		}
		out = append(out, c)
	}
	ms := func(d *time.Duration) float64 { return float64(*d) / float64(time.Millisecond) }
	if b.Downtime != nil {
		add(MetricDowntime+"_ms", ms(b.Downtime), r.DowntimeMS, true, "ms")
	}
	if b.LongestOutage != nil {
		add(MetricLongestOutage+"_ms", ms(b.LongestOutage), r.LongestOutageMS, true, "ms")
	}
	if b.Server5xx != nil {
		add("server_5xx", float64(*b.Server5xx), float64(r.Server5xx), true, "")
	}
	if b.Recovery != nil {
		v, ok := deref(r.RecoveryMS)
		add("recovery_ms", ms(b.Recovery), v, ok && r.Recovered, "ms")
	}
	if b.Healing != nil {
		var v float64
		ok := r.Healing != nil && r.Healing.Healed && r.Healing.MS != nil
		if ok {
			v = *r.Healing.MS
		}
		add("healing_ms", ms(b.Healing), v, ok, "ms")
	}
	if b.MustRecover {
		c := result.BudgetCheck{Metric: MetricRecovered, Limit: 1, Pass: r.Recovered}
		if r.Recovered {
			c.Value = 1
			c.Message = "recovered: yes, as required"
		} else {
			c.Message = "recovered: NO, the service did not recover before the deadline (required)"
		}
		out = append(out, c)
	}
	if b.MustNotRecover {
		c := result.BudgetCheck{Metric: MetricRecovered, Limit: 0, Pass: !r.Recovered}
		if r.Recovered {
			c.Value = 1
			c.Message = "recovered: yes, but this fault was expected to keep the service down until it was reverted"
		} else {
			c.Message = "recovered: no, as expected until the fault was reverted"
		}
		out = append(out, c)
	}
	return out
}

func unknownWhy(metric string) string {
	if strings.HasPrefix(metric, "healing") {
		return "the workload did not heal"
	}
	return "the service did not recover"
}

func deref(p *float64) (float64, bool) {
	if p == nil {
		return 0, false
	}
	return *p, true
}

func format(v float64, unit string) string {
	if unit == "ms" {
		return (time.Duration(v * float64(time.Millisecond))).Round(time.Millisecond).String()
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// Overrides are budget changes given by a user, by scenario ("*" for all)
// and metric (the Short names of result.Metrics()):
// "node-halt.downtime=90s,*.5xx=0,wp-config-break.recovered=any".
// recovered takes true (must recover), false (must not) or any; the other
// metrics a limit or none (no limit). ParseOverrides has checked every
// value, so applying them cannot fail.
type Overrides map[string]map[string]string

// overridable are the result metrics a budget override may set, by Key.
var overridable = []string{result.KeyDowntime, result.KeyLongestOutage, result.Key5xx, result.KeyRecovery, result.KeyHealing, result.KeyRecovered}

// OverrideMetrics are the metric names overrides take: the Short names of
// the overridable metrics, in the table's order.
func OverrideMetrics() []string {
	var names []string
	for _, m := range result.Metrics() {
		if slices.Contains(overridable, m.Key) {
			names = append(names, m.Short)
		}
	}
	return names
}

// overrideMetric finds an overridable metric by its Short name.
func overrideMetric(short string) (result.Metric, bool) {
	m, ok := result.MetricByKey(short)
	if !ok || m.Short != short || !slices.Contains(overridable, m.Key) {
		return result.Metric{}, false
	}
	return m, true
}

// ParseOverrides reads the comma-separated form above and checks every
// item: its shape, its metric and its value, so that a typo is found
// before any work starts rather than when the scenario it names runs.
// The scenario scope is checked against the catalog by CheckScenarios.
func ParseOverrides(s string) (Overrides, error) {
	o := Overrides{}
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		key, value, ok := strings.Cut(item, "=")
		scen, metric, ok2 := strings.Cut(key, ".")
		scen, metric, value = strings.TrimSpace(scen), strings.TrimSpace(metric), strings.TrimSpace(value)
		if !ok || !ok2 || scen == "" || metric == "" || value == "" {
			return nil, fmt.Errorf("budget override %q: want SCENARIO.METRIC=VALUE (SCENARIO may be *; METRIC one of %s)", item, strings.Join(OverrideMetrics(), ", "))
		}
		if _, ok := overrideMetric(metric); !ok {
			return nil, fmt.Errorf("budget override %q: unknown metric %q; use one of %s", item, metric, strings.Join(OverrideMetrics(), ", "))
		}
		if _, dup := o[scen][metric]; dup {
			return nil, fmt.Errorf("budget override %q: %s.%s is given twice (%s.%s=%s before)", item, scen, metric, scen, metric, o[scen][metric])
		}
		var scratch Budgets
		if err := scratch.set(metric, value); err != nil {
			return nil, fmt.Errorf("budget override %q: %w", item, err)
		}
		if o[scen] == nil {
			o[scen] = map[string]string{}
		}
		o[scen][metric] = value
	}
	return o, nil
}

// CheckScenarios refuses overrides whose scope is neither "*" nor one of
// known, so a misspelt scenario is not silently ignored.
func (o Overrides) CheckScenarios(known []string) error {
	var unknown []string
	for _, s := range o.Scenarios() {
		if !slices.Contains(known, s) {
			unknown = append(unknown, s)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	var items []string
	for _, s := range unknown {
		for _, m := range slices.Sorted(maps.Keys(o[s])) {
			items = append(items, fmt.Sprintf("%s.%s=%s", s, m, o[s][m]))
		}
	}
	return fmt.Errorf("budget override %s: no scenario named %s; known: %s (or * for all)",
		strings.Join(items, ","), strings.Join(unknown, ", "), strings.Join(known, ", "))
}

// Apply returns b with the overrides for scenario (those for "*" first,
// then the scenario's own) applied. "none" removes a limit.
func (o Overrides) Apply(scenario string, b Budgets) (Budgets, error) {
	for _, scope := range []string{"*", scenario} {
		metrics := o[scope]
		for _, metric := range slices.Sorted(maps.Keys(metrics)) {
			if err := b.set(metric, metrics[metric]); err != nil {
				return b, fmt.Errorf("budget override %s.%s=%s: %w", scope, metric, metrics[metric], err)
			}
		}
	}
	return b, nil
}

// Scenarios lists the scenario names the overrides mention (not "*"), so a
// caller can reject a misspelt one.
func (o Overrides) Scenarios() []string {
	var names []string
	for k := range o {
		if k != "*" {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	return names
}

// set applies one override; the error names the value and what it should
// have been.
func (b *Budgets) set(metric, value string) error {
	m, ok := overrideMetric(metric)
	if !ok {
		return fmt.Errorf("unknown metric %q; use one of %s", metric, strings.Join(OverrideMetrics(), ", "))
	}
	switch m.Key {
	case result.KeyRecovered:
		switch value {
		case "true":
			b.MustRecover, b.MustNotRecover = true, false
		case "false":
			b.MustRecover, b.MustNotRecover = false, true
		case "any":
			b.MustRecover, b.MustNotRecover = false, false
		default:
			return fmt.Errorf("%s=%q: want true, false or any", metric, value)
		}
		return nil
	case result.Key5xx:
		if value == "none" {
			b.Server5xx = nil
			return nil
		}
		n, err := strconv.Atoi(value)
		if err != nil || n < 0 {
			return fmt.Errorf("%s=%q: want a count >= 0 (such as 0 or 10), or none", metric, value)
		}
		b.Server5xx = &n
		return nil
	}
	var d *time.Duration
	if value != "none" {
		v, err := time.ParseDuration(value)
		if err != nil || v < 0 {
			return fmt.Errorf("%s=%q: want a duration >= 0 such as 30s or 1m30s, or none", metric, value)
		}
		d = &v
	}
	switch m.Key {
	case result.KeyDowntime:
		b.Downtime = d
	case result.KeyLongestOutage:
		b.LongestOutage = d
	case result.KeyRecovery:
		b.Recovery = d
	case result.KeyHealing:
		b.Healing = d
	}
	return nil
}

// String describes the budgets, for logs and docs.
func (b Budgets) String() string {
	var parts []string
	if b.Downtime != nil {
		parts = append(parts, "downtime ≤ "+b.Downtime.String())
	}
	if b.LongestOutage != nil {
		parts = append(parts, "longest outage ≤ "+b.LongestOutage.String())
	}
	if b.Server5xx != nil {
		parts = append(parts, fmt.Sprintf("5xx ≤ %d", *b.Server5xx))
	}
	if b.Recovery != nil {
		parts = append(parts, "recovery ≤ "+b.Recovery.String())
	}
	if b.Healing != nil {
		parts = append(parts, "healing ≤ "+b.Healing.String())
	}
	if b.MustRecover {
		parts = append(parts, "must recover")
	}
	if b.MustNotRecover {
		parts = append(parts, "must not recover before the revert")
	}
	if len(parts) == 0 {
		return "no budgets"
	}
	return strings.Join(parts, ", ")
}
