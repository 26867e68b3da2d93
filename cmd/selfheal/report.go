package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/reports/html"
	"github.com/selfheal/selfheal/reports/junit"
	"github.com/selfheal/selfheal/reports/trend"
	"github.com/selfheal/selfheal/reports/view"
)

const reportSynopsis = `[--out report.html] [--junit junit.xml] [--title TITLE] [--variants] RESULT.json|DIR...

Renders selfheal result files into one self-contained HTML page (no network
needed to view it) and, with --junit, a JUnit XML file for CI. A directory
means every *.json result below it, so a folder of nightly artifacts works;
results are grouped into runs by run id, newest first, with trends across
runs. Flags may come before or after the files.

With --variants, the page is instead the comparison of a run over fixture
variants (selfheal run --variant a,b or --matrix writes it to the run's
directory as variants.html): per scenario every variant against baseline,
a chart per metric, why each variant's numbers differ, and which to pick.`

// runReport implements `selfheal report`.
func runReport(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "report", reportSynopsis)
	out := fs.String("out", "report.html", "write the HTML report to this `file`")
	junitOut := fs.String("junit", "", "also write JUnit XML (one testcase per scenario and per budget) to this `file`")
	title := fs.String("title", "selfheal report", "the report's `title`")
	detail := fs.Int("detail-runs", 1, "how many runs, newest first, get full scenario sections with charts")
	variants := fs.Bool("variants", false, "write the comparison of fixture variants (each against baseline, why, a recommendation) instead of the report; --out defaults to "+html.VariantsFile)
	paths, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if *variants {
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		if *junitOut != "" {
			return usagef("--junit with --variants: the variants page has no JUnit form; run selfheal report --junit on the results for that")
		}
		if !set["out"] {
			*out = html.VariantsFile
		}
		return runVariantsReport(ctx, env, paths, *out)
	}
	if err := checkReportFlags(paths, *out, *junitOut, *detail); err != nil {
		return err
	}
	results, err := loadResults(ctx, env, paths)
	if err != nil {
		return err
	}
	outputs := []string{*out}
	if *junitOut != "" {
		outputs = append(outputs, *junitOut)
	}
	for i, path := range outputs {
		if err := checkWritable(path); err != nil {
			return usagef("%s %s: %v", []string{"--out", "--junit"}[i], path, err)
		}
	}
	// Both outputs are rendered, then written together: a failure leaves
	// neither behind (an HTML report without its JUnit file would pass CI).
	files, err := renderReport(ctx, *out, *junitOut, results, []view.Option{view.WithTitle(*title), view.WithDetailRuns(*detail)})
	if err != nil {
		return err
	}
	if err := result.WriteFilesAtomic(files...); err != nil {
		return fmt.Errorf("%w; nothing was written", err)
	}
	runs := trend.Group(results)
	fmt.Fprintf(env.stdout, "wrote %s: %s in %s; latest run %s: %s\n", *out,
		reportPlural(len(results), "result", "results"), reportPlural(len(runs), "run", "runs"), runs[0].ID, reportVerdicts(runs[0].Results))
	if *junitOut != "" {
		fmt.Fprintf(env.stdout, "wrote %s\n", *junitOut)
	}
	return nil
}

// parseInterleaved parses flags that may follow positional arguments
// (`selfheal report results/ --out r.html`), which package flag alone stops at.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var paths []string
	for {
		if err := parseFlags(fs, args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return paths, nil
		}
		if rest[0] == "--" {
			return append(paths, rest[1:]...), nil
		}
		paths = append(paths, rest[0])
		args = rest[1:]
	}
}

func checkReportFlags(paths []string, out, junitOut string, detail int) error {
	switch {
	case len(paths) == 0:
		return usagef("no result files given: name result JSON files or directories of them, e.g. selfheal report --out report.html results/")
	case out == "":
		return usagef("--out is empty: name the HTML file to write, e.g. --out report.html")
	case detail < 1:
		return usagef("--detail-runs %d: must be at least 1 (the newest run)", detail)
	case junitOut != "" && junitOut == out:
		return usagef("--junit and --out both name %s: give the JUnit XML its own file", out)
	}
	if st, err := os.Stat(out); err == nil && st.IsDir() {
		return usagef("--out %s is a directory: name a file, e.g. --out %s/report.html", out, strings.TrimSuffix(out, "/"))
	}
	return nil
}

// loadResults reads the inputs (readResults), warning about what it
// skipped.
func loadResults(ctx context.Context, env *cliEnv, paths []string) ([]*result.Result, error) {
	loaded, skipped, err := readResults(ctx, paths)
	for _, s := range skipped {
		if s.DuplicateOf != "" {
			fmt.Fprintf(env.stderr, "selfheal report: warning: %s is %s: counted once\n", s.Path, s.Reason)
			continue
		}
		fmt.Fprintf(env.stderr, "selfheal report: skipped %s: %s, not a selfheal result\n", s.Path, s.Reason)
	}
	if err != nil {
		return nil, err
	}
	return result.Results(loaded), nil
}

// readResults reads result files and directories given on the command
// line. Input that is missing, cannot be read or is not a selfheal result
// is bad input (a usageError, exit 2) naming the file and saying what was
// expected; only an interrupt is not.
func readResults(ctx context.Context, paths []string) ([]result.Loaded, []result.Skipped, error) {
	loaded, skipped, err := result.ReadPaths(ctx, paths...)
	switch {
	case err == nil:
		return loaded, skipped, nil
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return nil, skipped, err
	case errors.Is(err, result.ErrNoResults):
		return nil, skipped, usagef("no selfheal result files in %s (%d other JSON files skipped): pass the result files written by selfheal run, selfheal probe or the e2e suite (schema %s), or directories of them",
			strings.Join(paths, ", "), len(skipped), result.Schema)
	case errors.Is(err, fs.ErrNotExist):
		return nil, skipped, usagef("%v: name an existing result file or directory", err)
	case errors.Is(err, fs.ErrPermission):
		return nil, skipped, usagef("%v: this user may not read it", err)
	}
	return nil, skipped, usagef("%v; pass only result files written by selfheal (schema %s)", err, result.Schema)
}

// renderReport renders the HTML report and, when junitOut is set, the
// JUnit XML, in memory.
func renderReport(ctx context.Context, out, junitOut string, results []*result.Result, opts []view.Option) ([]result.File, error) {
	var page bytes.Buffer
	if err := html.Write(ctx, &page, results, opts...); err != nil {
		return nil, fmt.Errorf("rendering %s: %w", out, err)
	}
	files := []result.File{{Path: out, Data: page.Bytes()}}
	if junitOut == "" {
		return files, nil
	}
	var x bytes.Buffer
	if err := junit.Write(&x, results); err != nil {
		return nil, fmt.Errorf("rendering %s: %w", junitOut, err)
	}
	return append(files, result.File{Path: junitOut, Data: x.Bytes()}), nil
}

func reportVerdicts(rs []*result.Result) string {
	counts := map[result.Verdict]int{}
	for _, r := range rs {
		counts[r.Outcome()]++
	}
	var parts []string
	for _, v := range []result.Verdict{result.VerdictPass, result.VerdictFail, result.VerdictError, result.VerdictNone} {
		if n := counts[v]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, v.Words()))
		}
	}
	return strings.Join(parts, ", ")
}

func reportPlural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// runVariantsReport implements `selfheal report --variants`.
func runVariantsReport(ctx context.Context, env *cliEnv, paths []string, out string) error {
	if err := checkReportFlags(paths, out, "", 1); err != nil {
		return err
	}
	results, err := loadResults(ctx, env, paths)
	if err != nil {
		return err
	}
	if err := checkWritable(out); err != nil {
		return usagef("--out %s: %v", out, err)
	}
	page, err := html.Variants(ctx, results)
	if errors.Is(err, view.ErrNoVariants) {
		return usagef("%s: %v", strings.Join(paths, ", "), err)
	}
	if err != nil {
		return err
	}
	if err := result.WriteFileAtomic(out, page); err != nil {
		return err
	}
	runs := trend.Group(results)
	fmt.Fprintf(env.stdout, "wrote %s: %s in %s\n", out, reportPlural(len(results), "result", "results"), reportPlural(len(runs), "run", "runs"))
	return nil
}
