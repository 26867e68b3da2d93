package main

import (
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
	"github.com/selfheal/selfheal/chaos/history"
	"github.com/selfheal/selfheal/chaos/load"
	"github.com/selfheal/selfheal/chaos/plan"
	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/chaos/scenario"
	"github.com/selfheal/selfheal/chaos/session"
	"github.com/selfheal/selfheal/chaos/variant"
	"github.com/selfheal/selfheal/fixtures"
	"github.com/selfheal/selfheal/fixtures/cluster"
	"github.com/selfheal/selfheal/internal/console"
	"github.com/selfheal/selfheal/reports/text"
)

const runSynopsis = "[--scenario NAME ...] [--variant NAME,... | --matrix] [--repeat N] [--kubeconfig FILE] [--rate 10] [--timeout 2s] [--budgets SCENARIO.METRIC=VALUE,...] [--report-dir _out/report]"

type runOptions struct {
	scenarios    stringList
	kubeconfig   string
	kubeContext  string
	cluster      string
	mode         string
	rate         float64
	timeout      time.Duration
	keepAlive    bool
	budgets      string
	repeat       int
	reportDir    string
	warmup       time.Duration
	allowNonKind bool
	list         bool
	history      string
	warmupLimit  time.Duration
	host         hostFlags
	variants     stringList
	matrix       bool
	listVariants bool
	cells        plan.Plan
	skipped      []string
	explicit     bool
	runID        string
}

func parseRunFlags(env *cliEnv, args []string) (runOptions, error) {
	var o runOptions
	fs := newFlagSet(env, "run", runSynopsis)
	fs.Var(&o.scenarios, "scenario", "scenario to run (repeat; default every scenario): "+strings.Join(catalog.Names(), ", "))
	fs.StringVar(&o.kubeconfig, "kubeconfig", "", "kubeconfig `file` of the cluster (default: $KUBECONFIG, else _out/<cluster>.kubeconfig as make cluster writes it)")
	fs.StringVar(&o.kubeContext, "context", "", "kubeconfig context (default: current)")
	fs.StringVar(&o.cluster, "cluster", cluster.DefaultName, "name of the kind cluster (node faults stop its containers)")
	fs.StringVar(&o.mode, "mode", string(fixtures.ModeAuto), "image mode of the cluster: auto, online or offline")
	fs.Float64Var(&o.rate, "rate", session.DefaultRate, "requests per second, all targets together")
	fs.DurationVar(&o.timeout, "timeout", load.DefaultTimeout, "per-request timeout")
	fs.BoolVar(&o.keepAlive, "keep-alive", session.DefaultKeepAlive, "reuse connections (a kept-alive connection stays on one pod; the default opens one per request)")
	fs.StringVar(&o.budgets, "budgets", "", "budget overrides, e.g. node-halt.recovery=2m,*.5xx=0 (metrics: downtime, longest_outage, 5xx, recovery, healing, recovered)")
	fs.IntVar(&o.repeat, "repeat", 1, "run each selected cell `N` times in a row, each repetition with its own warm-up, result and verdict, then take them together")
	fs.StringVar(&o.reportDir, "report-dir", filepath.Join("_out", "report"), "where results and reports go (a directory per run)")
	fs.StringVar(&o.runID, "run-id", "", "name of the run's directory under --report-dir (default: the start time)")
	fs.DurationVar(&o.warmup, "warmup", 0, "load before each injection (default 15s)")
	fs.BoolVar(&o.allowNonKind, "allow-non-kind", false, "inject faults even if the cluster is not kind cluster --cluster")
	fs.BoolVar(&o.list, "list", false, "list the scenarios and exit")
	fs.StringVar(&o.history, "history", "", "budgets from the earlier runs in --report-dir: "+history.SpecHelp+" (default p=0.95,last=14,min=5,floor=1s)")
	fs.DurationVar(&o.warmupLimit, "warmup-limit", 0, "how long the warm-up waits for a clean baseline (default 2m)")
	o.host.register(fs, true)
	fs.Var(&o.variants, "variant", "fixture variant to run against (repeat, or a comma list; default baseline): each runs the scenarios it matters to, or those given with --scenario; see --list-variants")
	fs.BoolVar(&o.matrix, "matrix", false, "run the default scenario × variant matrix (the cells the write-ups' claims need), limited by --scenario and --variant when given")
	fs.BoolVar(&o.listVariants, "list-variants", false, "list the fixture variants, the question each answers and the scenarios it matters to, and exit")
	if err := parseFlags(fs, args); err != nil {
		return o, err
	}
	if err := o.host.check(); err != nil {
		return o, err
	}
	if o.warmupLimit < 0 {
		return o, usagef("--warmup-limit must not be negative")
	}
	if fs.NArg() > 0 {
		return o, usagef("unexpected argument %q: scenarios are chosen with --scenario", fs.Arg(0))
	}
	if o.rate <= 0 {
		return o, usagef("--rate must be above 0 (got %v)", o.rate)
	}
	if o.timeout <= 0 {
		return o, usagef("--timeout must be above 0 (got %s)", o.timeout)
	}
	if o.runID != "" && (o.runID != filepath.Base(o.runID) || o.runID == "." || o.runID == "..") {
		return o, usagef("--run-id %q must be a plain directory name", o.runID)
	}
	if o.warmup < 0 {
		return o, usagef("--warmup must not be negative")
	}
	if _, err := fixtures.ParseMode(o.mode); err != nil {
		return o, usagef("--mode: %v", err)
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
	if o.cells, err = plan.New(matrix, o.repeat); err != nil {
		return o, usagef("--repeat: %v", err)
	}
	o.skipped, o.explicit = matrix.Skipped, matrix.Explicit
	_, agg, err := scenario.ParseBudgets(o.budgets)
	if err != nil {
		return o, usagef("--budgets: %v", err)
	}
	if _, err := catalog.Lookup(agg.Scenarios()...); err != nil {
		return o, usagef("--budgets: %v", err)
	}
	if _, err := history.Parse(o.history); err != nil {
		return o, usagef("--history: %v", err)
	}
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
		for _, e := range catalog.Entries() {
			fmt.Fprintf(env.stdout, "%-16s fault=%-10s set=%s\n", e.Name, e.Fault, e.Set)
		}
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
	kubeconfig, err := runKubeconfig(o)
	if err != nil {
		return err
	}
	mode, _ := fixtures.ParseMode(o.mode)
	if mode == fixtures.ModeAuto {
		if state, err := cluster.Status(ctx, o.cluster); err == nil && state.Mode != "" {
			mode = state.Mode
		} else if mode, err = cluster.ResolveMode(ctx, mode, nil, nil, env.stderr); err != nil {
			return err
		}
	}
	images, err := fixtures.Images(mode)
	if err != nil {
		return err
	}
	overrides, agg, _ := scenario.ParseBudgets(o.budgets)
	hist, _ := history.Parse(o.history)
	con := console.New(env.stdout, env.isTerminal)
	s, err := session.Open(ctx, session.Config{
		Kubeconfig: kubeconfig, Context: o.kubeContext, Cluster: o.cluster, AllowNonKind: o.allowNonKind,
		Images: images, Budgets: overrides, Aggregate: agg, Plan: cells, Timing: scenario.Timing{Warmup: o.warmup, WarmupLimit: o.warmupLimit}, Host: o.host.policy(), History: hist,
		Variant: cells[0].Variant, VariantDirs: o.explicit,
		Load:      []load.Option{load.Rate(o.rate), load.Timeout(o.timeout), load.KeepAlive(o.keepAlive)},
		ReportDir: o.reportDir, RunID: o.runID, Console: con, StatusEvery: con.DefaultInterval(), StatusLine: console.StatusLine,
		Command: "selfheal run", Tracker: env.faults,
	})
	if err != nil {
		return err
	}
	defer s.Close()
	var failed []string
	for i, c := range cells {
		if ctx.Err() != nil {
			break
		}
		res, err := s.RunCell(ctx, c)
		if res != nil {
			text.Summary(env.stdout, res)
		}
		if err != nil || res == nil || (res.Verdict != result.VerdictPass && !excused(res)) {
			failed = append(failed, fmt.Sprintf("%s (%s)", c.Name(), verdictOf(res, err)))
		}
		if c.Repeated() && cells.Last(i) && ctx.Err() == nil {
			failed = append(failed, repeatsSummary(env, s, c)...)
		}
	}
	// The report is written even after Ctrl-C: what ran is worth reading.
	if err := s.Publish(context.WithoutCancel(ctx)); err != nil {
		return err
	}
	if ctx.Err() != nil {
		return errors.New(guard.AfterInterrupt(context.Cause(ctx), s.Left()))
	}
	if len(failed) > 0 {
		return fmt.Errorf("%d of %d scenario run(s) or aggregate budget(s) did not pass: %s", len(failed), len(cells), strings.Join(failed, ", "))
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
func runKubeconfig(o runOptions) (string, error) {
	if o.kubeconfig != "" {
		return o.kubeconfig, nil
	}
	if v := os.Getenv("KUBECONFIG"); v != "" {
		return strings.Split(v, string(os.PathListSeparator))[0], nil
	}
	p := cluster.KubeconfigPath(".", o.cluster)
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
