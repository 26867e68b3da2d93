package view

import (
	"fmt"
	"strings"
	"time"

	"github.com/selfheal/selfheal/chaos/result"
)

// HostView is the host's conditions while a scenario ran, in words: the
// badge next to its verdict, the caveat a verdict measured under
// contention carries, and the table of signals per phase.
type HostView struct {
	Verdict result.HostVerdict
	Badge   string // "clean machine", "starved machine"
	// Caveat is "" on a clean machine, else what the verdict was measured
	// on: "measured on a starved machine: CPU steal 50 %, CPU pressure
	// 42 %; rerun before trusting it".
	Caveat string `json:",omitempty"`
	// Excused says that a budget miss did not fail the run.
	Excused string   `json:",omitempty"`
	Reasons []string `json:",omitempty"`
	Phases  []string // table heads: "warm-up", "fault window", "after"
	Rows    []HostRow
	Missing []Fact `json:",omitempty"`
	Sampled string // "every 1s, 73 samples, 2 CPUs"
}

// HostRow is one signal: "median (max)" per phase.
type HostRow struct {
	Signal string
	Cells  []string
}

// HostCaveat says what a result's host conditions make of its verdict: ""
// on a clean (or unsampled) machine; else "measured on a contended
// machine: CPU pressure 25 %", with "; rerun before trusting it" when it
// was starved.
func HostCaveat(r *result.Result) string {
	c := r.Conditions
	switch {
	case c == nil || c.Verdict == "" || c.Verdict == result.HostClean:
		return ""
	case c.Verdict == result.HostUnknown:
		return "host conditions unknown: no sample of the host was taken while it measured"
	}
	s := "measured on " + c.Verdict.Words()
	if f := c.Figures(); f != "" {
		s += ": " + f
	}
	if c.Verdict == result.HostStarved {
		s += "; rerun before trusting it"
	}
	return s
}

// VerdictLine is the verdict in capitals with its host caveat: "FAIL
// (measured on a starved machine: CPU steal 50 %, CPU pressure 42 %;
// rerun before trusting it)".
func VerdictLine(r *result.Result) string {
	return strings.ToUpper(string(r.Outcome())) + HostSuffix(r)
}

// HostSuffix is what follows a verdict about the host: " (measured on a
// starved machine: ...; rerun before trusting it)", and whether a miss was
// excused; "" on a clean machine.
func HostSuffix(r *result.Result) string {
	var s string
	if c := HostCaveat(r); c != "" {
		s = " (" + c + ")"
	}
	if r.Excused() {
		s += ", not counted as a failure: budget misses on a starved machine were excused (SELFHEAL_FAIL_STARVED=false)"
	}
	return s
}

// hostSentence is the story's line about the machine, "" when clean.
func hostSentence(r *result.Result) string {
	c := HostCaveat(r)
	if c == "" {
		return ""
	}
	s := "The figures were " + c + "."
	switch {
	case r.Conditions.Verdict == result.HostUnknown:
		s = "The host's load while it measured is unknown: no sample of it was taken."
	case r.Conditions.Verdict == result.HostStarved && r.Outcome() == result.VerdictFail:
		s = "The budget miss may be the machine's, not the app's: the figures were " + c + "."
	}
	return s
}

// Host is the host view of r, nil when r has no conditions.
func Host(r *result.Result) *HostView {
	c := r.Conditions
	if c == nil {
		return nil
	}
	h := &HostView{Verdict: c.Verdict, Badge: strings.TrimPrefix(strings.TrimPrefix(c.Verdict.Words(), "a "), "an "), Caveat: HostCaveat(r), Reasons: c.Reasons}
	if r.Excused() {
		h.Excused = "A budget was missed on a starved machine and not counted as a failure (SELFHEAL_FAIL_STARVED=false)."
	}
	h.Sampled = fmt.Sprintf("every %s, %s, %s", Duration(c.IntervalMS), plural(c.Samples, "sample", "samples"), plural(c.CPUs, "CPU", "CPUs"))
	for _, p := range c.Phases {
		h.Phases = append(h.Phases, p.Phase.Words())
	}
	for _, sig := range result.HostSignals() {
		row := HostRow{Signal: sig.Name}
		seen := false
		for _, p := range c.Phases {
			st, ok := p.Signals[sig.Key]
			if !ok {
				row.Cells = append(row.Cells, "—")
				continue
			}
			seen = true
			row.Cells = append(row.Cells, fmt.Sprintf("%s (max %s)", sig.Format(st.Median), sig.Format(st.Max)))
		}
		if seen {
			h.Rows = append(h.Rows, row)
		}
		if why, ok := c.Missing[sig.Key]; ok {
			h.Missing = append(h.Missing, Fact{sig.Name, why})
		}
	}
	return h
}

// HostSpan is a stretch of the chart's host lane with one verdict.
type HostSpan struct {
	From, To float64
	Verdict  result.HostVerdict
	Title    string
}

// hostLane turns the host's samples into spans of equal verdict, each
// sample covering the interval that ends at it.
func hostLane(r *result.Result, loc *time.Location) []HostSpan {
	c := r.Conditions
	if c == nil || len(c.Timeline) == 0 {
		return nil
	}
	interval := time.Duration(c.IntervalMS * float64(time.Millisecond))
	var out []HostSpan
	for _, p := range c.Timeline {
		from, to := at(r, p.At.Add(-interval)), at(r, p.At)
		if to <= from {
			continue
		}
		title := clock(p.At, loc) + " host " + string(p.Verdict) + ": " + pointText(p)
		if n := len(out); n > 0 && out[n-1].Verdict == p.Verdict && out[n-1].To >= from-1e-3 {
			out[n-1].To = to
			if strings.Count(out[n-1].Title, "\n") < maxMarkTitleLines-1 {
				out[n-1].Title += "\n" + title
			}
			continue
		}
		out = append(out, HostSpan{From: from, To: to, Verdict: p.Verdict, Title: title})
	}
	return out
}

func pointText(p result.HostPoint) string {
	var parts []string
	for _, sig := range result.HostSignals() {
		if v, ok := p.Values[sig.Key]; ok && sig.Key != result.SignalSelfCPU {
			parts = append(parts, sig.Name+" "+sig.Format(v))
		}
	}
	return strings.Join(parts, ", ")
}
