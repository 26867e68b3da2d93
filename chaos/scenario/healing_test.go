package scenario

import (
	"errors"
	"testing"
	"time"
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
