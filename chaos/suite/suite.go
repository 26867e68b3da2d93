// Package suite turns an app description (chaos/app), a choice of
// scenarios, variants and budgets into sigs.k8s.io/e2e-framework
// features: one per scenario × variant × repetition, named
// "pod-eviction", "image-roll@no-prestop" or "node-halt#2" and labelled
// scenario=, fault=, set=, variant= and repetition=, so the framework's
// -labels, -skip-labels and -feature flags choose among them. Setup
// deploys the app into the environment's cluster and says which scenarios
// cannot run there and why (the pre-flight: such a feature is skipped,
// naming what is missing); each feature runs its scenario under load and
// reverts its fault, then judges its budgets; Finish writes every result
// as JSON, the HTML report and JUnit. It is the harness's own suite
// (`go test ./e2e`, the WordPress fixture) and the one another
// repository's e2e suite imports for its own app:
//
//	var testenv env.Environment
//	var chaos *suite.Suite
//
//	func TestMain(m *testing.M) {
//		cfg, _ := envconf.NewFromFlags()
//		a, err := app.ReadFile("app.yaml")
//		...
//		chaos, err = suite.New(cfg, a, suite.WithScenarios("pod-eviction", "image-roll"),
//			suite.WithBudgets("*.downtime=2s"), suite.WithKindCluster("shop"))
//		...
//		testenv = env.NewWithConfig(cfg)
//		testenv.Setup(envfuncs.CreateCluster(kind.NewProvider(), "shop"), chaos.Setup)
//		testenv.Finish(chaos.Finish, envfuncs.DestroyCluster("shop"))
//		os.Exit(testenv.Run(m))
//	}
//
//	func TestChaos(t *testing.T) { chaos.Test(t, testenv) }
//
// (Example has it whole.)
// Faults that act through the cluster's nodes (node halts, process
// signals, network rules, the API server's restart) need the local kind
// cluster's node containers; on another cluster the pre-flight refuses
// them by name and the others run.
package suite

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"sigs.k8s.io/e2e-framework/pkg/env"
	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/e2e-framework/pkg/features"

	"github.com/selfheal/selfheal/chaos/app"
	"github.com/selfheal/selfheal/chaos/catalog"
	"github.com/selfheal/selfheal/chaos/guard"
	"github.com/selfheal/selfheal/chaos/plan"
	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/chaos/scenario"
	"github.com/selfheal/selfheal/chaos/session"
	"github.com/selfheal/selfheal/chaos/variant"
	"github.com/selfheal/selfheal/internal/console"
	"github.com/selfheal/selfheal/reports/text"
	"github.com/selfheal/selfheal/reports/view"
)

// Option configures a Suite.
type Option func(*options)

type options struct {
	scenarios     []string
	variants      variant.Set
	variantNames  []string
	defaultMatrix bool
	repeat        *plan.Repeat
	budgets       string
	settings      session.Settings
	out           io.Writer
	command       string
	deployed      func(ctx context.Context, cfg *envconf.Config) (app.App, string, error)
}

// WithScenarios chooses scenarios by name (default: every scenario the
// app offers what it needs; -labels scenario=NAME chooses too).
func WithScenarios(names ...string) Option {
	return func(o *options) { o.scenarios = append(o.scenarios, names...) }
}

// WithVariants gives the app's variants (set, baseline first; variant.
// Patches makes one from patches of the app's objects) and the names of
// those to run (none: baseline alone, or those -labels variant=NAME asks
// for). Results then go to a directory per variant, and the run ends with
// each variant compared with baseline.
func WithVariants(set variant.Set, names ...string) Option {
	return func(o *options) { o.variants, o.variantNames = set, append(o.variantNames, names...) }
}

// WithDefaultMatrix runs each variant of the set against the scenarios
// it names by default (Variant.Default).
func WithDefaultMatrix() Option { return func(o *options) { o.defaultMatrix = true } }

// WithRepeat runs each cell n times in a row (1 to plan.MaxRepeat), and
// after the last repetition a feature "<cell> repetitions" judges them
// taken together.
func WithRepeat(n int) Option { return func(o *options) { o.repeat = &plan.Repeat{N: n} } }

// WithRepeatAuto repeats each cell until its comparison (against
// baseline, or against the history) is clear or at the settings' maximum
// (--repeat auto; Suite.Test runs the rounds).
func WithRepeatAuto() Option { return func(o *options) { o.repeat = &plan.Repeat{Auto: true} } }

// WithBudgets overrides budgets, as SELFHEAL_BUDGETS does
// ("node-halt.recovery=2m,*.5xx=0", "pod-eviction.downtime.p50=1s").
func WithBudgets(spec string) Option { return func(o *options) { o.budgets = spec } }

// WithSettings sets every knob of a run at once (rate, timeout, warm-up,
// budgets, history, report directory, run id...), as `go test ./e2e`
// reads them from the SELFHEAL_* variables: session.SettingsFromEnv.
func WithSettings(s session.Settings) Option { return func(o *options) { o.settings = s } }

// WithKindCluster names the kind cluster the environment runs (default
// "selfheal"): the node, process and network faults act through its node
// containers, and only there. Give it after WithSettings, which sets it
// too.
func WithKindCluster(name string) Option { return func(o *options) { o.settings.Cluster = name } }

// WithOutput sends the progress to w (default os.Stdout).
func WithOutput(w io.Writer) Option { return func(o *options) { o.out = w } }

// WithApp gives the app as it is deployed once the environment's cluster
// is known, in place of the one New planned with: the WordPress fixture's
// images follow the cluster's image mode, which imageMode names in the
// results ("" when it means nothing).
func WithApp(f func(ctx context.Context, cfg *envconf.Config) (a app.App, imageMode string, err error)) Option {
	return func(o *options) { o.deployed = f }
}

// WithCommand names the entry point in the cluster's run lease (default
// "go test"), for another run's message.
func WithCommand(c string) Option { return func(o *options) { o.command = c } }

// Suite is a planned run of scenarios against one app.
type Suite struct {
	app    app.App
	o      options
	matrix variant.Matrix
	cells  plan.Plan
	// auto plans the rounds after cells, the first batch, with repeat
	// auto; filter keeps the features of each round the environment
	// selects.
	auto    *plan.Auto
	filter  plan.Filter
	con     *console.Console
	tracker *guard.Tracker

	mu      sync.Mutex
	session *session.Session
	refused map[string]error // by cell name, from the pre-flight
	failed  bool
}

// New checks the app and every choice, and plans the features, all
// before any work: an error names what is wrong (a field of the app, an
// unknown scenario or variant, a pair that cannot run). cfg is the
// environment's configuration: its -labels, -skip-labels, -feature and
// -skip-features keep only the features that will run, so the time-left
// estimate counts those (nil: all).
func New(cfg *envconf.Config, a app.App, opts ...Option) (*Suite, error) {
	o := options{settings: session.DefaultSettings(), out: os.Stdout, command: "go test"}
	for _, opt := range opts {
		opt(&o)
	}
	if cfg == nil {
		cfg = envconf.New()
	}
	if err := a.Validate(); err != nil {
		return nil, err
	}
	if err := o.applyBudgets(); err != nil {
		return nil, err
	}
	if o.repeat != nil {
		if !o.repeat.Auto {
			if err := plan.CheckRepeat(o.repeat.N); err != nil {
				return nil, err
			}
		}
		o.settings.Repeat = *o.repeat
	}
	if len(o.variants) == 0 {
		o.variants = variant.Set{variant.Base()}
	}
	s := &Suite{app: a, o: o, con: console.New(o.out, false), tracker: &guard.Tracker{}}
	var err error
	if s.matrix, err = s.plan(cfg); err != nil {
		return nil, err
	}
	p, auto, err := s.o.settings.Plan(s.matrix)
	if err != nil {
		return nil, err
	}
	s.auto = auto
	s.filter = plan.Filter{Labels: cfg.Labels(), SkipLabels: cfg.SkipLabels(), Feature: cfg.FeatureRegex(), SkipFeature: cfg.SkipFeatureRegex()}
	s.cells = p.Select(s.filter, plan.Cell.Name)
	return s, nil
}

// applyBudgets adds WithBudgets' overrides to the settings'.
func (o *options) applyBudgets() error {
	if o.budgets == "" {
		return nil
	}
	b, agg, err := scenario.ParseBudgets(o.budgets)
	if err != nil {
		return fmt.Errorf("budgets %q: %w", o.budgets, err)
	}
	if err := b.CheckScenarios(catalog.Names()); err != nil {
		return fmt.Errorf("budgets %q: %w", o.budgets, err)
	}
	if _, err := catalog.Lookup(agg.Scenarios()...); err != nil {
		return fmt.Errorf("budgets %q: %w", o.budgets, err)
	}
	o.settings.Budgets, o.settings.Aggregate = b, agg
	return nil
}

// plan chooses the cells: the scenarios and variants asked, else those
// the environment's labels name (-labels scenario=image-roll,variant=no-pdb
// asks for that pair even though no-pdb is not meant for image rolls).
func (s *Suite) plan(cfg *envconf.Config) (variant.Matrix, error) {
	labels := cfg.Labels()
	req := variant.Request{Variants: s.o.variantNames, Default: s.o.defaultMatrix, Scenarios: s.o.scenarios}
	if len(req.Scenarios) == 0 {
		req.Scenarios = labels["scenario"]
	}
	if len(req.Variants) == 0 && !req.Default {
		req.Variants = labels["variant"]
	}
	m, err := variant.Plan(s.app, s.o.variants, req)
	if err != nil {
		return m, fmt.Errorf("planning the scenarios: %w", err)
	}
	for _, sk := range m.Skipped {
		s.con.Logf("not planned: %s", sk)
	}
	return m, nil
}

// Cells are the cells the features run, in order.
func (s *Suite) Cells() plan.Plan { return s.cells }

// Context is the suite's context: it ends at the first SIGINT or SIGTERM
// (a second one stops the process at once, saying which faults it leaves
// for the next run to repair), and early enough before go test's
// -timeout, which kills the process with no clean-up at all, for the
// scenario in flight to revert its fault and the report to be written.
// Give it to env.NewWithContext.
func (s *Suite) Context(parent context.Context) (context.Context, context.CancelFunc) {
	ctx, stop := guard.NotifyContext(parent, s.o.out, s.tracker, os.Exit)
	d, ok := testTimeout()
	if !ok {
		return ctx, stop
	}
	margin, warning := session.Margin(d)
	if warning != "" {
		s.con.Logf("warning: %s", warning)
	}
	ctx, cancel := context.WithDeadlineCause(ctx, time.Now().Add(d-margin),
		fmt.Errorf("the suite's deadline, %s before go test's -timeout %s, so that the fault in place is reverted", margin, d))
	return ctx, func() { cancel(); stop() }
}

// testTimeout is go test's -timeout, when there is one.
func testTimeout() (time.Duration, bool) {
	f := flag.Lookup("test.timeout")
	if f == nil {
		return 0, false
	}
	d, err := time.ParseDuration(f.Value.String())
	return d, err == nil && d > 0
}

// Setup is an env.Func: it opens a session against the environment's
// cluster (its kubeconfig; create the cluster in an env.Func before this
// one, or pass -kubeconfig), which takes the cluster's run lease, repairs
// what an interrupted run left, deploys the app and sets it up; then the
// pre-flight says which planned scenarios cannot run there and why.
func (s *Suite) Setup(ctx context.Context, cfg *envconf.Config) (context.Context, error) {
	kubeconfig := cfg.KubeconfigFile()
	if kubeconfig == "" {
		return ctx, errors.New("suite: no cluster: create one in an env.Func before Setup (envfuncs.CreateCluster), or pass -kubeconfig")
	}
	if len(s.cells) == 0 {
		s.con.Logf("nothing to run: the selection keeps no feature; the app is not deployed")
		return ctx, nil
	}
	a, mode := s.app, ""
	if s.o.deployed != nil {
		var err error
		if a, mode, err = s.o.deployed(ctx, cfg); err != nil {
			return ctx, err
		}
	}
	st := s.o.settings
	sc := st.Config()
	if sc.ReportDir == "" {
		sc.ReportDir = filepath.Join("_out", "report")
	}
	sc.App, sc.ImageMode = a, mode
	sc.Kubeconfig, sc.Context = kubeconfig, cfg.KubeContext()
	sc.Plan, sc.Auto, sc.Variant, sc.VariantDirs = s.cells, s.auto, s.cells[0].Variant, s.matrix.Explicit
	sc.Console, sc.StatusEvery, sc.StatusLine = s.con, 5*time.Second, console.StatusLine
	sc.Command, sc.Tracker = s.o.command, s.tracker
	sess, err := session.Open(ctx, sc)
	if err != nil {
		return ctx, err
	}
	refused := map[string]error{}
	for _, c := range s.cells {
		if _, seen := refused[c.Cell.Name()]; seen {
			continue
		}
		if err := sess.Refusal(ctx, c); err != nil {
			refused[c.Cell.Name()] = err
			s.con.Logf("pre-flight: not run here: %v", err)
		}
	}
	s.mu.Lock()
	s.session, s.refused = sess, refused
	s.mu.Unlock()
	return ctx, nil
}

// Finish is an env.Func: it writes the run's report (report.html,
// junit.xml, every result's JSON, index.html over the report directory's
// runs) and gives the cluster's run lease back. After an interrupt it
// says which faults, if any, are left for the next run to repair.
func (s *Suite) Finish(ctx context.Context, _ *envconf.Config) (context.Context, error) {
	stopped := context.Cause(ctx)
	ctx = context.WithoutCancel(ctx)
	sess := s.current()
	if sess == nil {
		return ctx, nil
	}
	err := sess.Publish(ctx)
	sess.Close()
	if stopped != nil {
		s.con.Logf("%s", guard.AfterInterrupt(stopped, sess.Left()))
	}
	return ctx, err
}

// Failed says whether a feature failed (a budget missed, a scenario that
// could not run), for a caller that keeps a cluster on failure.
func (s *Suite) Failed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.failed
}

// Results are the results so far.
func (s *Suite) Results() []*result.Result {
	if sess := s.current(); sess != nil {
		return sess.Results()
	}
	return nil
}

// RunDir is where this run's files go ("" before Setup).
func (s *Suite) RunDir() string {
	if sess := s.current(); sess != nil {
		return sess.RunDir()
	}
	return ""
}

func (s *Suite) current() *session.Session {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.session
}

func (s *Suite) fail() {
	s.mu.Lock()
	s.failed = true
	s.mu.Unlock()
}

// Features are the planned cells as features, in order, each followed,
// after the last repetition of a repeated cell, by the feature that
// judges its repetitions together (labelled repetition=all). With repeat
// auto they are the first batch: Test runs the rounds after it.
func (s *Suite) Features() []features.Feature {
	var out []features.Feature
	for i, c := range s.cells {
		out = append(out, s.cellFeature(c))
		if !c.Auto && c.Repeated() && s.cells.Last(i) {
			out = append(out, s.repeatsFeature(c))
		}
	}
	return out
}

// Test runs the features in e (e.Test), and, with repeat auto, after
// each round the looks at every comparison still open
// (session.Session.Look) and the round they ask for, as features of its
// own, until every comparison is clear or at its maximum.
func (s *Suite) Test(t *testing.T, e env.Environment) {
	ctx := e.Test(t, s.Features()...)
	for s.auto != nil {
		sess := s.current()
		if sess == nil || ctx.Err() != nil {
			return
		}
		next, finished := sess.Look()
		var feats []features.Feature
		for _, c := range finished {
			feats = append(feats, s.repeatsFeature(c))
		}
		for _, c := range next.Select(s.filter, plan.Cell.Name) {
			feats = append(feats, s.cellFeature(c))
		}
		if len(feats) == 0 {
			return
		}
		ctx = e.Test(t, feats...)
	}
}

// resultKey carries a cell's result from its first assessment to the
// next.
type resultKey struct{}

func (s *Suite) cellFeature(c plan.Cell) features.Feature {
	b := features.New(c.Name())
	for k, v := range c.Labels() {
		b = b.WithLabel(k, v)
	}
	return b.
		Assess("runs under load and reverts its fault", s.runCell(c)).
		Assess("keeps its budgets", s.checkBudgets).
		Feature()
}

// repeatsFeature is labelled like the cell's repetitions, but with
// repetition=all, so that selecting one repetition leaves it out.
func (s *Suite) repeatsFeature(c plan.Cell) features.Feature {
	b := features.New(c.Cell.Name() + " repetitions")
	for k, v := range c.Cell.Labels() {
		b = b.WithLabel(k, v)
	}
	return b.WithLabel("repetition", "all").
		Assess("keeps its aggregate budgets", s.checkRepeats(c)).
		Feature()
}

func (s *Suite) runCell(c plan.Cell) features.Func {
	return func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
		sess := s.current()
		if sess == nil {
			t.Fatal("the suite's Setup did not finish; see the log above")
		}
		if err := s.refusal(c); err != nil {
			t.Skipf("%s: not run here: %v", c.Name(), err)
		}
		if ctx.Err() != nil {
			t.Skipf("%s: not started, the suite was interrupted", c.Name())
		}
		res, err := sess.RunCell(ctx, c)
		if res != nil {
			text.Summary(s.o.out, res)
		}
		var refused *catalog.RefusedError
		if errors.As(err, &refused) {
			t.Skipf("%s: not run here: %v", c.Name(), err)
		}
		if err != nil {
			s.fail()
			t.Fatalf("%s: %v", c.Name(), err)
		}
		return context.WithValue(ctx, resultKey{}, res)
	}
}

func (s *Suite) refusal(c plan.Cell) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refused[c.Cell.Name()]
}

func (s *Suite) checkBudgets(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
	res, _ := ctx.Value(resultKey{}).(*result.Result)
	if res == nil {
		t.Fatal("no result to check")
	}
	caveat := view.HostCaveat(res)
	for _, b := range res.Budgets {
		switch {
		case b.Pass:
		case res.Excused():
			t.Logf("%s: budget missed: %s; not failed: %s, and failing on a starved machine is off", res.Scenario, b.Message, caveat)
		case caveat != "":
			s.fail()
			t.Errorf("%s: budget missed: %s (%s)", res.Scenario, b.Message, caveat)
		default:
			s.fail()
			t.Errorf("%s: budget missed: %s", res.Scenario, b.Message)
		}
	}
	return ctx
}

func (s *Suite) checkRepeats(c plan.Cell) features.Func {
	return func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
		sess := s.current()
		if sess == nil {
			t.Fatal("the suite's Setup did not finish; see the log above")
		}
		agg, ok := sess.Repeats(c)
		if !ok {
			t.Skipf("%s: no repetition ran", c.Cell.Name())
		}
		text.Repeats(s.o.out, view.RepeatsFrom(agg))
		for _, b := range agg.Missed() {
			s.fail()
			t.Errorf("%s: aggregate budget missed: %s", agg.Label(), b.Message)
		}
		return ctx
	}
}
