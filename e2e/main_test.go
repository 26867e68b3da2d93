// Package e2e is selfheal's scenario suite, on sigs.k8s.io/e2e-framework:
// `go test ./e2e` brings up (or reuses) the kind cluster, deploys WordPress
// and MySQL, and runs each catalog scenario under load as a feature, one
// at a time, writing a result per scenario and the report. It builds on
// the public API another repository's suite imports (chaos/suite, with
// the WordPress fixture's description, fixtures/wordpress); what is its
// own is the kind cluster it brings up and the SELFHEAL_* variables. See
// README.md, "Settings of the suite", for the flags and variables.
package e2e

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"sigs.k8s.io/e2e-framework/pkg/env"
	"sigs.k8s.io/e2e-framework/pkg/envconf"

	"github.com/selfheal/selfheal/chaos/app"
	"github.com/selfheal/selfheal/chaos/guard"
	"github.com/selfheal/selfheal/chaos/session"
	"github.com/selfheal/selfheal/chaos/suite"
	"github.com/selfheal/selfheal/chaos/variant"
	"github.com/selfheal/selfheal/fixtures"
	"github.com/selfheal/selfheal/fixtures/cluster"
	"github.com/selfheal/selfheal/fixtures/wordpress"
	"github.com/selfheal/selfheal/internal/console"
)

// testenv is the framework's environment: e2e-framework's model is a
// package-level Environment that TestMain sets up and the tests use.
var testenv env.Environment

// repeatFlag is -repeat N (or auto) after -args; it wins over
// SELFHEAL_REPEAT.
var repeatFlag = flag.String("repeat", "", "run each selected cell N times in a row, or auto: until its comparison is clear, up to SELFHEAL_REPEAT_MAX (default: SELFHEAL_REPEAT, else 1)")

// chaos is the planned suite: its features, Setup and Finish; set once
// with testenv.
var chaos *suite.Suite

// harness is what the suite does beyond chaos/suite: the kind cluster.
type harness struct {
	settings settings
	cluster  *cluster.Cluster // nil when an existing kubeconfig was given
	out      io.Writer
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
	h := &harness{settings: st, out: os.Stdout}
	chaos, err = suite.New(cfg, plannedApp(), h.options()...)
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: SELFHEAL_VARIANTS / -labels: %v\n", err)
		os.Exit(2)
	}
	ctx, stop := chaos.Context(context.Background())
	defer stop()
	testenv, err = env.NewWithContext(ctx, cfg)
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		os.Exit(2)
	}
	testenv.Setup(h.clusterUp, chaos.Setup)
	testenv.Finish(chaos.Finish, h.clusterDown)
	os.Exit(testenv.Run(m))
}

// options are the suite's choices from the SELFHEAL_* variables and the
// flags: the WordPress fixture's variants and the settings (repetitions
// among them).
func (h *harness) options() []suite.Option {
	st := h.settings
	opts := []suite.Option{suite.WithSettings(st.Settings), suite.WithVariants(wordpress.Variants(), st.variants...),
		suite.WithApp(h.deployedApp), suite.WithCommand("go test ./e2e"), suite.WithOutput(h.out)}
	if st.defaultMatrix {
		opts = append(opts, suite.WithDefaultMatrix())
	}
	return opts
}

// plannedApp is the WordPress fixture the features are planned with:
// images stand in until the cluster's image mode is known (what a
// scenario refuses never depends on them).
func plannedApp() app.App {
	a, err := fixtureApp(fixtures.ImageSet{WordPress: "planned/wordpress", WordPressNext: "planned/wordpress:next", MySQL: "planned/mysql"})
	if err != nil {
		panic(err) // the fixture's own defaults are valid: its tests say so
	}
	return a
}

func fixtureApp(images fixtures.ImageSet) (app.App, error) {
	c, err := wordpress.New(wordpress.WithImages(images.WordPress, images.MySQL))
	if err != nil {
		return app.App{}, err
	}
	return c.App(images.WordPressNext), nil
}

// clusterUp brings up or reuses the kind cluster when no -kubeconfig was
// given, and points the environment at it.
func (h *harness) clusterUp(ctx context.Context, cfg *envconf.Config) (context.Context, error) {
	st := h.settings
	if cfg.KubeconfigFile() != "" {
		return ctx, nil
	}
	if err := h.repairBeforeReuse(ctx); err != nil {
		return ctx, err
	}
	fmt.Fprintf(h.out, "no -kubeconfig given: bringing up kind cluster %q (%s mode)\n", st.Cluster, st.Mode)
	c, err := cluster.Up(ctx, cluster.WithName(st.Cluster), cluster.WithMode(st.Mode), cluster.WithRegistry(st.Registry),
		cluster.WithReuse(true), cluster.WithLog(h.out))
	if err != nil {
		return ctx, fmt.Errorf("bringing up the cluster: %w", err)
	}
	h.cluster = c
	cfg.WithKubeconfigFile(c.Kubeconfig)
	return ctx, nil
}

// deployedApp is the WordPress fixture with the images of the cluster's
// mode (suite.WithApp).
func (h *harness) deployedApp(ctx context.Context, _ *envconf.Config) (app.App, string, error) {
	images, err := h.images(ctx)
	if err != nil {
		return app.App{}, "", err
	}
	a, err := fixtureApp(images)
	return a, string(images.Mode), err
}

func (h *harness) images(ctx context.Context) (fixtures.ImageSet, error) {
	if h.cluster != nil {
		return h.cluster.Images, nil
	}
	return h.settings.Images(ctx, h.out)
}

// repairBeforeReuse repairs what the active-fault record of an existing
// cluster names before Up decides whether to reuse it: a node a killed run
// left halted must not make the cluster look broken and be replaced. A
// cluster that cannot be reached is left to Up; one in use by another run
// is not touched at all.
func (h *harness) repairBeforeReuse(ctx context.Context) error {
	st := h.settings
	state, err := cluster.Status(ctx, st.Cluster)
	if err != nil || !state.Exists {
		return nil
	}
	// kind's kubeconfig, not this checkout's file: another checkout may
	// have created the cluster.
	kubeconfig, err := cluster.ExportKubeconfig(ctx, st.Cluster, cluster.WithLog(h.out))
	if err != nil {
		fmt.Fprintf(h.out, "warning: cluster %s exists but its kubeconfig cannot be exported (%v); leaving it to cluster up\n", st.Cluster, err)
		return nil
	}
	con := console.New(h.out, false)
	sc := st.Config()
	sc.Kubeconfig, sc.Command, sc.Console = kubeconfig, "go test ./e2e", con
	err = session.Repair(ctx, sc)
	if errors.Is(err, guard.ErrBusy) {
		return err
	}
	if err != nil {
		con.Logf("warning: repairing cluster %s before reusing it: %v", st.Cluster, err)
	}
	return nil
}

// clusterDown deletes the cluster if this suite created it and was not
// asked to keep it (chaos.Finish has written the report before).
func (h *harness) clusterDown(ctx context.Context, _ *envconf.Config) (context.Context, error) {
	if h.cluster == nil || h.cluster.Reused {
		return ctx, nil
	}
	switch keep := h.settings.KeepCluster; {
	case keep == session.KeepAlways, keep == session.KeepOnFailure && chaos.Failed():
		fmt.Fprintf(h.out, "keeping cluster %s (SELFHEAL_KEEP_CLUSTER=%s); KUBECONFIG=%s; delete it with make cluster-down\n", h.cluster.Name, keep, h.cluster.Kubeconfig)
		return ctx, nil
	}
	if err := cluster.Down(context.WithoutCancel(ctx), h.cluster.Name); err != nil {
		return ctx, fmt.Errorf("deleting cluster %s: %w", h.cluster.Name, err)
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

// repeatOverride is -repeat, which wins over SELFHEAL_REPEAT.
func repeatOverride() []session.Override {
	if *repeatFlag == "" {
		return nil
	}
	return []session.Override{{Env: "SELFHEAL_REPEAT", Value: *repeatFlag, From: "-repeat " + *repeatFlag}}
}
