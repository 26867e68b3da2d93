// Package session prepares a cluster for a run of scenarios and runs them:
// it connects, refuses to break a cluster that is not the kind cluster it
// was told about, takes the run lease (one run at a time per cluster),
// repairs every fault the active-fault record names (left by a run that
// was killed), deploys the WordPress fixture, installs WordPress, starts
// the Kubernetes timeline, and then runs catalog scenarios one at a time,
// writing each result as it comes and the report at the end. The e2e
// suite and `selfheal run` are two front ends to it; Repair is the same
// first steps alone, for `selfheal cluster up -reuse`. See chaos/guard.
package session

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"sigs.k8s.io/e2e-framework/klient/k8s/resources"

	"github.com/selfheal/selfheal/chaos/aggregate"
	"github.com/selfheal/selfheal/chaos/catalog"
	"github.com/selfheal/selfheal/chaos/guard"
	"github.com/selfheal/selfheal/chaos/history"
	"github.com/selfheal/selfheal/chaos/host"
	"github.com/selfheal/selfheal/chaos/kube"
	"github.com/selfheal/selfheal/chaos/load"
	"github.com/selfheal/selfheal/chaos/measure"
	"github.com/selfheal/selfheal/chaos/plan"
	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/chaos/scenario"
	"github.com/selfheal/selfheal/chaos/timeline"
	"github.com/selfheal/selfheal/chaos/variant"
	"github.com/selfheal/selfheal/chaos/writes"
	"github.com/selfheal/selfheal/fixtures"
	"github.com/selfheal/selfheal/fixtures/app"
	"github.com/selfheal/selfheal/internal/kindnode"
	"github.com/selfheal/selfheal/reports/publish"
	"github.com/selfheal/selfheal/reports/view"
)

// Console is where progress goes (internal/console.Console).
type Console interface {
	Logf(format string, args ...any)
	Progress(line string)
	Done()
}

// Config is everything a session needs. Zero values take the defaults
// documented on each field.
type Config struct {
	// Kubeconfig is the cluster to use (required) and Context the context
	// in it ("" for the current one).
	Kubeconfig, Context string
	// Cluster is the kind cluster's name (default fixtures.ClusterName);
	// node faults stop its containers.
	Cluster string
	// AllowNonKind lets faults run against a cluster whose nodes are not
	// the containers of kind cluster Cluster. Node faults cannot work
	// there; the others would break a real cluster's workload.
	AllowNonKind bool
	// Images are the app images (fixtures.Images of the cluster's mode).
	Images fixtures.ImageSet
	// App are extra fixture settings (replicas, probes...).
	App []app.Option
	// Variant is the fixture variant deployed first, on top of App (zero:
	// baseline); RunCell switches to the variant of its cell.
	Variant variant.Variant
	// VariantDirs puts each result in a directory named after its
	// variant (a matrix that asked for variants; see variant.Matrix).
	VariantDirs bool
	// BaseURL is where the load enters (default http://127.0.0.1:30080,
	// the NodePort on the control-plane node).
	BaseURL string
	// Load options (rate, timeout, keep-alive). The rate defaults to
	// DefaultRate, not the probe's 50/s: two of the three targets are PHP
	// pages that query MySQL, and a small machine that also runs the whole
	// cluster cannot serve 33 of them a second. Keep-alive defaults to off:
	// a kept-alive connection through the NodePort stays pinned to one pod
	// by conntrack, so a handful of connections would see one pod's fault
	// fully or not at all; a new connection per request is balanced across
	// the ready pods the way many independent visitors are.
	Load []load.Option
	// Writes are the write stream's options (rate, timeout) for the
	// scenarios that check acknowledged writes (default 1 write a second).
	Writes []writes.Option
	// Budgets overrides the catalog's default budgets.
	Budgets scenario.Overrides
	// Aggregate are budgets on each repeated scenario's repetitions taken
	// together; every result carries its scenario's.
	Aggregate scenario.AggregateBudgets
	// Plan is the cells the caller will run, in order: it numbers them in
	// the status line and estimates the time left (plan.Progress).
	Plan plan.Plan
	// Auto plans the rounds of a --repeat auto run after Plan, its first
	// batch (Session.Look), deciding on the figures AutoMetrics names;
	// nil for a fixed number of repetitions.
	Auto        *plan.Auto
	AutoMetrics []result.MetricKey
	// Timing overrides every scenario's timing where set.
	Timing scenario.Timing
	// History says how budgets are derived from the earlier runs in
	// ReportDir (default history.Defaults(); Off for none).
	History history.Settings
	// Host is how the host's conditions are judged (default thresholds,
	// a budget missed on a starved machine fails).
	Host scenario.HostPolicy
	// ReportDir receives <run id>/<scenario>.json, the run's report.html
	// and junit.xml, and index.html over every run in it (default
	// _out/report).
	ReportDir string
	// RunID names the run (default: the start time, UTC).
	RunID string
	// Command names the entry point in the run lease, for a second run's
	// message ("go test ./e2e", "selfheal run").
	Command string
	// LeaseWait bounds the wait for another run's lease (default
	// guard.DefaultWait).
	LeaseWait time.Duration
	// Tracker follows the session's active-fault record, so that a second
	// interrupt can say what it leaves (guard.NotifyContext).
	Tracker *guard.Tracker
	Console Console
	// StatusEvery is how often StatusLine is printed (0: never).
	StatusEvery time.Duration
	StatusLine  func(measure.Status, time.Time) string
}

// Session is a prepared cluster.
type Session struct {
	cfg Config
	guarded
	res      *resources.Resources
	app      app.Config
	events   *timeline.Recorder
	runner   *scenario.Runner
	info     result.RunInfo
	runDir   string
	results  []*result.Result
	history  []*result.Result // earlier results in ReportDir
	cancelTL context.CancelFunc
	variant  variant.Variant
	costs    []cellCost
	// unusable holds the variants whose deployment did not reach the
	// steady state, with why: their other cells are not tried again.
	unusable map[string]error
	progress *plan.Progress
	// paths are where each result's file was written.
	paths map[*result.Result]string
	// sequential are the --repeat auto comparisons by cell name, in
	// seqOrder; earlier the history results a cell is compared with.
	sequential map[string]*result.Sequential
	seqOrder   []string
	earlier    map[string][]*result.Result
}

// Open connects, guards (kind check, run lease, repair of what the
// active-fault record names) and prepares the cluster. Close releases the
// lease.
func Open(ctx context.Context, cfg Config) (*Session, error) {
	cfg = withDefaults(cfg)
	s := &Session{cfg: cfg, variant: cfg.Variant, progress: plan.NewProgress(cfg.Plan)}
	var err error
	if s.app, err = s.fixture(cfg.Variant); err != nil {
		return nil, err
	}
	g, err := openGuarded(ctx, cfg)
	if err != nil {
		return nil, err
	}
	s.guarded = *g
	if s.res, err = resources.New(s.rest); err != nil {
		s.release(cfg.Console)
		return nil, fmt.Errorf("connecting to the cluster: %w", err)
	}
	if err := s.prepare(ctx); err != nil {
		s.release(cfg.Console)
		return nil, err
	}
	return s, nil
}

// Repair is the first steps of every entry point on their own: connect,
// check that this is the kind cluster, take the run lease, repair what the
// active-fault record names, and give the lease back. `selfheal cluster up
// -reuse` and the suite (before it reuses a cluster) run it.
func Repair(ctx context.Context, cfg Config) error {
	cfg = withDefaults(cfg)
	g, err := openGuarded(ctx, cfg)
	if err != nil {
		return err
	}
	g.release(cfg.Console)
	return nil
}

// DefaultRate is the scenarios' request rate, all targets together.
const DefaultRate = 10.0

// DefaultKeepAlive is whether the scenarios' load reuses connections.
const DefaultKeepAlive = false

func withDefaults(c Config) Config {
	c.Load = append([]load.Option{load.Rate(DefaultRate), load.KeepAlive(DefaultKeepAlive)}, c.Load...)
	if c.Cluster == "" {
		c.Cluster = fixtures.ClusterName
	}
	if c.LeaseWait <= 0 {
		c.LeaseWait = guard.DefaultWait
	}
	if c.BaseURL == "" {
		c.BaseURL = fmt.Sprintf("http://127.0.0.1:%d", app.WordPressNodePort)
	}
	if c.ReportDir == "" {
		c.ReportDir = filepath.Join("_out", "report")
	}
	if c.RunID == "" {
		c.RunID = time.Now().UTC().Format("20060102-150405")
	}
	if c.Console == nil {
		c.Console = nopConsole{}
	}
	if c.Variant.Name == "" {
		c.Variant, _ = variant.Find(variant.Baseline)
	}
	if c.Auto != nil && len(c.AutoMetrics) == 0 {
		c.AutoMetrics = DefaultRepeatMetrics()
	}
	if !c.History.Off && c.History.Quantile == 0 {
		c.History = history.Defaults()
	}
	return c
}

type nopConsole struct{}

func (nopConsole) Logf(string, ...any) {}
func (nopConsole) Progress(string)     {}
func (nopConsole) Done()               {}

// prepare deploys and installs the app, and starts the timeline.
func (s *Session) prepare(ctx context.Context) error {
	con := s.cfg.Console
	if err := kube.WaitFor(ctx, s.client.NodesReady(), 2*time.Second, 5*time.Minute); err != nil {
		return fmt.Errorf("waiting for every node to be Ready: %w", err)
	}
	con.Logf("deploying the app in namespace %s: %s", s.app.Namespace, s.app.Describe())
	if err := s.app.Apply(ctx, s.res); err != nil {
		return err
	}
	start := time.Now()
	if err := s.waitApp(ctx); err != nil {
		return err
	}
	con.Logf("app ready in %s; installing WordPress through %s", time.Since(start).Round(time.Second), s.cfg.BaseURL)
	if err := app.Install(ctx, s.cfg.BaseURL, app.DefaultSite(), 5*time.Minute); err != nil {
		return err
	}
	tctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	rec, err := timeline.Start(tctx, s.client.Kubernetes, s.app.Namespace)
	if err != nil {
		cancel()
		return err
	}
	s.events, s.cancelTL = rec, cancel
	s.info = s.runInfo(ctx)
	s.runDir = filepath.Join(s.cfg.ReportDir, s.cfg.RunID)
	s.loadHistory(ctx)
	s.runner = s.newRunner()
	return nil
}

// newRunner is a runner that stamps results with the session's run info
// (which names the fixture and its variant).
func (s *Session) newRunner() *scenario.Runner {
	opts := []scenario.Option{
		scenario.WithLoad(s.cfg.Load...), scenario.WithEvents(s.events), scenario.WithRunInfo(s.info),
		scenario.WithHost(s.hostPolicy()), scenario.WithRecord(s.active),
		scenario.WithWrites(s.writes()),
	}
	opts = append(opts, scenario.WithConsole(s.cfg.Console, s.cfg.StatusEvery, s.statusLine()))
	return scenario.NewRunner(app.Targets(s.cfg.BaseURL), opts...)
}

// hostPolicy is the configured one, with the kind node containers as the
// system under test: their CPU, and the pressure it causes, is the
// cluster's own, not a neighbour's (docs/measurement.md, "Host
// conditions"). A cluster with no node container here (not kind) has
// none, and all but selfheal counts as from outside.
func (s *Session) hostPolicy() scenario.HostPolicy {
	h := s.cfg.Host
	nodes := func(ctx context.Context) ([]int, error) { return kindnode.PIDs(ctx, kindnode.CLI, s.cfg.Cluster) }
	h.Sampling = append(slices.Clone(h.Sampling), host.WithSystemUnderTest(nodes))
	return h
}

// writes sends the write stream to the fixture's endpoint, through the
// same entry as the load, and reads the database in the MySQL pod.
func (s *Session) writes() scenario.Writes {
	return scenario.Writes{
		URL: app.WritesURL(s.cfg.BaseURL),
		Store: writes.MySQL{Exec: s.client, Namespace: s.app.Namespace, Pod: app.MySQLPodName,
			Container: app.MySQLContainer, Table: app.WritesTable},
		Options: s.cfg.Writes,
	}
}

func (s *Session) catalogEnv() catalog.Env {
	return catalog.Env{Client: s.client, Cluster: s.cfg.Cluster, App: s.app, NextImage: s.cfg.Images.WordPressNext}
}

func (s *Session) runInfo(ctx context.Context) result.RunInfo {
	info := result.RunInfo{ID: s.cfg.RunID, Cluster: s.cfg.Cluster, ImageMode: string(s.cfg.Images.Mode), Fixture: s.app.Describe(), Variant: s.variant.Name}
	if v, err := s.client.Kubernetes.Discovery().ServerVersion(); err == nil {
		info.KubernetesVersion = v.GitVersion
	}
	if h, err := os.Hostname(); err == nil {
		info.Host = h
	}
	return info
}

// Scenario builds a catalog entry with the session's budget overrides and
// timing.
func (s *Session) Scenario(e catalog.Entry) (scenario.Scenario, error) {
	sc := e.Build(s.catalogEnv())
	b, err := s.cfg.Budgets.Apply(sc.Name, sc.Budgets)
	if err != nil {
		return sc, err
	}
	sc.Budgets = b
	sc.Timing = overlay(sc.Timing, s.cfg.Timing)
	return sc, nil
}

func overlay(t, o scenario.Timing) scenario.Timing {
	if o.Warmup > 0 {
		t.Warmup = o.Warmup
	}
	if o.WarmupLimit > 0 {
		t.WarmupLimit = o.WarmupLimit
	}
	if o.Deadline > 0 {
		t.Deadline = o.Deadline
	}
	if o.Confirmation > 0 {
		t.Confirmation = o.Confirmation
	}
	if o.SteadyTimeout > 0 {
		t.SteadyTimeout = o.SteadyTimeout
	}
	if o.Tail > 0 {
		t.Tail = o.Tail
	}
	return t
}

// statusLine is the caller's status line followed by where the plan is:
// which repetition of which scenario runs and the time left.
func (s *Session) statusLine() func(measure.Status, time.Time) string {
	line := s.cfg.StatusLine
	if line == nil || len(s.cfg.Plan) == 0 {
		return line
	}
	return func(st measure.Status, now time.Time) string {
		return line(st, now) + "  | " + s.progress.Line(now)
	}
}

// Run runs one catalog entry against the fixture deployed now and writes
// its result. It returns the result whenever there is one (its verdict
// says pass, fail or error).
func (s *Session) Run(ctx context.Context, e catalog.Entry) (*result.Result, error) {
	return s.run(ctx, plan.Cell{Cell: variant.Cell{Variant: s.variant, Entry: e}, Repetition: 1, Repetitions: 1})
}

// run runs cell c (a repetition of a catalog scenario, with the cell's
// timing under the session's) and writes its result. A cell that fails
// before its load starts (the workload not at its desired state, say)
// still gets a result from the runner, with the verdict error and why, so
// that a repetition that could not run is counted as such and the others
// still run.
func (s *Session) run(ctx context.Context, c plan.Cell) (*result.Result, error) {
	select {
	case <-s.lease.Lost():
		return nil, fmt.Errorf("%s not run: this run lost the cluster's run lease to another run", c.Name())
	default:
	}
	sc, err := s.Scenario(c.Entry)
	if err != nil {
		return nil, err
	}
	sc.Timing = overlay(overlay(sc.Timing, c.Timing), s.cfg.Timing)
	i := s.cfg.Plan.Index(c)
	s.progress.Start(i, time.Now())
	defer func() { s.progress.Finish(i, time.Now()) }()
	tag := c.Name()
	switch {
	case c.Auto:
		s.cfg.Console.Logf("[%s] repetition %d (of up to %d: --repeat auto)", c.Cell.Name(), c.Repetition, c.Repetitions)
	case c.Repeated():
		s.cfg.Console.Logf("[%s] repetition %d of %d", c.Cell.Name(), c.Repetition, c.Repetitions)
	}
	s.cfg.Console.Logf("[%s] budgets: %s", tag, sc.Budgets)
	began := time.Now()
	res, runErr := s.runner.Run(ctx, sc)
	if res == nil { // an invalid scenario: the runner records every other failure
		return nil, runErr
	}
	s.account(tag, began, res)
	return res, errors.Join(runErr, s.record(c, res))
}

// record stamps a cell's result with its repetition and aggregate
// budgets, keeps it and writes its file.
func (s *Session) record(c plan.Cell, res *result.Result) error {
	if c.Repeated() {
		res.Repetition, res.Repetitions = c.Repetition, c.Repetitions
	}
	res.AggregateBudgets = s.cfg.Aggregate.For(c.Entry.Name)
	s.judgeHistory(res)
	s.results = append(s.results, res)
	path := filepath.Join(s.runDir, s.resultName(c))
	if s.paths == nil {
		s.paths = map[*result.Result]string{}
	}
	s.paths[res] = path
	if err := result.WriteFile(path, res); err != nil {
		return err
	}
	s.cfg.Console.Logf("[%s] %s: result in %s", c.Name(), strings.ToUpper(string(res.Outcome())), path)
	return nil
}

// errorResult records a cell that ended before the runner could start
// it (its variant could not be deployed): the verdict error and why,
// nothing measured, so that it counts as a repetition that could not run.
func errorResult(sc scenario.Scenario, info result.RunInfo, started time.Time, err error) *result.Result {
	run := info
	return &result.Result{
		Schema: result.Schema, Scenario: sc.Name, Description: sc.Description, Run: &run,
		Started: started, Ended: time.Now(), StatusCodes: map[string]int{}, Errors: map[string]int{}, Events: []result.Event{},
		RecoveryState: result.RecoveryNotObserved, Verdict: result.VerdictError, Error: err.Error(),
		Notes: []string{"The scenario ended before its load started: nothing was measured."},
	}
}

// Repeats takes the repetitions of c's scenario against c's variant in
// this session together (chaos/aggregate through the report's view, so
// that the suite, the CLI and the report say the same).
func (s *Session) Repeats(c plan.Cell) (view.Repeats, bool) {
	var rs []*result.Result
	for _, r := range s.results {
		if r.Scenario == c.Scenario() && aggregate.VariantOf(r) == c.Variant.Name {
			rs = append(rs, r)
		}
	}
	for _, rp := range view.RepeatsOf(rs) {
		return rp, true
	}
	return view.Repeats{}, false
}

// Results are the results of this session so far.
func (s *Session) Results() []*result.Result { return s.results }

// RunDir is where this run's files go.
func (s *Session) RunDir() string { return s.runDir }

// Publish writes this run's report.html and junit.xml, and index.html over
// every run in the report directory (trends).
func (s *Session) Publish(ctx context.Context) error {
	if len(s.results) == 0 {
		return nil
	}
	title := fmt.Sprintf("selfheal run %s", s.cfg.RunID)
	w, err := publish.Write(ctx, s.runDir, s.results, publish.WithView(view.WithTitle(title)))
	if err != nil {
		return fmt.Errorf("writing the run's report: %w", err)
	}
	s.cfg.Console.Logf("summary: %s", result.Tally(s.results))
	s.cfg.Console.Logf("report: %s  junit: %s", w.HTML, w.JUnit)
	if spent := s.Overheads(); spent != "" {
		s.cfg.Console.Logf("time: %s", spent)
	}
	if d := s.Decisions(); len(d) > 0 {
		s.cfg.Console.Logf("--repeat auto, how many repetitions each comparison took and why it stopped:\n  %s", strings.Join(d, "\n  "))
	}
	if err := s.checkClaims(); err != nil {
		return err
	}
	if s.cfg.VariantDirs {
		if err := s.compareVariants(ctx); err != nil {
			return err
		}
		if err := s.writeVariants(ctx); err != nil {
			return err
		}
	}
	all, err := publish.Dir(ctx, s.cfg.ReportDir, publish.WithHTMLName("index.html"), publish.WithJUnitName(""),
		publish.WithView(view.WithTitle("selfheal runs")))
	if err != nil {
		return fmt.Errorf("writing the report over all runs: %w", err)
	}
	s.cfg.Console.Logf("all runs (%d results): %s", all.Results, all.HTML)
	return nil
}

// Left are the faults this session injected and has not reverted (their
// record entries are still there): after an interrupt, what the next run
// will repair.
func (s *Session) Left() []guard.Entry { return s.active.Pending() }

// Close stops the timeline and releases the run lease.
func (s *Session) Close() {
	if s.events != nil {
		s.events.Stop()
		s.cancelTL()
	}
	s.release(s.cfg.Console)
}
