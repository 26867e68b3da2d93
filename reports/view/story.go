package view

import (
	"fmt"
	"strings"
	"time"

	"github.com/selfheal/selfheal/chaos/result"
)

// Story tells what happened in a scenario in plain sentences, with clock
// times in loc (the result's own zone when nil). The report shows it
// first; the JUnit output carries it too.
func Story(r *result.Result, loc *time.Location) []string {
	if loc == nil {
		loc = r.Started.Location()
	}
	return story(r, loc)
}

// BudgetText says in words how a figure stands against its budget:
// "downtime 6.2 s is over its budget of 5 s", "must recover: NO".
func BudgetText(b result.BudgetCheck) string {
	m := b.Definition()
	switch {
	case m.Unit == result.UnitBool:
		return m.Requirement(b.Limit) + ": " + budgetValue(b)
	case b.Missing && b.History != nil:
		return fmt.Sprintf("%s: %s, its history budget is %s (%s)", m.Name, budgetValue(b), MetricText(m, b.Limit), historyBasis(b))
	case b.Missing:
		return fmt.Sprintf("%s: %s, its budget is %s", m.Name, budgetValue(b), MetricText(m, b.Limit))
	}
	word := "within"
	if !b.Pass {
		word = "over"
	}
	if b.History != nil {
		return fmt.Sprintf("%s %s is %s its history budget of %s (%s)", m.Name, budgetValue(b), word, MetricText(m, b.Limit), historyBasis(b))
	}
	return fmt.Sprintf("%s %s is %s its budget of %s", m.Name, budgetValue(b), word, MetricText(m, b.Limit))
}

// story tells a scenario in plain sentences: what was done, when it broke,
// how, when it came back, and what Kubernetes did meanwhile. It is the part
// of the report a newcomer reads first, so it names instants and causes
// rather than metric keys.
func story(r *result.Result, loc *time.Location) []string {
	var s []string
	if r.Requests.Total == 0 {
		return []string{"No request was sent: the scenario ended before its load started.", verdictSentence(r)}
	}
	s = append(s, injectionSentence(r, loc))
	gs := incidents(r)
	if len(r.Injections) > 0 {
		s = append(s, firstErrorSentence(r, loc)...)
	}
	s = append(s, incidentSentences(r, gs, loc)...)
	s = append(s, recoverySentence(r, gs, loc)...)
	s = append(s, healingSentence(r, loc)...)
	s = append(s, eventSentences(r, gs, loc)...)
	s = append(s, vantageSentence(r))
	s = append(s, hostSentence(r))
	s = append(s, verdictSentence(r))
	var out []string
	for _, x := range s {
		if x != "" {
			out = append(out, x)
		}
	}
	return out
}

func injectionSentence(r *result.Result, loc *time.Location) string {
	run := Duration(ms(r.Ended.Sub(r.Started)))
	rate := Number(r.Load.Rate) + " requests per second"
	if len(r.Injections) == 0 {
		return fmt.Sprintf("selfheal sent %s for %s (%s – %s) and injected nothing: every failure below is the target's own.",
			rate, run, clock(r.Started, loc), clock(r.Ended, loc))
	}
	first := r.Injections[0]
	s := fmt.Sprintf("selfheal sent %s for %s; at %s (%s after the start) it injected %s", rate, run,
		clock(first.At, loc), Duration(ms(first.At.Sub(r.Started))), first.Fault)
	if first.Detail != "" {
		s += ": " + first.Detail
	}
	s += "."
	if n := len(r.Injections) - 1; n > 0 {
		s += fmt.Sprintf(" %s followed.", plural(n, "more injection", "more injections"))
	}
	for _, rv := range r.Reverts {
		s += fmt.Sprintf(" At %s it reverted the fault: %s.", clock(rv.At, loc), rv.Detail)
	}
	return s
}

func firstErrorSentence(r *result.Result, loc *time.Location) []string {
	if r.TimeToFirstErrorMS == nil {
		s := "No request failed after the injection: users would have noticed nothing."
		if b, a := r.Latency.Baseline, r.Latency.After; b != nil && a != nil {
			s += fmt.Sprintf(" Latency p99 was %s before and %s after.", Duration(b.P99), Duration(a.P99))
		}
		return []string{s}
	}
	at := r.Injections[0].At.Add(time.Duration(*r.TimeToFirstErrorMS * float64(time.Millisecond)))
	s := fmt.Sprintf("The first request failed %s later, at %s", Duration(*r.TimeToFirstErrorMS), clock(at, loc))
	if how := firstFailure(r, at); how != "" {
		s += " (" + how + ")"
	}
	return []string{s + "."}
}

// firstFailure says how the first failed request failed, from the bucket
// it fell in and the outage it opened: the outage's dominant cause alone
// could name what came later.
func firstFailure(r *result.Result, at time.Time) string {
	var b *result.Bucket
	for i := range r.Timeline {
		if !r.Timeline[i].Start.After(at) {
			b = &r.Timeline[i]
		}
	}
	var o *result.Outage
	for i := range r.Outages {
		if !r.Outages[i].Start.After(at) && !r.Outages[i].End.Before(at) {
			o = &r.Outages[i]
		}
	}
	if b == nil {
		return ""
	}
	only := func(class string) string {
		if o == nil {
			return ""
		}
		causes := o.Causes
		if len(causes) == 0 {
			causes = map[string]int{o.Cause: o.Requests}
		}
		found := ""
		for c := range causes {
			if codeClass(c) != class && !(class == "error" && codeClass(c) == "error") {
				continue
			}
			if found != "" {
				return ""
			}
			found = c
		}
		return found
	}
	switch {
	case b.S5xx > 0 && b.Errors == 0:
		if c := only("5xx"); c != "" {
			return causeText(c)
		}
		return "an HTTP 5xx answer"
	case b.Errors > 0 && b.S5xx == 0:
		if c := only("error"); c != "" {
			return causeText(c)
		}
		return "a transport error"
	}
	return ""
}

// incidentSentences describes each incident, or the three longest when
// there are many.
func incidentSentences(r *result.Result, gs []incidentGroup, loc *time.Location) []string {
	if len(gs) == 0 {
		if len(r.Injections) == 0 {
			return []string{"No request failed."}
		}
		return nil
	}
	shown := gs
	intro := ""
	switch {
	case len(gs) == 1:
		intro = ""
	case len(gs) <= 3:
		intro = fmt.Sprintf("It broke %d times. ", len(gs))
	default:
		intro = fmt.Sprintf("It broke %d times; the three longest: ", len(gs))
		shown = longestIncidents(gs, 3)
	}
	var parts []string
	for _, g := range shown {
		parts = append(parts, incidentText(r, g, loc))
	}
	return []string{intro + strings.Join(parts, " ")}
}

func incidentText(r *result.Result, g incidentGroup, loc *time.Location) string {
	if n := len(g.outages); n > 1 && n <= 3 {
		return fewOutagesText(g, loc)
	}
	down, failed := g.down()
	span := ms(g.end().Sub(g.start()))
	end := "until " + clock(g.end(), loc)
	if g.open() {
		end = "and were still failing when the run ended at " + clock(g.end(), loc)
	}
	s := fmt.Sprintf("From %s requests failed %s: %s", clock(g.start(), loc), end, Duration(span))
	if len(g.outages) > 1 && down < span*0.9 {
		s += fmt.Sprintf(" of which %s were down, in %d outages (partial: some requests still succeeded)", Duration(down), len(g.outages))
	}
	s += fmt.Sprintf(", %s failed requests, %s.", Count(failed), countsText(g.causes(), causeText))
	if full := fullSeconds(r, g.start(), g.end()); full > 0 && len(g.outages) > 1 {
		s += fmt.Sprintf(" For %d of those seconds not one request succeeded.", full)
	}
	return s
}

// fewOutagesText tells a short incident outage by outage, with the
// pauses between them: "it failed, came back for 6 s, failed again" is
// what happened, and "partial" would not say it.
func fewOutagesText(g incidentGroup, loc *time.Location) string {
	var b strings.Builder
	for i, o := range g.outages {
		causes := o.Causes
		if len(causes) == 0 {
			causes = map[string]int{o.Cause: o.Requests}
		}
		if i == 0 {
			fmt.Fprintf(&b, "From %s requests failed", clock(o.Start, loc))
		} else {
			prev := g.outages[i-1]
			fmt.Fprintf(&b, "; it came back for %s, then failed again from %s", Duration(ms(o.Start.Sub(prev.End))), clock(o.Start, loc))
		}
		end := "until " + clock(o.End, loc)
		if o.Open {
			end = "until the run ended at " + clock(o.End, loc)
		}
		fmt.Fprintf(&b, " %s (%s: %s)", end, Duration(o.DurationMS), countsText(causes, causeText))
	}
	b.WriteString(".")
	return b.String()
}

// fullSeconds counts the buckets within [from, to) with failures and no
// success at all.
func fullSeconds(r *result.Result, from, to time.Time) int {
	width := time.Duration(r.Analysis.BucketMS * float64(time.Millisecond))
	if width <= 0 {
		width = time.Second
	}
	n := 0
	for _, b := range r.Timeline {
		if !b.Start.Add(width).After(from) || !b.Start.Before(to) {
			continue
		}
		if b.OK2xx+b.OK3xx+b.C4xx == 0 && b.S5xx+b.Errors > 0 {
			n++
		}
	}
	return n
}

func longestIncidents(gs []incidentGroup, n int) []incidentGroup {
	idx := make([]int, len(gs))
	for i := range idx {
		idx[i] = i
	}
	// Pick the n longest by downtime, then show them in time order.
	for i := 0; i < n && i < len(idx); i++ {
		best := i
		for j := i + 1; j < len(idx); j++ {
			a, _ := gs[idx[j]].down()
			b, _ := gs[idx[best]].down()
			if a > b {
				best = j
			}
		}
		idx[i], idx[best] = idx[best], idx[i]
	}
	top := idx[:min(n, len(idx))]
	for i := 1; i < len(top); i++ {
		for j := i; j > 0 && top[j] < top[j-1]; j-- {
			top[j], top[j-1] = top[j-1], top[j]
		}
	}
	out := make([]incidentGroup, 0, len(top))
	for _, i := range top {
		out = append(out, gs[i])
	}
	return out
}

func recoverySentence(r *result.Result, gs []incidentGroup, loc *time.Location) []string {
	window := Duration(r.Analysis.ConfirmationWindowMS)
	switch {
	case r.Recovery() == result.RecoveryNotObserved:
		return []string{"Recovery was not observed: " + r.NotObservedWhy() + "."}
	case len(gs) == 0 && len(r.Injections) == 0:
		return nil
	case r.Recovered && r.RecoveredAt != nil && r.RecoveryMS != nil && *r.RecoveryMS > 0:
		s := fmt.Sprintf("Service recovered at %s, %s after %s (the first request of %s without a failure)", clock(*r.RecoveredAt, loc), Duration(*r.RecoveryMS), origin(r), window)
		if n := len(gs); n > 0 && !gs[n-1].open() && gs[n-1].end().After(*r.RecoveredAt) {
			s += fmt.Sprintf("; it broke again later and came back for good at %s", clock(gs[n-1].end(), loc))
		}
		return []string{s + "."}
	case r.Recovered && len(r.Injections) > 0:
		return nil
	case len(r.Injections) == 0 && len(gs) > 0 && !gs[len(gs)-1].open():
		// A result without recovery figures: say what the outages show.
		last := gs[len(gs)-1]
		return []string{fmt.Sprintf("It came back at %s and stayed up for the last %s of the run.", clock(last.end(), loc), Duration(ms(r.Ended.Sub(last.end()))))}
	case r.Analysis.DeadlineMS > 0 && r.ObservedMS != nil && *r.ObservedMS >= r.Analysis.DeadlineMS:
		s := "Service had not recovered within the deadline, " + Duration(r.Analysis.DeadlineMS) + " after " + origin(r)
		return []string{s + "." + afterRevertSentence(r, loc)}
	default:
		s := "Service had not recovered when the run ended"
		if r.ObservedMS != nil {
			s += ", " + Duration(*r.ObservedMS) + " after " + origin(r)
		}
		return []string{s + "." + afterRevertSentence(r, loc)}
	}
}

// afterRevertSentence says when the service came back after the fault was
// reverted, with a leading space; "" without a revert.
func afterRevertSentence(r *result.Result, loc *time.Location) string {
	ar := r.AfterRevert
	switch {
	case ar == nil || len(r.Reverts) == 0:
		return ""
	case ar.State == result.RecoveryNotObserved:
		return " After the revert it was not observed: no request was sent after the revert."
	case ar.State == result.RecoveryRecovered && ar.RecoveryMS != nil && *ar.RecoveryMS == 0:
		return " No request failed after the revert."
	case ar.State == result.RecoveryRecovered && ar.RecoveryMS != nil && ar.RecoveredAt != nil:
		return fmt.Sprintf(" It came back at %s, %s after the revert (the first request of %s without a failure).",
			clock(*ar.RecoveredAt, loc), Duration(*ar.RecoveryMS), Duration(r.Analysis.ConfirmationWindowMS))
	}
	return " It had not come back when the run ended, " + Duration(ms(r.Ended.Sub(r.Reverts[len(r.Reverts)-1].At))) + " after the revert."
}

func healingSentence(r *result.Result, loc *time.Location) []string {
	h := r.Healing
	if h == nil {
		return nil
	}
	cond := ""
	if h.Condition != "" {
		cond = " (" + h.Condition + ")"
	}
	if h.Of() == result.HealingNeverBroken {
		return []string{"Kubernetes never saw the workload leave its desired state" + cond + ": there was no healing to time."}
	}
	if h.Of() == result.HealingHealed && h.At != nil && h.MS != nil {
		s := fmt.Sprintf("Kubernetes had the workload back at its desired state%s at %s, %s after the injection", cond, clock(*h.At, loc), Duration(*h.MS))
		if r.RecoveryMS != nil && *r.RecoveryMS > 0 {
			d := *h.MS - *r.RecoveryMS
			switch {
			case d > 1000:
				s += fmt.Sprintf("; users had been served again %s earlier", Duration(d))
			case d < -1000:
				s += fmt.Sprintf("; users kept seeing failures for %s more", Duration(-d))
			}
		}
		return []string{s + "."}
	}
	return []string{"Kubernetes never reported the workload back at its desired state" + cond + " during the run."}
}

// eventSentences ties the longest incident's start and end to the
// Kubernetes events right before them, the explanation a reader looks for.
func eventSentences(r *result.Result, gs []incidentGroup, loc *time.Location) []string {
	if len(gs) == 0 || len(r.Events) == 0 {
		return nil
	}
	g := longestIncidents(gs, 1)[0]
	var s []string
	if len(r.Injections) > 0 {
		if e := firstReaction(r.Events, r.Injections[0].At); e != nil {
			s = append(s, fmt.Sprintf("Kubernetes' first reaction came %s after the injection: %q on %s (%s%s).",
				Duration(ms(e.At.Sub(r.Injections[0].At))), e.Reason, e.Object, clock(e.At, loc), messageSuffix(e)))
		}
	}
	if e := eventBefore(r.Events, g.end(), 5*time.Second, true); e != nil && !g.open() {
		s = append(s, fmt.Sprintf("Failures stopped %s after the event %q on %s (%s%s).",
			Duration(ms(g.end().Sub(e.At))), e.Reason, e.Object, clock(e.At, loc), messageSuffix(e)))
	}
	if n := KubernetesEvents(r); n > 0 {
		s = append(s, fmt.Sprintf("%s from Kubernetes are in the timeline and the table below.", plural(n, "event", "events")))
	}
	return s
}

// firstReaction is the first event after t that selfheal did not cause
// itself (fault events are its own).
func firstReaction(es []result.Event, t time.Time) *result.Event {
	for i := range es {
		if es[i].Kind != "fault" && !es[i].At.Before(t) {
			return &es[i]
		}
	}
	return nil
}

func messageSuffix(e *result.Event) string {
	if e.Message == "" {
		return ""
	}
	m := e.Message
	if len(m) > 90 {
		m = m[:87] + "..."
	}
	return ": " + m
}

// eventBefore is the last event at or before t, within d; with wantGood
// it prefers events that bring things back (Ready, endpoints added).
func eventBefore(es []result.Event, t time.Time, d time.Duration, wantGood bool) *result.Event {
	var best *result.Event
	for i := range es {
		e := &es[i]
		if e.At.After(t) || t.Sub(e.At) > d || e.Kind == "fault" {
			continue
		}
		if wantGood && severity(*e) == "bad" {
			continue
		}
		best = e
	}
	return best
}

func verdictSentence(r *result.Result) string {
	switch r.Outcome() {
	case result.VerdictPass:
		return "Verdict: passed, every figure within its budget."
	case result.VerdictNone:
		return "No budgets were set, so there is no verdict: the figures stand on their own."
	case result.VerdictError:
		if r.FaultDidNotTakeEffect() {
			return "No verdict: " + strings.TrimSuffix(r.Unproven(), ".") + "; what was measured is not this fault's effect."
		}
		if r.Error != "" {
			return "Verdict: the scenario could not run to its end: " + strings.TrimSuffix(r.Error, ".") + "."
		}
		return "Verdict: the scenario could not run to its end."
	}
	var failed []string
	for _, b := range r.Budgets {
		if b.Pass {
			continue
		}
		failed = append(failed, BudgetText(b))
	}
	return "Verdict: failed; " + join(failed) + "."
}

// KubernetesEvents counts the events Kubernetes reported: the timeline's
// fault events (selfheal's instants and evidence) are not.
func KubernetesEvents(r *result.Result) int {
	n := 0
	for _, e := range r.Events {
		if e.Kind != "fault" {
			n++
		}
	}
	return n
}
