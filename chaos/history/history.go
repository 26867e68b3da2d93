// Package history derives budgets from earlier runs, the way OpenShift's
// disruption monitors do: a result is held to a quantile (P95 by default)
// of the same figure over the last K results of the same kind (see Kind)
// from earlier runs, with a floor so that a history of near-zero outages
// does not fail on a blip. The quantile is the distribution-free
// prediction bound (chaos/stats.PredictionBound), the order statistic a
// new result of a healthy service exceeds at most 5 % of the time; it
// needs 19 earlier results for P95, so a shorter history judges nothing
// rather than calling noise a regression. Each result is one run of the scenario: a
// nightly gives one, a run repeated N times gives N. With fewer than a
// minimum number of such results there is no history budget and the
// static budgets judge alone.
//
// It reads results and returns budget checks; the engine adds them to a
// result before its verdict is final (chaos/session), and the report only
// renders what the result says.
package history

import (
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/chaos/stats"
)

// Outcome is what a result's history says: the budgets derived from it
// and the note on which runs were used and left out.
type Outcome struct {
	Checks []result.BudgetCheck
	Note   result.HistoryNote
}

// run is the results of one earlier run of the kind.
type run struct {
	id      string
	started time.Time
	results []*result.Result
}

// Judge derives r's history budgets from history (every result known, in
// any order; r itself and the rest of its run are skipped) and checks r
// against them.
func Judge(r *result.Result, history []*result.Result, s Settings) Outcome {
	kind := KindOf(r)
	used, excluded := sameKind(r, kind, history)
	used, older := lastResults(used, s.Last)
	excluded.add(fmt.Sprintf("older than the last %d results of this kind", s.Last), older...)
	o := Outcome{Note: result.HistoryNote{Kind: kind.String(), Settings: s.String(), Excluded: excluded.list()}}
	n := 0
	for _, u := range used {
		o.Note.Runs = append(o.Note.Runs, u.id)
		n += len(u.results)
	}
	if n < s.Min() {
		o.Note.Fallback = fmt.Sprintf("%s of this kind before this one, fewer than the %d a %s budget needs: the static budgets judge alone", results(n), s.Min(), s.label())
		return o
	}
	for _, key := range s.Metrics {
		if c, ok := check(r, key, used, s); ok {
			o.Checks = append(o.Checks, c)
		}
	}
	return o
}

// lastResults keeps the newest k results of runs (a repeated scenario
// gives a run several), newest run first, and names the runs left with
// none.
func lastResults(runs []*run, k int) ([]*run, []string) {
	var all []*result.Result
	for _, u := range runs {
		all = append(all, u.results...)
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].Started.After(all[j].Started) })
	if len(all) > k {
		all = all[:k]
	}
	keep := map[*result.Result]bool{}
	for _, r := range all {
		keep[r] = true
	}
	sort.SliceStable(runs, func(i, j int) bool { return runs[i].started.After(runs[j].started) })
	var kept []*run
	var older []string
	for _, u := range runs {
		var rs []*result.Result
		for _, r := range u.results {
			if keep[r] {
				rs = append(rs, r)
			}
		}
		if len(rs) == 0 {
			older = append(older, u.id)
			continue
		}
		u.results = rs
		kept = append(kept, u)
	}
	return kept, older
}

// Apply adds o's checks and note to r and makes its verdict final: a run
// that missed a history budget fails; one that could not run stays an
// error.
func Apply(r *result.Result, o Outcome) {
	r.Budgets = append(r.Budgets, o.Checks...)
	note := o.Note
	r.History = &note
	// Only ever worse: a verdict the engine reached for other reasons
	// stands.
	if r.Verdict != result.VerdictError && result.Judge(o.Checks) == result.VerdictFail {
		r.Verdict = result.VerdictFail
	}
}

// sameKind groups the earlier results of r's kind by run, and says why
// the others of r's scenario were left out.
func sameKind(r *result.Result, kind Kind, history []*result.Result) ([]*run, *exclusions) {
	self := runID(r)
	byID := map[string]*run{}
	var used []*run
	ex := &exclusions{}
	for _, h := range history {
		if h == r || h.Scenario != r.Scenario || runID(h) == self {
			continue
		}
		id := runID(h)
		switch {
		case !h.Started.Before(r.Started):
			ex.add("ran after this one", id)
			continue
		case h.Outcome() == result.VerdictError:
			ex.add("could not run to the end", id)
			continue
		case h.Conditions != nil && h.Conditions.Verdict == result.HostStarved:
			// Its figures may be the machine's, not the service's
			// (docs/measurement.md "Host conditions").
			ex.add("measured on a starved machine", id)
			continue
		case h.Conditions != nil && h.Conditions.Verdict == result.HostUnknown:
			// Sampled, but no sample came: as likely starved as clean.
			ex.add("measured on a machine whose load is unknown (no host sample)", id)
			continue
		}
		if k := KindOf(h); k != kind {
			ex.add(kind.Differences(k)[0], id)
			continue
		}
		u, ok := byID[id]
		if !ok {
			u = &run{id: id, started: h.Started}
			byID[id] = u
			used = append(used, u)
		}
		u.results = append(u.results, h)
		if h.Started.Before(u.started) {
			u.started = h.Started
		}
	}
	return used, ex
}

// runID names h's run: its run id, or for a result without one (a probe)
// its start time.
func runID(h *result.Result) string {
	if h.Run != nil && h.Run.ID != "" {
		return h.Run.ID
	}
	return h.Started.UTC().Format(time.RFC3339Nano)
}

// check is r's history budget on one metric; false when r has nothing to
// check (the figure does not apply) or the history has too few values.
func check(r *result.Result, key result.MetricKey, used []*run, s Settings) (result.BudgetCheck, bool) {
	m, ok := result.MetricByKey(key)
	if !ok {
		return result.BudgetCheck{}, false
	}
	var xs []float64
	for _, u := range used {
		for _, h := range u.results {
			if v, ok := m.Value(h); ok {
				xs = append(xs, v)
			}
		}
	}
	if len(xs) < s.Min() {
		return result.BudgetCheck{}, false
	}
	bound, rank, ok := stats.PredictionBound(xs, s.Quantile)
	if !ok {
		return result.BudgetCheck{}, false
	}
	b := &result.HistoryBasis{
		Quantile: s.Quantile, Value: bound, Rank: rank, P50: stats.Quantile(xs, 0.5),
		Floor: floor(m, r, s), Runs: len(used), Samples: len(xs),
	}
	limit := math.Max(b.Value, b.Floor)
	c := result.BudgetCheck{Metric: key, Limit: limit, History: b}
	v, known := m.Value(r)
	switch {
	case !known && m.Never != nil && m.Never(r):
		c.Missing = true
		c.Message = fmt.Sprintf("%s: %s, against %s", m.Name, m.Missed, describe(m, b, s))
		return c, true
	case !known && m.UnknownWhy(r) != "":
		// Due but unknown (never seen broken, not observed): missed, as a
		// missing figure is, never a pass.
		c.Missing, c.NotObserved = true, m.NotObserved(r)
		c.Message = fmt.Sprintf("%s: no value (%s), against %s", m.Name, m.UnknownWhy(r), describe(m, b, s))
		return c, true
	case !known:
		return c, false // does not apply to r
	}
	c.Value, c.Pass = v, v <= limit
	op := "≤"
	if !c.Pass {
		op = ">"
	}
	c.Message = fmt.Sprintf("%s %s %s %s", m.Name, m.Format(v), op, describe(m, b, s))
	return c, true
}

// describe names the limit and the history it came from: "P95 58s (the
// 20th of the last 20 runs of the same kind)".
func describe(m result.Metric, b *result.HistoryBasis, s Settings) string {
	of := fmt.Sprintf("the %s of the last %s of the same kind", ordinal(b.Rank), runs(b.Runs))
	if b.Samples != b.Runs {
		of = fmt.Sprintf("the %s of %d results in the last %s of the same kind", ordinal(b.Rank), b.Samples, runs(b.Runs))
	}
	if b.Floor > b.Value {
		return fmt.Sprintf("%s (the floor; %s is %s, %s)", m.Format(b.Floor), s.label(), m.Format(b.Value), of)
	}
	return fmt.Sprintf("%s %s (%s)", s.label(), m.Format(b.Value), of)
}

// floor is the least limit on m for r: Floor for a time, the requests r's
// load sends in Floor for a count.
func floor(m result.Metric, r *result.Result, s Settings) float64 {
	switch m.Unit {
	case result.UnitMS:
		return float64(s.Floor) / float64(time.Millisecond)
	case result.UnitCount:
		return math.Ceil(s.Floor.Seconds() * r.Load.Rate)
	}
	return 0
}

// ordinal writes n as "1st", "2nd", "19th".
func ordinal(n int) string {
	suffix := "th"
	switch {
	case n%100 >= 11 && n%100 <= 13:
	case n%10 == 1:
		suffix = "st"
	case n%10 == 2:
		suffix = "nd"
	case n%10 == 3:
		suffix = "rd"
	}
	return fmt.Sprintf("%d%s", n, suffix)
}

func results(n int) string {
	if n == 1 {
		return "1 result"
	}
	return fmt.Sprintf("%d results", n)
}

func runs(n int) string {
	if n == 1 {
		return "1 run"
	}
	return fmt.Sprintf("%d runs", n)
}

// exclusions collects left-out runs by reason, in the order reasons came.
type exclusions struct {
	order []string
	runs  map[string][]string
}

func (e *exclusions) add(reason string, ids ...string) {
	if len(ids) == 0 {
		return
	}
	if e.runs == nil {
		e.runs = map[string][]string{}
	}
	if _, ok := e.runs[reason]; !ok {
		e.order = append(e.order, reason)
	}
	for _, id := range ids {
		if !contains(e.runs[reason], id) {
			e.runs[reason] = append(e.runs[reason], id)
		}
	}
}

func (e *exclusions) list() []result.HistoryExclusion {
	var out []result.HistoryExclusion
	for _, reason := range e.order {
		out = append(out, result.HistoryExclusion{Reason: reason, Runs: e.runs[reason]})
	}
	return out
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// Earlier are the earlier results r is compared with when its run
// repeats until a comparison is clear (--repeat auto, chaos/session):
// those of r's kind that Judge would use (not from r's run, not after
// it, not errors, not measured on a starved machine), the newest k, and
// the runs they came from, newest first.
func Earlier(r *result.Result, history []*result.Result, k int) ([]*result.Result, []string) {
	used, _ := sameKind(r, KindOf(r), history)
	kept, _ := lastResults(used, k)
	var out []*result.Result
	var runs []string
	for _, u := range kept {
		out = append(out, u.results...)
		runs = append(runs, u.id)
	}
	return out, runs
}
