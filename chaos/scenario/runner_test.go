package scenario

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/selfheal/selfheal/chaos/fault"
	"github.com/selfheal/selfheal/chaos/load"
	"github.com/selfheal/selfheal/chaos/measure"
	"github.com/selfheal/selfheal/chaos/result"
)

// app is a server the test breaks: while broken it answers 503. With a
// lag it looks at its state that long after a request arrived, as a busy
// server does.
type app struct {
	broken atomic.Bool
	lag    time.Duration
	srv    *httptest.Server
}

func newApp(t *testing.T) *app {
	a := &app{}
	a.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(a.lag)
		if a.broken.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ok"))
	}))
	t.Cleanup(a.srv.Close)
	return a
}

func (a *app) steady(ctx context.Context) (bool, string, error) {
	if a.broken.Load() {
		return false, "app broken", nil
	}
	return true, "", nil
}

// breakFor is a fault that breaks the app and heals it after a while, as
// a liveness restart would.
type breakFor struct {
	app       *app
	heal      time.Duration
	injectErr error
	block     bool // Inject waits for ctx to end
	// unproven leaves out the evidence a real fault reads back; bit false
	// with it unset records evidence that the fault did not take effect.
	unproven bool
	mu       sync.Mutex
	reverts  int
	healedAt time.Time
	injectAt time.Time
	revertAt time.Time
}

func (f *breakFor) Name() string { return "break" }

func (f *breakFor) Inject(ctx context.Context, m fault.Marker) error {
	f.app.broken.Store(true)
	f.mu.Lock()
	f.injectAt = time.Now()
	f.mu.Unlock()
	m.Injected("503 for " + f.heal.String())
	if !f.unproven {
		m.Proved(result.Evidence{Check: "the test app's broken flag", Observed: "set", Held: f.app.broken.Load()})
	}
	if f.heal > 0 {
		time.AfterFunc(f.heal, func() {
			f.mu.Lock()
			f.healedAt = time.Now()
			f.mu.Unlock()
			f.app.broken.Store(false)
		})
	}
	if f.block {
		<-ctx.Done()
		return ctx.Err()
	}
	return f.injectErr
}

func (f *breakFor) Revert(ctx context.Context, m fault.Marker) error {
	f.mu.Lock()
	f.reverts++
	f.revertAt = time.Now()
	f.mu.Unlock()
	if f.app.broken.Swap(false) {
		m.Reverted("unbroken")
	}
	return nil
}

type events struct {
	mu  sync.Mutex
	all []result.Event
}

func (e *events) Add(ev result.Event) { e.mu.Lock(); e.all = append(e.all, ev); e.mu.Unlock() }
func (e *events) Between(from, to time.Time) []result.Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]result.Event(nil), e.all...)
}

func fastTiming() Timing {
	return Timing{Warmup: time.Second, Deadline: 10 * time.Second, Confirmation: time.Second, SteadyTimeout: 5 * time.Second, Tail: 200 * time.Millisecond}
}

func runner(a *app, ev Events) *Runner {
	return NewRunner([]string{a.srv.URL}, WithLoad(load.Rate(50), load.Timeout(500*time.Millisecond)), WithEvents(ev), WithPoll(50*time.Millisecond))
}

func TestRunnerMeasuresRecoveryAndHealing(t *testing.T) {
	a := newApp(t)
	f := &breakFor{app: a, heal: 2 * time.Second}
	ev := &events{}
	s := Scenario{Name: "break", Fault: f, Steady: a.steady, Timing: fastTiming(),
		Budgets: Budgets{Recovery: Dur(5 * time.Second), Server5xx: Requests(0), MustRecover: true}}
	res, err := runner(a, ev).Run(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	want := f.healedAt.Sub(f.injectAt)
	got := time.Duration(*res.RecoveryMS * float64(time.Millisecond))
	// Edges are good to one request interval (20 ms) plus scheduling.
	if d := got - want; d < -25*time.Millisecond || d > 45*time.Millisecond {
		t.Errorf("recovery %s, the app was broken for %s", got, want)
	}
	if !res.Healing.Healed || *res.Healing.MS < float64(want.Milliseconds())-10 || *res.Healing.MS > float64(want.Milliseconds())+200 {
		t.Errorf("healing %+v, want about %s (poll 50 ms)", res.Healing, want)
	}
	if res.Server5xx == 0 || res.Verdict != result.VerdictFail {
		t.Errorf("5xx %d verdict %s; want 5xx > 0 and the 5xx budget failing", res.Server5xx, res.Verdict)
	}
	var failed []result.MetricKey
	for _, b := range res.Budgets {
		if !b.Pass {
			failed = append(failed, b.Metric)
		}
	}
	if len(failed) != 1 || failed[0] != result.Key5xx {
		t.Errorf("failed budgets %v, want only server_5xx: %+v", failed, res.Budgets)
	}
	if f.reverts != 1 {
		t.Errorf("reverted %d times, want 1", f.reverts)
	}
	if len(ev.all) == 0 || ev.all[0].Reason != "Injected" {
		t.Errorf("the injection is not in the timeline: %+v", ev.all)
	}
	if res.Requests.Total < 100 {
		t.Errorf("only %d requests", res.Requests.Total)
	}
}

// A timed fault stays in place for its Hold although the service
// recovered long before: the revert comes no earlier.
func TestRunnerHoldsATimedFault(t *testing.T) {
	a := newApp(t)
	f := &breakFor{app: a, heal: 300 * time.Millisecond}
	tm := fastTiming()
	tm.Hold = 4 * time.Second
	tm.Deadline = time.Second // shorter than the hold: the hold wins
	s := Scenario{Name: "timed", Fault: f, Steady: a.steady, Timing: tm, Budgets: Budgets{MustRecover: true}}
	res, err := runner(a, nil).Run(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	if held := f.revertAt.Sub(f.injectAt); held < tm.Hold {
		t.Errorf("reverted %s after the injection, before the %s hold was over", held, tm.Hold)
	}
	if !res.Recovered {
		t.Errorf("not recovered; the app healed after 300 ms: %+v", res)
	}
}

// The revert at the deadline waits for the requests sent before it: a
// request sent within the deadline but served by the reverted app would
// read as a recovery within the deadline of a fault that never healed.
func TestRunnerRevertsAfterInFlightRequests(t *testing.T) {
	a := newApp(t)
	a.lag = 300 * time.Millisecond
	f := &breakFor{app: a} // never heals by itself
	tm := fastTiming()
	tm.Deadline = 2 * time.Second
	s := Scenario{Name: "stuck", Fault: f, Steady: a.steady, Timing: tm, Budgets: Budgets{MustRecover: true}}
	res, err := runner(a, nil).Run(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	if res.Recovered || res.Verdict != result.VerdictFail {
		t.Errorf("recovered %v (%s) verdict %s: the app never healed before its revert", res.Recovered, msText(res.RecoveryMS), res.Verdict)
	}
	if held := f.revertAt.Sub(f.injectAt); held < tm.Deadline+500*time.Millisecond {
		t.Errorf("reverted %s after the injection; the requests sent before the %s deadline were still in flight", held, tm.Deadline)
	}
}

func TestRunnerReportsNotRecovered(t *testing.T) {
	a := newApp(t)
	f := &breakFor{app: a} // never heals by itself
	tm := fastTiming()
	tm.Deadline = 2 * time.Second
	s := Scenario{Name: "stuck", Fault: f, Steady: a.steady, Timing: tm, Budgets: Budgets{MustRecover: true}}
	res, err := runner(a, nil).Run(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	if res.Server5xx == 0 {
		// Seen beside a full -race test run on 2 cores: the load side
		// stalled through the whole fault, so no request saw it. That must
		// read "not observed", never "recovered".
		if res.Recovery() != result.RecoveryNotObserved || res.Verdict == result.VerdictPass {
			t.Errorf("no request saw the fault (load gap %.0f ms), yet recovery %q verdict %s", res.Load.MaxSendGapMS, res.Recovery(), res.Verdict)
		}
		return
	}
	if res.Recovered || res.Verdict != result.VerdictFail || res.Healing.Healed {
		t.Errorf("recovered %v healed %v (%+v) verdict %s; want not recovered, not healed, fail", res.Recovered, res.Healing.Healed, *res.Healing, res.Verdict)
	}
	if f.reverts != 1 || a.broken.Load() {
		t.Errorf("reverts %d, broken %v: the fault must be reverted", f.reverts, a.broken.Load())
	}
}

func TestRunnerRevertsOnEveryPath(t *testing.T) {
	tests := []struct {
		name  string
		fault func(a *app) *breakFor
		ctx   func() (context.Context, context.CancelFunc)
		want  string
	}{
		{"inject fails", func(a *app) *breakFor { return &breakFor{app: a, injectErr: errors.New("boom")} },
			func() (context.Context, context.CancelFunc) { return context.WithCancel(context.Background()) }, "boom"},
		{"interrupted while injecting", func(a *app) *breakFor { return &breakFor{app: a, block: true} },
			func() (context.Context, context.CancelFunc) {
				return context.WithTimeout(context.Background(), 2*time.Second)
			}, "deadline exceeded"},
		{"interrupted while observing", func(a *app) *breakFor { return &breakFor{app: a} },
			func() (context.Context, context.CancelFunc) {
				return context.WithTimeout(context.Background(), 2500*time.Millisecond)
			}, "interrupted while observing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newApp(t)
			f := tt.fault(a)
			ctx, cancel := tt.ctx()
			defer cancel()
			s := Scenario{Name: "x", Fault: f, Steady: a.steady, Timing: fastTiming()}
			res, err := runner(a, nil).Run(ctx, s)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			if f.reverts != 1 || a.broken.Load() {
				t.Errorf("reverts %d, broken %v", f.reverts, a.broken.Load())
			}
			if res == nil || res.Verdict != result.VerdictError || !strings.Contains(res.Error, tt.want) {
				t.Errorf("result %+v; want verdict error naming %q", res, tt.want)
			}
		})
	}
}

func TestRunnerRefusesABrokenBaseline(t *testing.T) {
	a := newApp(t)
	f := &breakFor{app: a}
	steadyButFailing := func(ctx context.Context) (bool, string, error) { return true, "", nil }
	a.broken.Store(true)
	tm := fastTiming()
	tm.WarmupLimit = 2 * time.Second
	_, err := runner(a, nil).Run(context.Background(), Scenario{Name: "x", Fault: f, Steady: steadyButFailing, Timing: tm})
	if err == nil || !strings.Contains(err.Error(), "before any fault") {
		t.Fatalf("err = %v, want a refusal naming the warm-up", err)
	}
	if f.injectAt != (time.Time{}) {
		t.Error("the fault was injected into an app that was already failing")
	}
}

// record is an active-fault record in memory.
type record struct {
	mu     sync.Mutex
	active map[string]fault.Undo
	n      int
}

func (r *record) Begin(_ context.Context, scenario, _ string, u fault.Undo) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.active == nil {
		r.active = map[string]fault.Undo{}
	}
	r.n++
	id := scenario + "." + string(rune('0'+r.n))
	r.active[id] = u
	return id, nil
}

func (r *record) End(_ context.Context, ids ...string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, id := range ids {
		delete(r.active, id)
	}
	return nil
}

// recordedBreak is breakFor that records its Undo first, and whose revert
// can fail.
type recordedBreak struct {
	*breakFor
	revertErr error
}

func (f *recordedBreak) Inject(ctx context.Context, m fault.Marker) error {
	if err := m.Breaking(ctx, fault.Undo{Kind: "test", Detail: "app answers 503"}); err != nil {
		return err
	}
	return f.breakFor.Inject(ctx, m)
}

func (f *recordedBreak) Revert(ctx context.Context, m fault.Marker) error {
	if f.revertErr != nil {
		return f.revertErr
	}
	return f.breakFor.Revert(ctx, m)
}

func TestRecordHoldsTheFaultUntilItIsReverted(t *testing.T) {
	for _, revertErr := range []error{nil, errors.New("docker start failed")} {
		a := newApp(t)
		rec := &record{}
		f := &recordedBreak{breakFor: &breakFor{app: a, heal: 500 * time.Millisecond}, revertErr: revertErr}
		r := NewRunner([]string{a.srv.URL}, WithLoad(load.Rate(50), load.Timeout(500*time.Millisecond)), WithPoll(50*time.Millisecond), WithRecord(rec))
		_, err := r.Run(context.Background(), Scenario{Name: "x", Fault: f, Steady: a.steady, Timing: fastTiming()})
		switch {
		case revertErr == nil && (err != nil || len(rec.active) != 0):
			t.Errorf("reverted: err %v, record %v; want it empty", err, rec.active)
		case revertErr != nil && (err == nil || len(rec.active) != 1 || !strings.Contains(err.Error(), "the next run repairs it")):
			t.Errorf("revert failed: err %v, record %v; want the entry kept and the error saying so", err, rec.active)
		}
		if rec.n != 1 {
			t.Errorf("%d entries written, want 1", rec.n)
		}
	}
}

// A panic in the healing watcher or in the load must not take the process
// down with the fault in place: the run ends with an error and reverts.
func TestPanicsStillRevert(t *testing.T) {
	tests := []struct {
		name   string
		steady func(a *app) func(context.Context) (bool, string, error)
		sink   func(load.Sink) load.Sink
		want   string
	}{
		{"healing watcher", func(a *app) func(context.Context) (bool, string, error) {
			return func(ctx context.Context) (bool, string, error) {
				if a.broken.Load() {
					panic("steady check exploded")
				}
				return true, "", nil
			}
		}, nil, "panic in the healing watcher: steady check exploded"},
		{"load", func(a *app) func(context.Context) (bool, string, error) { return a.steady },
			func(s load.Sink) load.Sink { return &panicSink{Sink: s, after: 80} }, "panic in the load: sink exploded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newApp(t)
			f := &breakFor{app: a} // never heals: only the revert unbreaks it
			r := runner(a, nil)
			r.wrapSink = tt.sink
			tm := fastTiming()
			tm.Deadline = time.Minute
			done := make(chan struct{})
			var res *result.Result
			var err error
			go func() {
				defer close(done)
				res, err = r.Run(context.Background(), Scenario{Name: "x", Fault: f, Steady: tt.steady(a), Timing: tm})
			}()
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				t.Fatal("the run did not end after the panic")
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			if f.reverts != 1 || a.broken.Load() {
				t.Errorf("reverts %d, broken %v: the fault must be reverted", f.reverts, a.broken.Load())
			}
			if res == nil || res.Verdict != result.VerdictError {
				t.Errorf("result %+v; want verdict error", res)
			}
		})
	}
}

// panicSink panics in the load's goroutine after some requests, once the
// fault is in (the warm-up at 50/s takes 50).
type panicSink struct {
	load.Sink
	after, n int
}

func (p *panicSink) Record(o measure.Outcome) {
	p.n++
	if p.n == p.after {
		panic("sink exploded")
	}
	p.Sink.Record(o)
}

func msText(v *float64) string {
	if v == nil {
		return "none"
	}
	return fmt.Sprintf("%.0f ms", *v)
}

// An app whose healthy answers are below 400 (chaos/app.Load.FailOn4xx)
// has its 4xx counted as failures; by default they are answers, counted
// apart.
func TestRunnerFailOn4xx(t *testing.T) {
	for _, failOn4xx := range []bool{false, true} {
		t.Run(fmt.Sprint(failOn4xx), func(t *testing.T) {
			var broken atomic.Bool
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if broken.Load() {
					w.WriteHeader(http.StatusNotFound)
					return
				}
				w.Write([]byte("ok"))
			}))
			t.Cleanup(srv.Close)
			a := &app{srv: srv}
			f := &notFoundFor{broken: &broken, heal: time.Second}
			r := NewRunner([]string{srv.URL}, WithLoad(load.Rate(50), load.Timeout(500*time.Millisecond)), WithPoll(50*time.Millisecond), WithFailOn4xx(failOn4xx))
			res, err := r.Run(context.Background(), Scenario{Name: "x", Fault: f, Steady: a.steady, Timing: fastTiming()})
			if err != nil {
				t.Fatal(err)
			}
			if res.Client4xx == 0 {
				t.Fatal("no 404 was answered: the fault did not bite")
			}
			if got := res.DowntimeMS > 0; got != failOn4xx {
				t.Errorf("downtime %.0f ms with FailOn4xx %v: the 404s count as failures %v, want %v", res.DowntimeMS, failOn4xx, got, failOn4xx)
			}
			if !res.Recovered || res.Analysis.FailOn4xx != failOn4xx {
				t.Errorf("recovered %v, analysis fail_on_4xx %v", res.Recovered, res.Analysis.FailOn4xx)
			}
		})
	}
}

// notFoundFor answers 404 for a while, as an app that lost its routes.
type notFoundFor struct {
	broken *atomic.Bool
	heal   time.Duration
}

func (f *notFoundFor) Name() string { return "not-found" }

func (f *notFoundFor) Inject(_ context.Context, m fault.Marker) error {
	f.broken.Store(true)
	m.Injected("404 for " + f.heal.String())
	m.Proved(result.Evidence{Check: "the test app's broken flag", Observed: "set", Held: true})
	time.AfterFunc(f.heal, func() { f.broken.Store(false) })
	return nil
}

func (f *notFoundFor) Revert(context.Context, fault.Marker) error { f.broken.Store(false); return nil }
