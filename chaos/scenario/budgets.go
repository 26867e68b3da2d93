package scenario

import (
	"fmt"
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
	// RecoveryAfterRevert bounds the recovery measured from the last
	// revert (Result.AfterRevert): the service must come back, and soon,
	// once the fault is undone.
	RecoveryAfterRevert *time.Duration
}

// Budget metric names, as written in overrides and results.
const (
	MetricDowntime      = "downtime"
	MetricLongestOutage = "longest_outage"
	Metric5xx           = "5xx"
	MetricRecovery      = "recovery"
	MetricHealing       = "healing"
	MetricRecovered     = "recovered"
	// MetricRecoveryAfterRevert is result.KeyRecoveryAfterRevert's short name.
	MetricRecoveryAfterRevert = "recovery_after_revert"
)

var metricNames = []string{MetricDowntime, MetricLongestOutage, Metric5xx, MetricRecovery, MetricHealing, MetricRecovered, MetricRecoveryAfterRevert}

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
			c.Message = fmt.Sprintf("%s: no value (%s), budget %s", metric, unknownWhy(metric, r), format(limit, unit))
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
	if b.RecoveryAfterRevert != nil {
		out = append(out, afterRevertCheck(r, ms(b.RecoveryAfterRevert)))
	}
	if (b.MustRecover || b.MustNotRecover) && r.Recovery() == result.RecoveryNotObserved {
		// Neither expectation can be met by nothing: unknown is not a pass.
		c := result.BudgetCheck{Metric: MetricRecovered, Limit: 1, Missing: true}
		want := "required to recover"
		if b.MustNotRecover {
			c.Limit, want = 0, "expected not to recover before the revert"
		}
		c.Message = fmt.Sprintf("recovered: no value (not observed: %s), %s", r.NotObservedWhy(), want)
		return append(out, c)
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

// afterRevertCheck is the budget on recovery after the revert; a service
// that did not come back, or was not watched after the revert, misses it.
func afterRevertCheck(r *result.Result, limit float64) result.BudgetCheck {
	key := result.KeyRecoveryAfterRevert
	c := result.BudgetCheck{Metric: key, Limit: limit, Missing: true}
	ar := r.AfterRevert
	switch {
	case ar == nil:
		c.Message = fmt.Sprintf("%s: no value (the fault was not reverted), budget %s", key, format(limit, "ms"))
	case ar.State == result.RecoveryNotObserved:
		c.Message = fmt.Sprintf("%s: no value (not observed: no request was sent after the revert), budget %s", key, format(limit, "ms"))
	case ar.State != result.RecoveryRecovered || ar.RecoveryMS == nil:
		c.Message = fmt.Sprintf("%s: no value (the service had not come back when the run ended), budget %s", key, format(limit, "ms"))
	default:
		c.Value, c.Missing, c.Pass = *ar.RecoveryMS, false, *ar.RecoveryMS <= limit
		word := "within"
		if !c.Pass {
			word = "exceeds"
		}
		c.Message = fmt.Sprintf("%s %s %s budget %s", key, format(c.Value, "ms"), word, format(limit, "ms"))
	}
	return c
}

func unknownWhy(metric string, r *result.Result) string {
	switch {
	case strings.HasPrefix(metric, "healing"):
		return "the workload did not heal"
	case r.Recovery() == result.RecoveryNotObserved:
		return "not observed: " + r.NotObservedWhy()
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
// and metric: "node-halt.downtime=90s,*.5xx=0,wp-config-break.recovered=any".
// recovered takes true (must recover), false (must not) or any.
type Overrides map[string]map[string]string

// ParseOverrides reads the comma-separated form above.
func ParseOverrides(s string) (Overrides, error) {
	o := Overrides{}
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		key, value, ok := strings.Cut(item, "=")
		scen, metric, ok2 := strings.Cut(key, ".")
		if !ok || !ok2 || scen == "" || metric == "" || value == "" {
			return nil, fmt.Errorf("budget override %q: want SCENARIO.METRIC=VALUE (SCENARIO may be *; METRIC one of %s)", item, strings.Join(metricNames, ", "))
		}
		if !validMetric(metric) {
			return nil, fmt.Errorf("budget override %q: unknown metric %q; use one of %s", item, metric, strings.Join(metricNames, ", "))
		}
		if o[scen] == nil {
			o[scen] = map[string]string{}
		}
		o[scen][metric] = value
	}
	return o, nil
}

func validMetric(m string) bool {
	for _, n := range metricNames {
		if n == m {
			return true
		}
	}
	return false
}

// Apply returns b with the overrides for scenario (those for "*" first,
// then the scenario's own) applied. "none" removes a limit.
func (o Overrides) Apply(scenario string, b Budgets) (Budgets, error) {
	for _, scope := range []string{"*", scenario} {
		metrics := o[scope]
		keys := make([]string, 0, len(metrics))
		for k := range metrics {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, metric := range keys {
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

func (b *Budgets) set(metric, value string) error {
	if metric == MetricRecovered {
		switch value {
		case "true":
			b.MustRecover, b.MustNotRecover = true, false
		case "false":
			b.MustRecover, b.MustNotRecover = false, true
		case "any":
			b.MustRecover, b.MustNotRecover = false, false
		default:
			return fmt.Errorf("want true, false or any")
		}
		return nil
	}
	if metric == Metric5xx {
		if value == "none" {
			b.Server5xx = nil
			return nil
		}
		n, err := strconv.Atoi(value)
		if err != nil || n < 0 {
			return fmt.Errorf("want a count >= 0 or none")
		}
		b.Server5xx = &n
		return nil
	}
	var d *time.Duration
	if value != "none" {
		v, err := time.ParseDuration(value)
		if err != nil || v < 0 {
			return fmt.Errorf("want a duration such as 30s or 1m30s, or none")
		}
		d = &v
	}
	switch metric {
	case MetricDowntime:
		b.Downtime = d
	case MetricLongestOutage:
		b.LongestOutage = d
	case MetricRecovery:
		b.Recovery = d
	case MetricHealing:
		b.Healing = d
	case MetricRecoveryAfterRevert:
		b.RecoveryAfterRevert = d
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
	if b.RecoveryAfterRevert != nil {
		parts = append(parts, "recovery after the revert ≤ "+b.RecoveryAfterRevert.String())
	}
	if len(parts) == 0 {
		return "no budgets"
	}
	return strings.Join(parts, ", ")
}
