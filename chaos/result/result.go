// Package result holds selfheal's result model: the versioned JSON document
// written once per scenario, and the code that reads and writes it.
//
// The JSON field names marked "contract" are read by other tools and must not
// change within a schema version; new fields may be added. Every figure is
// defined in docs/measurement.md (shared with the measurement code in
// chaos/measure); this package only carries the numbers.
//
// Durations are float milliseconds (microsecond resolution is kept) so a
// reader never has to guess a unit. Instants are RFC 3339 with nanoseconds,
// which is how encoding/json writes time.Time.
package result

import (
	"time"
)

// Schema is the value of Result.Schema for this version of the document.
const Schema = "selfheal.result/v1"

// Result is one scenario's outcome. See the package doc for units.
type Result struct {
	Schema   string    `json:"schema"`   // contract
	Scenario string    `json:"scenario"` // contract
	Started  time.Time `json:"started"`  // contract: first request's send time
	Ended    time.Time `json:"ended"`    // contract: end of the run (load stopped)

	// Description says in one line what the scenario does, for readers of
	// the report who did not write it.
	Description string   `json:"description,omitempty"`
	Run         *RunInfo `json:"run,omitempty"`

	// Repetition is which of Repetitions runs of this scenario in its run
	// this is, from 1; both are 0 in a result of an unrepeated run.
	Repetition  int `json:"repetition,omitempty"`
	Repetitions int `json:"repetitions,omitempty"`
	// Sequential is how --repeat auto decided the number of repetitions
	// of this scenario against this variant, as it stood after this
	// repetition's look; nil in a run with a fixed count, and in the
	// baseline's repetitions that variants were compared with.
	Sequential *Sequential `json:"sequential,omitempty"`
	// AggregateBudgets are limits on the scenario's repetitions taken
	// together (the median of a metric, the share that passed); every
	// repetition carries them so that the results alone can be judged
	// again (chaos/aggregate).
	AggregateBudgets []AggregateBudget `json:"aggregate_budgets,omitempty"`

	Load     Load           `json:"load"`     // contract
	Analysis AnalysisParams `json:"analysis"` // the parameters the figures were computed with

	Requests    Requests       `json:"requests"`     // contract
	StatusCodes map[string]int `json:"status_codes"` // contract: every code seen, "200": n
	Errors      map[string]int `json:"errors"`       // contract: transport errors by class (ErrorClass)
	// Client4xx counts 4xx answers; they succeed unless
	// AnalysisParams.FailOn4xx is set, and are counted apart either way.
	Client4xx int `json:"client_4xx"`
	Server5xx int `json:"server_5xx"`

	DowntimeMS        float64 `json:"downtime_ms"`       // contract
	LongestOutageMS   float64 `json:"longest_outage_ms"` // contract
	FullOutageSeconds int     `json:"full_outage_seconds"`
	DegradedSeconds   int     `json:"degraded_seconds"`
	// ErrorRatio is failed/total over the fault window (reference to
	// recovered, or to the end); null when nothing was injected and nothing
	// failed.
	ErrorRatio *float64 `json:"error_ratio"`
	Outages    []Outage `json:"outages"` // contract

	Injections []Injection `json:"injections"` // contract
	Reverts    []Injection `json:"reverts"`
	// Evidence is what the fault read back from the system to show that
	// it took effect (Result.Unproven); a scenario whose fault proved
	// nothing is an error.
	Evidence []Evidence `json:"evidence,omitempty"`

	// TimeToFirstErrorMS is from the first injection to the first failed
	// request sent after it; null when none failed, and null without
	// injection (there is nothing to measure it from).
	TimeToFirstErrorMS *float64 `json:"time_to_first_error_ms"` // contract
	// RecoveryMS is from the first injection (or, without injection, from
	// the first failed request: see RecoveryFrom) to Recovered; null when
	// not recovered. 0 when nothing failed after the injection, or when
	// nothing was injected and nothing failed.
	RecoveryMS *float64 `json:"recovery_ms"` // contract
	// RecoveryFrom is what RecoveryMS, ObservedMS and the fault window are
	// measured from: "injection" (the first one) or "first_failure" (no
	// injection was recorded, e.g. a probe nobody marked); empty when
	// nothing was injected and nothing failed.
	RecoveryFrom RecoveryOrigin `json:"recovery_from,omitempty"`
	// Recovered is true only when a recovery was seen (RecoveryState
	// "recovered"): false both when the service did not recover and when
	// nothing was observed after the injection.
	Recovered   bool       `json:"recovered"` // contract
	RecoveredAt *time.Time `json:"recovered_at,omitempty"`
	// RecoveryState says which of recovered, not recovered and not
	// observed (no request was sent at or after the last injection) the
	// result is. Results written before it existed have none: see
	// Result.Recovery.
	RecoveryState RecoveryState `json:"recovery_state,omitempty"`
	// ObservedMS is how long after the first injection (see RecoveryFrom)
	// the run was watched; with Recovered false it is the "not recovered
	// after" figure. Null when not observed.
	ObservedMS *float64 `json:"observed_ms,omitempty"`
	// Impact is "none" when nothing failed after the injection, "partial"
	// when some requests kept succeeding, "full" when some second had no
	// success at all; empty when not observed.
	Impact Impact `json:"impact,omitempty"`
	// AfterRevert is the service after the fault was reverted, measured
	// from the last revert; nil when nothing was reverted (a probe).
	AfterRevert *AfterRevert `json:"after_revert,omitempty"`
	// Observed is what the fault's figures rest on: the requests sent in
	// the fault window and how many a verdict needs (Result.Unobserved);
	// nil without injection.
	Observed *Observation `json:"observed,omitempty"`

	// Healing is Kubernetes' side of recovery, measured from the API.
	Healing *Healing `json:"healing,omitempty"`

	// Writes is the write stream, counted apart from the load, and what
	// the database held for it after the scenario; nil when the scenario
	// ran none.
	Writes *Writes `json:"writes,omitempty"`

	Latency LatencyWindows `json:"latency_ms"` // contract

	// Vantage is where the top-level figures were measured from (the
	// outside: the harness through the app's NodePort); nil in a result
	// measured from there alone, as every result before vantage points.
	Vantage *VantagePoint `json:"vantage,omitempty"`
	// Vantages are the other vantage points measured beside it (inside
	// the cluster, the control probe, reused connections), each with its
	// own outage timeline on the same fault instants.
	Vantages []Vantage `json:"vantages,omitempty"`
	// Charged is the outside downtime charged to the app, where the
	// control probe was healthy; nil without a control probe.
	Charged *Charge `json:"charged,omitempty"`

	// Timeline is the request stream in fixed buckets (Analysis.BucketMS),
	// what the report's charts draw.
	Timeline []Bucket `json:"timeline"`
	Targets  []Target `json:"targets,omitempty"` // per-target breakdown

	Events []Event `json:"events"` // contract: Kubernetes timeline, [] when none

	// LowerBounds are the recoveries the fixture's own settings allow at
	// best (e.g. liveness period x failureThreshold), shown next to the
	// measured figures.
	LowerBounds []Bound `json:"lower_bounds,omitempty"`

	Budgets []BudgetCheck `json:"budgets,omitempty"`
	// History says which earlier runs the history budgets among Budgets
	// came from; nil when history was not consulted.
	History *HistoryNote `json:"history,omitempty"`
	// Verdict is "pass", "fail" (a budget missed) or "error" (the scenario
	// could not run to the end; Error says why).
	Verdict Verdict  `json:"verdict,omitempty"`
	Error   string   `json:"error,omitempty"`
	Notes   []string `json:"notes,omitempty"`

	// Conditions is how loaded the host was while it measured: a verdict
	// measured on a starved machine may be the machine's, not the app's.
	// Nil when nothing sampled the host.
	Conditions *Conditions `json:"conditions,omitempty"`
}

// RunInfo describes the run a scenario belonged to.
type RunInfo struct {
	ID                string `json:"id,omitempty"`
	Cluster           string `json:"cluster,omitempty"`
	KubernetesVersion string `json:"kubernetes_version,omitempty"`
	ImageMode         string `json:"image_mode,omitempty"` // "online" | "offline" | "" (probe)
	Fixture           string `json:"fixture,omitempty"`
	Host              string `json:"host,omitempty"`
	SelfhealVersion   string `json:"selfheal_version,omitempty"`
	// Variant names the fixture variant the scenario ran against
	// (chaos/variant); empty in results from before variants, which ran
	// against the baseline.
	Variant string `json:"variant,omitempty"`
	// NodeFaults is "agent" when the scenario's node fault went through
	// selfheal's node agent (chaos/fault/nodeagent) rather than docker;
	// empty otherwise.
	NodeFaults string `json:"node_faults,omitempty"`
}

// Load is how the load was driven. Everything that bends a measurement is
// recorded here.
type Load struct {
	Rate      float64  `json:"rate"`       // contract: requests per second, all targets together
	TimeoutMS float64  `json:"timeout_ms"` // per-request timeout
	Timeout   string   `json:"timeout"`    // contract: the same as a Go duration ("2s")
	Targets   []string `json:"targets"`    // contract: URLs, round-robin
	KeepAlive bool     `json:"keep_alive"`
	Redirects string   `json:"redirects"` // "not followed"
	MaxBody   int64    `json:"max_body"`  // bytes of each body read and kept
	Workers   uint64   `json:"workers"`   // initial workers; more are started as needed
	// MaxWorkers caps the workers; 0 means unlimited, the default, because
	// a cap turns an outage into a later catch-up burst that hides it.
	MaxWorkers uint64 `json:"max_workers"`
	// Achieved is requests sent / seconds the load ran (from the instant
	// it began, one interval before its first request, to the instant it
	// stopped): a rate well under Rate means the load side could not keep
	// up and the figures are suspect.
	Achieved float64 `json:"achieved_rate"`
	// MaxSendGapMS is the longest time between two consecutive sends. The
	// resolution of an edge is one interval (1000/Rate ms) only while the
	// load keeps pace; a gap well above it means the load side stalled, and
	// an edge near the gap is known only to within it.
	MaxSendGapMS float64 `json:"max_send_gap_ms"`
}

// AnalysisParams are the knobs the figures depend on (docs/measurement.md).
type AnalysisParams struct {
	ResolutionMS         float64 `json:"resolution_ms"` // 1/rate: no edge is finer than this
	ConfirmationWindowMS float64 `json:"confirmation_window_ms"`
	BucketMS             float64 `json:"bucket_ms"`
	FailOn4xx            bool    `json:"fail_on_4xx"`
	DeadlineMS           float64 `json:"deadline_ms,omitempty"`
}

// Requests counts requests by outcome.
type Requests struct {
	Total  int `json:"total"`  // contract
	OK     int `json:"ok"`     // contract
	Failed int `json:"failed"` // contract
}

// Outage is a maximal run of failed requests (docs/measurement.md,
// "Outages and downtime").
type Outage struct {
	Start      time.Time      `json:"start"`       // contract: send time of the first failed request
	End        time.Time      `json:"end"`         // contract: send time of the next success, or the run's end when Open
	DurationMS float64        `json:"duration_ms"` // contract
	Requests   int            `json:"requests"`    // contract: failed requests inside
	Cause      string         `json:"cause"`       // contract: dominant cause: "503", "timeout", "refused", ...
	Causes     map[string]int `json:"causes,omitempty"`
	Open       bool           `json:"open,omitempty"` // still failing when the run ended
}

// Injection is one fault injected (or reverted) by a scenario. At is the
// instant the injecting call returned.
type Injection struct {
	At     time.Time `json:"at"`     // contract
	Fault  string    `json:"fault"`  // contract
	Detail string    `json:"detail"` // contract: what exactly: pod, node, image
	// Per-injection figures, measured from this injection (see
	// docs/measurement.md); absent on reverts.
	TimeToFirstErrorMS *float64 `json:"time_to_first_error_ms,omitempty"`
	RecoveryMS         *float64 `json:"recovery_ms,omitempty"`
	Recovered          *bool    `json:"recovered,omitempty"`
	// RecoveryState is "not_observed" when no request was sent at or after
	// this injection (Recovered is then false), else as Recovered says.
	RecoveryState RecoveryState `json:"recovery_state,omitempty"`
}

// AfterRevert is recovery measured from the last revert instead of the
// first injection, with no deadline: when a fault nothing can heal (the
// database's node halted) is undone, how long until the service serves
// again. The same definition as recovery applies (docs/measurement.md):
// 0 when nothing failed at or after the revert.
type AfterRevert struct {
	State RecoveryState `json:"state"`
	// RecoveryMS is from the last revert to RecoveredAt; null unless
	// State is "recovered".
	RecoveryMS  *float64   `json:"recovery_ms"`
	RecoveredAt *time.Time `json:"recovered_at,omitempty"`
}

// Observation counts the requests a result's fault window holds
// (docs/measurement.md, "Not observed"): sent from the first injection
// to the last revert (to the end of the run when nothing was reverted),
// whatever their outcome (an answer, an error or a timeout). Fewer than
// Needed, one second's worth at the load's rate, and the fault was not
// observed.
type Observation struct {
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
	Requests int       `json:"requests"`
	Needed   int       `json:"needed"`
}

// Healing is injection to the workload back at its desired state, seen
// from the API (all replicas Ready, endpoints complete, nodes Ready).
type Healing struct {
	// State is healed, not healed, or never seen broken (Kubernetes never
	// saw the workload leave its desired state: no healing to time).
	// Results written before it existed have none: see Healing.Of.
	State  HealingState `json:"state,omitempty"`
	Healed bool         `json:"healed"` // State is healed
	At     *time.Time   `json:"at,omitempty"`
	MS     *float64     `json:"ms"` // null unless healed
	// Condition says what "desired state" was checked, in words.
	Condition string `json:"condition,omitempty"`
}

// LatencyWindows holds latency percentiles around the fault.
type LatencyWindows struct {
	Baseline *Percentiles `json:"baseline"` // contract: before the first injection
	Impact   *Percentiles `json:"impact"`   // contract: first injection to recovered
	After    *Percentiles `json:"after"`    // contract: after recovered
}

// Percentiles of latency in milliseconds over Count requests.
type Percentiles struct {
	P50   float64 `json:"p50"` // contract
	P95   float64 `json:"p95"` // contract
	P99   float64 `json:"p99"` // contract
	Max   float64 `json:"max"` // contract
	Count int     `json:"count"`
}

// Bucket aggregates the requests sent within [Start, Start+BucketMS).
type Bucket struct {
	Start  time.Time `json:"t"`
	OK2xx  int       `json:"2xx"`
	OK3xx  int       `json:"3xx"`
	C4xx   int       `json:"4xx"`
	S5xx   int       `json:"5xx"`
	Errors int       `json:"err"`
	// Latency percentiles of the bucket's requests, all outcomes together.
	P50MS float64 `json:"p50_ms"`
	P99MS float64 `json:"p99_ms"`
	MaxMS float64 `json:"max_ms"`
}

// Target is the per-URL breakdown.
type Target struct {
	URL         string         `json:"url"`
	Requests    Requests       `json:"requests"`
	StatusCodes map[string]int `json:"status_codes"`
	Errors      map[string]int `json:"errors"`
}

// Event is one entry of the Kubernetes timeline. At is when selfheal saw it
// (host clock, the same clock as request send times); ObjectTime is the
// object's own timestamp when it has one (often second precision).
type Event struct {
	At         time.Time  `json:"at"`
	ObjectTime *time.Time `json:"object_time,omitempty"`
	// Kind is what changed: "pod", "container", "node", "endpoints",
	// "deployment", "statefulset", "daemonset", "event", "fault", "api"
	// (the API server stopped or started answering).
	Kind    string `json:"kind"`
	Object  string `json:"object"` // namespace/name or node name
	Reason  string `json:"reason"` // short machine-readable: Ready, NotReady, Restarted, Killing, ...
	Message string `json:"message,omitempty"`
}

// Bound is a recovery the fixture's settings allow at best.
type Bound struct {
	// Metric is the figure bounded, a key of Metrics().
	Metric MetricKey `json:"metric,omitempty"`
	// Name says what the bound is, when the metric alone does not; older
	// results name the metric here ("recovery").
	Name   string  `json:"name,omitempty"`
	MS     float64 `json:"ms"`
	Reason string  `json:"reason"`
}

// BudgetCheck is one budget and whether the scenario kept it.
type BudgetCheck struct {
	Metric MetricKey `json:"metric"` // a key of Metrics(), e.g. "downtime_ms"
	Limit  float64   `json:"limit"`
	Value  float64   `json:"value"`
	// Missing is set when the figure does not exist (recovery of a run that
	// did not recover): Value is then 0 and the budget failed.
	Missing bool `json:"missing,omitempty"`
	// NotObserved is set with Missing when the figure is missing because
	// no request was sent when it could have been seen (recovery after an
	// injection the load never saw): unknown, not "never".
	NotObserved bool `json:"not_observed,omitempty"`
	Pass        bool `json:"pass"`
	// Message names the metric, the value and the limit in words.
	Message string `json:"message"`
	// History is set on a budget derived from earlier runs (chaos/history)
	// rather than given: what its limit came from.
	History *HistoryBasis `json:"history,omitempty"`
}

// Aggregate budget statistics.
const (
	// StatMedian is the median of a metric over the repetitions.
	StatMedian = "p50"
	// StatPassRate is the share of repetitions that passed their own
	// budgets; its limit is a minimum.
	StatPassRate = "pass_rate"
)

// AggregateBudget is a limit on a statistic of a scenario's repetitions.
type AggregateBudget struct {
	// Metric is a metric key (Metrics) for StatMedian; empty for
	// StatPassRate.
	Metric MetricKey `json:"metric,omitempty"`
	Stat   string    `json:"stat"`
	Limit  float64   `json:"limit"`
}
