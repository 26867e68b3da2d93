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

	"github.com/selfheal/selfheal/chaos/catalog"
	"github.com/selfheal/selfheal/chaos/guard"
	"github.com/selfheal/selfheal/chaos/host"
	"github.com/selfheal/selfheal/chaos/plan"
	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/chaos/session"
	"github.com/selfheal/selfheal/chaos/variant"
	"github.com/selfheal/selfheal/fixtures/cluster"
	"github.com/selfheal/selfheal/internal/console"
	"github.com/selfheal/selfheal/reports/text"
)

const runSynopsis = "[--scenario NAME ...] [--variant NAME,... | --matrix] [--repeat N|auto] [--kubeconfig FILE] [--rate 10] [--timeout 2s] [--budgets SCENARIO.METRIC=VALUE,...] [--report-dir _out/report]\n\n" +
	"A flag marked ($SELFHEAL_...) takes that variable as its default, as `go test ./e2e` does; the flag wins."

type runOptions struct {
	scenarios    stringList
	kubeconfig   string
	kubeContext  string
	settings     session.Settings
	hostEvery    time.Duration
	list         bool
	variants     stringList
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
	fs.Var(&o.scenarios, "scenario", "scenario to run (repeat; default every scenario): "+strings.Join(catalog.Names(), ", "))
	fs.StringVar(&o.kubeconfig, "kubeconfig", "", "kubeconfig `file` of the cluster (default: $KUBECONFIG, else _out/<cluster>.kubeconfig as make cluster writes it)")
	fs.StringVar(&o.kubeContext, "context", "", "kubeconfig context (default: current)")
	fs.BoolVar(&o.list, "list", false, "list the scenarios and exit")
	fs.DurationVar(&o.hostEvery, "host-every", host.DefaultInterval, "how often the host's conditions are sampled")
	fs.Var(&o.variants, "variant", "fixture variant to run against (repeat, or a comma list; default baseline): each runs the scenarios it matters to, or those given with --scenario; see --list-variants")
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
	var names []string
	for _, v := range o.variants {
		names = append(names, variant.ParseList(v)...)
	}
	matrix, err := variant.Plan(variant.Request{Variants: names, Scenarios: o.scenarios, Default: o.matrix})
	if err != nil {
		return o, usagef("--variant: %v", err)
	}
	if o.cells, o.auto, err = o.settings.Plan(matrix); err != nil {
		return o, usagef("--repeat: %v", err)
	}
	o.skipped, o.explicit = matrix.Skipped, matrix.Explicit
	return o, nil
}

// runRun is `selfheal run`: the scenario suite from the command line,
// against a running cluster, with a live status line.
func runRun(ctx context.Context, env *cliEnv, args []string) error {
	o, err := parseRunFlags(env, args)
	if err != nil {
		return err
	}
	if o.list {
		listScenarios(env)
		return nil
	}
	if o.listVariants {
		listVariants(env)
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
	images, err := cluster.ImagesFor(ctx, st.Cluster, st.Mode, st.Registry.Name, env.stderr)
	if err != nil {
		return err
	}
	con := console.New(env.stdout, env.isTerminal)
	s, err := session.Open(ctx, session.Config{
		Kubeconfig: kubeconfig, Context: o.kubeContext, Cluster: st.Cluster, AllowNonKind: st.AllowNonKind,
		Images: images, Budgets: st.Budgets, Aggregate: st.Aggregate, Plan: cells, Auto: o.auto, AutoMetrics: st.RepeatMetrics, Timing: st.Timing(),
		Host: st.Host(host.WithInterval(o.hostEvery)), History: st.History,
		Variant: cells[0].Variant, VariantDirs: o.explicit, Load: st.Load(),
		ReportDir: reportDir, RunID: st.RunID, Console: con, StatusEvery: con.DefaultInterval(), StatusLine: console.StatusLine,
		Command: "selfheal run", Tracker: env.faults,
	})
	if err != nil {
		return err
	}
	defer s.Close()
	var failed []string
	ran := 0
	run := func(ctx context.Context, c plan.Cell) {
		ran++
		res, err := s.RunCell(ctx, c)
		if res != nil {
			text.Summary(env.stdout, res)
		}
		if err != nil || res == nil || (res.Verdict != result.VerdictPass && !excused(res)) {
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
	rp, ok := s.Repeats(c)
	if !ok {
		return nil
	}
	text.Repeats(env.stdout, rp)
	var missed []string
	for _, b := range rp.Budgets {
		if !b.Pass {
			missed = append(missed, fmt.Sprintf("%s aggregate %s (%s)", rp.Label, b.Key, b.Message))
		}
	}
	return missed
}

// listScenarios prints each scenario: what it breaks, the healing it
// expects and its default budgets against the baseline fixture.
func listScenarios(env *cliEnv) {
	for _, e := range catalog.Entries() {
		fmt.Fprintf(env.stdout, "%s  (fault %s, set %s)\n  breaks:  %s\n  heals:   %s\n  budgets: %s\n\n",
			e.Name, e.Fault, e.Set, e.Breaks, e.Heals, e.Defaults().Budgets)
	}
	fmt.Fprintln(env.stdout, "Every scenario runs by default; pick some with --scenario NAME (go test ./e2e: -labels scenario=NAME, or set=core for the core set).")
}

// listVariants prints each variant, the question it answers and the
// scenarios it matters to (* marks the default matrix's).
func listVariants(env *cliEnv) {
	for _, v := range variant.Catalog() {
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
// the file `make cluster` writes.
func runKubeconfig(env *cliEnv, o runOptions) (string, error) {
	for _, c := range []struct{ path, from string }{
		{o.kubeconfig, "--kubeconfig"},
		{strings.Split(env.env("KUBECONFIG"), string(os.PathListSeparator))[0], "KUBECONFIG"},
	} {
		if c.path == "" {
			continue
		}
		if st, err := os.Stat(c.path); err != nil || st.IsDir() {
			return "", usagef("%s %s: not a kubeconfig file (%v)", c.from, c.path, cmp.Or(err, errors.New("a directory")))
		}
		return c.path, nil
	}
	p := cluster.KubeconfigPath(".", o.settings.Cluster)
	if _, err := os.Stat(p); err != nil {
		return "", errors.New("no cluster to run against: create one with `make cluster` (it writes " + p + "), or pass --kubeconfig")
	}
	return p, nil
}

// excused reports whether res missed a budget on a starved machine and
// the run was told not to fail for it (--fail-starved=false).
func excused(res *result.Result) bool {
	return res.Verdict == result.VerdictFail && res.Conditions != nil && res.Conditions.Excused
}
