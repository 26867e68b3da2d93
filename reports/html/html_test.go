package html

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	xhtml "golang.org/x/net/html"

	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/reports/view"
)

func loadSamples(t *testing.T, paths ...string) []*result.Result {
	t.Helper()
	loaded, _, err := result.ReadPaths(context.Background(), paths...)
	if err != nil {
		t.Fatal(err)
	}
	rs := result.Results(loaded)
	return rs
}

func render(t *testing.T, rs []*result.Result, opts ...view.Option) string {
	t.Helper()
	var buf bytes.Buffer
	opts = append([]view.Option{view.WithGenerated(time.Date(2025, 6, 4, 4, 0, 0, 0, time.UTC))}, opts...)
	if err := Write(context.Background(), &buf, rs, opts...); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// TestSelfContained walks the rendered page: no script, no stylesheet
// link, no reference that leaves the page, and a CSP that forbids loading.
func TestSelfContained(t *testing.T) {
	page := render(t, loadSamples(t, "../testdata/nightly", "../testdata/probe"))
	if !strings.Contains(page, `content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"`) {
		t.Error("no Content-Security-Policy forbidding loads")
	}
	z := xhtml.NewTokenizer(strings.NewReader(page))
	for {
		tt := z.Next()
		if tt == xhtml.ErrorToken {
			break
		}
		if tt != xhtml.StartTagToken && tt != xhtml.SelfClosingTagToken {
			continue
		}
		tok := z.Token()
		switch tok.Data {
		case "script", "link", "iframe", "object", "embed", "img", "image", "use", "foreignObject":
			t.Errorf("page has a <%s> element", tok.Data)
		}
		for _, a := range tok.Attr {
			switch a.Key {
			case "src", "href", "xlink:href", "action", "srcset":
				if !strings.HasPrefix(a.Val, "#") {
					t.Errorf("<%s %s=%q> points outside the page", tok.Data, a.Key, a.Val)
				}
			case "fill", "style":
				if strings.Contains(a.Val, "url(") && !strings.Contains(a.Val, "url(#") {
					t.Errorf("<%s %s=%q> loads something", tok.Data, a.Key, a.Val)
				}
			}
			if strings.HasPrefix(a.Key, "on") {
				t.Errorf("<%s> has an event handler %s", tok.Data, a.Key)
			}
		}
	}
	for _, bad := range []string{"@import", "@font-face", "url(http", "url(//"} {
		if strings.Contains(page, bad) {
			t.Errorf("page contains %q", bad)
		}
	}
}

// TestEscapesClusterText feeds hostile strings where the cluster and the
// scenario put text; none may come out as markup.
func TestEscapesClusterText(t *testing.T) {
	rs := loadSamples(t, "../testdata/nightly/2025-06-04/wp-config-break.json")
	r := rs[0]
	hostile := `</title><script>alert(1)</script><img src=x onerror=alert(2)>"'&`
	r.Events = append(r.Events, result.Event{At: r.Injections[0].At.Add(2 * time.Second), Kind: "pod", Object: hostile, Reason: hostile, Message: hostile})
	r.Description = hostile
	r.Injections[0].Detail = hostile
	r.Notes = append(r.Notes, hostile)
	r.Run.Fixture = hostile
	page := render(t, rs, view.WithTitle(hostile))
	for _, bad := range []string{"<script>", "<img src=x"} {
		if strings.Contains(page, bad) {
			t.Errorf("hostile text came out as markup: %q found", bad)
		}
	}
	z := xhtml.NewTokenizer(strings.NewReader(page))
	for tt := z.Next(); tt != xhtml.ErrorToken; tt = z.Next() {
		if name, _ := z.TagName(); tt == xhtml.StartTagToken && (string(name) == "script" || string(name) == "img") {
			t.Errorf("hostile text made a <%s> element", name)
		}
	}
	if !strings.Contains(page, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Error("hostile text is not shown escaped (it should be visible, not dropped)")
	}
}

func TestWriteNoResults(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(context.Background(), &buf, nil); err == nil {
		t.Error("no error for no results")
	}
	if buf.Len() != 0 {
		t.Errorf("wrote %d bytes on error", buf.Len())
	}
}

func TestChartLayout(t *testing.T) {
	rs := loadSamples(t, "../testdata/nightly/2025-06-04")
	rep, err := view.Build(rs, view.WithGenerated(time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range rep.Runs[0].Scenarios {
		c := layout("x", s.Chart, s.Name)
		t.Run(s.Name, func(t *testing.T) {
			if len(c.Hits) != len(s.Chart.Columns) {
				t.Errorf("%d hover columns for %d columns", len(c.Hits), len(s.Chart.Columns))
			}
			for _, h := range c.Hits {
				if h.X < c.PlotL-0.01 || h.X+h.W > c.PlotR+0.01 {
					t.Fatalf("column at %v+%v outside the plot %v..%v", h.X, h.W, c.PlotL, c.PlotR)
				}
			}
			for _, m := range c.Markers {
				if m.X < c.PlotL || m.X > c.PlotR {
					t.Errorf("marker %s at %v outside the plot", m.Kind, m.X)
				}
			}
			// Shown marker labels must not overlap on a row.
			type span struct{ a, b float64 }
			rows := map[float64][]span{}
			for _, m := range c.Markers {
				if !m.ShowLbl {
					continue
				}
				w := float64(len([]rune(m.Label))) * charW
				sp := span{m.LabelX, m.LabelX + w}
				if m.Anchor == "end" {
					sp = span{m.LabelX - w, m.LabelX}
				}
				for _, o := range rows[m.LabelY] {
					if sp.a < o.b && o.a < sp.b {
						t.Errorf("marker label %q overlaps another", m.Label)
					}
				}
				rows[m.LabelY] = append(rows[m.LabelY], sp)
			}
			for _, o := range c.Outages {
				if o.W < 1.2 {
					t.Errorf("outage %q drawn %v wide: too thin to see", o.Title, o.W)
				}
			}
		})
	}
}

// TestEdgeResults renders results a real run can produce at its edges:
// a scenario that died before any load, one with a single bucket, events
// outside the run, no injection and no failure.
func TestEdgeResults(t *testing.T) {
	t0 := time.Date(2025, 6, 1, 2, 0, 0, 0, time.UTC)
	ms := func(v float64) *float64 { return &v }
	tests := []struct {
		name string
		r    result.Result
		want []string
	}{
		{
			name: "died before load",
			r:    result.Result{Scenario: "node-halt", Started: t0, Ended: t0, Verdict: result.VerdictError, Error: "kind cluster did not come up: timeout after 5m"},
			want: []string{"could not run", "kind cluster did not come up"},
		},
		{
			name: "one bucket, nothing failed, no injection",
			r: result.Result{Scenario: "probe", Started: t0, Ended: t0.Add(time.Second), RecoveryMS: ms(0), Recovered: true,
				Requests:    result.Requests{Total: 10, OK: 10},
				StatusCodes: map[string]int{"200": 10},
				Analysis:    result.AnalysisParams{BucketMS: 1000, ConfirmationWindowMS: 10000},
				Timeline:    []result.Bucket{{Start: t0, OK2xx: 10, P50MS: 3, P99MS: 9, MaxMS: 9}}},
			want: []string{"No request failed.", "nothing injected, nothing failed"},
		},
		{
			name: "events before and after the run, a 4xx-only stream",
			r: result.Result{Scenario: "x", Started: t0, Ended: t0.Add(3 * time.Second),
				Requests: result.Requests{Total: 3, OK: 3}, Client4xx: 3, StatusCodes: map[string]int{"404": 3},
				Analysis: result.AnalysisParams{BucketMS: 1000},
				Timeline: []result.Bucket{{Start: t0, C4xx: 1}, {Start: t0.Add(time.Second), C4xx: 1}, {Start: t0.Add(2 * time.Second), C4xx: 1}},
				Events: []result.Event{
					{At: t0.Add(-time.Minute), Kind: "pod", Object: "ns/a", Reason: "Started"},
					{At: t0.Add(time.Hour), Kind: "weird-kind", Object: "ns/b", Reason: "Something"},
				}},
			want: []string{"weird-kinds", "HTTP 404"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.r
			r.Schema = result.Schema
			page := render(t, []*result.Result{&r})
			for _, w := range tt.want {
				if !strings.Contains(page, w) {
					t.Errorf("page lacks %q", w)
				}
			}
		})
	}
}
