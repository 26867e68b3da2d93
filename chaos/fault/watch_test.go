package fault_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/selfheal/selfheal/chaos/fault"
	"github.com/selfheal/selfheal/chaos/fault/faulttest"
)

// A sign seen on the third look proves the fault once; the revert's Stop
// adds nothing. A sign never seen is recorded at Stop as evidence that
// did not hold, with what the last look showed; failed looks do not end
// the watch.
func TestWatch(t *testing.T) {
	tests := []struct {
		name     string
		seenAt   int32 // the look that sees the sign; 0: none does
		failAt   int32 // a look that fails
		held     bool
		observed string
	}{
		{name: "seen", seenAt: 3, failAt: 2, held: true, observed: "NotReady"},
		{name: "never seen", held: false, observed: "not seen in the"},
		{name: "last look failed", failAt: -1, held: false, observed: "last read: could not read: API down"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := &faulttest.Marks{}
			var looks atomic.Int32
			w := fault.Watch(context.Background(), m, "node w1's Ready condition", time.Millisecond, func(context.Context) (bool, string, error) {
				n := looks.Add(1)
				switch {
				case n == tt.seenAt:
					return true, "NotReady", nil
				case n == tt.failAt || tt.failAt < 0:
					return false, "", errors.New("API down")
				}
				return false, "Ready", nil
			})
			enough := int32(5)
			if tt.seenAt > 0 {
				enough = tt.seenAt
			}
			for deadline := time.Now().Add(5 * time.Second); looks.Load() < enough && time.Now().Before(deadline); {
				time.Sleep(time.Millisecond)
			}
			time.Sleep(10 * time.Millisecond) // room for a look too many
			w.Stop()
			w.Stop()
			if len(m.Evidence) != 1 {
				t.Fatalf("evidence %+v, want one piece", m.Evidence)
			}
			e := m.Evidence[0]
			if e.Held != tt.held || e.Check != "node w1's Ready condition" || !strings.Contains(e.Observed, tt.observed) {
				t.Errorf("evidence %+v, want held %v observing %q", e, tt.held, tt.observed)
			}
			if tt.held && looks.Load() != tt.seenAt {
				t.Errorf("%d looks, want none after the sign was seen", looks.Load())
			}
		})
	}
	var nothing *fault.Watcher
	nothing.Stop() // a fault that never started one
}
