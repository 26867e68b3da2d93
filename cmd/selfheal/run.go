package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/selfheal/selfheal/chaos/catalog"
	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/chaos/session"
	"github.com/selfheal/selfheal/fixtures"
	"github.com/selfheal/selfheal/fixtures/cluster"
	"github.com/selfheal/selfheal/internal/console"
	"github.com/selfheal/selfheal/reports/text"
)

const runSynopsis = "[--scenario NAME ...] [--kubeconfig FILE] [--rate 10] [--timeout 2s] [--budgets SCENARIO.METRIC=VALUE,...] [--report-dir _out/report]\n\n" +
	"Every flag marked ($SELFHEAL_...) reads that variable as its default, as `go test ./e2e` does; the flag wins."

type runOptions struct {
	scenarios   stringList
	kubeconfig  string
	kubeContext string
	settings    session.Settings
	list        bool
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
	if _, err := catalog.Lookup(o.scenarios...); err != nil {
		return o, usagef("--scenario: %v", err)
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
	entries := catalog.Entries()
	if len(o.scenarios) > 0 {
		entries, _ = catalog.Lookup(o.scenarios...)
	}
	if o.list {
		for _, e := range catalog.Entries() {
			fmt.Fprintf(env.stdout, "%-16s fault=%-10s set=%s\n", e.Name, e.Fault, e.Set)
		}
		return nil
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
	mode := st.Mode
	if mode == fixtures.ModeAuto {
		if state, err := cluster.Status(ctx, st.Cluster); err == nil && state.Mode != "" {
			mode = state.Mode
		} else if mode, err = cluster.ResolveMode(ctx, mode, nil, nil, env.stderr); err != nil {
			return err
		}
	}
	images, err := fixtures.Images(mode)
	if err != nil {
		return err
	}
	con := console.New(env.stdout, env.isTerminal)
	s, err := session.Open(ctx, session.Config{
		Kubeconfig: kubeconfig, Context: o.kubeContext, Cluster: st.Cluster, AllowNonKind: st.AllowNonKind,
		Images: images, Budgets: st.Budgets, Timing: st.Timing(), Load: st.Load(),
		ReportDir: reportDir, RunID: st.RunID, Console: con, StatusEvery: con.DefaultInterval(), StatusLine: console.StatusLine,
	})
	if err != nil {
		return err
	}
	defer s.Close()
	var failed []string
	for _, e := range entries {
		if ctx.Err() != nil {
			break
		}
		res, err := s.Run(ctx, e)
		if res != nil {
			text.Summary(env.stdout, res)
		}
		if err != nil || res == nil || res.Verdict != "pass" {
			failed = append(failed, fmt.Sprintf("%s (%s)", e.Name, verdictOf(res, err)))
		}
	}
	// The report is written even after Ctrl-C: what ran is worth reading.
	if err := s.Publish(context.WithoutCancel(ctx)); err != nil {
		return err
	}
	if ctx.Err() != nil {
		return fmt.Errorf("interrupted; the scenario in progress was reverted")
	}
	if len(failed) > 0 {
		return fmt.Errorf("%d of %d scenario(s) did not pass: %s", len(failed), len(entries), strings.Join(failed, ", "))
	}
	return nil
}

func verdictOf(res *result.Result, err error) string {
	if res != nil && res.Verdict != "" {
		return string(res.Verdict)
	}
	if err != nil {
		return "error: " + err.Error()
	}
	return "error"
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
