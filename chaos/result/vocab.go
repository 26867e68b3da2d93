package result

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Verdict is a scenario's outcome against its budgets.
type Verdict string

// Verdicts.
const (
	VerdictPass  Verdict = "pass"  // every budget kept
	VerdictFail  Verdict = "fail"  // a budget missed
	VerdictError Verdict = "error" // the scenario could not run to the end; Result.Error says why
)

// Impact is how hard the fault hit the users.
type Impact string

// Impact levels.
const (
	ImpactNone    Impact = "none"    // nothing failed after the injection
	ImpactPartial Impact = "partial" // some requests kept succeeding
	ImpactFull    Impact = "full"    // some second had no success at all
)

// RecoveryOrigin is the instant recovery, observation and the fault window
// are measured from.
type RecoveryOrigin string

// Recovery origins.
const (
	FromInjection    RecoveryOrigin = "injection"     // the first recorded injection
	FromFirstFailure RecoveryOrigin = "first_failure" // no injection was recorded (a probe nobody marked)
)

// RecoveryState is whether the service recovered from a fault, as far as
// the requests show.
type RecoveryState string

// Recovery states.
const (
	RecoveryRecovered    RecoveryState = "recovered"     // a confirmed run of successes (within the deadline)
	RecoveryNotRecovered RecoveryState = "not_recovered" // requests were sent and none confirmed a recovery
	// RecoveryNotObserved: no request was sent at or after the instant
	// recovery is measured from, so nothing can be said either way.
	RecoveryNotObserved RecoveryState = "not_observed"
)

// HealingState is whether Kubernetes saw the workload back at its
// desired state after a fault (Result.Healing).
type HealingState string

// Healing states.
const (
	HealingHealed    HealingState = "healed"     // seen broken, then back: Healing.MS times it
	HealingNotHealed HealingState = "not_healed" // seen broken, not back while watched
	// HealingNeverBroken: Kubernetes never saw the workload leave its
	// desired state, so there is no healing to time. Not a 0: a healing
	// budget over it is missed, as a missing figure is.
	HealingNeverBroken HealingState = "never_broken"
)

// Words says s as a reader would: "healed", "not healed", "never seen
// broken".
func (s HealingState) Words() string {
	if s == HealingNeverBroken {
		return "never seen broken"
	}
	return strings.ReplaceAll(string(s), "_", " ")
}

// neverSaw is what the condition of a healing never seen broken said in
// results written before HealingState.
const neverSaw = "Kubernetes never saw the workload leave its desired state"

// Of is h's state, derived for results written before State existed
// (which gave a healing never seen broken as healed in 0 ms, saying so
// in its condition).
func (h *Healing) Of() HealingState {
	switch {
	case h.State != "":
		return h.State
	case h.Healed && strings.Contains(h.Condition, neverSaw):
		return HealingNeverBroken
	case h.Healed:
		return HealingHealed
	}
	return HealingNotHealed
}

// Words says s as a reader would: "recovered", "not recovered", "not observed".
func (s RecoveryState) Words() string { return strings.ReplaceAll(string(s), "_", " ") }

// Recovery is r's recovery state, derived from Recovered for results
// written before RecoveryState existed.
func (r *Result) Recovery() RecoveryState {
	switch {
	case r.RecoveryState != "":
		return r.RecoveryState
	case r.Recovered:
		return RecoveryRecovered
	}
	return RecoveryNotRecovered
}

// NotObservedWhy says why r's recovery was not observed, for every
// renderer alike: "no request was sent after the injection".
func (r *Result) NotObservedWhy() string {
	o := r.Observed
	switch {
	case r.Requests.Total == 0:
		return "no request was sent"
	case o != nil && o.Requests > 0 && o.Requests < o.Needed:
		return fmt.Sprintf("%s sent in the fault window (%s from the first injection to %s), fewer than the %d of one second at %s/s",
			plural(o.Requests, "request was", "requests were"), o.To.Sub(o.From).Round(time.Millisecond), o.until(r), o.Needed,
			strconv.FormatFloat(r.Load.Rate, 'f', -1, 64))
	case r.AfterRevert != nil && r.AfterRevert.State != RecoveryNotObserved:
		// Requests after the revert, none after the injection before it.
		return "no request was sent while the fault was in place (the load side stalled)"
	case len(r.Injections) > 1:
		return "no request was sent after the last injection"
	}
	return "no request was sent after the injection"
}

// until names the end of the fault window o counted.
func (o *Observation) until(r *Result) string {
	if len(r.Reverts) > 0 {
		return "the last revert"
	}
	return "the end of the run"
}

// plural writes n with its noun: "1 request was", "3 requests were".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// Unobserved says why r's verdict cannot rest on what its load saw, ""
// when it can: recovery not observed (no request, or fewer than a
// second's worth in the fault window: docs/measurement.md, "Not
// observed"). Nothing seen is no evidence either way, so the engine makes
// such a result an error (chaos/scenario), and the claims (chaos/expect)
// and aggregates (chaos/aggregate) do not count it as a pass.
func (r *Result) Unobserved() string {
	if r.Recovery() != RecoveryNotObserved {
		return ""
	}
	return "the load observed nothing of the fault: " + r.NotObservedWhy()
}

// Unit is what a metric's value counts.
type Unit string

// Units.
const (
	UnitMS    Unit = "ms"    // milliseconds
	UnitCount Unit = "count" // requests
	UnitBool  Unit = "bool"  // 1 yes, 0 no
)

// MetricKey names a metric in results, budget checks and trend tables:
// "downtime_ms". It is the result's JSON field where there is one.
type MetricKey string

// Metric is one figure of a result, named once for budgets, statistics,
// trends, the report, JUnit and the text summary.
type Metric struct {
	Key   MetricKey // in results and budget checks: "downtime_ms"
	Short string    // in budget overrides and CLI flags: "downtime"
	Name  string    // in words: "downtime"
	Unit  Unit
	// Value reads the figure from r; false when r has none (recovery of
	// a run that did not recover).
	Value func(r *Result) (float64, bool)
	// Never, when set, tells why Value has none: true when the event the
	// metric times never came (not recovered, not healed), which is worse
	// than any value; false when the figure does not apply (nothing was
	// injected, nothing checked).
	Never func(r *Result) bool
	// Missed says Never in words: "not recovered".
	Missed string
	// Verb is what a yes/no metric says happened, for its budget: "must
	// recover" (a limit of 1) or "must not recover" (a limit of 0).
	Verb string
	// OfLoad marks a figure of the load's requests around the fault:
	// none at all when the fault window was not observed
	// (Result.Unobserved), however many requests the run had elsewhere.
	OfLoad bool
}

// Title is the metric's name as a heading: "Longest outage".
func (m Metric) Title() string {
	if m.Short == "" { // not from the table: its key as written
		return string(m.Key)
	}
	return strings.ToUpper(m.Name[:1]) + m.Name[1:]
}

// Requirement says what a budget of limit on a yes/no metric asks for:
// "must recover", "must not recover".
func (m Metric) Requirement(limit float64) string {
	if limit != 0 {
		return "must " + m.Verb
	}
	return "must not " + m.Verb
}

// Format writes v in the metric's unit for people: "1.234s", "12", "yes".
func (m Metric) Format(v float64) string {
	switch m.Unit {
	case UnitMS:
		return time.Duration(v * float64(time.Millisecond)).Round(time.Millisecond).String()
	case UnitBool:
		if v != 0 {
			return "yes"
		}
		return "no"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// Metric keys.
const (
	KeyDowntime         MetricKey = "downtime_ms"
	KeyLongestOutage    MetricKey = "longest_outage_ms"
	Key5xx              MetricKey = "server_5xx"
	KeyTransportErrors  MetricKey = "transport_errors"
	KeyTimeToFirstError MetricKey = "time_to_first_error_ms"
	KeyRecovery         MetricKey = "recovery_ms"
	KeyHealing          MetricKey = "healing_ms"
	KeyRecovered        MetricKey = "recovered"
	KeyImpactP99        MetricKey = "latency_ms.impact.p99"
	// KeyRecoveryAfterRevert is recovery measured from the last revert
	// (Result.AfterRevert): whether a fault nothing heals lets the
	// service come back once it is undone.
	KeyRecoveryAfterRevert MetricKey = "recovery_after_revert_ms"
	// The write stream's figures (Result.Writes), counted apart from
	// the load: acknowledged writes the database does not hold after the
	// scenario, ids stored more than once, and writes that failed.
	KeyWritesAckedMissing MetricKey = "writes_acked_missing"
	KeyWritesDuplicates   MetricKey = "writes_duplicates"
	KeyWritesFailed       MetricKey = "writes_failed"
)

// Metrics lists every metric, in the order reports show them.
func Metrics() []Metric {
	ms := metrics()
	for i := range ms {
		if v := ms[i].Value; ms[i].OfLoad {
			// Nothing seen of the fault is no figure: "downtime 0" of a
			// window no request looked at would be a pass on nothing.
			ms[i].Value = func(r *Result) (float64, bool) {
				if r.Recovery() == RecoveryNotObserved {
					return 0, false
				}
				return v(r)
			}
		}
	}
	return ms
}

func metrics() []Metric {
	return []Metric{
		{OfLoad: true, Key: KeyDowntime, Short: "downtime", Name: "downtime", Unit: UnitMS,
			Value: func(r *Result) (float64, bool) { return r.DowntimeMS, true }},
		{OfLoad: true, Key: KeyLongestOutage, Short: "longest_outage", Name: "longest outage", Unit: UnitMS,
			Value: func(r *Result) (float64, bool) { return r.LongestOutageMS, true }},
		{OfLoad: true, Key: Key5xx, Short: "5xx", Name: "5xx answers", Unit: UnitCount,
			Value: func(r *Result) (float64, bool) { return float64(r.Server5xx), true }},
		{OfLoad: true, Key: KeyTransportErrors, Short: "errors", Name: "transport errors", Unit: UnitCount,
			Value: func(r *Result) (float64, bool) { return float64(r.TransportErrors()), true }},
		{OfLoad: true, Key: KeyTimeToFirstError, Short: "first_error", Name: "time to first error", Unit: UnitMS,
			Value: func(r *Result) (float64, bool) { return deref(r.TimeToFirstErrorMS) }},
		{OfLoad: true, Key: KeyRecovery, Short: "recovery", Name: "recovery", Unit: UnitMS,
			Value: func(r *Result) (float64, bool) {
				if r.Recovery() != RecoveryRecovered {
					return 0, false
				}
				return deref(r.RecoveryMS)
			},
			// Nothing injected and nothing failed: nothing to recover
			// from; nothing observed after the injection: unknown.
			Never: func(r *Result) bool {
				return r.Recovery() == RecoveryNotRecovered && (len(r.Injections) > 0 || r.RecoveryFrom != "")
			},
			Missed: "not recovered"},
		{Key: KeyHealing, Short: "healing", Name: "healing", Unit: UnitMS,
			Value: func(r *Result) (float64, bool) {
				if r.Healing == nil || r.Healing.Of() != HealingHealed {
					return 0, false
				}
				return deref(r.Healing.MS)
			},
			Never:  func(r *Result) bool { return r.Healing != nil && r.Healing.Of() == HealingNotHealed },
			Missed: "not healed"},
		{OfLoad: true, Key: KeyRecovered, Short: "recovered", Name: "recovered", Unit: UnitBool, Verb: "recover",
			Value: func(r *Result) (float64, bool) {
				switch r.Recovery() {
				case RecoveryRecovered:
					return 1, true
				case RecoveryNotObserved:
					return 0, false // neither yes nor no
				}
				return 0, true
			}},
		{Key: KeyRecoveryAfterRevert, Short: "recovery_after_revert", Name: "recovery after the revert", Unit: UnitMS,
			Value: func(r *Result) (float64, bool) {
				if r.AfterRevert == nil || r.AfterRevert.State != RecoveryRecovered {
					return 0, false
				}
				return deref(r.AfterRevert.RecoveryMS)
			},
			// Not back when the run ended; no revert or nothing sent
			// after it is no figure at all.
			Never:  func(r *Result) bool { return r.AfterRevert != nil && r.AfterRevert.State == RecoveryNotRecovered },
			Missed: "not back after the revert"},
		{OfLoad: true, Key: KeyImpactP99, Short: "p99_impact", Name: "p99 latency, impact", Unit: UnitMS,
			// Without failures after the injection the impact window is
			// empty: there is nothing to compare, rather than a zero.
			Value: func(r *Result) (float64, bool) {
				if r.Latency.Impact == nil {
					return 0, false
				}
				return r.Latency.Impact.P99, true
			}},
		{Key: KeyWritesAckedMissing, Short: "acked_missing", Name: "acknowledged writes missing", Unit: UnitCount,
			Value: func(r *Result) (float64, bool) {
				if r.AckedMissingWhy() != "" {
					return 0, false
				}
				return writeFigure(r, func(w *Writes) *int { return w.AckedMissing })
			}},
		{Key: KeyWritesDuplicates, Short: "write_duplicates", Name: "duplicate writes", Unit: UnitCount,
			Value: func(r *Result) (float64, bool) { return writeFigure(r, func(w *Writes) *int { return w.Duplicates }) }},
		{Key: KeyWritesFailed, Short: "writes_failed", Name: "failed writes", Unit: UnitCount,
			Value: func(r *Result) (float64, bool) {
				if r.Writes == nil {
					return 0, false
				}
				return float64(r.Writes.Failed), true
			}},
	}
}

// NotObserved says whether m has no value in r because no request was
// sent when it could have been seen (a figure of the load around a fault
// window the load did not observe, recovery after a revert it never
// saw): unknown, neither a figure nor "never".
func (m Metric) NotObserved(r *Result) bool {
	switch {
	case m.OfLoad:
		return r.Recovery() == RecoveryNotObserved
	case m.Key == KeyRecoveryAfterRevert:
		return r.AfterRevert != nil && r.AfterRevert.State == RecoveryNotObserved
	}
	return false
}

// UnknownWhy says why m has no value in r where r should have one, ""
// when it has one, when the thing it times never came (Never), or when it
// does not apply to r (no healing check, no write stream): not observed,
// a workload Kubernetes never saw broken, no write acknowledged, a
// database not read. Unknown is never within a limit: a budget over it is
// missed, and a median over repetitions counts it as never.
func (m Metric) UnknownWhy(r *Result) string {
	if _, ok := m.Value(r); ok || (m.Never != nil && m.Never(r)) {
		return ""
	}
	switch {
	case m.NotObserved(r) && m.Key == KeyRecoveryAfterRevert:
		return "not observed: no request was sent after the revert"
	case m.NotObserved(r):
		return "not observed: " + r.NotObservedWhy()
	case m.Key == KeyHealing && r.Healing != nil && r.Healing.Of() == HealingNeverBroken:
		return "Kubernetes never saw the workload leave its desired state"
	case m.Key == KeyWritesAckedMissing && r.Writes != nil:
		return r.AckedMissingWhy()
	case m.Key == KeyWritesDuplicates && r.Writes != nil:
		return r.WritesUnchecked()
	}
	return ""
}

// MetricByKey finds a metric by its Key or its Short name.
func MetricByKey[K ~string](key K) (Metric, bool) {
	for _, m := range Metrics() {
		if string(m.Key) == string(key) || m.Short == string(key) {
			return m, true
		}
	}
	return Metric{}, false
}

// Definition is the check's metric from the table. A key the table does
// not know (a result written by another version) gets a metric named by
// its key, in milliseconds when the key says so.
func (c BudgetCheck) Definition() Metric {
	if m, ok := MetricByKey(c.Metric); ok {
		return m
	}
	m := Metric{Key: c.Metric, Name: string(c.Metric), Unit: UnitCount}
	if strings.HasSuffix(string(c.Metric), "_ms") {
		m.Unit = UnitMS
	}
	return m
}

// TransportErrors counts the requests that got no HTTP answer.
func (r *Result) TransportErrors() int {
	n := 0
	for _, c := range r.Errors {
		n += c
	}
	return n
}

func deref(p *float64) (float64, bool) {
	if p == nil {
		return 0, false
	}
	return *p, true
}

// VerdictNone is the outcome of a result that nothing judged (a probe
// without budgets). It is never written as a Result.Verdict.
const VerdictNone Verdict = "none"

// Judge is the verdict of budget checks: fail when any was missed.
func Judge(checks []BudgetCheck) Verdict {
	for _, c := range checks {
		if !c.Pass {
			return VerdictFail
		}
	}
	return VerdictPass
}

// Outcome is r's verdict, derived when r has none: error when it says why
// it could not run, none when it has no budgets, else from its budgets.
func (r *Result) Outcome() Verdict {
	switch {
	case r.Verdict != "":
		return r.Verdict
	case r.Error != "":
		return VerdictError
	case len(r.Budgets) == 0:
		return VerdictNone
	}
	return Judge(r.Budgets)
}

// Words says v as a reader would: "passed", "failed", "could not run".
func (v Verdict) Words() string {
	switch v {
	case VerdictPass:
		return "passed"
	case VerdictFail:
		return "failed"
	case VerdictError:
		return "could not run"
	case VerdictNone:
		return "without budgets"
	}
	return string(v)
}

// Definition is the metric b bounds, by its Metric or, in older results,
// by its Name; false when neither names a metric of the table.
func (b Bound) Definition() (Metric, bool) {
	if b.Metric != "" {
		return MetricByKey(b.Metric)
	}
	return MetricByKey(b.Name)
}

// Label names b for people: its Name, else its metric's title.
func (b Bound) Label() string {
	if b.Name != "" {
		return b.Name
	}
	if m, ok := b.Definition(); ok {
		return m.Title()
	}
	return string(b.Metric)
}

// BoundsOf are the bounds r has on metric k.
func (r *Result) BoundsOf(k MetricKey) []Bound {
	var out []Bound
	for _, b := range r.LowerBounds {
		if m, ok := b.Definition(); ok && m.Key == k {
			out = append(out, b)
		}
	}
	return out
}

// HostVerdict is how much the machine that measured a result was loaded
// by others while it did (Result.Conditions; docs/measurement.md "Host
// conditions").
type HostVerdict string

// Host verdicts, from best to worst.
const (
	HostClean     HostVerdict = "clean"     // no signal crossed its contended threshold
	HostContended HostVerdict = "contended" // a signal crossed its contended threshold
	HostStarved   HostVerdict = "starved"   // a signal crossed its starved threshold: the numbers may be the machine's
	// HostUnknown: no sample of the host was taken while it measured.
	// Never read as clean: it ranks above starved, so whatever leaves out
	// a loaded machine leaves it out too.
	HostUnknown HostVerdict = "unknown"
)

// Worse reports whether v is a worse verdict than w.
func (v HostVerdict) Worse(w HostVerdict) bool { return v.rank() > w.rank() }

func (v HostVerdict) rank() int {
	switch v {
	case HostContended:
		return 1
	case HostStarved:
		return 2
	case HostUnknown:
		return 3
	}
	return 0
}

// Words says v as a reader would: "a clean machine", "a starved machine".
func (v HostVerdict) Words() string {
	if v == "" || v == HostUnknown {
		return "an unknown machine"
	}
	return "a " + string(v) + " machine"
}

// Tally says in one line how results came out, in the order of the
// verdicts' severity: "5 results: 3 passed, 1 failed, 1 could not run";
// errors whose fault did not take effect are counted apart ("1 whose
// fault did not take effect").
func Tally(results []*Result) string {
	counts := map[Verdict]int{}
	unproven := 0
	for _, r := range results {
		if r.FaultDidNotTakeEffect() {
			unproven++
			continue
		}
		counts[r.Outcome()]++
	}
	parts := []string{}
	for _, v := range []Verdict{VerdictPass, VerdictFail, VerdictError, VerdictNone} {
		if counts[v] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[v], v.Words()))
		}
	}
	if unproven > 0 {
		parts = append(parts, fmt.Sprintf("%d whose fault did not take effect", unproven))
	}
	noun := "results"
	if len(results) == 1 {
		noun = "result"
	}
	if len(parts) == 0 {
		return "no results"
	}
	return fmt.Sprintf("%d %s: %s", len(results), noun, strings.Join(parts, ", "))
}
