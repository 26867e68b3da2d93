package scenario

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/selfheal/selfheal/chaos/fault"
	"github.com/selfheal/selfheal/chaos/load"
	"github.com/selfheal/selfheal/chaos/result"
)

// app is a server the test breaks: while broken it answers 503.
type app struct {
	broken atomic.Bool
	srv    *httptest.Server
}

func newApp(t *testing.T) *app {
	a := &app{}
	a.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
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
	mu        sync.Mutex
	reverts   int
	healedAt  time.Time
	injectAt  time.Time
}

func (f *breakFor) Name() string { return "break" }

func (f *breakFor) Inject(ctx context.Context, m fault.Marker) error {
	f.app.broken.Store(true)
	f.mu.Lock()
	f.injectAt = time.Now()
	f.mu.Unlock()
	m.Injected("503 for " + f.heal.String())
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
		Budgets: Budgets{Recovery: Dur(5 * time.Second), Server5xx: Count(0), MustRecover: true}}
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
