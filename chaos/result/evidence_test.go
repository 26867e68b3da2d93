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
