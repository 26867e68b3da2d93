package scenario

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/selfheal/selfheal/chaos/result"
)

// The healing watcher asks the API: while the API server is away (the
// apiserver-restart scenario) its checks fail, and that says nothing
// about the workload. Such a gap neither breaks nor heals it.
func TestHealingRidesOutAnAPIGap(t *testing.T) {
	apiDown := errors.New("connection refused")
	type look struct {
		ok  bool
		err error
	}
	tests := []struct {
		name             string
		looks            []look
		healed, seen     bool
		healedAt, errors int // healedAt: index of the look that healed it, -1 for none
	}{
		{"gap while steady", []look{{true, nil}, {false, apiDown}, {false, apiDown}, {true, nil}}, false, false, -1, 2},
		{"gap while broken: healed when seen steady", []look{{false, nil}, {false, apiDown}, {true, nil}, {true, nil}}, true, true, 2, 1},
		{"gap at the end of a break", []look{{true, nil}, {false, nil}, {false, apiDown}}, false, true, -1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h healing
			t0 := time.Now()
			for i, l := range tt.looks {
				h.observe(t0.Add(time.Duration(i)*time.Second), l.ok, "why", l.err)
			}
			healed, seen := h.state()
			if healed != tt.healed || seen != tt.seen || h.errors != tt.errors {
				t.Fatalf("healed %v seen broken %v errors %d; want %v %v %d", healed, seen, h.errors, tt.healed, tt.seen, tt.errors)
			}
			if tt.healedAt >= 0 && !h.healedAt.Equal(t0.Add(time.Duration(tt.healedAt)*time.Second)) {
				t.Errorf("healed at %s, want look %d", h.healedAt.Sub(t0), tt.healedAt)
			}
		})
	}
}

// Kubernetes never seeing the workload leave its desired state is no
// healing to time: not a number, and a healing budget over it is missed
// like a missing figure, saying why. Before, it read 0 ms and passed.
func TestHealingNeverSeenBrokenIsNoFigure(t *testing.T) {
	var h healing
	t0 := time.Now()
	h.observe(t0.Add(time.Second), true, "", nil)
	got := h.result(t0, "every replica Ready")
	if got.Of() != result.HealingNeverBroken || got.Healed || got.MS != nil || got.At != nil {
		t.Fatalf("healing %+v; want never seen broken, with no time", got)
	}
	r := &result.Result{Healing: got, Injections: []result.Injection{{At: t0}}}
	if v, ok := metric(result.KeyHealing).Value(r); ok {
		t.Errorf("healing figure %v; want none", v)
	}
	checks := Budgets{Healing: Dur(90 * time.Second)}.Check(r)
	if len(checks) != 1 || checks[0].Pass || !checks[0].Missing || !strings.Contains(checks[0].Message, "Kubernetes never saw the workload leave its desired state") {
		t.Errorf("checks %+v; want the healing budget missed, saying Kubernetes never saw it broken", checks)
	}
	// A result written before the state existed said it in its condition,
	// with a 0 ms healing: read the same way.
	zero := 0.0
	old := &result.Healing{Healed: true, MS: &zero, Condition: "x; Kubernetes never saw the workload leave its desired state"}
	if old.Of() != result.HealingNeverBroken {
		t.Errorf("old never-broken healing reads %q", old.Of())
	}
}
