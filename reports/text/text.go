// Package text renders a result as the plain-text summary a person reads in
// a terminal or a CI log: requests, answers, downtime, recovery, latency
// windows, outages, budgets.
package text

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/reports/view"
)

// Summary prints the figures a person watching a run wants first.
// Instants are offsets from the first request, which is how one reads a
// run; the JSON keeps the wall-clock times.
func Summary(w io.Writer, r *result.Result) {
	t0 := r.Started
	rel := func(t time.Time) string { return fmt.Sprintf("%+.2fs", t.Sub(t0).Seconds()) }
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw)
	q := r.Requests
	failPct := 0.0
	if q.Total > 0 {
		failPct = 100 * float64(q.Failed) / float64(q.Total)
	}
	fmt.Fprintf(tw, "Requests\t%d sent in %s (%.1f/s), %d ok, %d failed (%.2f%%)\n",
		q.Total, secs(r.Ended.Sub(r.Started)), r.Load.Achieved, q.OK, q.Failed, failPct)
	fmt.Fprintf(tw, "Answers\t%s\n", counts(r.StatusCodes, "none"))
	fmt.Fprintf(tw, "Errors\t%s\n", counts(r.Errors, "none"))
	fmt.Fprintf(tw, "Downtime\t%s in %d outage(s), longest %s\n", msText(r.DowntimeMS), len(r.Outages), msText(r.LongestOutageMS))
	fmt.Fprintf(tw, "Seconds\t%d with no success at all, %d with some failures (1-s buckets)\n", r.FullOutageSeconds, r.DegradedSeconds)
	for _, m := range r.Injections {
		fmt.Fprintf(tw, "Injection\t%s  %s\n", rel(m.At), m.Detail)
	}
	for _, m := range r.Reverts {
		fmt.Fprintf(tw, "Revert\t%s  %s\n", rel(m.At), m.Detail)
	}
	for _, e := range r.Evidence {
		fmt.Fprintf(tw, "Evidence\t%s  %s\n", rel(e.At), view.EvidenceLine(e))
	}
	if note := view.EvidenceNote(r); note != "" {
		fmt.Fprintf(tw, "Evidence\tnone: %s\n", note)
	}
	writeRecovery(tw, r)
	tw.Flush()

	if l := r.Latency; l.Baseline != nil || l.Impact != nil || l.After != nil {
		fmt.Fprintln(w)
		fmt.Fprintln(tw, "Latency (ms)\tp50\tp95\tp99\tmax\trequests")
		for _, row := range []struct {
			name string
			p    *result.Percentiles
		}{{"  before", l.Baseline}, {"  during", l.Impact}, {"  after", l.After}} {
			if row.p != nil {
				fmt.Fprintf(tw, "%s\t%.1f\t%.1f\t%.1f\t%.1f\t%d\n", row.name, row.p.P50, row.p.P95, row.p.P99, row.p.Max, row.p.Count)
			}
		}
		tw.Flush()
	}
	writeOutages(w, tw, r, rel)
	if len(r.Targets) > 1 {
		fmt.Fprintln(w)
		fmt.Fprintln(tw, "Per URL\tsent\tok\tfailed")
		for _, t := range r.Targets {
			fmt.Fprintf(tw, "  %s\t%d\t%d\t%d\n", t.URL, t.Requests.Total, t.Requests.OK, t.Requests.Failed)
		}
		tw.Flush()
	}
	writeHost(w, tw, r)
	writeWrites(w, tw, r)
	writeVantages(w, tw, r)
	writeVerdict(w, tw, r)
	for _, n := range r.Notes {
		fmt.Fprintf(w, "\nNote: %s\n", n)
	}
}

// writeVantages prints each vantage point's figures, the outside's first,
// the loaders, and what was charged to the app.
func writeVantages(w io.Writer, tw *tabwriter.Writer, r *result.Result) {
	v := view.Vantages(r)
	if v == nil {
		return
	}
	fmt.Fprintln(w)
	fmt.Fprintln(tw, "Vantage point\trequests\tfailed\tdowntime\toutages\tlongest\trecovery\tfrom")
	for _, row := range v.Rows {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", row.Name, row.Requests, row.Failed, row.Downtime, row.Outages, row.Longest, row.Recovery, row.From)
		if row.Error != "" {
			fmt.Fprintf(tw, "  \t%s\n", row.Error)
		}
	}
	tw.Flush()
	for _, l := range v.Loaders {
		state := "reported to the end"
		if !l.Ended {
			state = "lost: " + l.Lost
		}
		fmt.Fprintf(w, "  loader %s on %s: %s of %s/s, %s requests, clock %s, %s\n", l.Pod, l.Node, l.Achieved, l.Rate, l.Samples, l.Clock, state)
	}
	if v.Charge != "" {
		fmt.Fprintln(w, v.Charge)
	}
}

// writeWrites prints the write stream apart from the requests above, one
// count a line.
func writeWrites(w io.Writer, tw *tabwriter.Writer, r *result.Result) {
	v := view.Writes(r, nil)
	if v == nil {
		return
	}
	fmt.Fprintln(w)
	fmt.Fprintf(tw, "Writes\t%s\n", v.Line)
	for _, row := range v.Rows {
		line := row.Value
		if row.Detail != "" {
			line += "  (" + row.Detail + ")"
		}
		if row.State == view.StateBad {
			line += "  OVER BUDGET"
		}
		fmt.Fprintf(tw, "  %s\t%s\n", strings.ToLower(row.Label), line)
	}
	for _, f := range v.IDs {
		fmt.Fprintf(tw, "  %s\t%s\n", strings.ToLower(f.Label), f.Value)
	}
	fmt.Fprintf(tw, "  verdict rests on\t%s\n", v.Basis)
	tw.Flush()
}

// writeVerdict prints healing, lower bounds, budgets and the verdict of a
// scenario (a probe has none of them).
func writeVerdict(w io.Writer, tw *tabwriter.Writer, r *result.Result) {
	if r.Healing == nil && len(r.Budgets) == 0 && r.Verdict == "" {
		return
	}
	fmt.Fprintln(w)
	if h := r.Healing; h != nil {
		switch {
		case h.Of() == result.HealingHealed && h.MS != nil:
			fmt.Fprintf(tw, "Healing\t%s after the injection (%s)\n", msText(*h.MS), h.Condition)
		case h.Of() == result.HealingNeverBroken:
			fmt.Fprintf(tw, "Healing\tNEVER SEEN BROKEN, no healing to time (%s)\n", h.Condition)
		default:
			fmt.Fprintf(tw, "Healing\tNOT HEALED (%s)\n", h.Condition)
		}
	}
	for _, b := range r.LowerBounds {
		fmt.Fprintf(tw, "Bound\t%s at best %s: %s\n", b.Label(), msText(b.MS), b.Reason)
	}
	if n := view.KubernetesEvents(r); n > 0 {
		fmt.Fprintf(tw, "Events\t%d Kubernetes events recorded\n", n)
	}
	for _, b := range r.Budgets {
		mark := "ok  "
		if !b.Pass {
			mark = "MISS"
		}
		fmt.Fprintf(tw, "Budget\t%s %s\n", mark, view.BudgetText(b))
	}
	if r.Verdict != "" {
		fmt.Fprintf(tw, "Verdict\t%s\n", strings.ToUpper(r.OutcomeWords())+view.HostSuffix(r))
	}
	if r.Error != "" {
		fmt.Fprintf(tw, "Error\t%s\n", r.Error)
	}
	tw.Flush()
}

func writeRecovery(w io.Writer, r *result.Result) {
	window := msText(r.Analysis.ConfirmationWindowMS)
	from := "the injection"
	if r.RecoveryFrom == result.FromFirstFailure {
		from = "the first failure (no injection marked)"
	}
	if r.TimeToFirstErrorMS != nil {
		fmt.Fprintf(w, "First error\t%s after the injection\n", msText(*r.TimeToFirstErrorMS))
	}
	switch {
	case r.Recovery() == result.RecoveryNotObserved:
		fmt.Fprintf(w, "Recovery\tNOT OBSERVED: %s\n", r.NotObservedWhy())
	case r.RecoveryFrom == "":
		fmt.Fprintf(w, "Recovery\tnothing failed, nothing to recover from\n")
		return
	case r.Recovered:
		fmt.Fprintf(w, "Recovery\t%s after %s (confirmed by %s without a failure)\n", msText(*r.RecoveryMS), from, window)
	case r.Analysis.DeadlineMS > 0 && r.ObservedMS != nil && *r.ObservedMS >= r.Analysis.DeadlineMS:
		// The run goes on after the deadline (the revert, the tail): the
		// time watched is not the time the recovery was waited for.
		fmt.Fprintf(w, "Recovery\tNOT RECOVERED within the deadline, %s after %s\n", msText(r.Analysis.DeadlineMS), from)
	default:
		fmt.Fprintf(w, "Recovery\tNOT RECOVERED: no %s without a failure in the %s watched after %s\n", window, msText(*r.ObservedMS), from)
	}
	writeAfterRevert(w, r)
	if r.ErrorRatio != nil {
		fmt.Fprintf(w, "Impact\t%s, %.1f%% of requests failed in the fault window\n", r.Impact, 100**r.ErrorRatio)
	}
}

// writeAfterRevert says when the service came back after the revert, for
// a fault it did not recover from before it.
func writeAfterRevert(w io.Writer, r *result.Result) {
	ar := r.AfterRevert
	if ar == nil || r.Recovered || len(r.Reverts) == 0 {
		return
	}
	revert := r.Reverts[len(r.Reverts)-1].At
	switch {
	case ar.State == result.RecoveryNotObserved:
		fmt.Fprintf(w, "After revert\tnot observed: no request was sent after the revert\n")
	case ar.State == result.RecoveryRecovered && ar.RecoveryMS != nil && *ar.RecoveryMS == 0:
		fmt.Fprintf(w, "After revert\tserving: no request failed after the revert\n")
	case ar.State == result.RecoveryRecovered && ar.RecoveryMS != nil && ar.RecoveredAt != nil:
		fmt.Fprintf(w, "After revert\tback %s after the revert, %s after the injection\n",
			msText(*ar.RecoveryMS), msText(ms(ar.RecoveredAt.Sub(firstInjection(r, revert)))))
	default:
		fmt.Fprintf(w, "After revert\tNOT BACK: no %s without a failure in the %s watched after the revert\n",
			msText(r.Analysis.ConfirmationWindowMS), msText(ms(r.Ended.Sub(revert))))
	}
}

func firstInjection(r *result.Result, otherwise time.Time) time.Time {
	if len(r.Injections) > 0 {
		return r.Injections[0].At
	}
	return otherwise
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// maxOutageLines keeps a flapping run's summary readable; the JSON has all.
const maxOutageLines = 15

func writeOutages(w io.Writer, tw *tabwriter.Writer, r *result.Result, rel func(time.Time) string) {
	if len(r.Outages) == 0 {
		return
	}
	fmt.Fprintln(w)
	fmt.Fprintln(tw, "Outages\tstart\tduration\tfailed\tcause")
	for i, o := range r.Outages {
		if i == maxOutageLines {
			fmt.Fprintf(tw, "  ... %d more in the result file\n", len(r.Outages)-i)
			break
		}
		dur := msText(o.DurationMS)
		if o.Open {
			dur += " (still failing at the end)"
		}
		fmt.Fprintf(tw, "  %d\t%s\t%s\t%d\t%s\n", i+1, rel(o.Start), dur, o.Requests, causesText(o))
	}
	tw.Flush()
}

func causesText(o result.Outage) string {
	if len(o.Causes) <= 1 {
		return o.Cause
	}
	return o.Cause + " (" + counts(o.Causes, "") + ")"
}

// counts writes a count map as "503 ×12, 200 ×3", largest first.
func counts(m map[string]int, none string) string {
	if len(m) == 0 {
		return none
	}
	keys := slices.Sorted(maps.Keys(m))
	slices.SortStableFunc(keys, func(a, b string) int { return m[b] - m[a] })
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s ×%d", k, m[k])
	}
	return strings.Join(parts, ", ")
}

func secs(d time.Duration) string { return fmt.Sprintf("%.2fs", d.Seconds()) }

// msText writes a duration in milliseconds the way a person reads it.
func msText(ms float64) string {
	if ms < 1000 {
		return fmt.Sprintf("%.0f ms", ms)
	}
	return fmt.Sprintf("%.2f s", ms/1000)
}

// writeHost prints how loaded the machine was, per phase.
func writeHost(w io.Writer, tw *tabwriter.Writer, r *result.Result) {
	h := view.Host(r)
	if h == nil {
		return
	}
	fmt.Fprintln(w)
	line := h.Badge + " (sampled " + h.Sampled + ")"
	if h.Caveat != "" {
		line = h.Caveat
	}
	fmt.Fprintf(tw, "Host\t%s\n", line)
	fmt.Fprintf(tw, "  median (max)\t%s\n", strings.Join(h.Phases, "\t"))
	for _, row := range h.Rows {
		fmt.Fprintf(tw, "  %s\t%s\n", row.Signal, strings.Join(row.Cells, "\t"))
	}
	for _, m := range h.Missing {
		fmt.Fprintf(tw, "  %s\tmissing: %s\n", m.Label, m.Value)
	}
	tw.Flush()
}
