package result

import (
	"strings"
	"testing"
	"time"
)

func TestUnproven(t *testing.T) {
	held := Evidence{Check: "iptables -L -v", Observed: "412 packets matched", Held: true}
	notHeld := Evidence{Check: "iptables -L -v at the revert", Observed: "the rule matched 0 packets", Held: false}
	injected := []Injection{{At: time.Unix(1, 0), Fault: "packet-loss"}}
	tests := []struct {
		name       string
		injections []Injection
		evidence   []Evidence
		want       string // a part of the answer; "" for proven
	}{
		{"nothing injected", nil, nil, ""},
		{"held", injected, []Evidence{held}, ""},
		{"no evidence", injected, nil, "recorded no evidence"},
		{"contradicted", injected, []Evidence{held, notHeld}, "the rule matched 0 packets"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := &Result{Injections: tc.injections, Evidence: tc.evidence}
			got := r.Unproven()
			if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
				t.Errorf("Unproven() = %q, want %q", got, tc.want)
			}
		})
	}
}

// An error because the fault did not take effect is told apart from one
// that could not run, and from an older result that never recorded
// evidence (its error says something else).
func TestFaultDidNotTakeEffect(t *testing.T) {
	injected := []Injection{{At: time.Unix(1, 0), Fault: "packet-loss"}}
	notHeld := []Evidence{{Check: "iptables -v -S at the revert", Observed: "no rule left", Held: false}}
	tests := []struct {
		name  string
		r     Result
		want  bool
		words string
	}{
		{"unproven", Result{Scenario: "packet-loss", Injections: injected, Evidence: notHeld, Verdict: VerdictError,
			Error: "scenario packet-loss: the fault did not take effect: iptables -v -S at the revert: no rule left"}, true, "no verdict: the fault did not take effect"},
		{"could not run", Result{Injections: injected, Verdict: VerdictError, Error: "scenario x: the load did not start"}, false, "could not run"},
		{"passed with evidence", Result{Injections: injected, Verdict: VerdictPass, Evidence: []Evidence{{Held: true}}}, false, "passed"},
		{"an older pass without evidence", Result{Injections: injected, Verdict: VerdictPass}, false, "passed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.r.FaultDidNotTakeEffect(); got != tt.want {
				t.Errorf("FaultDidNotTakeEffect() = %v, want %v", got, tt.want)
			}
			if got := tt.r.OutcomeWords(); got != tt.words {
				t.Errorf("OutcomeWords() = %q, want %q", got, tt.words)
			}
		})
	}
}
