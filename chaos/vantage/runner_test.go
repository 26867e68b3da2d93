package vantage_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/selfheal/selfheal/chaos/fault"
	"github.com/selfheal/selfheal/chaos/load"
	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/chaos/scenario"
	"github.com/selfheal/selfheal/chaos/vantage"
)

// switchable answers 503 while broken.
type switchable struct {
	broken atomic.Bool
	srv    *httptest.Server
}

func newSwitchable(t *testing.T) *switchable {
	s := &switchable{}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if s.broken.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	t.Cleanup(s.srv.Close)
	return s
}

// pathFault breaks the path to everything for a while (the app and the
// control server alike, as a harness-side network fault would), then the
// app alone.
type pathFault struct {
	app, control *switchable
	path, app2   time.Duration
	pathFrom     time.Time
	pathTo       time.Time
	appTo        time.Time
}

func (f *pathFault) Name() string { return "path" }

func (f *pathFault) Inject(_ context.Context, m fault.Marker) error {
	f.app.broken.Store(true)
	f.control.broken.Store(true)
	f.pathFrom = time.Now()
	m.Injected("the path and the app")
	m.Proved(result.Evidence{Check: "broken", Observed: "both", Held: true})
	time.AfterFunc(f.path, func() { f.pathTo = time.Now(); f.control.broken.Store(false) })
	time.AfterFunc(f.path+f.app2, func() { f.appTo = time.Now(); f.app.broken.Store(false) })
	return nil
}

func (f *pathFault) Revert(context.Context, fault.Marker) error { return nil }

// The engine measures every vantage point from the same fault instants
// and charges the outside downtime to the app only where the control
// probe succeeded.
func TestRunnerWithVantagePoints(t *testing.T) {
	app, control := newSwitchable(t), newSwitchable(t)
	f := &pathFault{app: app, control: control, path: 1200 * time.Millisecond, app2: 800 * time.Millisecond}
	opts := []load.Option{load.Rate(50), load.Timeout(500 * time.Millisecond)}
	ctl, err := vantage.NewControl(control.srv.URL+"/", false, opts...)
	if err != nil {
		t.Fatal(err)
	}
	reused, err := vantage.NewHarness(result.VantagePoint{Name: "outside-reused", Kind: result.VantageOutside, Connections: result.ConnectionsReused},
		[]string{app.srv.URL + "/"}, append(opts, load.KeepAlive(true))...)
	if err != nil {
		t.Fatal(err)
	}
	r := scenario.NewRunner([]string{app.srv.URL + "/"}, scenario.WithLoad(append(opts, load.KeepAlive(false))...),
		scenario.WithPoll(50*time.Millisecond), scenario.WithVantages(ctl, reused))
	steady := func(context.Context) (bool, string, error) { return !app.broken.Load(), "", nil }
	res, err := r.Run(t.Context(), scenario.Scenario{Name: "path", Fault: f, Steady: steady,
		Timing: scenario.Timing{Warmup: time.Second, Deadline: 10 * time.Second, Confirmation: time.Second, SteadyTimeout: 5 * time.Second, Tail: 200 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Vantage == nil || res.Vantage.Kind != result.VantageOutside || res.Vantage.Connections != result.ConnectionsNew {
		t.Fatalf("top-level vantage %+v; want the outside, new connections", res.Vantage)
	}
	c, ok := res.VantageByName("control")
	if !ok || c.Kind != result.VantageControl || len(c.Outages) != 1 {
		t.Fatalf("control vantage %+v; want one outage", c)
	}
	o, ok := res.VantageByName("outside-reused")
	if !ok || o.Connections != result.ConnectionsReused || len(o.Outages) != 1 || len(o.Timeline) == 0 {
		t.Fatalf("outside-reused vantage %+v", o)
	}
	if got := res.VantageNames(); len(got) != 3 || got[0] != "outside" {
		t.Errorf("vantage names %v", got)
	}
	ch := res.Charged
	if ch == nil {
		t.Fatal("no charge with a control probe")
	}
	// Edges are good to one request interval (20 ms) plus scheduling.
	tol := 60.0
	excused := float64(f.pathTo.Sub(f.pathFrom).Milliseconds())
	charged := float64(f.appTo.Sub(f.pathTo).Milliseconds())
	if d := ch.ExcusedMS - excused; d < -tol || d > tol {
		t.Errorf("excused %.0f ms; the path failed for %.0f ms", ch.ExcusedMS, excused)
	}
	if d := ch.DowntimeMS - charged; d < -tol || d > tol {
		t.Errorf("charged %.0f ms; the app alone failed for %.0f ms", ch.DowntimeMS, charged)
	}
	if d := ch.DowntimeMS + ch.ExcusedMS - res.DowntimeMS; d < -0.01 || d > 0.01 {
		t.Errorf("charged %v + excused %v != outside downtime %v", ch.DowntimeMS, ch.ExcusedMS, res.DowntimeMS)
	}
}
