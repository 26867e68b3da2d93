package scenario

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/selfheal/selfheal/chaos/fault"
	"github.com/selfheal/selfheal/chaos/host"
	"github.com/selfheal/selfheal/chaos/kube"
	"github.com/selfheal/selfheal/chaos/load"
	"github.com/selfheal/selfheal/chaos/measure"
	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/chaos/writes"
)

// Console is where the runner tells a person what is happening.
type Console interface {
	Logf(format string, args ...any)
	Progress(line string)
	Done()
}

// Record is the active-fault record (chaos/guard.Record): a fault's Undo
// is written to it before the fault breaks anything, and cleared once the
// revert is done, so a killed run's faults can be repaired by the next.
type Record interface {
	Begin(ctx context.Context, scenario, fault string, u fault.Undo) (id string, err error)
	End(ctx context.Context, ids ...string) error
}

// Events is the Kubernetes timeline the runner slices per scenario and
// writes its own fault instants into (chaos/timeline.Recorder).
type Events interface {
	Add(result.Event)
	Between(from, to time.Time) []result.Event
}

// Runner runs scenarios against one set of URLs.
type Runner struct {
	targets     []string
	loadOptions []load.Option
	events      Events
	record      Record
	console     Console
	statusLine  func(measure.Status, time.Time) string
	every       time.Duration
	run         *result.RunInfo
	poll        time.Duration
	// maxBaselineFailures is the share of failed requests during warm-up
	// above which the scenario is not run: the app was already broken.
	maxBaselineFailures float64
	host                HostPolicy
	// wrapSink lets a test stand between the load and the recorder.
	wrapSink func(load.Sink) load.Sink
	writes   *Writes
	vantages []Vantage
	// failOn4xx counts 4xx answers as failures (the app's healthy answer
	// is below 400).
	failOn4xx bool
}

// Writes is where the write stream of a scenario that asks for one
// (Scenario.Writes) goes, and the database it is checked against.
type Writes struct {
	// URL is the write endpoint (fixtures/wordpress.WritesURL).
	URL   string
	Store writes.Store
	// Options are the stream's (rate, timeout).
	Options []writes.Option
	// CheckTimeout bounds the reading of the database after the scenario,
	// attempts every CheckEvery included (defaults 2 min and 2 s): the
	// database may still be coming back.
	CheckTimeout, CheckEvery time.Duration
}

// Option configures a Runner.
type Option func(*Runner)

// WithLoad sets the load options (rate, timeout, keep-alive...).
func WithLoad(opts ...load.Option) Option {
	return func(r *Runner) { r.loadOptions = append(r.loadOptions, opts...) }
}

// WithEvents attaches the Kubernetes timeline.
func WithEvents(e Events) Option { return func(r *Runner) { r.events = e } }

// WithRecord keeps every fault in the active-fault record while it is in
// place. Without one, nothing outlives the process to repair a fault it
// left behind.
func WithRecord(r Record) Option { return func(x *Runner) { x.record = r } }

// WithConsole shows progress and a status line every interval, rendered
// by line.
func WithConsole(c Console, every time.Duration, line func(measure.Status, time.Time) string) Option {
	return func(r *Runner) { r.console, r.every, r.statusLine = c, every, line }
}

// WithRunInfo stamps every result with the run it belongs to.
func WithRunInfo(info result.RunInfo) Option { return func(r *Runner) { r.run = &info } }

// WithWrites sends the write stream of every scenario that asks for one
// to w.URL and checks it against w.Store afterwards.
func WithWrites(w Writes) Option {
	if w.CheckTimeout <= 0 {
		w.CheckTimeout = 2 * time.Minute
	}
	if w.CheckEvery <= 0 {
		w.CheckEvery = 2 * time.Second
	}
	return func(r *Runner) { r.writes = &w }
}

// WithFailOn4xx counts a 4xx answer as a failure, for an app whose
// healthy answers are all below 400 (chaos/app.Load.FailOn4xx).
func WithFailOn4xx(on bool) Option { return func(r *Runner) { r.failOn4xx = on } }

// WithPoll sets how often the desired state and recovery are checked.
func WithPoll(d time.Duration) Option { return func(r *Runner) { r.poll = d } }

// NewRunner returns a runner that loads targets.
func NewRunner(targets []string, opts ...Option) *Runner {
	r := &Runner{targets: targets, console: nopConsole{}, poll: 500 * time.Millisecond, maxBaselineFailures: 0.01}
	for _, o := range opts {
		o(r)
	}
	return r
}

type nopConsole struct{}

func (nopConsole) Logf(string, ...any) {}
func (nopConsole) Progress(string)     {}
func (nopConsole) Done()               {}

// run is the state of one scenario run.
type run struct {
	*Runner
	s        Scenario
	t        Timing
	began    time.Time // when Run was called
	rec      *measure.Recorder
	gen      *load.Generator
	stats    load.Stats
	loadErr  error
	loadDone chan struct{}
	// crash ends the run's context when one of its goroutines panicked,
	// so the fault is still reverted.
	crash   context.CancelCauseFunc
	phase   phaseText
	healing healing
	notes   []string
	hostRec *host.Recording
	// proof is what the fault read back to show it took effect.
	proof proof
	// The write stream: its writes once it stopped, and what the check
	// made of them.
	stream     *writes.Stream
	sent       []writes.Write
	writesDone chan struct{}
	writes     *result.Writes
	// The vantage points beside the outside load: running until the
	// load stopped, then what they saw.
	running []Running
	seen    []Seen
}

type phaseText struct {
	mu   sync.Mutex
	text string
}

func (p *phaseText) set(s string) { p.mu.Lock(); p.text = s; p.mu.Unlock() }
func (p *phaseText) get() string  { p.mu.Lock(); defer p.mu.Unlock(); return p.text }

// Run runs s and returns its result. The result is returned with any
// error after s was found valid, also when the scenario failed before its
// load started (preparing, the steady state, the load itself): its verdict
// is then "error" and its Error field says what went wrong. A budget miss
// is not an error: it is the verdict "fail".
func (r *Runner) Run(ctx context.Context, s Scenario) (*result.Result, error) {
	if err := s.validate(); err != nil {
		return nil, err
	}
	x := &run{Runner: r, s: s, t: s.Timing.withDefaults(), began: time.Now()}
	x.phase.set("checking the steady state")
	r.console.Logf("[%s] %s", s.Name, s.Description)
	if s.Prepare != nil {
		if err := s.Prepare(ctx); err != nil {
			return x.early(fmt.Errorf("scenario %s: preparing: %w", s.Name, err))
		}
	}
	if err := kube.WaitFor(ctx, s.Steady, time.Second, x.t.SteadyTimeout); err != nil {
		return x.early(fmt.Errorf("scenario %s: the workload is not at its desired state before the fault, so nothing would be measured: %w", s.Name, err))
	}
	gen, err := load.New(r.targets, append([]load.Option{load.Name(s.Name)}, r.loadOptions...)...)
	if err != nil {
		return x.early(fmt.Errorf("scenario %s: %w", s.Name, err))
	}
	x.gen, x.rec = gen, measure.NewRecorder()
	if err := x.newStream(); err != nil {
		return x.early(fmt.Errorf("scenario %s: %w", s.Name, err))
	}
	if err := x.startVantages(ctx); err != nil {
		return x.early(fmt.Errorf("scenario %s: %w", s.Name, err))
	}
	// Whatever ends the run, no loader is left sending.
	defer x.stopVantages(ctx)
	// A panic in one of the run's goroutines ends ctx with the panic as
	// its cause: the fault phases stop and the revert still runs.
	ctx, x.crash = context.WithCancelCause(ctx)
	defer x.crash(nil)

	// The load outlives ctx: after a cancel it keeps measuring the revert,
	// and is stopped by stopLoad once the revert is done.
	loadCtx, stopLoad := context.WithCancel(context.WithoutCancel(ctx))
	defer stopLoad()
	stopHost := x.sampleHost(ctx)
	defer stopHost()
	loadDone := make(chan struct{})
	x.loadDone = loadDone
	var sink load.Sink = x.rec
	if r.wrapSink != nil {
		sink = r.wrapSink(sink)
	}
	go func() {
		defer close(loadDone)
		defer x.recoverAs("the load")
		x.stats, x.loadErr = gen.Run(loadCtx, sink)
	}()
	x.startWrites(loadCtx)
	stopStatus := x.showStatus()
	defer stopStatus()
	select {
	case <-x.rec.Started():
	case <-loadDone:
		stopStatus()
		return x.early(fmt.Errorf("scenario %s: the load did not start: %w", s.Name, x.loadErr))
	}

	runErr := x.faultPhases(ctx)

	if runErr == nil || ctx.Err() == nil {
		x.phase.set("tail")
		sleep(ctx, x.t.Tail)
	}
	stopLoad()
	<-loadDone
	stopStatus()
	x.stopVantages(ctx)
	x.checkWrites(ctx)
	return x.result(runErr)
}

// faultPhases warms up, injects, observes and reverts. The revert runs
// whatever happens before it, on a context of its own.
func (x *run) faultPhases(ctx context.Context) (err error) {
	if err := x.warmUp(ctx); err != nil {
		return err
	}

	m := &marker{run: x, fault: x.s.Fault.Name()}
	defer func() {
		if rerr := x.revert(ctx, m); rerr != nil {
			err = errors.Join(err, rerr)
		}
	}()
	x.phase.set("injecting")
	watchCtx, stopWatch := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWatch()
	x.healing.watch(watchCtx, x.s.Steady, x.poll, m.firstInjection, x.recoverAs)
	if err := x.s.Fault.Inject(ctx, m); err != nil {
		return fmt.Errorf("injecting %s: %w", x.s.Fault.Name(), err)
	}
	if m.count() == 0 {
		return fmt.Errorf("injecting %s: the fault reported no injection", x.s.Fault.Name())
	}
	err = x.observe(ctx, m)
	stopWatch()
	return err
}

// observe waits until the service recovered and the workload healed, or
// the deadline after the last injection passes; never before the fault's
// Hold is over. Not recovering is a finding, not an error.
func (x *run) observe(ctx context.Context, m *marker) error {
	x.phase.set("observing")
	deadline := m.last().Add(x.t.Deadline)
	timeout := x.gen.Settings().TimeoutMS
	// A request sent before now may still be in flight and fail: only a
	// success run older than the window plus the request timeout is sure.
	inFlight := time.Duration(timeout*float64(time.Millisecond)) + 500*time.Millisecond
	margin := x.t.Confirmation + inFlight
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return fmt.Errorf("interrupted while observing: %w", context.Cause(ctx))
		case now := <-tick.C:
			if now.Before(m.last().Add(x.t.Hold)) {
				continue
			}
			recovered := x.recoveredBy(now, margin)
			healed, seenBroken := x.healing.state()
			// A fault Kubernetes never noticed (a tcpSocket probe and a
			// broken config) gives nothing to wait for on its side.
			if recovered && (healed || (!seenBroken && now.Sub(m.last()) > margin)) {
				return nil
			}
			// Revert only once the requests sent before the deadline have
			// been answered: the analysis judges them as the fault's, so
			// none may be served by the reverted app.
			if now.After(deadline.Add(inFlight)) {
				x.notes = append(x.notes, fmt.Sprintf("Observation stopped at the deadline, %s after the last injection (recovered: %v, healed: %v).", x.t.Deadline, recovered, healed))
				return nil
			}
		}
	}
}

// recoveredBy analyses the requests so far and reports whether a recovery
// has been confirmed long enough ago that nothing still in flight can undo
// it.
func (x *run) recoveredBy(now time.Time, margin time.Duration) bool {
	in := x.rec.Input(now)
	in.Load = x.gen.Settings()
	in.Params = measure.Params{ConfirmationWindow: x.t.Confirmation, FailOn4xx: x.failOn4xx}
	res, err := measure.Analyze(in)
	if err != nil || !res.Recovered || res.RecoveredAt == nil {
		return false
	}
	return now.Sub(*res.RecoveredAt) >= margin
}

// revert puts the fault back and waits for the steady state, on a context
// that a cancelled ctx does not cancel.
func (x *run) revert(ctx context.Context, m *marker) error {
	x.phase.set("reverting")
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), x.t.SteadyTimeout)
	defer cancel()
	if err := x.s.Fault.Revert(rctx, m); err != nil {
		return fmt.Errorf("reverting %s: %w (it stays in the active-fault record: the next run repairs it first)", x.s.Fault.Name(), err)
	}
	if x.record != nil {
		if err := x.record.End(rctx, m.recorded()...); err != nil {
			// Reverted but still recorded: the next run finds nothing to
			// repair and clears it.
			x.console.Logf("[%s] warning: %v", x.s.Name, err)
		}
	}
	x.phase.set("verifying the steady state")
	check := x.s.Steady
	if x.s.Restored != nil {
		check = kube.All(x.s.Restored, x.s.Steady)
	}
	if err := kube.WaitFor(rctx, check, time.Second, x.t.SteadyTimeout); err != nil {
		return fmt.Errorf("after reverting %s: %w", x.s.Fault.Name(), err)
	}
	// Ready is not serving: after a database outage the pods are Ready
	// again before requests succeed. Keep the load on until the service is
	// confirmed recovered, so the result shows when it came back and the
	// next scenario starts from a serving app. Not an error when it does
	// not: the result says the service had not recovered.
	select {
	case <-x.loadDone:
		return nil // no load left to tell whether the service serves
	default:
	}
	x.phase.set("waiting for the service")
	serving := func(context.Context) (bool, string, error) { return x.recoveredBy(time.Now(), 0), "", nil }
	_ = kube.WaitFor(rctx, serving, time.Second, x.t.SteadyTimeout)
	return nil
}

// showStatus prints the phase and the load's status until stopped.
func (x *run) showStatus() (stop func()) {
	if x.statusLine == nil || x.every <= 0 {
		return func() {}
	}
	quit := make(chan struct{})
	var once sync.Once
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer x.recoverAs("the status line")
		tick := time.NewTicker(x.every)
		defer tick.Stop()
		for {
			select {
			case <-quit:
				return
			case now := <-tick.C:
				x.console.Progress(fmt.Sprintf("[%s] %-12s %s", x.s.Name, x.phase.get(), x.statusLine(x.rec.Status(now), now)))
			}
		}
	}()
	return func() {
		once.Do(func() {
			close(quit)
			wg.Wait()
			x.console.Done()
		})
	}
}

// recoverAs, deferred at the top of one of the run's goroutines, turns a
// panic in it into the cause that ends the run: the panic does not take
// the process down with the fault still in place.
func (x *run) recoverAs(what string) {
	p := recover()
	if p == nil {
		return
	}
	err := fmt.Errorf("panic in %s: %v\n%s", what, p, debug.Stack())
	if what == "the load" {
		x.loadErr = err
	}
	x.console.Logf("[%s] %s; reverting the fault", x.s.Name, strings.SplitN(err.Error(), "\n", 2)[0])
	x.crash(err)
}

// sleep waits d or until ctx ends; false means ctx ended.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
