// Package html renders selfheal results as one self-contained HTML page:
// the report an SRE opens after a nightly run, often from a CI artifact,
// often without network.
//
// # What it guarantees
//
// The page loads nothing: no script, no font, no stylesheet, no image is
// fetched, and a Content-Security-Policy of default-src 'none' makes the
// browser refuse anything that would be (so even an event message that
// slipped through escaping could not load or run a thing). Styles are
// inline; the charts are SVG elements in the page. It prints, and every
// chart has a text alternative and the tables that back it.
//
// # Why plain SVG from Go, and no JavaScript charting library
//
// The timeline chart is the heart of the report: stacked requests per
// second by outcome, latency, fault and recovery markers, outages and
// Kubernetes events on one time axis. It was drawn here as SVG from Go
// (through html/template, which escapes every cluster-supplied string)
// rather than with a JavaScript library because:
//   - CI artifact viewers and mail clients often show HTML with scripts
//     disabled; SVG still renders there, and in print and PDF.
//   - There is nothing to vendor, update or audit, and no console to fail:
//     the page is the same in every browser and in ten years.
//   - The chart needs few interactions: hover details come from SVG
//     <title> elements (native tooltips), tables carry every number.
//   - It stays small and fast for a one-hour run: timelines are merged to
//     at most a few hundred columns (view.WithMaxColumns) and each series
//     is one path, so 3600 one-second buckets are a few kilobytes, not
//     thousands of DOM nodes per series.
//
// vegeta's lib/plot (uPlot embedded) plots raw vegeta results, which
// selfheal's results do not keep; a second chart library for a latency
// plot would add weight for a view the timeline already shows.
//
// Write renders results; WriteReport renders a view model built with
// package view. Package publish writes a whole report directory.
package html

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"html/template"
	"io"
	"strings"

	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/reports/view"
)

//go:embed assets/report.html.tmpl assets/report.css
var assets embed.FS

// Write renders results as one HTML page to w. Options are view's: title,
// time zone, how many runs in detail, the regression rule.
func Write(ctx context.Context, w io.Writer, results []*result.Result, opts ...view.Option) error {
	rep, err := view.Build(results, opts...)
	if err != nil {
		return fmt.Errorf("building the report: %w", err)
	}
	return WriteReport(ctx, w, rep)
}

// page is what the template gets: the view model plus the laid-out charts.
type page struct {
	*view.Report
	CSS    template.CSS
	Charts map[string]*svgChart // by scenario anchor
	Sparks map[string]*spark    // by scenario + metric key
	Strips map[string]*strip    // by repeats anchor + metric key
}

// WriteReport renders a view model. It renders into memory first so that a
// template error never leaves half a page behind.
func WriteReport(ctx context.Context, w io.Writer, rep *view.Report) error {
	tmpl, css, err := load()
	if err != nil {
		return err
	}
	p := &page{Report: rep, CSS: template.CSS(css), Charts: map[string]*svgChart{}, Sparks: map[string]*spark{}, Strips: map[string]*strip{}}
	for _, run := range rep.Runs {
		if err := ctx.Err(); err != nil {
			return err
		}
		for _, rp := range run.Repeats {
			for _, row := range rp.Rows {
				p.Strips[rp.Anchor+"|"+string(row.Key)] = stripOf(row)
			}
		}
		for _, s := range run.Scenarios {
			if s.Chart != nil {
				p.Charts[s.Anchor] = layout(s.Anchor+"-chart", s.Chart, s.Name)
			}
		}
	}
	if rep.Trends != nil {
		for _, ts := range rep.Trends.Scenarios {
			for _, row := range ts.Rows {
				p.Sparks[ts.Name+"|"+string(row.Key)] = sparkline(row.Spark)
			}
		}
	}
	var buf bytes.Buffer
	if err := tmpl.ExecuteTemplate(&buf, "page", p); err != nil {
		return fmt.Errorf("rendering the report: %w", err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("writing the report: %w", err)
	}
	return nil
}

func load() (*template.Template, string, error) {
	css, err := assets.ReadFile("assets/report.css")
	if err != nil {
		return nil, "", fmt.Errorf("reading embedded stylesheet: %w", err)
	}
	tmpl, err := template.New("report").Funcs(funcs).ParseFS(assets, "assets/report.html.tmpl")
	if err != nil {
		return nil, "", fmt.Errorf("parsing the report template: %w", err)
	}
	return tmpl, string(css), nil
}

var funcs = template.FuncMap{
	"f": f,
	"spark": func(p *page, scenario string, key result.MetricKey) *spark {
		return p.Sparks[scenario+"|"+string(key)]
	},
	"chart": func(p *page, anchor string) *svgChart { return p.Charts[anchor] },
	"strip": func(p *page, anchor string, key result.MetricKey) *strip {
		return p.Strips[anchor+"|"+string(key)]
	},
	// repeatsCtx passes the page along with a run's repeats into a sub-template.
	"repeatsCtx": func(p *page, r view.Repeats) repeatsCtx { return repeatsCtx{P: p, R: r} },
	"add":        func(a, b float64) float64 { return a + b },
	"sub":        func(a, b float64) float64 { return a - b },
	"verdictIcon": func(v result.Verdict) string {
		switch v {
		case result.VerdictPass:
			return "✓"
		case result.VerdictFail:
			return "✗"
		case result.VerdictError:
			return "!"
		}
		return "–"
	},
	"lower": strings.ToLower,
	"mod2":  func(i int) int { return i % 2 },
	// dict2 passes the page along with a scenario into a sub-template.
	"dict2": func(p *page, s view.Scenario) scenarioCtx { return scenarioCtx{P: p, S: s} },
	"runVerdictText": func(v result.Verdict) string {
		switch v {
		case result.VerdictPass:
			return "all passed"
		case result.VerdictFail:
			return "failed"
		case result.VerdictError:
			return "errors"
		}
		return "no budgets"
	},
}

type repeatsCtx struct {
	P *page
	R view.Repeats
}

type scenarioCtx struct {
	P *page
	S view.Scenario
}

// spark is a trend row's sparkline in a 120x26 box.
type spark struct {
	W, H   float64
	D      string
	Points []sparkPoint
}

type sparkPoint struct {
	X, Y       float64
	Never      bool
	Regression bool
}

func sparkline(ps []view.SparkPoint) *spark {
	const w, h, pad = 120.0, 26.0, 4.0
	s := &spark{W: w, H: h}
	var b strings.Builder
	for i, p := range ps {
		x := pad + p.X*(w-2*pad)
		y := h - pad - p.Y*(h-2*pad)
		cmd := "L"
		if i == 0 {
			cmd = "M"
		}
		fmt.Fprintf(&b, "%s%s %s", cmd, f(x), f(y))
		s.Points = append(s.Points, sparkPoint{X: r2(x), Y: r2(y), Never: p.Never, Regression: p.Regression})
	}
	s.D = b.String()
	return s
}
