package scenario

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/selfheal/selfheal/chaos/fault"
	"github.com/selfheal/selfheal/chaos/load"
	"github.com/selfheal/selfheal/chaos/measure"
	"github.com/selfheal/selfheal/chaos/result"
)

// quiet is a fault the app never notices, as apiserver-restart's: it
// proves it took effect, and while it is in place the load's sink lets
// only the first `let` requests sent through, as a load side that
// stalled through the fault would.
type quiet struct {
	blind *blindSink
}

func (q *quiet) Name() string { return "quiet" }

func (q *quiet) Inject(_ context.Context, m fault.Marker) error {
	q.blind.window(true)
	m.Injected("nothing the app sees")
	m.Proved(result.Evidence{Check: "the test's flag", Observed: "set", Held: true})
	return nil
}

func (q *quiet) Revert(_ context.Context, m fault.Marker) error {
	q.blind.window(false)
	m.Reverted("flag cleared")
	return nil
}

// blindSink drops every request sent while the fault is in place (from
// the injection to the revert, by send time) after the first let.
type blindSink struct {
	load.Sink
	let         int
	mu          sync.Mutex
	from, until time.Time
	seen        int
}

// window opens (at the injection) or closes (at the revert) the stretch
// of send times the sink is blind to.
func (b *blindSink) window(open bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if open {
		b.from = time.Now()
		return
	}
	b.until = time.Now()
}

func (b *blindSink) Record(o measure.Outcome) {
	b.mu.Lock()
	in := !b.from.IsZero() && !o.Sent.Before(b.from) && (b.until.IsZero() || o.Sent.Before(b.until))
	if in {
		b.seen++
	}
	drop := in && b.seen > b.let
	b.mu.Unlock()
	if !drop {
		b.Sink.Record(o)
	}
}

// A verdict that rests on the fault window needs requests in it: with
// none, or fewer than one second's worth (50 at 50/s), downtime 0, no 5xx
// and no transport error are no evidence, and the scenario is an error
// naming the count. Before, both passed (apiserver-restart's budgets are
// those three known zeros).
func TestRunnerErrorsWhenTheLoadSawNothingOfTheFault(t *testing.T) {
	tests := []struct {
		name string
		let  int
		want string
	}{
		{"no request in the fault window", 0, "the load observed nothing of the fault: no request was sent while the fault was in place"},
		{"fewer than a second's worth", 5, "5 requests were sent in the fault window"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newApp(t)
			blind := &blindSink{let: tt.let}
			r := runner(a, nil)
			r.wrapSink = func(s load.Sink) load.Sink { blind.Sink = s; return blind }
			s := Scenario{Name: "apiserver-like", Fault: &quiet{blind: blind}, Steady: a.steady, Timing: fastTiming(),
				Budgets: Budgets{Downtime: Dur(0), Server5xx: Requests(0), TransportErrors: Requests(0)}}
			res, err := r.Run(context.Background(), s)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v; want it to say %q", err, tt.want)
			}
			if res.Verdict != result.VerdictError || !strings.Contains(res.Error, tt.want) {
				t.Errorf("verdict %s (%s); want error saying %q", res.Verdict, res.Error, tt.want)
			}
			if o := res.Observed; o == nil || o.Requests != tt.let || o.Needed != 50 {
				t.Errorf("observed %+v; want %d requests of the 50 needed", o, tt.let)
			}
			if res.Recovery() != result.RecoveryNotObserved {
				t.Errorf("recovery %q; want not observed", res.Recovery())
			}
		})
	}
}
