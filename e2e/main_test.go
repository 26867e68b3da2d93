// Package e2e is selfheal's scenario suite, on sigs.k8s.io/e2e-framework:
// `go test ./e2e` brings up (or reuses) the kind cluster, deploys WordPress
// and MySQL, and runs each catalog scenario under load as a feature, one
// at a time, writing a result per scenario and the report. See README.md,
// "The scenario suite", for the flags and SELFHEAL_* variables.
package e2e

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"sigs.k8s.io/e2e-framework/pkg/env"
	"sigs.k8s.io/e2e-framework/pkg/envconf"

	"github.com/selfheal/selfheal/chaos/session"
	"github.com/selfheal/selfheal/fixtures"
	"github.com/selfheal/selfheal/fixtures/cluster"
	"github.com/selfheal/selfheal/internal/console"
)

// testenv is the framework's environment: e2e-framework's model is a
// package-level Environment that TestMain sets up and the tests use.
var testenv env.Environment

// suiteKey is where the suite's state travels in the framework's context.
type suiteKey struct{}

// suite is the state shared by Setup, the features and Finish.
type suite struct {
	settings session.Settings
	con      *console.Console
	cluster  *cluster.Cluster // nil when an existing kubeconfig was given
	session  *session.Session
	failed   bool
}

func TestMain(m *testing.M) {
	cfg, err := envconf.NewFromFlags()
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		os.Exit(2)
	}
	st, err := readSettings(os.Getenv)
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: bad settings, nothing was started: %v\n", err)
		os.Exit(2)
	}
	ctx, stop := suiteContext()
	defer stop()
	s := &suite{settings: st, con: console.New(os.Stdout, false)}
	testenv, err = env.NewWithContext(context.WithValue(ctx, suiteKey{}, s), cfg)
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		os.Exit(2)
	}
	testenv.Setup(s.setup)
	testenv.Finish(s.finish)
	os.Exit(testenv.Run(m))
}

// suiteContext ends on SIGINT/SIGTERM, and a little before go test's own
// -timeout would kill the process with no clean-up at all: the scenario
// in flight then reverts its fault and the report is still written.
func suiteContext() (context.Context, context.CancelFunc) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	f := flag.Lookup("test.timeout")
	if f == nil {
		return ctx, stop
	}
	d, err := time.ParseDuration(f.Value.String())
	if err != nil || d <= 0 {
		return ctx, stop
	}
	margin := 3 * time.Minute
	if d < 4*margin {
		margin = d / 4
	}
	ctx, cancel := context.WithDeadline(ctx, time.Now().Add(d-margin))
	return ctx, func() { cancel(); stop() }
}

func suiteFrom(ctx context.Context) *suite { return ctx.Value(suiteKey{}).(*suite) }

// setup brings up or reuses the cluster and prepares the session.
func (s *suite) setup(ctx context.Context, cfg *envconf.Config) (context.Context, error) {
	st := s.settings
	kubeconfig := cfg.KubeconfigFile()
	var images fixtures.ImageSet
	if kubeconfig == "" {
		s.con.Logf("no -kubeconfig given: bringing up kind cluster %q (%s mode)", st.Cluster, st.Mode)
		c, err := cluster.Up(ctx, cluster.WithName(st.Cluster), cluster.WithMode(st.Mode), cluster.WithReuse(true), cluster.WithLog(os.Stdout))
		if err != nil {
			return ctx, fmt.Errorf("bringing up the cluster: %w", err)
		}
		s.cluster, kubeconfig, images = c, c.Kubeconfig, c.Images
		cfg.WithKubeconfigFile(kubeconfig)
	} else {
		mode, err := existingMode(ctx, st)
		if err != nil {
			return ctx, err
		}
		if images, err = fixtures.Images(mode); err != nil {
			return ctx, err
		}
	}
	var err error
	s.session, err = session.Open(ctx, session.Config{
		Kubeconfig: kubeconfig, Context: cfg.KubeContext(), Cluster: st.Cluster, AllowNonKind: st.AllowNonKind,
		Images: images, Load: st.Load(), Budgets: st.Budgets, Timing: st.Timing(),
		ReportDir: st.ReportDir, RunID: st.RunID, Console: s.con,
		StatusEvery: 5 * time.Second, StatusLine: console.StatusLine,
	})
	if err != nil {
		return ctx, err
	}
	return ctx, nil
}

// existingMode is the image mode of a cluster given by kubeconfig: as
// asked, or else the one its node image belongs to, or else what the
// registries' reachability says.
func existingMode(ctx context.Context, st session.Settings) (fixtures.Mode, error) {
	if st.Mode != fixtures.ModeAuto {
		return st.Mode, nil
	}
	if state, err := cluster.Status(ctx, st.Cluster); err == nil && state.Mode != "" {
		return state.Mode, nil
	}
	return cluster.ResolveMode(ctx, fixtures.ModeAuto, nil, nil, os.Stdout)
}

// finish writes the report, and deletes the cluster if this suite created
// it and was not asked to keep it.
func (s *suite) finish(ctx context.Context, _ *envconf.Config) (context.Context, error) {
	// The suite's context may be the one that ran out: the report and the
	// teardown still have to happen.
	ctx = context.WithoutCancel(ctx)
	if s.session != nil {
		if err := s.session.Publish(ctx); err != nil {
			s.con.Logf("writing the report: %v", err)
		}
		s.session.Close()
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

// readSettings reads the SELFHEAL_* variables with the reader `selfheal
// run` shares (chaos/session), and checks that results can be written,
// all before anything touches Docker, a cluster or the network.
func readSettings(getenv func(string) string) (session.Settings, error) {
	st, err := session.SettingsFromEnv(getenv)
	if err != nil {
		return st, err
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
