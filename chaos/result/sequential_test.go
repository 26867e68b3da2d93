package result

import (
	"testing"

	"github.com/selfheal/selfheal/chaos/stats"
)

// Decision says where a comparison stands in every state it can be in.
func TestSequentialDecision(t *testing.T) {
	d := stats.Sequential{Alpha: 0.05, Max: 10, Family: 1, Start: 5}
	look := func(n int, call Call) Look {
		l, _ := d.Look(n)
		return Look{SequentialLook: l, Calls: []Call{call}}
	}
	unclear := Call{Metric: KeyDowntime, Tested: true, P: 0.03, PAdjusted: 0.03, Verdict: stats.NoClearDifference, Above: 0.8, Need: 9}
	clear := Call{Metric: KeyTransportErrors, Tested: true, P: 2.0 / 252, PAdjusted: 2.0 / 252, Verdict: stats.Worse, Above: 1}
	tests := []struct {
		name string
		seq  *Sequential
		want string
	}{
		{"none", nil, ""},
		{"before the first look", &Sequential{Design: d}, "no look yet (the first is at 5 repetitions a side)"},
		{"not clear yet", &Sequential{Design: d, Looks: []Look{look(5, unclear)}},
			"not clear at look 1 of up to 6, 5 repetitions a side: downtime p = 0.03; a difference of the size seen would need 9 repetitions a side"},
		{"clear", &Sequential{Design: d, Looks: []Look{look(5, clear)}, Stop: StopClear},
			"clear at look 1 of up to 6, 5 repetitions a side: transport errors worse (p = 0.0079, Holm 0.0079 ≤ 0.031)"},
		{"at the maximum", &Sequential{Design: d, Looks: []Look{look(10, Call{Metric: KeyDowntime, Tested: true, P: 0.7, PAdjusted: 0.7, Verdict: stats.NoClearDifference, Above: 0.5})}, Stop: StopMax},
			"the maximum, 10 repetitions a side, reached with nothing clear: downtime p = 0.7; the two sides do not separate at all"},
		{"nothing to compare with", &Sequential{Against: AgainstHistory, Design: d, Stop: StopNoReference, Why: "history is off"},
			"stopped: history is off"},
		{"a side that never ran", &Sequential{Design: d, Looks: []Look{look(5, unclear)}, Stop: StopNotRun, Why: "no repetition of baseline ran to its end"},
			"stopped after 5 repetitions a side: no repetition of baseline ran to its end"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.seq.Decision(); got != tt.want {
				t.Errorf("Decision() =\n %q\nwant\n %q", got, tt.want)
			}
		})
	}
}
