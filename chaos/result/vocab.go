package result

import (
	"strconv"
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
			if !r.Recovered {
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
			if r.Recovered {
				return 1, true
			}
			return 0, true
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

// HostVerdict is how much the machine that measured a result was loaded
// by others while it did (Result.Conditions; docs/measurement.md "Host
// conditions").
type HostVerdict string

// Host verdicts, from best to worst.
const (
	HostClean     HostVerdict = "clean"     // no signal crossed its contended threshold
	HostContended HostVerdict = "contended" // a signal crossed its contended threshold
	HostStarved   HostVerdict = "starved"   // a signal crossed its starved threshold: the numbers may be the machine's
)

// Worse reports whether v is a worse verdict than w.
func (v HostVerdict) Worse(w HostVerdict) bool { return v.rank() > w.rank() }

func (v HostVerdict) rank() int {
	switch v {
	case HostContended:
		return 1
	case HostStarved:
		return 2
	}
	return 0
}

// Words says v as a reader would: "a clean machine", "a starved machine".
func (v HostVerdict) Words() string {
	if v == "" {
		return "an unknown machine"
	}
	return "a " + string(v) + " machine"
}
