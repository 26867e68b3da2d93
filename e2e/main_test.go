// Package e2e is selfheal's scenario suite, on sigs.k8s.io/e2e-framework:
// `go test ./e2e` brings up (or reuses) the kind cluster, deploys WordPress
// and MySQL, and runs each catalog scenario under load as a feature, one
// at a time, writing a result per scenario and the report. See README.md,
// "The scenario suite", for the flags and SELFHEAL_* variables.
package e2e

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"sigs.k8s.io/e2e-framework/pkg/env"
	"sigs.k8s.io/e2e-framework/pkg/envconf"

	"github.com/selfheal/selfheal/chaos/guard"
	"github.com/selfheal/selfheal/chaos/plan"
	"github.com/selfheal/selfheal/chaos/session"
	"github.com/selfheal/selfheal/chaos/variant"
	"github.com/selfheal/selfheal/fixtures"
	"github.com/selfheal/selfheal/fixtures/cluster"
	"github.com/selfheal/selfheal/internal/console"
)

// testenv is the framework's environment: e2e-framework's model is a
// package-level Environment that TestMain sets up and the tests use.
var testenv env.Environment

// repeatFlag is -repeat N (or auto) after -args; it wins over
// SELFHEAL_REPEAT.
var repeatFlag = flag.String("repeat", "", "run each selected cell N times in a row, or auto: until its comparison is clear, up to SELFHEAL_REPEAT_MAX (default: SELFHEAL_REPEAT, else 1)")

// matrix is the scenario × variant cells TestMain planned, and cells
// their repetitions that the framework's selection flags keep, which
// TestScenarios makes features of; with -repeat auto, cells is the first
// batch and auto plans the rounds after it. Set once with testenv.
var (
	matrix variant.Matrix
	cells  plan.Plan
	auto   *plan.Auto
	filter plan.Filter
)

// suiteKey is where the suite's state travels in the framework's context.
type suiteKey struct{}

// suite is the state shared by Setup, the features and Finish.
type suite struct {
	settings settings
	con      *console.Console
	cluster  *cluster.Cluster // nil when an existing kubeconfig was given
	session  *session.Session
	tracker  *guard.Tracker
	failed   bool
}

func TestMain(m *testing.M) {
	cfg, err := envconf.NewFromFlags()
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		os.Exit(2)
	}
	st, err := readSettings(os.Getenv, repeatOverride()...)
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: bad settings, nothing was started: %v\n", err)
		os.Exit(2)
	}
	if matrix, err = planMatrix(st, cfg.Labels()); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		os.Exit(2)
	}
	if cells, auto, err = planCells(matrix, st, cfg); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		os.Exit(2)
	}
	s := &suite{settings: st, con: console.New(os.Stdout, false), tracker: &guard.Tracker{}}
	ctx, stop := suiteContext(s.tracker)
	defer stop()
	testenv, err = env.NewWithContext(context.WithValue(ctx, suiteKey{}, s), cfg)
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		os.Exit(2)
	}
	testenv.Setup(s.setup)
	testenv.Finish(s.finish)
	os.Exit(testenv.Run(m))
}

// suiteContext ends at the first SIGINT/SIGTERM (a second one stops the
// process at once, saying what it leaves: guard.NotifyContext), and early
// enough before go test's own -timeout, which kills the process with no
// clean-up at all, for the scenario in flight to revert its fault and the
// report to be written.
func suiteContext(t *guard.Tracker) (context.Context, context.CancelFunc) {
	ctx, stop := guard.NotifyContext(context.Background(), os.Stdout, t, os.Exit)
	f := flag.Lookup("test.timeout")
	if f == nil {
		return ctx, stop
	}
	d, err := time.ParseDuration(f.Value.String())
	if err != nil || d <= 0 {
		return ctx, stop
	}
	margin, warning := session.Margin(d)
	if warning != "" {
		fmt.Fprintln(os.Stdout, "warning:", warning)
	}
	ctx, cancel := context.WithDeadlineCause(ctx, time.Now().Add(d-margin),
		fmt.Errorf("the suite's deadline, %s before go test's -timeout %s, so that the fault in place is reverted", margin, d))
	return ctx, func() { cancel(); stop() }
}

func suiteFrom(ctx context.Context) *suite { return ctx.Value(suiteKey{}).(*suite) }

// setup brings up or reuses the cluster and prepares the session.
func (s *suite) setup(ctx context.Context, cfg *envconf.Config) (context.Context, error) {
	st := s.settings
	kubeconfig := cfg.KubeconfigFile()
	var images fixtures.ImageSet
	if kubeconfig == "" {
		if err := s.repairBeforeReuse(ctx); err != nil {
			return ctx, err
		}
		s.con.Logf("no -kubeconfig given: bringing up kind cluster %q (%s mode)", st.Cluster, st.Mode)
		c, err := cluster.Up(ctx, cluster.WithName(st.Cluster), cluster.WithMode(st.Mode), cluster.WithRegistry(st.Registry),
			cluster.WithReuse(true), cluster.WithLog(os.Stdout))
		if err != nil {
			return ctx, fmt.Errorf("bringing up the cluster: %w", err)
		}
		s.cluster, kubeconfig, images = c, c.Kubeconfig, c.Images
		cfg.WithKubeconfigFile(kubeconfig)
	} else {
		var err error
		if images, err = cluster.ImagesFor(ctx, st.Cluster, st.Mode, st.Registry.Name, os.Stdout); err != nil {
			return ctx, err
		}
	}
	// Deploy the variant of the first cell that will run, not one the
	// framework's selection left out.
	first := matrix.Cells[0].Variant
	if len(cells) > 0 {
		first = cells[0].Variant
	}
	var err error
	s.session, err = session.Open(ctx, session.Config{
		Kubeconfig: kubeconfig, Context: cfg.KubeContext(), Cluster: st.Cluster, AllowNonKind: st.AllowNonKind,
		Images: images, Load: st.Load(), Budgets: st.Budgets, Timing: st.Timing(), Host: st.Host(), History: st.History,
		Variant: first, VariantDirs: matrix.Explicit, Aggregate: st.Aggregate, Plan: cells, Auto: auto, AutoMetrics: st.RepeatMetrics,
		ReportDir: st.ReportDir, RunID: st.RunID, Console: s.con,
		Command: "go test ./e2e", Tracker: s.tracker,
		StatusEvery: 5 * time.Second, StatusLine: console.StatusLine,
	})
	if err != nil {
		return ctx, err
	}
	return ctx, nil
}

// repairBeforeReuse repairs what the active-fault record of an existing
// cluster names before Up decides whether to reuse it: a node a killed run
// left halted must not make the cluster look broken and be replaced. A
// cluster that cannot be reached is left to Up; one in use by another run
// is not touched at all.
func (s *suite) repairBeforeReuse(ctx context.Context) error {
	st := s.settings
	state, err := cluster.Status(ctx, st.Cluster)
	if err != nil || !state.Exists {
		return nil
	}
	// kind's kubeconfig, not this checkout's file: another checkout may
	// have created the cluster.
	kubeconfig, err := cluster.ExportKubeconfig(ctx, st.Cluster, cluster.WithLog(os.Stdout))
	if err != nil {
		s.con.Logf("warning: cluster %s exists but its kubeconfig cannot be exported (%v); leaving it to cluster up", st.Cluster, err)
		return nil
	}
	err = session.Repair(ctx, session.Config{Kubeconfig: kubeconfig, Cluster: st.Cluster, AllowNonKind: st.AllowNonKind,
		RunID: st.RunID, Command: "go test ./e2e", Console: s.con})
	if errors.Is(err, guard.ErrBusy) {
		return err
	}
	if err != nil {
		s.con.Logf("warning: repairing cluster %s before reusing it: %v", st.Cluster, err)
	}
	return nil
}

// finish writes the report, and deletes the cluster if this suite created
// it and was not asked to keep it.
func (s *suite) finish(ctx context.Context, _ *envconf.Config) (context.Context, error) {
	// The suite's context may be the one that ran out: the report and the
	// teardown still have to happen.
	stopped := context.Cause(ctx)
	ctx = context.WithoutCancel(ctx)
	if s.session != nil {
		if err := s.session.Publish(ctx); err != nil {
			s.con.Logf("writing the report: %v", err)
		}
		s.session.Close()
		if stopped != nil {
			s.con.Logf("%s", guard.AfterInterrupt(stopped, s.session.Left()))
		}
	}
	if s.cluster == nil || s.cluster.Reused {
		return ctx, nil
	}
	switch keep := s.settings.KeepCluster; {
	case keep == session.KeepAlways, keep == session.KeepOnFailure && s.failed:
		s.con.Logf("keeping cluster %s (SELFHEAL_KEEP_CLUSTER=%s); KUBECONFIG=%s; delete it with make cluster-down", s.cluster.Name, keep, s.cluster.Kubeconfig)
		return ctx, nil
	}
	if err := cluster.Down(ctx, s.cluster.Name); err != nil {
		return ctx, fmt.Errorf("deleting cluster %s: %w", s.cluster.Name, err)
	}
	return ctx, nil
}

// settings are the suite's knobs: the SELFHEAL_* variables `selfheal run`
// reads too (chaos/session.Settings), and the suite's own variants.
type settings struct {
	session.Settings
	// variants from SELFHEAL_VARIANTS; defaultMatrix when it says
	// "default".
	variants      []string
	defaultMatrix bool
}

// readSettings reads the SELFHEAL_* variables with the reader `selfheal
// run` shares (the overrides over them), and checks that results can be
// written, all before anything touches Docker, a cluster or the network.
func readSettings(getenv func(string) string, overrides ...session.Override) (settings, error) {
	ss, err := session.SettingsFromEnv(getenv, overrides...)
	st := settings{Settings: ss}
	if err != nil {
		return st, err
	}
	if st.variants = variant.ParseList(getenv("SELFHEAL_VARIANTS")); slices.Equal(st.variants, []string{"default"}) {
		st.variants, st.defaultMatrix = nil, true
	}
	if st.ReportDir == "" {
		wd, err := os.Getwd()
		if err != nil {
			return st, err
		}
		// go test runs in e2e/: the default is the repository's _out/report.
		st.ReportDir = filepath.Join(filepath.Dir(wd), "_out", "report")
	}
	return st, session.CheckReportDir(st.ReportDir)
}

// planMatrix plans the cells from SELFHEAL_VARIANTS, or else from the
// variant labels of -labels; scenario labels name the scenarios, so
// `-labels scenario=image-roll,variant=no-pdb` asks for that pair even
// though no-pdb is not meant for image rolls.
func planMatrix(st settings, labels map[string][]string) (variant.Matrix, error) {
	req := variant.Request{Variants: st.variants, Default: st.defaultMatrix, Scenarios: labels["scenario"]}
	if len(req.Variants) == 0 && !req.Default {
		req.Variants = labels["variant"]
	}
	m, err := variant.Plan(req)
	if err != nil {
		return m, fmt.Errorf("SELFHEAL_VARIANTS / -labels: %w", err)
	}
	return m, nil
}

// repeatOverride is -repeat, which wins over SELFHEAL_REPEAT.
func repeatOverride() []session.Override {
	if *repeatFlag == "" {
		return nil
	}
	return []session.Override{{Env: "SELFHEAL_REPEAT", Value: *repeatFlag, From: "-repeat " + *repeatFlag}}
}

// planCells repeats the matrix's cells (-repeat, else SELFHEAL_REPEAT;
// with auto, the first batch) and keeps those the framework's -labels,
// -skip-labels, -feature and -skip-features select, so that the
// time-left estimate counts only what will run. The rounds of -repeat
// auto pass through the same selection (TestScenarios).
func planCells(m variant.Matrix, st settings, cfg *envconf.Config) (plan.Plan, *plan.Auto, error) {
	p, a, err := st.Plan(m)
	if err != nil {
		return nil, nil, err
	}
	filter = plan.Filter{Labels: cfg.Labels(), SkipLabels: cfg.SkipLabels(), Feature: cfg.FeatureRegex(), SkipFeature: cfg.SkipFeatureRegex()}
	return p.Select(filter, plan.Cell.Name), a, nil
}
