package result

import (
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

// Words says s as a reader would: "recovered", "not recovered", "not observed".
func (s RecoveryState) Words() string { return strings.ReplaceAll(string(s), "_", " ") }

// Recovery is r's recovery state, derived from Recovered for results
// written before RecoveryState existed (a result without a request was
// not observed).
func (r *Result) Recovery() RecoveryState {
	switch {
	case r.RecoveryState != "":
		return r.RecoveryState
	case r.Recovered:
		return RecoveryRecovered
	case r.Requests.Total == 0:
		return RecoveryNotObserved
	}
	return RecoveryNotRecovered
}

// NotObservedWhy says why r's recovery was not observed, for every
// renderer alike: "no request was sent after the injection".
func (r *Result) NotObservedWhy() string {
	switch {
	case r.Requests.Total == 0:
		return "no request was sent"
	case len(r.Injections) > 1:
		return "no request was sent after the last injection"
	}
	return "no request was sent after the injection"
}

// Unit is what a metric's value counts.
type Unit string

// Units.
const (
	UnitMS    Unit = "ms"    // milliseconds
	UnitCount Unit = "count" // requests
	UnitBool  Unit = "bool"  // 1 yes, 0 no
)

// Metric is one figure of a result, named once for budgets, statistics,
// trends, the report, JUnit and the text summary.
type Metric struct {
	Key   string // in results and budget checks: "downtime_ms"
	Short string // in budget overrides and CLI flags: "downtime"
	Name  string // in words: "downtime"
	Unit  Unit
	// Value reads the figure from r; false when r has none (recovery of
	// a run that did not recover).
	Value func(r *Result) (float64, bool)
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
	KeyDowntime         = "downtime_ms"
	KeyLongestOutage    = "longest_outage_ms"
	Key5xx              = "server_5xx"
	KeyTransportErrors  = "transport_errors"
	KeyTimeToFirstError = "time_to_first_error_ms"
	KeyRecovery         = "recovery_ms"
	KeyHealing          = "healing_ms"
	KeyRecovered        = "recovered"
	// KeyRecoveryAfterRevert is recovery measured from the last revert
	// (Result.AfterRevert): whether a fault nothing heals lets the
	// service come back once it is undone.
	KeyRecoveryAfterRevert = "recovery_after_revert_ms"
)

// Metrics lists every metric, in the order reports show them.
func Metrics() []Metric {
	return []Metric{
		{KeyDowntime, "downtime", "downtime", UnitMS, func(r *Result) (float64, bool) { return r.DowntimeMS, true }},
		{KeyLongestOutage, "longest_outage", "longest outage", UnitMS, func(r *Result) (float64, bool) { return r.LongestOutageMS, true }},
		{Key5xx, "5xx", "5xx", UnitCount, func(r *Result) (float64, bool) { return float64(r.Server5xx), true }},
		{KeyTransportErrors, "errors", "transport errors", UnitCount, func(r *Result) (float64, bool) { return float64(r.TransportErrors()), true }},
		{KeyTimeToFirstError, "first_error", "time to first error", UnitMS, func(r *Result) (float64, bool) { return deref(r.TimeToFirstErrorMS) }},
		{KeyRecovery, "recovery", "recovery", UnitMS, func(r *Result) (float64, bool) {
			if r.Recovery() != RecoveryRecovered {
				return 0, false
			}
			return deref(r.RecoveryMS)
		}},
		{KeyHealing, "healing", "healing", UnitMS, func(r *Result) (float64, bool) {
			if r.Healing == nil || !r.Healing.Healed {
				return 0, false
			}
			return deref(r.Healing.MS)
		}},
		{KeyRecovered, "recovered", "recovered", UnitBool, func(r *Result) (float64, bool) {
			switch r.Recovery() {
			case RecoveryRecovered:
				return 1, true
			case RecoveryNotObserved:
				return 0, false // neither yes nor no
			}
			return 0, true
		}},
		{KeyRecoveryAfterRevert, "recovery_after_revert", "recovery after the revert", UnitMS, func(r *Result) (float64, bool) {
			if r.AfterRevert == nil || r.AfterRevert.State != RecoveryRecovered {
				return 0, false
			}
			return deref(r.AfterRevert.RecoveryMS)
		}},
	}
}

// MetricByKey finds a metric by its Key or its Short name.
func MetricByKey(key string) (Metric, bool) {
	for _, m := range Metrics() {
		if m.Key == key || m.Short == key {
			return m, true
		}
	}
	return Metric{}, false
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
