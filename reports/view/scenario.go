package view

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/selfheal/selfheal/chaos/result"
)

// Scenario is one scenario's section.
type Scenario struct {
	Anchor string
	Name   string
	// Repetition is "2 of 3" for a repetition of a repeated scenario.
	Repetition  string         `json:",omitempty"`
	Description string         `json:",omitempty"`
	Verdict     result.Verdict // pass, fail, error, none
	VerdictText string
	Error       string `json:",omitempty"`
	// ErrorLead introduces Error: "The scenario could not run to its
	// end:", or that its fault did not take effect.
	ErrorLead string `json:",omitempty"`
	When      string
	// OffsetLabel heads the tables' relative-time column: offsets count
	// from the first injection, or from the start without one.
	OffsetLabel string
	// Story tells what happened in sentences, for a reader who knows
	// nothing about the scenario.
	Story   []string
	Figures []Figure
	// Compact holds the few figures of the older runs' summary table.
	Compact Compact

	Codes        []Tally      `json:",omitempty"`
	ErrorClasses []Tally      `json:",omitempty"`
	Latency      []LatencyRow `json:",omitempty"`
	Incidents    []Incident   `json:",omitempty"`
	Outages      []OutageRow  `json:",omitempty"`
	Budgets      []BudgetRow  `json:",omitempty"`
	// History says which earlier runs the history budgets came from and
	// which were left out, in sentences.
	History []string   `json:",omitempty"`
	Faults  []FaultRow `json:",omitempty"`
	// Evidence is what the fault read back from the system to show that
	// it took effect, shown beside the injections; EvidenceNote says so
	// when a fault recorded none.
	Evidence     []EvidenceRow `json:",omitempty"`
	EvidenceNote string        `json:",omitempty"`
	Events       []EventRow    `json:",omitempty"`
	// Log is Faults and Events in one list by time, as the table shows it.
	Log    []EventRow `json:",omitempty"`
	Bounds []Fact     `json:",omitempty"`
	Params []Fact     `json:",omitempty"`
	Notes  []string   `json:",omitempty"`
	Chart  *Chart     `json:",omitempty"`
	// Host is how loaded the machine was, nil when it was not sampled.
	Host *HostView `json:",omitempty"`
	// Writes is the write stream's panel, nil when the scenario ran none.
	Writes *WritesView `json:",omitempty"`
	// Vantages are the vantage points the scenario was measured from,
	// nil when from the outside alone.
	Vantages *VantagesView `json:",omitempty"`
}

// Figure is one key figure.
type Figure struct {
	// Key is the metric's key (result.Metrics) for the figures the table
	// has, a name of the view's own for the others ("requests").
	Key    result.MetricKey
	Label  string
	Value  string
	Detail string `json:",omitempty"`
	// State is StateBad when a budget on it failed, StateGood when one
	// passed.
	State State `json:",omitempty"`
}

// State colours a figure or a row by its budgets.
type State string

// States.
const (
	StateGood State = "good" // a budget on it passed
	StateBad  State = "bad"  // a budget on it failed
)

// Compact is a scenario in one table row.
type Compact struct {
	Downtime, Longest, Server5xx, Recovery, Healing string
}

// LatencyRow is one latency window.
type LatencyRow struct {
	Window, Span       string
	P50, P95, P99, Max string
	Requests           string
}

// Incident is a group of outages close together (gaps shorter than the
// confirmation window): what a person calls "it broke" once.
type Incident struct {
	N        int
	Start    string
	End      string
	Offset   string
	Duration string
	Down     string // downtime inside
	Outages  int
	Failed   string
	Causes   string
	Open     bool
}

// OutageRow is one outage.
type OutageRow struct {
	N        int
	Start    string
	End      string
	Offset   string
	Duration string
	Requests string
	Cause    string
	Causes   string `json:",omitempty"`
	Open     bool   `json:",omitempty"`
}

// BudgetRow is one budget check.
type BudgetRow struct {
	Metric, Value, Limit, Message string
	Pass                          bool
	// Basis says where a history budget's limit came from: "P95 of the
	// last 14 runs"; empty for a static budget.
	Basis string `json:",omitempty"`
	// Key names an aggregate budget: "recovery_ms.p50", "pass_rate".
	Key string `json:",omitempty"`
}

// FaultRow is an injection or a revert.
type FaultRow struct {
	At, Offset, Action, Fault, Detail string
	Figures                           string `json:",omitempty"`
}

// EventRow is one Kubernetes event.
type EventRow struct {
	At, Offset, Kind, Object, Reason, Message string
	Severity                                  string `json:",omitempty"` // bad, good or ""
	ObjectTime                                string `json:",omitempty"`
}

// maxOutageRows caps the outage table; the incidents table covers them all.
const maxOutageRows = 200

func buildScenario(r *result.Result, detailed bool, cfg *config) Scenario {
	loc := cfg.loc
	s := Scenario{
		Name:        r.Label(),
		Description: r.Description,
		Verdict:     r.Outcome(),
		Error:       r.Error,
		When:        fmt.Sprintf("%s – %s (%s)", date(r.Started, loc), r.Ended.In(loc).Format("15:04:05"), Duration(ms(r.Ended.Sub(r.Started)))),
	}
	s.VerdictText = r.OutcomeWords()
	if r.Error != "" {
		s.ErrorLead = errorLead(r)
	}
	if r.Repetitions > 1 {
		s.Repetition = fmt.Sprintf("%d of %d", r.Repetition, r.Repetitions)
	}
	s.OffsetLabel = "since start"
	if len(r.Injections) > 0 {
		s.OffsetLabel = "since injection"
	}
	s.Figures = figures(r, loc)
	s.Compact = compact(s.Figures)
	s.Host = Host(r)
	if !detailed {
		return s
	}
	ref := reference(r)
	s.Story = story(r, loc)
	s.Codes = codes(r)
	s.ErrorClasses = sortedCounts(r.Errors)
	for i := range s.ErrorClasses {
		s.ErrorClasses[i].Class = "error"
	}
	s.Latency = latencyRows(r)
	s.Incidents = incidentRows(incidents(r), ref, loc)
	s.Outages = outageRows(r, ref, loc)
	s.Budgets = budgetRows(r)
	s.History = historyLines(r)
	s.Faults = faultRows(r, ref, loc)
	s.Evidence = Evidence(r, ref, loc)
	s.EvidenceNote = EvidenceNote(r)
	s.Events = eventRows(r, ref, loc)
	s.Log = logRows(r, ref, loc)
	for _, b := range r.LowerBounds {
		s.Bounds = append(s.Bounds, Fact{b.Label(), Duration(b.MS) + ": " + b.Reason})
	}
	s.Params = params(r)
	s.Notes = r.Notes
	s.Writes = Writes(r, loc)
	s.Vantages = Vantages(r)
	s.Chart = buildChart(r, cfg)
	return s
}

// origin names what recovery is measured from (Result.RecoveryFrom).
func origin(r *result.Result) string {
	if r.RecoveryFrom == result.FromFirstFailure || (r.RecoveryFrom == "" && len(r.Injections) == 0) {
		return "the first failure"
	}
	return "the injection"
}

// reference is the instant offsets are measured from: the first injection,
// or the start when nothing was injected.
func reference(r *result.Result) time.Time {
	if len(r.Injections) > 0 {
		return r.Injections[0].At
	}
	return r.Started
}

// budgetState is StateBad when a budget on one of the metrics failed,
// StateGood when budgets on them all passed, "" without budgets.
func budgetState(r *result.Result, metrics ...result.MetricKey) State {
	var state State
	for _, b := range r.Budgets {
		if !slices.Contains(metrics, b.Metric) {
			continue
		}
		if !b.Pass {
			return StateBad
		}
		state = StateGood
	}
	return state
}

// metricFigure is a figure of the metric table, with its budget state.
func metricFigure(r *result.Result, k result.MetricKey) Figure {
	m, _ := result.MetricByKey(k)
	return Figure{Key: k, Label: m.Title(), State: budgetState(r, k)}
}

func figures(r *result.Result, loc *time.Location) []Figure {
	var f []Figure
	down := metricFigure(r, result.KeyDowntime)
	down.Value, down.Detail = Duration(r.DowntimeMS), plural(len(r.Outages), "outage", "outages")
	f = append(f, down)
	if c := r.Charged; c != nil {
		f = append(f, Figure{Key: "charged_downtime", Label: "Downtime charged to the app", Value: Duration(c.DowntimeMS),
			Detail: Duration(c.ExcusedMS) + " not charged: the control probe failed too"})
	}
	longest := metricFigure(r, result.KeyLongestOutage)
	longest.Value = Duration(r.LongestOutageMS)
	if o := longestOutage(r); o != nil {
		longest.Detail = causeText(o.Cause)
		if o.Open {
			longest.Detail += ", still open at the end"
		}
	}
	f = append(f, longest)
	s5xx := metricFigure(r, result.Key5xx)
	s5xx.Value, s5xx.Detail = Count(r.Server5xx), codeDetail(r)
	f = append(f, s5xx)
	errs := metricFigure(r, result.KeyTransportErrors)
	errs.Value, errs.Detail = Count(r.TransportErrors()), countsText(r.Errors, causeText)
	f = append(f, errs)
	f = append(f, ttfeFigure(r, loc), recoveryFigure(r))
	if r.Healing != nil || len(r.Injections) > 0 {
		f = append(f, healingFigure(r))
	}
	f = append(f, Figure{Key: "seconds", Label: "Full outage / degraded", Value: fmt.Sprintf("%d s / %d s", r.FullOutageSeconds, r.DegradedSeconds),
		Detail: "1-second buckets with no success / with some failures"})
	if r.ErrorRatio != nil {
		f = append(f, Figure{Key: "error_ratio", Label: "Error ratio", Value: Percent(*r.ErrorRatio), Detail: "of requests from " + origin(r) + " to recovery"})
	}
	f = append(f, Figure{Key: "requests", Label: "Requests", Value: Count(r.Requests.Total),
		Detail: fmt.Sprintf("%s failed; %s req/s achieved of %s", Count(r.Requests.Failed), Number(round1(r.Load.Achieved)), Number(r.Load.Rate))})
	return f
}

func round1(v float64) float64 { return float64(int(v*10+0.5)) / 10 }

func ttfeFigure(r *result.Result, loc *time.Location) Figure {
	f := metricFigure(r, result.KeyTimeToFirstError)
	switch {
	case r.TimeToFirstErrorMS != nil:
		f.Value = Duration(*r.TimeToFirstErrorMS)
		f.Detail = "after the injection"
	case len(r.Injections) == 0 && len(r.Outages) > 0:
		first := r.Outages[0].Start
		f.Label = "First failure"
		f.Value, f.Detail = clock(first, loc), Duration(ms(first.Sub(r.Started)))+" after the start (nothing injected)"
	case len(r.Injections) == 0:
		f.Value, f.Detail = "—", "nothing injected"
	default:
		f.Value, f.Detail = "none", "no request failed after the injection"
	}
	return f
}

func recoveryFigure(r *result.Result) Figure {
	// A must-recover budget judges this figure as much as a limit on it,
	// and the recovery after the revert is told in its detail.
	f := metricFigure(r, result.KeyRecovery)
	f.State = budgetState(r, result.KeyRecovery, result.KeyRecovered, result.KeyRecoveryAfterRevert)
	window := Duration(r.Analysis.ConfirmationWindowMS)
	failed := len(r.Outages) > 0
	switch {
	case r.Recovery() == result.RecoveryNotObserved:
		f.Value, f.Detail = result.RecoveryNotObserved.Words(), r.NotObservedWhy()
	case r.RecoveryMS != nil && *r.RecoveryMS == 0 && len(r.Injections) > 0:
		f.Value, f.Detail = "0 ms", "nothing failed after the injection"
	case r.RecoveryMS != nil && *r.RecoveryMS == 0 && !failed:
		f.Value, f.Detail = "—", "nothing injected, nothing failed"
	case r.RecoveryMS != nil:
		f.Value = Duration(*r.RecoveryMS)
		f.Detail = "from " + origin(r) + " to the first of " + window + " without failure"
		f.Detail += boundsText(r, result.KeyRecovery)
	case len(r.Injections) == 0 && !failed:
		f.Value, f.Detail = "—", "nothing injected, nothing failed"
	case r.Analysis.DeadlineMS > 0 && r.ObservedMS != nil && *r.ObservedMS >= r.Analysis.DeadlineMS:
		// The run went on after the deadline (the revert, the tail), so
		// the time observed is not the time recovery was waited for.
		f.Value = "not recovered"
		f.Detail = "within the deadline, " + Duration(r.Analysis.DeadlineMS) + " after " + origin(r)
	default:
		f.Value = "not recovered"
		if r.ObservedMS != nil {
			f.Detail = "after " + Duration(*r.ObservedMS) + " observed since " + strings.TrimPrefix(origin(r), "the ")
		}
	}
	if s := afterRevertText(r); s != "" && !r.Recovered {
		f.Detail += "; " + s
	}
	return f
}

// boundsText says the best figure the fixture's own settings allow for
// metric k, so that a slow figure is read against it: "; at best 5.0 s".
func boundsText(r *result.Result, k result.MetricKey) string {
	s := ""
	for _, b := range r.BoundsOf(k) {
		s += "; at best " + Duration(b.MS)
		if b.Name != "" && b.Metric != "" { // a name beyond the metric: "liveness restart"
			s += " (" + b.Name + ")"
		}
	}
	return s
}

// afterRevertText says how the service fared after the revert: "back 43s
// after the revert", "" when there was no revert.
func afterRevertText(r *result.Result) string {
	ar := r.AfterRevert
	switch {
	case ar == nil:
		return ""
	case ar.State == result.RecoveryNotObserved:
		return "after the revert: not observed, no request was sent after it"
	case ar.State == result.RecoveryRecovered && ar.RecoveryMS != nil && *ar.RecoveryMS == 0:
		return "no request failed after the revert"
	case ar.State == result.RecoveryRecovered && ar.RecoveryMS != nil:
		return "back " + Duration(*ar.RecoveryMS) + " after the revert"
	}
	return "not back after the revert when the run ended"
}

func healingFigure(r *result.Result) Figure {
	f := metricFigure(r, result.KeyHealing)
	f.Label += " (Kubernetes)"
	switch {
	case r.Healing == nil:
		f.Value, f.Detail = "—", "not checked"
	case r.Healing.Of() == result.HealingNeverBroken:
		f.Value, f.Detail = result.HealingNeverBroken.Words(), r.Healing.Condition
	case r.Healing.Of() == result.HealingHealed && r.Healing.MS != nil:
		f.Value, f.Detail = Duration(*r.Healing.MS), r.Healing.Condition+boundsText(r, result.KeyHealing)
	default:
		f.Value, f.Detail = "not healed", r.Healing.Condition
	}
	return f
}

func compact(fs []Figure) Compact {
	get := func(key result.MetricKey) string {
		for _, f := range fs {
			if f.Key == key {
				return f.Value
			}
		}
		return ""
	}
	return Compact{Downtime: get(result.KeyDowntime), Longest: get(result.KeyLongestOutage), Server5xx: get(result.Key5xx),
		Recovery: get(result.KeyRecovery), Healing: get(result.KeyHealing)}
}

func longestOutage(r *result.Result) *result.Outage {
	var best *result.Outage
	for i := range r.Outages {
		if best == nil || r.Outages[i].DurationMS > best.DurationMS {
			best = &r.Outages[i]
		}
	}
	return best
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// countsText lists counts as "a ×3, b ×1", largest first.
func countsText(m map[string]int, name func(string) string) string {
	var parts []string
	for _, c := range sortedCounts(m) {
		parts = append(parts, name(c.Label)+" ×"+c.Text)
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

func codeDetail(r *result.Result) string {
	m := map[string]int{}
	for code, n := range r.StatusCodes {
		if strings.HasPrefix(code, "5") {
			m[code] = n
		}
	}
	return countsText(m, func(c string) string { return c })
}

func codes(r *result.Result) []Tally {
	out := sortedCounts(r.StatusCodes)
	for i := range out {
		out[i].Class = codeClass(out[i].Label)
	}
	return out
}

func codeClass(code string) string {
	n, err := strconv.Atoi(code)
	switch {
	case err != nil || n == 0:
		return "error"
	case n >= 500:
		return "5xx"
	case n >= 400:
		return "4xx"
	case n >= 300:
		return "3xx"
	}
	return "2xx"
}

func latencyRows(r *result.Result) []LatencyRow {
	var rows []LatencyRow
	add := func(name, span string, p *result.Percentiles) {
		if p == nil {
			return
		}
		rows = append(rows, LatencyRow{Window: name, Span: span, P50: Duration(p.P50), P95: Duration(p.P95), P99: Duration(p.P99), Max: Duration(p.Max), Requests: Count(p.Count)})
	}
	if len(r.Injections) == 0 && r.Latency.Impact == nil && r.Latency.After == nil {
		add("whole run", "nothing injected, nothing failed", r.Latency.Baseline)
		return rows
	}
	from := strings.TrimPrefix(origin(r), "the ")
	add("baseline", "before the "+from, r.Latency.Baseline)
	if r.Recovered {
		add("impact", from+" to recovered", r.Latency.Impact)
	} else {
		add("impact", from+" to the end (not recovered)", r.Latency.Impact)
	}
	add("after", "after recovered", r.Latency.After)
	return rows
}

func outageRows(r *result.Result, ref time.Time, loc *time.Location) []OutageRow {
	var rows []OutageRow
	for i, o := range r.Outages {
		if i >= maxOutageRows {
			break
		}
		row := OutageRow{
			N: i + 1, Start: clockMS(o.Start, loc), End: clockMS(o.End, loc), Offset: offset(o.Start, ref),
			Duration: Duration(o.DurationMS), Requests: Count(o.Requests), Cause: causeText(o.Cause), Open: o.Open,
		}
		if len(o.Causes) > 1 {
			row.Causes = countsText(o.Causes, causeText)
		}
		if o.Open {
			row.End = "still failing at " + row.End
		}
		rows = append(rows, row)
	}
	return rows
}

// incidentGroup is outages whose gaps are shorter than the confirmation window.
type incidentGroup struct {
	outages []result.Outage
}

func (g incidentGroup) start() time.Time { return g.outages[0].Start }
func (g incidentGroup) end() time.Time   { return g.outages[len(g.outages)-1].End }
func (g incidentGroup) open() bool       { return g.outages[len(g.outages)-1].Open }

func (g incidentGroup) causes() map[string]int {
	m := map[string]int{}
	for _, o := range g.outages {
		if len(o.Causes) == 0 {
			m[o.Cause] += o.Requests
		}
		for c, n := range o.Causes {
			m[c] += n
		}
	}
	return m
}

func (g incidentGroup) down() (ms float64, failed int) {
	for _, o := range g.outages {
		ms += o.DurationMS
		failed += o.Requests
	}
	return ms, failed
}

// incidents groups outages; a gap as long as the confirmation window
// (the time it takes to call a recovery) separates two incidents.
func incidents(r *result.Result) []incidentGroup {
	window := time.Duration(r.Analysis.ConfirmationWindowMS * float64(time.Millisecond))
	if window <= 0 {
		window = 10 * time.Second
	}
	outs := append([]result.Outage(nil), r.Outages...)
	sort.SliceStable(outs, func(i, j int) bool { return outs[i].Start.Before(outs[j].Start) })
	var gs []incidentGroup
	for _, o := range outs {
		if n := len(gs); n > 0 && o.Start.Sub(gs[n-1].end()) < window {
			gs[n-1].outages = append(gs[n-1].outages, o)
			continue
		}
		gs = append(gs, incidentGroup{outages: []result.Outage{o}})
	}
	return gs
}

func incidentRows(gs []incidentGroup, ref time.Time, loc *time.Location) []Incident {
	var rows []Incident
	for i, g := range gs {
		down, failed := g.down()
		row := Incident{
			N: i + 1, Start: clockMS(g.start(), loc), End: clockMS(g.end(), loc), Offset: offset(g.start(), ref),
			Duration: Duration(ms(g.end().Sub(g.start()))), Down: Duration(down), Outages: len(g.outages),
			Failed: Count(failed), Causes: countsText(g.causes(), causeText), Open: g.open(),
		}
		if row.Open {
			row.End = "still failing at " + row.End
		}
		rows = append(rows, row)
	}
	return rows
}

func budgetRows(r *result.Result) []BudgetRow {
	var rows []BudgetRow
	for _, b := range r.Budgets {
		m := b.Definition()
		rows = append(rows, BudgetRow{Metric: m.Title(), Value: budgetValue(b), Limit: budgetLimit(b), Pass: b.Pass, Message: b.Message, Basis: historyBasis(b)})
	}
	return rows
}

// budgetValue is a checked figure in the metric's unit. A yes/no answer
// that missed its budget is in capitals: "NO".
func budgetValue(b result.BudgetCheck) string {
	m := b.Definition()
	switch {
	case b.NotObserved:
		return result.RecoveryNotObserved.Words()
	case b.Missing && m.Missed != "":
		return m.Missed
	case b.Missing:
		return "—"
	case m.Unit == result.UnitBool && !b.Pass:
		return strings.ToUpper(m.Format(b.Value))
	}
	return MetricText(m, b.Value)
}

// budgetLimit is what a budget asks: "≤ 30 s", or "must recover" for a
// yes/no metric, never a number over a limit.
func budgetLimit(b result.BudgetCheck) string {
	m := b.Definition()
	if m.Unit == result.UnitBool {
		return m.Requirement(b.Limit)
	}
	return "≤ " + MetricText(m, b.Limit)
}

// MetricText writes a value of m the way the report writes figures:
// "1.2 s", "12", "yes".
func MetricText(m result.Metric, v float64) string {
	switch m.Unit {
	case result.UnitMS:
		return Duration(v)
	case result.UnitBool:
		return m.Format(v)
	}
	return Number(v)
}

func faultRows(r *result.Result, ref time.Time, loc *time.Location) []FaultRow {
	var rows []FaultRow
	for _, in := range r.Injections {
		row := FaultRow{At: clockMS(in.At, loc), Offset: offset(in.At, ref), Action: "inject", Fault: in.Fault, Detail: in.Detail}
		var parts []string
		if in.TimeToFirstErrorMS != nil {
			parts = append(parts, "first error after "+Duration(*in.TimeToFirstErrorMS))
		}
		switch {
		case in.RecoveryState == result.RecoveryNotObserved:
			parts = append(parts, "not observed (no request after it)")
		case in.RecoveryMS != nil:
			parts = append(parts, "recovered after "+Duration(*in.RecoveryMS))
		case in.Recovered != nil && !*in.Recovered:
			parts = append(parts, "not recovered")
		}
		row.Figures = strings.Join(parts, ", ")
		rows = append(rows, row)
	}
	for i, in := range r.Reverts {
		row := FaultRow{At: clockMS(in.At, loc), Offset: offset(in.At, ref), Action: "revert", Fault: in.Fault, Detail: in.Detail}
		if i == len(r.Reverts)-1 {
			row.Figures = afterRevertText(r) // measured from the last revert
		}
		rows = append(rows, row)
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].At < rows[j].At })
	return rows
}

func eventRows(r *result.Result, ref time.Time, loc *time.Location) []EventRow {
	var rows []EventRow
	for _, e := range r.Events {
		row := EventRow{At: clockMS(e.At, loc), Offset: offset(e.At, ref), Kind: e.Kind, Object: e.Object, Reason: e.Reason, Message: e.Message, Severity: severity(e)}
		if e.ObjectTime != nil {
			row.ObjectTime = e.ObjectTime.In(loc).Format(time.RFC3339Nano)
		}
		rows = append(rows, row)
	}
	return rows
}

// logRows merges what selfheal did with what Kubernetes reported, by time:
// cause and effect read top to bottom.
func logRows(r *result.Result, ref time.Time, loc *time.Location) []EventRow {
	type timed struct {
		at  time.Time
		row EventRow
	}
	var all []timed
	add := func(action string, in result.Injection) {
		all = append(all, timed{in.At, EventRow{At: clockMS(in.At, loc), Offset: offset(in.At, ref), Kind: "selfheal", Object: in.Fault, Reason: action, Message: in.Detail, Severity: "fault"}})
	}
	for _, in := range r.Injections {
		add("inject", in)
	}
	for _, in := range r.Reverts {
		add("revert", in)
	}
	for i, e := range r.Events {
		all = append(all, timed{e.At, eventRows(&result.Result{Events: r.Events[i : i+1]}, ref, loc)[0]})
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].at.Before(all[j].at) })
	rows := make([]EventRow, 0, len(all))
	for _, t := range all {
		rows = append(rows, t.row)
	}
	return rows
}

// severity sorts an event for the eye: "bad" for what breaks things,
// "good" for what brings them back, "" for the rest.
func severity(e result.Event) string {
	reason := strings.ToLower(e.Reason)
	for _, w := range []string{"notready", "unhealthy", "kill", "backoff", "fail", "evict", "error", "oom", "stop", "unreachable", "exec", "setimage", "evicted"} {
		if strings.Contains(reason, w) {
			return "bad"
		}
	}
	for _, w := range []string{"ready", "started", "complete", "healthy", "scheduled", "available", "start", "revert"} {
		if strings.Contains(reason, w) {
			return "good"
		}
	}
	return ""
}

func params(r *result.Result) []Fact {
	a := r.Analysis
	f := []Fact{
		{"Load", loadText(r.Load)},
		{"Targets", strings.Join(r.Load.Targets, "  ")},
		{"Resolution", Duration(a.ResolutionMS) + " (one request interval: no edge is finer)"},
		{"Confirmation window", Duration(a.ConfirmationWindowMS) + " without failure to call it recovered"},
		{"Bucket", Duration(a.BucketMS)},
	}
	if a.FailOn4xx {
		f = append(f, Fact{"4xx", "count as failures"})
	} else {
		f = append(f, Fact{"4xx", fmt.Sprintf("succeed, counted apart (%s)", Count(r.Client4xx))})
	}
	if a.DeadlineMS > 0 {
		f = append(f, Fact{"Deadline", Duration(a.DeadlineMS)})
	}
	return f
}
