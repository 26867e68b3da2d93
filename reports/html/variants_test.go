package html

import (
	"bytes"
	"context"
	htmltemplate "html/template"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/reports/view"
)

func renderVariants(t *testing.T, dir string) (string, *view.Variants) {
	t.Helper()
	loaded, _, err := result.ReadPaths(context.Background(), "../testdata/variants")
	if err != nil {
		t.Fatal(err)
	}
	page, err := view.BuildVariants(result.Results(loaded), view.VariantsGenerated(time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteVariants(context.Background(), &buf, page); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "variants.html")
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return out, page
}

// TestVariantsPage: every scenario, variant, recommendation and why
// sentence of the model is on the page, and it loads nothing.
func TestVariantsPage(t *testing.T) {
	file, page := renderVariants(t, t.TempDir())
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	html := string(b)
	for _, s := range page.Scenarios {
		if !strings.Contains(html, `id="`+s.Anchor+`"`) {
			t.Errorf("no section for %s", s.Name)
		}
		for _, w := range s.Why {
			for _, l := range w.Lines {
				if !strings.Contains(html, escaped(l)) {
					t.Errorf("%s@%s: sentence missing: %s", s.Name, w.Variant, l)
				}
			}
		}
	}
	for _, r := range page.Recommendations {
		if !strings.Contains(html, escaped(r.Mover)) {
			t.Errorf("%s: recommendation missing: %s", r.Scenario, r.Mover)
		}
	}
	for _, bad := range []string{"<script", "src=\"http", "href=\"http"} {
		if strings.Contains(html, bad) {
			t.Errorf("the page holds %q: it must be self-contained", bad)
		}
	}
}

// escaped is s as html/template writes it in text.
func escaped(s string) string {
	var b bytes.Buffer
	if err := htmltemplate.Must(htmltemplate.New("").Parse("{{.}}")).Execute(&b, s); err != nil {
		panic(err)
	}
	return b.String()
}

// TestBrowserVariants loads the variants page in headless Chromium: no
// console error, no request but the file itself, and every strip drawn at
// its size with a mark per repetition (3 per variant in the sample).
func TestBrowserVariants(t *testing.T) {
	path := needBrowser(t)
	b := startBrowser(t, path)
	file, page := renderVariants(t, t.TempDir())
	tab, check := b.open(t, file)
	if errs := check.errors(); len(errs) > 0 {
		t.Errorf("console errors:\n  %s", strings.Join(errs, "\n  "))
	}
	if reqs := check.foreignRequests(fileURL(t, file)); len(reqs) > 0 {
		t.Errorf("the page made requests besides its own file:\n  %s", strings.Join(reqs, "\n  "))
	}
	type strip struct {
		W, H  float64
		Marks int
	}
	const js = `[...document.querySelectorAll('figure.variant-chart svg.strip')].map(s => {
		const r = s.getBoundingClientRect();
		return {W: r.width, H: r.height, Marks: s.querySelectorAll('circle.dot, path.never').length};
	})`
	strips, err := chromedp.Run(tab, chromedp.Evaluate[[]strip](js))
	if err != nil {
		t.Fatalf("reading the strips: %v", err)
	}
	want := 0
	for _, s := range page.Scenarios {
		for _, c := range s.Charts {
			want += len(c.Strips)
		}
	}
	if len(strips) != want || want == 0 {
		t.Fatalf("%d strips drawn, want %d", len(strips), want)
	}
	for i, s := range strips {
		// A variant's metric that never came (not healed) is a never mark,
		// so every strip has a mark per repetition.
		if s.W < 200 || s.H < 25 || s.Marks != 3 {
			t.Errorf("strip %d: %vx%v px, %d marks for 3 repetitions", i, s.W, s.H, s.Marks)
		}
	}
	saveShots(t, tab, variantsShots, false)
}

// variantsShots: the top of the variants page down to the first
// scenario's charts.
var variantsShots = map[string]string{
	"report-variants.png": `(() => {
		const e = document.querySelector('.variant-charts');
		return [0, e.getBoundingClientRect().bottom + window.scrollY + 12];
	})()`,
}
