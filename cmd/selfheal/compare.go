package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/selfheal/selfheal/chaos/compare"
	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/reports/html"
	"github.com/selfheal/selfheal/reports/text"
	"github.com/selfheal/selfheal/reports/view"
)

const compareSynopsis = `[--metrics downtime,recovery,...] [--leave-out-host starved] [--html compare.html] BASE NEW

Compares NEW with BASE (benchstat's order) per scenario and metric: both
medians, the difference with its confidence interval, and a verdict:
better, worse, or no clear difference at this sample size, with the test
used. Each side is a result file, a directory of them (every *.json
result below it), a glob ('runs/2026-11-*'), or several of those joined
with commas; results of the e2e suite, selfheal run and selfheal probe
all work.

Exit status: 0 when nothing in NEW is clearly worse than BASE on a gating
metric, 1 when something is, 2 for bad input.`

type compareOptions struct {
	html              string
	metrics           string
	alpha, confidence float64
	leaveOutHost      string
	base, new         []string
}

// runCompare implements `selfheal compare`.
func runCompare(ctx context.Context, env *cliEnv, args []string) error {
	o, gates, err := parseCompareFlags(env, args)
	if err != nil {
		return err
	}
	base, err := loadSide(ctx, env, "BASE", o.base)
	if err != nil {
		return err
	}
	new, err := loadSide(ctx, env, "NEW", o.new)
	if err != nil {
		return err
	}
	opts := []compare.Option{compare.WithGates(gates...), compare.WithAlpha(o.alpha), compare.WithConfidence(o.confidence)}
	if o.leaveOutHost != "" {
		opts = append(opts, compare.WithoutHost(result.HostVerdict(o.leaveOutHost)))
	}
	rep, err := compare.Compare(base, new, opts...)
	if errors.Is(err, compare.ErrNothingInCommon) {
		return usagef("%v: compare results of the same scenarios", err)
	}
	if err != nil {
		return err
	}
	page := view.BuildComparison(rep)
	text.Comparison(env.stdout, page)
	if o.html != "" {
		var buf bytes.Buffer
		if err := html.WriteComparison(ctx, &buf, page); err != nil {
			return err
		}
		if err := result.WriteFileAtomic(o.html, buf.Bytes()); err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "wrote %s\n", o.html)
	}
	if worse := rep.Worse(); len(worse) > 0 {
		return fmt.Errorf("NEW is clearly worse than BASE on %s", reportPlural(len(worse), "gating metric", "gating metrics"))
	}
	return nil
}

func parseCompareFlags(env *cliEnv, args []string) (compareOptions, []result.MetricKey, error) {
	var o compareOptions
	fs := newFlagSet(env, "compare", compareSynopsis)
	fs.StringVar(&o.html, "html", "", "also write the comparison as a self-contained HTML page to this `file`")
	fs.StringVar(&o.metrics, "metrics", "", "the metrics whose 'worse' fails the compare, comma-separated (default every one but first_error): "+strings.Join(metricShorts(), ", "))
	fs.Float64Var(&o.alpha, "alpha", 0.05, "the false-alarm rate across the whole compare")
	fs.Float64Var(&o.confidence, "confidence", 0.95, "the confidence level of the intervals")
	fs.StringVar(&o.leaveOutHost, "leave-out-host", "", "leave out the results measured on a machine at least this loaded: contended or starved (docs/measurement.md, Host conditions); each side says how many")
	paths, err := parseInterleaved(fs, args)
	if err != nil {
		return o, nil, err
	}
	if len(paths) != 2 {
		return o, nil, usagef("want two sides, BASE and NEW, got %d argument(s): selfheal compare runs/last-week runs/tonight", len(paths))
	}
	if !(o.alpha > 0 && o.alpha < 1) {
		return o, nil, usagef("--alpha %v: want between 0 and 1, e.g. 0.05", o.alpha)
	}
	if !(o.confidence > 0 && o.confidence < 1) {
		return o, nil, usagef("--confidence %v: want between 0 and 1, e.g. 0.95", o.confidence)
	}
	switch result.HostVerdict(o.leaveOutHost) {
	case "", result.HostContended, result.HostStarved:
	default:
		return o, nil, usagef("--leave-out-host %q: want contended or starved", o.leaveOutHost)
	}
	gates, err := parseGates(o.metrics)
	if err != nil {
		return o, nil, err
	}
	if o.base, err = expandSide("BASE", paths[0]); err != nil {
		return o, nil, err
	}
	if o.new, err = expandSide("NEW", paths[1]); err != nil {
		return o, nil, err
	}
	return o, gates, nil
}

func metricShorts() []string {
	var names []string
	for _, m := range result.Metrics() {
		names = append(names, m.Short)
	}
	return names
}

// parseGates reads --metrics: Short names (or keys) of the metric table.
func parseGates(list string) ([]result.MetricKey, error) {
	if strings.TrimSpace(list) == "" {
		return compare.DefaultGates(), nil
	}
	var keys []result.MetricKey
	for _, name := range strings.Split(list, ",") {
		m, ok := result.MetricByKey(strings.TrimSpace(name))
		if !ok {
			return nil, usagef("--metrics: no metric %q; the metrics are %s", name, strings.Join(metricShorts(), ", "))
		}
		keys = append(keys, m.Key)
	}
	return keys, nil
}

// expandSide splits a side at commas and expands globs.
func expandSide(name, arg string) ([]string, error) {
	var out []string
	for _, p := range strings.Split(arg, ",") {
		if p == "" {
			continue
		}
		if !strings.ContainsAny(p, "*?[") {
			out = append(out, p)
			continue
		}
		matches, err := filepath.Glob(p)
		if err != nil {
			return nil, usagef("%s: bad pattern %q: %v", name, p, err)
		}
		if len(matches) == 0 {
			return nil, usagef("%s: %q matches no file", name, p)
		}
		out = append(out, matches...)
	}
	if len(out) == 0 {
		return nil, usagef("%s is empty: name result files or directories", name)
	}
	return out, nil
}

// loadSide reads one side (readResults); bad input is a usage error
// naming the side and the file.
func loadSide(ctx context.Context, env *cliEnv, name string, paths []string) (compare.Side, error) {
	loaded, skipped, err := readResults(ctx, paths)
	for _, s := range skipped {
		fmt.Fprintf(env.stderr, "selfheal compare: %s: skipped %s: %s, not a selfheal result\n", name, s.Path, s.Reason)
	}
	var ue usageError
	if errors.As(err, &ue) {
		return compare.Side{}, usagef("%s: %v", name, ue)
	}
	if err != nil {
		return compare.Side{}, err
	}
	return compare.Side{Label: strings.Join(paths, ","), Results: result.Results(loaded)}, nil
}
