package result

import (
	"fmt"
	"strings"

	"github.com/selfheal/selfheal/chaos/stats"
)

// Against is what a --repeat auto comparison holds a cell's repetitions
// against.
type Against string

// What a cell is compared with.
const (
	// AgainstBaseline: the baseline variant's repetitions of the same
	// scenario in the same run (a run over variants).
	AgainstBaseline Against = BaselineVariant
	// AgainstHistory: earlier results of the same kind in the report
	// directory (chaos/history).
	AgainstHistory Against = "history"
)

// StopReason says why a --repeat auto cell took no more repetitions.
type StopReason string

// Stop reasons.
const (
	// StopClear: a figure of the family was clear at the last look.
	StopClear StopReason = "clear"
	// StopMax: the maximum was reached with nothing clear.
	StopMax StopReason = "max"
	// StopNoReference: there was nothing to compare with (no baseline in
	// the run, and too few earlier results of the kind for any look to
	// call anything, or history off).
	StopNoReference StopReason = "no_reference"
	// StopNotRun: no repetition of one side ran to its end, so far, or
	// the look could not be taken (Why says which).
	StopNotRun StopReason = "not_run"
)

// Sequential is how --repeat auto decided how many repetitions a cell
// took (chaos/stats.Sequential): what it was compared with, the design,
// every look taken and why it stopped. The repetition that ended a look
// carries the record as it stood after that look; the cell's last one
// carries the decision.
type Sequential struct {
	Against Against `json:"against"`
	// Reference says what was compared with, in words: "baseline", "25
	// earlier results of this kind (runs a, b)".
	Reference string           `json:"reference"`
	Design    stats.Sequential `json:"design"`
	// Metrics are the family of figures tested at each look.
	Metrics []MetricKey `json:"metrics"`
	Looks   []Look      `json:"looks,omitempty"`
	// Stop is empty while more repetitions follow.
	Stop StopReason `json:"stop,omitempty"`
	// Why says a stop other than clear or max in words.
	Why string `json:"why,omitempty"`
}

// Look is one look of a Sequential comparison: the design's look and
// each figure's call there.
type Look struct {
	stats.SequentialLook
	Calls []Call `json:"calls"`
}

// Call is one figure at one look.
type Call struct {
	Metric MetricKey `json:"metric"`
	// BaseN and NewN are the values compared (repetitions that could not
	// run, or whose figure never came, are left out).
	BaseN  int  `json:"base_n"`
	NewN   int  `json:"new_n"`
	Tested bool `json:"tested"`
	// P is the exact test's two-sided p, PAdjusted Holm's across the
	// family; the figure is clear when PAdjusted ≤ the look's level.
	P         float64       `json:"p"`
	PAdjusted float64       `json:"p_adjusted"`
	Verdict   stats.Verdict `json:"verdict"`
	// Above is the share of pairs in which the cell's value is above the
	// reference's (stats.Comparison.Above).
	Above float64 `json:"above"`
	// Need is, for a figure not clear, the repetitions a side at which a
	// separation of the size seen could be called (stats.Sequential.Need);
	// 0 when none up to stats.NeedLimit.
	Need int `json:"need,omitempty"`
}

// Last is the latest look; false before the first.
func (s *Sequential) Last() (Look, bool) {
	if s == nil || len(s.Looks) == 0 {
		return Look{}, false
	}
	return s.Looks[len(s.Looks)-1], true
}

// Index is the look's number among the looks that can call anything
// (1 for the first), or 0 for a look that can call nothing.
func (s *Sequential) Index(l Look) int {
	if !l.CanCall {
		return 0
	}
	k := 0
	for _, x := range s.Design.Looks() {
		if x.CanCall {
			k++
		}
		if x.N == l.N {
			return k
		}
	}
	return 0
}

// Callable is how many looks of the design can call anything.
func (s *Sequential) Callable() int {
	k := 0
	for _, x := range s.Design.Looks() {
		if x.CanCall {
			k++
		}
	}
	return k
}

// Clear are the calls of look l that are clear.
func (l Look) Clear() []Call {
	var out []Call
	for _, c := range l.Calls {
		if c.Verdict != stats.NoClearDifference {
			out = append(out, c)
		}
	}
	return out
}

// Decision says in one sentence how many repetitions the comparison took
// and why it stopped (or where it stands): "clear at look 1 of up to 5,
// 5 repetitions a side: transport errors worse (p = 0.0079, Holm 0.024 ≤
// 0.031)". The renderers and the console all say it this way.
func (s *Sequential) Decision() string {
	if s == nil {
		return ""
	}
	l, ok := s.Last()
	at := ""
	if ok {
		at = fmt.Sprintf("%d repetitions %s", l.N, s.sides())
	}
	switch s.Stop {
	case StopClear:
		var parts []string
		for _, c := range l.Clear() {
			parts = append(parts, c.words(l))
		}
		return fmt.Sprintf("clear at look %d of up to %d, %s: %s", s.Index(l), s.Callable(), at, strings.Join(parts, "; "))
	case StopMax:
		return fmt.Sprintf("the maximum, %s, reached with nothing clear: %s", at, s.unclear(l))
	case StopNoReference, StopNotRun:
		if at != "" {
			return fmt.Sprintf("stopped after %s: %s", at, s.Why)
		}
		return "stopped: " + s.Why
	}
	if !ok {
		return fmt.Sprintf("no look yet (the first is at %d repetitions %s)", s.Design.Start, s.sides())
	}
	if !l.CanCall {
		return fmt.Sprintf("%s: nothing can be called at this size (its share of α carries to the next look)", at)
	}
	return fmt.Sprintf("not clear at look %d of up to %d, %s: %s", s.Index(l), s.Callable(), at, s.unclear(l))
}

func (s *Sequential) sides() string {
	if s.Against == AgainstHistory {
		return fmt.Sprintf("against %d earlier", s.Design.Reference)
	}
	return "a side"
}

// unclear says each figure's p and what a separation of the size seen
// would need.
func (s *Sequential) unclear(l Look) string {
	var parts []string
	for _, c := range l.Calls {
		m := c.Definition()
		switch {
		case !c.Tested:
			parts = append(parts, m.Name+" not tested (the same value everywhere, or too few values)")
		case c.Need > 0:
			parts = append(parts, fmt.Sprintf("%s p = %.2g; a difference of the size seen would need %d repetitions %s", m.Name, c.P, c.Need, s.sides()))
		case min(c.Above, 1-c.Above) >= 0.5-1e-9:
			parts = append(parts, fmt.Sprintf("%s p = %.2g; the two sides do not separate at all", m.Name, c.P))
		default:
			parts = append(parts, fmt.Sprintf("%s p = %.2g; a difference of the size seen would need more than %d repetitions %s", m.Name, c.P, stats.NeedLimit, s.sides()))
		}
	}
	return strings.Join(parts, "; ")
}

func (c Call) words(l Look) string {
	return fmt.Sprintf("%s %s (p = %.2g, Holm %.2g ≤ %.2g)", c.Definition().Name, c.Verdict, c.P, c.PAdjusted, l.Level)
}

// Definition is the call's metric from the table.
func (c Call) Definition() Metric {
	return BudgetCheck{Metric: c.Metric}.Definition()
}
