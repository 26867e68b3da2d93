package scenario

import (
	"errors"
	"fmt"
	"maps"
	"math"
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
	Server5xx     *RequestBudget
	// TransportErrors limits the requests that got no HTTP answer at all
	// (refused, reset, timed out): with Server5xx 0 and Downtime 0 it
	// says "not one request failed, of any kind".
	TransportErrors *RequestBudget
	Recovery        *time.Duration
	Healing         *time.Duration
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
	// AckedMissing bounds the acknowledged writes the database does not
	// hold after the scenario (0: every acknowledged write survives). It
	// is checked where the scenario ran a write stream (Scenario.Writes);
	// a database that could not be read fails it.
	AckedMissing *int
}

// budgetMetrics are the metrics a budget can limit, in the order checks
// are written; overrides name them by the table's Short names.
func budgetMetrics() []result.MetricKey {
	return []result.MetricKey{
		result.KeyDowntime, result.KeyLongestOutage, result.Key5xx,
		result.KeyTransportErrors, result.KeyRecovery, result.KeyHealing, result.KeyRecovered,
		result.KeyRecoveryAfterRevert, result.KeyWritesAckedMissing,
	}
}

// OverrideMetrics lists the Short names overrides accept, in the order
// checks are written.
func OverrideMetrics() []string {
	var names []string
	for _, k := range budgetMetrics() {
		names = append(names, metric(k).Short)
	}
	return names
}

// metric is k's entry in the metric table; budgetMetrics only names keys
// the table has.
func metric(k result.MetricKey) result.Metric {
	m, _ := result.MetricByKey(k)
	return m
}

// budgetKey is the key of the budget metric a user named, "" when none.
func budgetKey(name string) result.MetricKey {
	for _, k := range budgetMetrics() {
		if metric(k).Short == name {
			return k
		}
	}
	return ""
}

// Dur is a helper for budget literals.
func Dur(d time.Duration) *time.Duration { return &d }

// Count is a helper for budget literals on counts that do not follow the
// load's rate (acknowledged writes missing).
func Count(n int) *int { return &n }

// RequestBudget is a limit on a number of the load's requests (5xx
// answers, transport errors). Written as seconds of load, it is that
// many seconds' worth of requests at the rate the result was measured
// at, ⌈seconds × rate⌉, so that it means the same at any --rate: 100 s of
// load is 1,000 requests at 10/s and 2,000 at 20/s. Written as a number,
// it is that number at any rate; 0 is 0 either way.
type RequestBudget struct {
	n    int
	load time.Duration
}

// Requests is a budget of at most n requests, whatever the rate.
func Requests(n int) *RequestBudget { return &RequestBudget{n: n} }

// SecondsOfLoad is a budget of d's worth of the load's requests at the
// rate of the run.
func SecondsOfLoad(d time.Duration) *RequestBudget { return &RequestBudget{load: d} }

// Limit is the budget in requests at rate (requests per second).
func (b RequestBudget) Limit(rate float64) int {
	if b.load > 0 {
		return int(math.Ceil(b.load.Seconds() * rate))
	}
	return b.n
}

// String says the budget as written: "0", "100 s of load".
func (b RequestBudget) String() string {
	if b.load > 0 {
		return strconv.FormatFloat(b.load.Seconds(), 'f', -1, 64) + " s of load"
	}
	return strconv.Itoa(b.n)
}

// at says the budget at rate when it follows it: " (100 s of load at
// 10/s)"; "" for a plain number.
func (b RequestBudget) at(rate float64) string {
	if b.load <= 0 {
		return ""
	}
	return fmt.Sprintf(" (%s at %s/s)", b, strconv.FormatFloat(rate, 'f', -1, 64))
}

// Check compares r's figures with the budgets, reading each figure
// through the metric table. A missing figure (recovery of a run that did
// not recover, healing that never happened) fails its budget: unknown is
// not within a limit.
func (b Budgets) Check(r *result.Result) []result.BudgetCheck {
	var out []result.BudgetCheck
	limit := func(k result.MetricKey, lim float64, basis string) {
		m := metric(k)
		v, known := m.Value(r)
		c := result.BudgetCheck{Metric: k, Limit: lim, Value: v, Pass: known && v <= lim}
		switch {
		case !known:
			c.Value, c.Missing, c.NotObserved = 0, true, m.NotObserved(r)
			c.Message = fmt.Sprintf("%s: no value (%s), budget %s%s", m.Name, unknownWhy(m, r), m.Format(lim), basis)
		case c.Pass:
			c.Message = fmt.Sprintf("%s %s within budget %s%s", m.Name, m.Format(v), m.Format(lim), basis)
		default:
			c.Message = fmt.Sprintf("%s %s exceeds budget %s%s", m.Name, m.Format(v), m.Format(lim), basis)
		}
		out = append(out, c)
	}
	ms := func(d *time.Duration) float64 { return float64(*d) / float64(time.Millisecond) }
	if b.Downtime != nil {
		limit(result.KeyDowntime, ms(b.Downtime), "")
	}
	if b.LongestOutage != nil {
		limit(result.KeyLongestOutage, ms(b.LongestOutage), "")
	}
	if b.Server5xx != nil {
		limit(result.Key5xx, float64(b.Server5xx.Limit(r.Load.Rate)), b.Server5xx.at(r.Load.Rate))
	}
	if b.TransportErrors != nil {
		limit(result.KeyTransportErrors, float64(b.TransportErrors.Limit(r.Load.Rate)), b.TransportErrors.at(r.Load.Rate))
	}
	if b.Recovery != nil {
		limit(result.KeyRecovery, ms(b.Recovery), "")
	}
	if b.Healing != nil {
		limit(result.KeyHealing, ms(b.Healing), "")
	}
	if b.RecoveryAfterRevert != nil {
		limit(result.KeyRecoveryAfterRevert, ms(b.RecoveryAfterRevert), "")
	}
	// Only where there was a write stream: "*.acked_missing=0" does not
	// fail the scenarios that write nothing.
	if b.AckedMissing != nil && r.Writes != nil {
		limit(result.KeyWritesAckedMissing, float64(*b.AckedMissing), " (the verdict rests on "+r.Writes.Basis()+")")
	}
	// A yes/no budget's limit is the value required: 1 must recover, 0
	// must not.
	if (b.MustRecover || b.MustNotRecover) && r.Recovery() == result.RecoveryNotObserved {
		// Neither expectation is met by nothing: unknown is not a pass.
		c := result.BudgetCheck{Metric: result.KeyRecovered, Limit: 1, Missing: true, NotObserved: true}
		want := "required to recover"
		if b.MustNotRecover {
			c.Limit, want = 0, "expected not to recover before the revert"
		}
		c.Message = fmt.Sprintf("recovered: no value (not observed: %s), %s", r.NotObservedWhy(), want)
		return append(out, c)
	}
	if b.MustRecover {
		c := result.BudgetCheck{Metric: result.KeyRecovered, Limit: 1, Pass: r.Recovered}
		if r.Recovered {
			c.Value = 1
			c.Message = "recovered: yes, as required"
		} else {
			c.Message = "recovered: NO, the service did not recover before the deadline (required)"
		}
		out = append(out, c)
	}
	if b.MustNotRecover {
		c := result.BudgetCheck{Metric: result.KeyRecovered, Limit: 0, Pass: !r.Recovered}
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

// unknownWhy says why m has no value in r: "not healed".
func unknownWhy(m result.Metric, r *result.Result) string {
	switch {
	case m.Missed != "" && m.Never != nil && m.Never(r):
		return m.Missed
	case m.UnknownWhy(r) != "":
		return m.UnknownWhy(r)
	case m.Key == result.KeyRecoveryAfterRevert && r.AfterRevert == nil:
		return "the fault was not reverted"
	case m.Key == result.KeyHealing && r.Healing == nil:
		return "healing was not checked"
	}
	return "not measured"
}

// Overrides are budget changes given by a user, by scenario ("*" for all)
// and metric (the Short names of result.Metrics()):
// "node-halt.downtime=90s,*.5xx=0,wp-config-break.recovered=any".
// recovered takes true (must recover), false (must not) or any; the other
// metrics a limit or none (no limit). ParseOverrides has checked every
// value, so applying them cannot fail.
type Overrides map[string]map[string]string

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
		if budgetKey(metric) == "" {
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
func (o Overrides) Scenarios() []string { return scopes(o) }

// scopes lists the scenario names that key m, sorted, without "*".
func scopes[V any](m map[string]V) []string {
	var names []string
	for k := range m {
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
	key := budgetKey(metric)
	switch key {
	case "":
		return fmt.Errorf("unknown metric %q; use one of %s", metric, strings.Join(OverrideMetrics(), ", "))
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
	case result.KeyWritesAckedMissing:
		var n *int
		if value != "none" {
			v, err := strconv.Atoi(value)
			if err != nil || v < 0 {
				return fmt.Errorf("%s=%q: want a count >= 0 (such as 0 or 10), or none", metric, value)
			}
			n = &v
		}
		b.AckedMissing = n
		return nil
	case result.Key5xx, result.KeyTransportErrors:
		n, err := parseRequestBudget(value)
		if err != nil {
			return fmt.Errorf("%s=%q: %w", metric, value, err)
		}
		if key == result.Key5xx {
			b.Server5xx = n
		} else {
			b.TransportErrors = n
		}
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
	switch key {
	case result.KeyDowntime:
		b.Downtime = d
	case result.KeyLongestOutage:
		b.LongestOutage = d
	case result.KeyRecovery:
		b.Recovery = d
	case result.KeyHealing:
		b.Healing = d
	case result.KeyRecoveryAfterRevert:
		b.RecoveryAfterRevert = d
	}
	return nil
}

// parseRequestBudget reads a budget on requests: a count ("10"), seconds
// of load ("50s": that long's worth at the run's rate), or none (nil).
func parseRequestBudget(value string) (*RequestBudget, error) {
	if value == "none" {
		return nil, nil
	}
	if v, err := strconv.Atoi(value); err == nil && v >= 0 {
		return Requests(v), nil
	}
	if d, err := time.ParseDuration(value); err == nil && d >= 0 {
		return SecondsOfLoad(d), nil
	}
	return nil, errors.New("want a count >= 0 (such as 0 or 10), seconds of the run's load (such as 50s: 500 requests at 10/s), or none")
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
		parts = append(parts, "5xx ≤ "+b.Server5xx.String())
	}
	if b.TransportErrors != nil {
		parts = append(parts, "transport errors ≤ "+b.TransportErrors.String())
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
	if b.AckedMissing != nil {
		parts = append(parts, fmt.Sprintf("acknowledged writes missing ≤ %d", *b.AckedMissing))
	}
	if len(parts) == 0 {
		return "no budgets"
	}
	return strings.Join(parts, ", ")
}
