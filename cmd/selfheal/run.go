package main

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

	"github.com/selfheal/selfheal/chaos/app"
	"github.com/selfheal/selfheal/chaos/catalog"
	"github.com/selfheal/selfheal/chaos/guard"
	"github.com/selfheal/selfheal/chaos/host"
	"github.com/selfheal/selfheal/chaos/plan"
	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/chaos/session"
	"github.com/selfheal/selfheal/chaos/variant"
	"github.com/selfheal/selfheal/fixtures"
	"github.com/selfheal/selfheal/fixtures/cluster"
	"github.com/selfheal/selfheal/fixtures/wordpress"
	"github.com/selfheal/selfheal/internal/console"
	"github.com/selfheal/selfheal/reports/text"
	"github.com/selfheal/selfheal/reports/view"
)

const runSynopsis = "[--app FILE] [--scenario NAME ...] [--variant NAME,... | --matrix] [--repeat N|auto] [--kubeconfig FILE] [--rate 10] [--timeout 2s] [--budgets SCENARIO.METRIC=VALUE,...] [--report-dir _out/report]\n\n" +
	"Without --app it runs against the WordPress fixture. A flag marked ($SELFHEAL_...) takes that variable as its default, as `go test ./e2e` does; the flag wins."

type runOptions struct {
	appFile string
	// app is the app the scenarios break: --app's, or the WordPress
	// fixture's (with stand-in images until the cluster's mode is known),
	// and variants its variants.
	app          app.App
	variants     variant.Set
	scenarios    stringList
	kubeconfig   string
	kubeContext  string
	settings     session.Settings
	hostEvery    time.Duration
	list         bool
	variantNames stringList
	matrix       bool
	listVariants bool
	cells        plan.Plan
	auto         *plan.Auto
	skipped      []string
	explicit     bool
}

// parseRunFlags reads the SELFHEAL_* variables, then the flags over them,
// and checks all of it: nothing here touches Docker, a cluster or the
// network, so every mistake is reported before any work starts.
func parseRunFlags(env *cliEnv, args []string) (runOptions, error) {
	var o runOptions
	st, err := session.SettingsFromEnv(env.env)
	if err != nil {
		return o, usageError{err.Error()}
	}
	o.settings = st
	fs := newFlagSet(env, "run", runSynopsis)
	fs.StringVar(&o.appFile, "app", "", "app description `file` (YAML, see chaos/app; default: the WordPress fixture)")
	fs.Var(&o.scenarios, "scenario", "scenario to run (repeat; default every scenario): "+strings.Join(catalog.Names(), ", "))
	fs.StringVar(&o.kubeconfig, "kubeconfig", "", "kubeconfig `file` of the cluster (default: $KUBECONFIG, else _out/<cluster>.kubeconfig as make cluster writes it)")
	fs.StringVar(&o.kubeContext, "context", "", "kubeconfig context (default: current)")
	fs.BoolVar(&o.list, "list", false, "list the scenarios and exit")
	fs.DurationVar(&o.hostEvery, "host-every", host.DefaultInterval, "how often the host's conditions are sampled")
	fs.Var(&o.variantNames, "variant", "variant to run against (repeat, or a comma list; default baseline): each runs the scenarios it matters to, or those given with --scenario; see --list-variants")
	fs.BoolVar(&o.matrix, "matrix", false, "run the default scenario × variant matrix (the cells the write-ups' claims need), limited by --scenario and --variant when given")
	fs.BoolVar(&o.listVariants, "list-variants", false, "list the fixture variants, the question each answers and the scenarios it matters to, and exit")
	o.settings.RegisterFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, usagef("unexpected argument %q: scenarios are chosen with --scenario", fs.Arg(0))
	}
	if err := o.settings.Check(); err != nil {
		return o, usageError{err.Error()}
	}
	if o.hostEvery <= 0 {
		return o, usagef("--host-every must be positive, got %s", o.hostEvery)
	}
	if _, err := catalog.Lookup(o.scenarios...); err != nil {
		return o, usagef("--scenario: %v", err)
	}
	if err := o.readApp(); err != nil {
		return o, err
	}
	var names []string
	for _, v := range o.variantNames {
		names = append(names, variant.ParseList(v)...)
	}
	matrix, err := variant.Plan(o.app, o.variants, variant.Request{Variants: names, Scenarios: o.scenarios, Default: o.matrix})
	if err != nil {
		return o, usagef("--variant: %v", err)
	}
	if o.cells, o.auto, err = o.settings.Plan(matrix); err != nil {
		return o, usagef("--repeat: %v", err)
	}
	o.skipped, o.explicit = matrix.Skipped, matrix.Explicit
	return o, nil
}

// readApp reads --app's description (refused, naming the field, before
// any work), or else takes the WordPress fixture and its variants.
func (o *runOptions) readApp() error {
	if o.appFile != "" {
		a, err := app.ReadFile(o.appFile)
		if err != nil {
			return usagef("--app: %v", err)
		}
		o.app, o.variants = a, variant.Set{variant.Base()}
		return nil
	}
	a, err := wordpressApp(fixtures.ImageSet{WordPress: "planned/wordpress", WordPressNext: "planned/wordpress:next", MySQL: "planned/mysql"})
	if err != nil {
		return err
	}
	o.app, o.variants = a, wordpress.Variants()
	return nil
}

// wordpressApp is the WordPress fixture with images.
func wordpressApp(images fixtures.ImageSet) (app.App, error) {
	c, err := wordpress.New(wordpress.WithImages(images.WordPress, images.MySQL))
	if err != nil {
		return app.App{}, err
	}
	return c.App(images.WordPressNext), nil
}

// runRun is `selfheal run`: the scenario suite from the command line,
// against a running cluster, with a live status line.
func runRun(ctx context.Context, env *cliEnv, args []string) error {
	o, err := parseRunFlags(env, args)
	if err != nil {
		return err
	}
	if o.list {
		return listScenarios(ctx, env, o.app)
	}
	if o.listVariants {
		listVariants(env, o.variants)
		return nil
	}
	cells := o.cells
	for _, skipped := range o.skipped {
		fmt.Fprintf(env.stderr, "not planned: %s\n", skipped)
	}
	st := o.settings
	kubeconfig, err := runKubeconfig(env, o)
	if err != nil {
		return err
	}
	reportDir := cmp.Or(st.ReportDir, filepath.Join("_out", "report"))
	if err := session.CheckReportDir(reportDir); err != nil {
		return usageError{err.Error()}
	}
	cfg := st.Config(host.WithInterval(o.hostEvery))
	cfg.App = o.app
	if o.appFile == "" {
		if cfg.App, cfg.ImageMode, err = fixtureForCluster(ctx, env, st); err != nil {
			return err
		}
	}
	con := console.New(env.stdout, env.isTerminal)
	cfg.Kubeconfig, cfg.Context, cfg.ReportDir = kubeconfig, o.kubeContext, reportDir
	cfg.Plan, cfg.Auto, cfg.Variant, cfg.VariantDirs = cells, o.auto, cells[0].Variant, o.explicit
	cfg.Console, cfg.StatusEvery, cfg.StatusLine = con, con.DefaultInterval(), console.StatusLine
	cfg.Command, cfg.Tracker = "selfheal run", env.faults
	s, err := session.Open(ctx, cfg)
	if err != nil {
		return err
	}
	defer s.Close()
	cells, refused := s.Preflight(ctx, cells)
	for _, r := range refused {
		fmt.Fprintf(env.stderr, "pre-flight: not run here: %v\n", r)
	}
	if len(cells) == 0 {
		return errors.New("pre-flight: no scenario asked for can run on this cluster (see above)")
	}
	var failed []string
	ran := 0
	run := func(ctx context.Context, c plan.Cell) {
		res, err := s.RunCell(ctx, c)
		var refused *catalog.RefusedError
		if errors.As(err, &refused) {
			// A later round of --repeat auto may plan what the pre-flight refused.
			return
		}
		ran++
		if res != nil {
			text.Summary(env.stdout, res)
		}
		if err != nil || res == nil || res.FailsRun() {
			failed = append(failed, fmt.Sprintf("%s (%s)", c.Name(), verdictOf(res, err)))
		}
	}
	// With --repeat auto, later rounds follow the looks (session.Rounds).
	session.Rounds(ctx, s, cells, run, func(c plan.Cell) { failed = append(failed, repeatsSummary(env, s, c)...) })
	// The report is written even after Ctrl-C: what ran is worth reading.
	if err := s.Publish(context.WithoutCancel(ctx)); err != nil {
		return err
	}
	if ctx.Err() != nil {
		return errors.New(guard.AfterInterrupt(context.Cause(ctx), s.Left()))
	}
	if len(failed) > 0 {
		return fmt.Errorf("%d of %d scenario run(s) or aggregate budget(s) did not pass: %s", len(failed), ran, strings.Join(failed, ", "))
	}
	return nil
}

// repeatsSummary prints the repetitions of c's scenario and variant taken
// together and returns its missed aggregate budgets.
func repeatsSummary(env *cliEnv, s *session.Session, c plan.Cell) []string {
	agg, ok := s.Repeats(c)
	if !ok {
		return nil
	}
	text.Repeats(env.stdout, view.RepeatsFrom(agg))
	var missed []string
	for _, b := range agg.Missed() {
		missed = append(missed, fmt.Sprintf("%s aggregate %s (%s)", agg.Label(), b.Metric, b.Message))
	}
	return missed
}

// fixtureForCluster is the WordPress fixture with the images of the
// cluster's mode (Settings.Images).
func fixtureForCluster(ctx context.Context, env *cliEnv, st session.Settings) (app.App, string, error) {
	images, err := st.Images(ctx, env.stderr)
	if err != nil {
		return app.App{}, "", err
	}
	a, err := wordpressApp(images)
	return a, string(images.Mode), err
}

// listScenarios prints each scenario: what it breaks in the app, the
// healing it expects and its default budgets against it, or why it cannot
// run against it.
func listScenarios(ctx context.Context, env *cliEnv, a app.App) error {
	shape, err := variant.Shape(ctx, a, variant.Base())
	if err != nil {
		return err
	}
	for _, e := range catalog.Entries() {
		fmt.Fprintf(env.stdout, "%s  (fault %s, set %s)\n", e.Name, e.Fault, e.Set)
		if shape == nil {
			// Deployed already: what it offers is read from the cluster.
			fmt.Fprintf(env.stdout, "  needs:   %s\n\n", needsWords(e))
			continue
		}
		breaks, heals := e.Words(*shape)
		if err := e.Supports(*shape); err != nil {
			fmt.Fprintf(env.stdout, "  refused: %v\n\n", err)
			continue
		}
		fmt.Fprintf(env.stdout, "  breaks:  %s\n  heals:   %s\n  budgets: %s\n\n", breaks, heals, e.Defaults(*shape).Budgets)
	}
	fmt.Fprintln(env.stdout, "Every scenario runs by default; pick some with --scenario NAME (go test ./e2e: -labels scenario=NAME, or set=core for the core set).")
	return nil
}

func needsWords(e catalog.Entry) string {
	if len(e.Needs) == 0 {
		return "nothing in particular"
	}
	var out []string
	for _, n := range e.Needs {
		out = append(out, string(n.Capability))
	}
	return strings.Join(out, "; ")
}

// listVariants prints each variant, the question it answers and the
// scenarios it matters to (* marks the default matrix's).
func listVariants(env *cliEnv, set variant.Set) {
	for _, v := range set {
		var scen []string
		for _, sc := range v.Scenarios {
			if slices.Contains(v.Default, sc) {
				sc += "*"
			}
			scen = append(scen, sc)
		}
		fmt.Fprintf(env.stdout, "%-18s %s\n%-18s scenarios: %s\n", v.Name, v.Question, "", strings.Join(scen, ", "))
	}
	fmt.Fprintln(env.stdout, "\n* in the default matrix (selfheal run --matrix). Any pair: selfheal run --variant NAME --scenario NAME.")
}

func verdictOf(res *result.Result, err error) string {
	if res != nil && res.Verdict != "" {
		return string(res.Verdict)
	}
	if err != nil {
		return "error: " + err.Error()
	}
	return string(result.VerdictError)
}

// runKubeconfig finds the cluster's kubeconfig: the flag, $KUBECONFIG, or
// the file `make cluster` writes; and checks that it is one, with the
// context asked for, before any work starts.
func runKubeconfig(env *cliEnv, o runOptions) (string, error) {
	path, from, err := findKubeconfig(env, o)
	if err != nil {
		return "", err
	}
	if _, err := session.RestConfig(path, o.kubeContext); err != nil {
		return "", usagef("%s: %v", from, err)
	}
	return path, nil
}

func findKubeconfig(env *cliEnv, o runOptions) (path, from string, err error) {
	for _, c := range []struct{ path, from string }{
		{o.kubeconfig, "--kubeconfig"},
		{strings.Split(env.env("KUBECONFIG"), string(os.PathListSeparator))[0], "KUBECONFIG"},
	} {
		if c.path == "" {
			continue
		}
		if st, err := os.Stat(c.path); err != nil || st.IsDir() {
			return "", "", usagef("%s %s: not a kubeconfig file (%v)", c.from, c.path, cmp.Or(err, errors.New("a directory")))
		}
		return c.path, c.from, nil
	}
	p := cluster.KubeconfigPath(".", o.settings.Cluster)
	if _, err := os.Stat(p); err != nil {
		return "", "", errors.New("no cluster to run against: create one with `make cluster` (it writes " + p + "), or pass --kubeconfig")
	}
	return p, "make cluster's kubeconfig", nil
}
