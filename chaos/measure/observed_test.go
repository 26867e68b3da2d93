package measure

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/selfheal/selfheal/chaos/result"
)

// A result says "not observed" whenever no request was sent at or after
// the (last) injection: before, an injection after the last request read
// recovered, recovery 0, impact none and a negative observed_ms.
func TestNotObserved(t *testing.T) {
	tests := []struct {
		name    string
		samples []Sample
		end     float64
		inj     []Mark
		want    result.RecoveryState
		perInj  []result.RecoveryState
	}{
		{"injection after the last request", stream(ok(20)), 0, []Mark{mark(2.5)},
			result.RecoveryNotObserved, []result.RecoveryState{result.RecoveryNotObserved}},
		{"injection after the last request, before the run's end", stream(ok(20)), 3, []Mark{mark(2.5)},
			result.RecoveryNotObserved, []result.RecoveryState{result.RecoveryNotObserved}},
		{"no request at all", nil, 3, []Mark{mark(1)},
			result.RecoveryNotObserved, []result.RecoveryState{result.RecoveryNotObserved}},
		{"no request after the second injection", stream(ok(10), code(5, 503), ok(10)), 0, []Mark{mark(1), mark(3)},
			result.RecoveryNotObserved, []result.RecoveryState{result.RecoveryNotRecovered, result.RecoveryNotObserved}},
		{"a second's worth of requests from the injection instant is observed", stream(ok(29)), 0, []Mark{mark(1.9)},
			result.RecoveryRecovered, []result.RecoveryState{result.RecoveryRecovered}},
		{"a request at the injection instant alone is not observed", stream(ok(20)), 0, []Mark{mark(1.9)},
			result.RecoveryNotObserved, []result.RecoveryState{result.RecoveryRecovered}},
		{"nothing injected, nothing failed", stream(ok(20)), 0, nil, result.RecoveryRecovered, nil},
		{"nothing sent, nothing injected", nil, 3, nil, result.RecoveryNotObserved, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := Input{Samples: tt.samples, Injections: tt.inj, Params: Params{ConfirmationWindow: time.Second}}
			if tt.end > 0 {
				in.End = off(tt.end)
			}
			res := analyze(t, in)
			if res.RecoveryState != tt.want || res.Recovery() != tt.want {
				t.Errorf("recovery state %q (Recovery() %q), want %q", res.RecoveryState, res.Recovery(), tt.want)
			}
			if res.ObservedMS != nil && *res.ObservedMS < 0 {
				t.Errorf("observed_ms %v is negative", *res.ObservedMS)
			}
			for i, inj := range res.Injections {
				if inj.RecoveryState != tt.perInj[i] {
					t.Errorf("injection %d: state %q, want %q", i, inj.RecoveryState, tt.perInj[i])
				}
			}
			if tt.want != result.RecoveryNotObserved {
				return
			}
			// Nothing seen is neither a recovery nor an impact.
			if res.Recovered || res.RecoveryMS != nil || res.RecoveredAt != nil || res.Impact != "" || res.ErrorRatio != nil || res.ObservedMS != nil {
				t.Errorf("not observed, yet recovered %v recovery %s impact %q error ratio %s observed %s",
					res.Recovered, str(res.RecoveryMS), res.Impact, str(res.ErrorRatio), str(res.ObservedMS))
			}
			if len(tt.inj) > 0 && res.RecoveryFrom != result.FromInjection {
				t.Errorf("recovery_from %q; want injection", res.RecoveryFrom)
			}
		})
	}
}

// A fault undone before any request went out after it (the load side
// stalled through it) is not observed: the requests after the revert say
// nothing about what it did, and are measured from the revert.
func TestStalledThroughTheFault(t *testing.T) {
	before := stream(ok(10)) // 0 to 0.9 s
	after := stream(ok(30))
	for i := range after {
		after[i].Sent += 5 * time.Second // 5 s to 7.9 s
	}
	in := Input{Samples: append(before, after...), Injections: []Mark{mark(1.5)}, Reverts: []Mark{mark(4)},
		Params: Params{ConfirmationWindow: time.Second}}
	res := analyze(t, in)
	if res.RecoveryState != result.RecoveryNotObserved || res.Recovered || res.RecoveryMS != nil {
		t.Errorf("recovery %q recovered %v (%s); want not observed: nothing was sent between the injection and the revert", res.RecoveryState, res.Recovered, str(res.RecoveryMS))
	}
	if res.AfterRevert == nil || res.AfterRevert.State != result.RecoveryRecovered {
		t.Errorf("after revert %+v; want recovered (30 successes after it)", res.AfterRevert)
	}
	if why := res.NotObservedWhy(); !strings.Contains(why, "while the fault was in place") {
		t.Errorf("why %q", why)
	}
	// A second's worth of requests between the injection and the revert
	// is an observation.
	var mid []Sample
	for i := range 10 {
		mid = append(mid, Sample{Sent: 2*time.Second + time.Duration(i)*interval, Code: 200, LatencyUS: 10000})
	}
	in.Samples = append(append(append([]Sample{}, before...), mid...), after...)
	if res := analyze(t, in); res.RecoveryState == result.RecoveryNotObserved {
		t.Errorf("a second's worth of requests sent during the fault, yet not observed: %s", res.NotObservedWhy())
	}
}

// A fault window (first injection to last revert) with fewer than one
// second's worth of requests at the load's rate is not observed, whatever
// those requests answered: the verdict of apiserver-restart (downtime 0,
// no 5xx, no error) passed on such a window. Before, one request was
// enough. The count is in the result, and the reason names it.
func TestFewerThanASecondOfRequestsIsNotObserved(t *testing.T) {
	// 100 ms apart from 0: requests at 1.0, 1.1, ... before the revert.
	tests := []struct {
		name     string
		rate     float64
		revert   float64
		requests int
		needed   int
		observed bool
	}{
		{"9 requests at 10/s", 10, 1.9, 9, 10, false},
		{"10 requests at 10/s", 10, 2.0, 10, 10, true},
		{"10 requests at 20/s", 20, 2.0, 10, 20, false},
		{"no request before the revert", 10, 1.0, 0, 10, false},
		{"a fractional rate rounds up", 2.5, 1.2, 2, 3, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := Input{Samples: stream(ok(40)), Injections: []Mark{mark(1)}, Reverts: []Mark{mark(tt.revert)},
				Load: result.Load{Rate: tt.rate}, Params: Params{ConfirmationWindow: time.Second}}
			res := analyze(t, in)
			o := res.Observed
			if o == nil || o.Requests != tt.requests || o.Needed != tt.needed || !o.From.Equal(off(1)) || !o.To.Equal(off(tt.revert)) {
				t.Fatalf("observed %+v; want %d requests of %d needed, from the injection to the revert", o, tt.requests, tt.needed)
			}
			if got := res.Recovery() != result.RecoveryNotObserved; got != tt.observed {
				t.Errorf("recovery %q; want observed %v", res.Recovery(), tt.observed)
			}
			why := res.Unobserved()
			if tt.observed != (why == "") {
				t.Errorf("Unobserved() = %q; want it empty only when observed", why)
			}
			if !tt.observed && tt.requests > 0 && !strings.Contains(why, fmt.Sprintf("%d requests were sent in the fault window", tt.requests)) {
				t.Errorf("Unobserved() = %q; want the count named", why)
			}
		})
	}
	// Without a revert the window runs to the end of the run.
	res := analyze(t, Input{Samples: stream(ok(15)), Injections: []Mark{mark(1)}, Params: Params{ConfirmationWindow: time.Second}})
	if o := res.Observed; o == nil || o.Requests != 5 || res.Recovery() != result.RecoveryNotObserved || !strings.Contains(res.Unobserved(), "to the end of the run") {
		t.Errorf("observed %+v, recovery %q, why %q; want 5 requests to the end of the run, not observed", o, res.Recovery(), res.Unobserved())
	}
	// Without an injection there is no fault window to count.
	if res := analyze(t, Input{Samples: stream(ok(15))}); res.Observed != nil || res.Unobserved() != "" {
		t.Errorf("observed %+v without injection", res.Observed)
	}
}

// Recovery after the revert is measured from the last revert with no
// deadline: how long a fault nothing heals keeps the service down once it
// is undone.
func TestRecoveryAfterRevert(t *testing.T) {
	// ok until 1 s, failing from 1 s to 5 s, ok after; injected at 1 s.
	down := stream(ok(10), code(40, 503), ok(30))
	tests := []struct {
		name     string
		samples  []Sample
		end      float64
		reverts  []Mark
		state    result.RecoveryState
		recovery *float64
	}{
		{"back 2 s after the revert", down, 0, []Mark{mark(3)}, result.RecoveryRecovered, f(2000)},
		{"from the last revert", down, 0, []Mark{mark(2), mark(3.5)}, result.RecoveryRecovered, f(1500)},
		{"serving at the revert", down, 0, []Mark{mark(6)}, result.RecoveryRecovered, f(0)},
		{"never back", stream(ok(10), code(70, 503)), 0, []Mark{mark(3)}, result.RecoveryNotRecovered, nil},
		// Back at 5 s, but the run ends 0.5 s later: not confirmed.
		{"back too briefly to confirm", stream(ok(10), code(40, 503), ok(5)), 0, []Mark{mark(3)}, result.RecoveryNotRecovered, nil},
		{"no request after the revert", down, 0, []Mark{mark(9)}, result.RecoveryNotObserved, nil},
		{"no request at all", nil, 9, []Mark{mark(3)}, result.RecoveryNotObserved, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := Input{Samples: tt.samples, Injections: []Mark{mark(1)}, Reverts: tt.reverts,
				// The deadline ends before the revert, as mysql-node-halt's.
				Params: Params{ConfirmationWindow: time.Second, Deadline: 1500 * time.Millisecond}}
			if tt.end > 0 {
				in.End = off(tt.end)
			}
			res := analyze(t, in)
			ar := res.AfterRevert
			if ar == nil {
				t.Fatal("no after_revert in a result with a revert")
			}
			if ar.State != tt.state || !eqPtr(ar.RecoveryMS, tt.recovery) {
				t.Errorf("after revert %q %s; want %q %s", ar.State, str(ar.RecoveryMS), tt.state, str(tt.recovery))
			}
			if ar.RecoveryMS != nil {
				last := tt.reverts[len(tt.reverts)-1].At
				if got := ms(ar.RecoveredAt.Sub(last)); !eqPtr(&got, ar.RecoveryMS) {
					t.Errorf("recovered_at %s is %v ms after the revert, recovery_ms %v", ar.RecoveredAt, got, *ar.RecoveryMS)
				}
			}
			if res.Recovered && len(tt.samples) > 0 && tt.state != result.RecoveryNotObserved {
				t.Errorf("recovered within the 1.5 s deadline; the fixture fails for 4 s")
			}
		})
	}
	if res := analyze(t, Input{Samples: down, Injections: []Mark{mark(1)}}); res.AfterRevert != nil {
		t.Errorf("after_revert %+v without a revert", res.AfterRevert)
	}
}

// The achieved rate is over the window the load ran in: a constant-rate
// load begins one interval before its first request.
func TestAchievedRateFromTheLoadsBeginning(t *testing.T) {
	// 15 requests 100 ms apart, the first 100 ms after the load began, the
	// load stopping with the last one: 1.5 s of load.
	in := Input{Samples: stream(ok(15)), Begin: off(-0.1), End: off(1.4)}
	if got := analyze(t, in).Load.Achieved; got != 10 {
		t.Errorf("achieved %v/s; want 10 (15 requests in 1.5 s)", got)
	}
	// Without the beginning, the first send stands in for it.
	in.Begin = time.Time{}
	if got := analyze(t, in).Load.Achieved; got != 10.71 {
		t.Errorf("achieved %v/s without Begin; want 15/1.4 s = 10.71", got)
	}
}
