// Package publish writes a report directory: report.html and junit.xml
// next to the result JSON files, and the files a team's dashboards read
// (metrics.prom, metrics.om, grafana-annotations.jsonl: README, "Feeding
// dashboards"). It is what the e2e suite calls at the end of a run, and
// what `selfheal report` does with a directory.
package publish

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/reports/grafana"
	"github.com/selfheal/selfheal/reports/html"
	"github.com/selfheal/selfheal/reports/junit"
	"github.com/selfheal/selfheal/reports/openmetrics"
	"github.com/selfheal/selfheal/reports/view"
)

// The dashboard files' names, beside report.html.
const (
	// MetricsName is the Prometheus text format, for node_exporter's
	// textfile collector or a Pushgateway (reports/openmetrics.WriteText).
	MetricsName = "metrics.prom"
	// OpenMetricsName is OpenMetrics with timestamps, for backfilling
	// (reports/openmetrics.WriteOpenMetrics).
	OpenMetricsName = "metrics.om"
	// AnnotationsName holds the fault windows as Grafana annotations
	// (reports/grafana).
	AnnotationsName = "grafana-annotations.jsonl"
)

// Option tunes Dir and Write.
type Option func(*config)

type config struct {
	htmlName   string
	junitName  string
	dashboards bool
	view       []view.Option
}

// WithHTMLName sets the report's file name (default "report.html").
func WithHTMLName(name string) Option { return func(c *config) { c.htmlName = name } }

// WithJUnitName sets the JUnit file name (default "junit.xml"); "" writes none.
func WithJUnitName(name string) Option { return func(c *config) { c.junitName = name } }

// WithoutDashboards writes no dashboard files (the page over every run
// has none: each run's directory has its own).
func WithoutDashboards() Option { return func(c *config) { c.dashboards = false } }

// WithView passes options to the report (title, time zone, ...).
func WithView(opts ...view.Option) Option {
	return func(c *config) { c.view = append(c.view, opts...) }
}

// Written says what was written.
type Written struct {
	HTML  string
	JUnit string // "" when not written
	// Dashboards are the dashboard files written, none with
	// WithoutDashboards.
	Dashboards []string
	Results    int
	Skipped    []result.Skipped // JSON files in the directory that are not results
}

// Dir reads every result below dir (recursively) and writes the report
// and the JUnit file into dir.
func Dir(ctx context.Context, dir string, opts ...Option) (Written, error) {
	loaded, skipped, err := result.ReadPaths(ctx, dir)
	if err != nil {
		return Written{Skipped: skipped}, fmt.Errorf("publishing %s: %w", dir, err)
	}
	w, err := Write(ctx, dir, result.Results(loaded), opts...)
	w.Skipped = skipped
	return w, err
}

// Write writes the report, the JUnit file and the dashboard files of
// results into dir, whole and together or not at all.
func Write(ctx context.Context, dir string, results []*result.Result, opts ...Option) (Written, error) {
	cfg := config{htmlName: "report.html", junitName: "junit.xml", dashboards: true}
	for _, o := range opts {
		o(&cfg)
	}
	w := Written{HTML: filepath.Join(dir, cfg.htmlName), Results: len(results)}
	var page bytes.Buffer
	if err := html.Write(ctx, &page, results, cfg.view...); err != nil {
		return Written{}, err
	}
	files := []result.File{{Path: w.HTML, Data: page.Bytes()}}
	if cfg.junitName != "" {
		var x bytes.Buffer
		if err := junit.Write(&x, results); err != nil {
			return Written{}, err
		}
		w.JUnit = filepath.Join(dir, cfg.junitName)
		files = append(files, result.File{Path: w.JUnit, Data: x.Bytes()})
	}
	if cfg.dashboards {
		for _, d := range []struct {
			name  string
			write func(io.Writer, []*result.Result) error
		}{
			{MetricsName, openmetrics.WriteText},
			{OpenMetricsName, openmetrics.WriteOpenMetrics},
			{AnnotationsName, grafana.Write},
		} {
			var b bytes.Buffer
			if err := d.write(&b, results); err != nil {
				return Written{}, err
			}
			path := filepath.Join(dir, d.name)
			files = append(files, result.File{Path: path, Data: b.Bytes()})
			w.Dashboards = append(w.Dashboards, path)
		}
	}
	// Both or neither: a report without its JUnit file would let CI pass.
	if err := result.WriteFilesAtomic(files...); err != nil {
		return Written{}, err
	}
	return w, nil
}
