// Package session prepares a cluster for a run of scenarios and runs them:
// it connects, refuses to break a cluster that is not the kind cluster it
// was told about, takes the run lease (one run at a time per cluster),
// repairs every fault the active-fault record names (left by a run that
// was killed), deploys the app its description names (chaos/app; the
// WordPress fixture unless told of another) and sets it up, starts the
// Kubernetes timeline, says which scenarios cannot run there and why (the
// pre-flight), and then runs catalog scenarios one at a time, writing
// each result as it comes and the report at the end. The e2e suite,
// chaos/suite and `selfheal run` are front ends to it; Repair is the same
// first steps alone, for `selfheal cluster up -reuse`. See chaos/guard.
package session

import (
	"cmp"
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
	"github.com/selfheal/selfheal/chaos/app"
	"github.com/selfheal/selfheal/chaos/catalog"
	"github.com/selfheal/selfheal/chaos/fault/nodeagent"
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
	// App is the app the scenarios break (required; the WordPress
	// fixture's is fixtures/wordpress.Config.App). It is checked before
	// anything touches the cluster.
	App app.App
	// ImageMode is the cluster's image mode, for the results.
	ImageMode string
	// NodeFaults is the door node faults go through (default docker);
	// through the node agent, AgentImage is its image (default the one
	// built here, loaded into the nodes of the kind cluster).
	NodeFaults catalog.NodeFaults
	AgentImage string
	// Variant is the app's variant deployed first (zero: baseline, the
	// app as described); RunCell switches to the variant of its cell.
	Variant variant.Variant
	// VariantDirs puts each result in a directory named after its
	// variant (a matrix that asked for variants; see variant.Matrix).
	VariantDirs bool
	// Load options (rate, timeout, keep-alive), over DefaultSettings'.
	Load []load.Option
	// Vantages are the vantage points measured beside the outside load:
	// loaders inside the cluster, the control probe, reused connections
	// beside new ones (default: the outside alone).
	Vantages Vantages
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
	// ReportDir receives <run id>/<scenario>.json, the run's report.html,
	// junit.xml and dashboard files, and index.html over every run in it
	// (default _out/report).
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
	res *resources.Resources
	// app is the variant of the app deployed now, as it runs.
	app      app.Shape
	cluster  catalog.Cluster
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
	// vantages are measured beside the outside load in every scenario.
	vantages []scenario.Vantage
	// agent is the node agent, once set up (node faults through it).
	agent *nodeagent.Agent
}

// Open connects, guards (kind check, run lease, repair of what the
// active-fault record names) and prepares the cluster. Close releases the
// lease.
func Open(ctx context.Context, cfg Config) (*Session, error) {
	cfg = withDefaults(cfg)
	s := &Session{cfg: cfg, variant: cfg.Variant, progress: plan.NewProgress(cfg.Plan)}
	if err := cfg.App.Validate(); err != nil {
		return nil, err
	}
	desc, err := cfg.Variant.Apply(cfg.App)
	if err != nil {
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
	if err := s.prepare(ctx, desc); err != nil {
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

// DefaultRate is the scenarios' request rate, all targets together: not
// the probe's 50/s (load.DefaultRate), because two of the three targets
// are PHP pages that query MySQL, and a small machine that also runs the
// whole cluster cannot serve 33 of them a second.
const DefaultRate = 10.0

// DefaultKeepAlive is whether the scenarios' load reuses connections: no.
// A kept-alive connection through the NodePort stays pinned to one pod by
// conntrack, so a handful of connections would see one pod's fault fully
// or not at all; a new connection per request is balanced across the
// ready pods the way many independent visitors are.
const DefaultKeepAlive = false

func withDefaults(c Config) Config {
	d := DefaultSettings()
	c.Load = append(d.Load(), c.Load...)
	if c.Cluster == "" {
		c.Cluster = fixtures.ClusterName
	}
	if c.LeaseWait <= 0 {
		c.LeaseWait = guard.DefaultWait
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
		c.Variant = variant.Base()
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

// prepare deploys the app and sets it up, starts the timeline, and
// learns what the cluster offers the scenarios.
func (s *Session) prepare(ctx context.Context, desc app.App) error {
	con := s.cfg.Console
	if err := kube.WaitFor(ctx, s.client.NodesReady(), 2*time.Second, 5*time.Minute); err != nil {
		return fmt.Errorf("waiting for every node to be Ready: %w", err)
	}
	var err error
	if s.cluster, err = s.clusterFacts(ctx); err != nil {
		return err
	}
	start := time.Now()
	if s.app, err = s.deploy(ctx, desc, 10*time.Minute); err != nil {
		return err
	}
	if desc.Setup != nil {
		con.Logf("%s ready in %s; setting it up through %s", desc.Name, time.Since(start).Round(time.Second), desc.Load.Base)
		if err := desc.Setup(ctx, desc.Load.Base); err != nil {
			return fmt.Errorf("setting %s up: %w", desc.Name, err)
		}
	}
	tctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	rec, err := timeline.Start(tctx, s.client.Kubernetes, desc.Namespace)
	if err != nil {
		cancel()
		return err
	}
	s.events, s.cancelTL = rec, cancel
	if s.vantages, err = s.setUpVantages(ctx); err != nil {
		s.events.Stop()
		cancel()
		return err
	}
	s.info = s.runInfo(ctx)
	s.runDir = filepath.Join(s.cfg.ReportDir, s.cfg.RunID)
	s.loadHistory(ctx)
	s.runner = s.newRunner()
	return nil
}

// deploy applies desc (nothing for an app deployed already), finds its
// workloads, and waits for its desired state.
func (s *Session) deploy(ctx context.Context, desc app.App, timeout time.Duration) (app.Shape, error) {
	var shape app.Shape
	var err error
	if !desc.Deploy.Existing {
		if shape, err = s.resolve(ctx, desc); err != nil {
			return shape, err
		}
		s.cfg.Console.Logf("deploying %s in namespace %s: %s", desc.Name, desc.Namespace, shape.Describe())
	}
	if err := desc.Apply(ctx, s.res); err != nil {
		return shape, err
	}
	if desc.Deploy.Existing {
		if shape, err = s.resolve(ctx, desc); err != nil {
			return shape, err
		}
		s.cfg.Console.Logf("%s is deployed already in namespace %s: %s", desc.Name, desc.Namespace, shape.Describe())
	}
	if err := kube.WaitFor(ctx, shape.Steady(s.client), time.Second, timeout); err != nil {
		return shape, fmt.Errorf("waiting for %s: %w", shape.SteadyWords(), err)
	}
	return shape, nil
}

// resolve finds desc's workloads: among the objects it deploys, or in the
// cluster for an app deployed already.
func (s *Session) resolve(ctx context.Context, desc app.App) (app.Shape, error) {
	if desc.Deploy.Existing {
		return app.ResolveLive(ctx, desc, s.client.Kubernetes)
	}
	objs, err := desc.Objects(ctx)
	if err != nil {
		return app.Shape{}, err
	}
	return app.Resolve(desc, objs)
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

// clusterFacts is what the cluster offers the scenarios: the local kind
// cluster's node containers, and how many workers can take pods.
func (s *Session) clusterFacts(ctx context.Context) (catalog.Cluster, error) {
	n, err := s.client.SchedulableWorkers(ctx)
	if err != nil {
		return catalog.Cluster{}, err
	}
	c := catalog.Cluster{KindNodes: s.isKind, Workers: n}
	s.agentFacts(ctx, &c)
	return c, nil
}

// newRunner is a runner that stamps results with the session's run info
// (which names the app's set-up and its variant).
func (s *Session) newRunner() *scenario.Runner {
	a := s.app.App
	opts := []scenario.Option{
		scenario.WithLoad(s.cfg.Load...), scenario.WithEvents(s.events), scenario.WithRunInfo(s.info),
		scenario.WithHost(s.hostPolicy()), scenario.WithRecord(s.active), scenario.WithFailOn4xx(a.Load.FailOn4xx),
		scenario.WithVantages(s.vantages...),
	}
	if w, ok := s.writes(); ok {
		opts = append(opts, scenario.WithWrites(w))
	}
	opts = append(opts, scenario.WithConsole(s.cfg.Console, s.cfg.StatusEvery, s.statusLine()))
	return scenario.NewRunner(a.Load.URLs(), opts...)
}

// writes sends the write stream to the app's endpoint, through the same
// entry as the load, and counts the rows in the database's pod; false for
// an app without a write endpoint.
func (s *Session) writes() (scenario.Writes, bool) {
	a, db := s.app.App, s.app.Database
	if a.Writes == nil || db == nil {
		return scenario.Writes{}, false
	}
	count := a.Writes.Count
	container := cmp.Or(count.Container, db.Container.Name)
	pod := db.Pod0()
	var find func(ctx context.Context) (string, error)
	if pod == "" {
		find = func(ctx context.Context) (string, error) { return s.client.ReadyPod(ctx, a.Namespace, db.Pods) }
	}
	var store writes.Store = writes.Command{Exec: s.client, Namespace: a.Namespace, Pod: pod, FindPod: find, Container: container, Command: count.Command}
	if count.MySQLTable != "" {
		store = writes.MySQL{Exec: s.client, Namespace: a.Namespace, Pod: pod, FindPod: find, Container: container, Table: count.MySQLTable}
	}
	return scenario.Writes{URL: a.Writes.URL(a.Load.Base), Store: store, Options: s.cfg.Writes}, true
}

func (s *Session) catalogEnv() catalog.Env {
	return catalog.Env{Client: s.client, Cluster: s.cfg.Cluster, App: s.app, Workers: s.cluster.Workers,
		NodeFaults: s.cluster.NodeFaults, Agent: s.agent}
}

func (s *Session) runInfo(ctx context.Context) result.RunInfo {
	info := result.RunInfo{ID: s.cfg.RunID, Cluster: s.cfg.Cluster, ImageMode: s.cfg.ImageMode, Fixture: s.app.Describe(), Variant: s.variant.Name}
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
	env := s.catalogEnv()
	if err := e.Supports(env.App); err != nil {
		return scenario.Scenario{Name: e.Name}, err
	}
	sc := e.Build(env)
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
	if err := s.Refusal(ctx, c); err != nil {
		return nil, err
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
	s.stampDoor(c.Entry, res)
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
// this session together (chaos/aggregate, which the report's view reads
// too, so that the suite, the CLI and the report say the same). Its
// Budgets are the gate; reports/view.RepeatsFrom shows it.
func (s *Session) Repeats(c plan.Cell) (aggregate.Scenario, bool) {
	var rs []*result.Result
	for _, r := range s.results {
		if r.Scenario == c.Scenario() && r.VariantName() == c.Variant.Name {
			rs = append(rs, r)
		}
	}
	for _, agg := range aggregate.Of(rs) {
		return agg, true
	}
	return aggregate.Scenario{}, false
}

// Results are the results of this session so far.
func (s *Session) Results() []*result.Result { return s.results }

// RunDir is where this run's files go.
func (s *Session) RunDir() string { return s.runDir }

// Publish writes this run's report.html, junit.xml and dashboard files
// (reports/publish), and index.html over every run in the report
// directory (trends).
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
	s.cfg.Console.Logf("for dashboards: %s", strings.Join(w.Dashboards, "  "))
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
		publish.WithoutDashboards(), publish.WithView(view.WithTitle("selfheal runs")))
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
