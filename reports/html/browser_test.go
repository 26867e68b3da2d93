package html

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/reports/view"
)

var (
	docsShots = flag.String("docs", "", "write the documentation screenshots of the sample report (report-sample*.png) to this `directory`, e.g. ../../docs")
	shotsDir  = flag.String("shots", "", "write screenshots of each chart and section of the sample report to this directory, for review")
)

// browserPath finds Chromium: $SELFHEAL_CHROMIUM, or the usual names.
func browserPath() (string, error) {
	if p := os.Getenv("SELFHEAL_CHROMIUM"); p != "" {
		found, err := exec.LookPath(p)
		if err != nil {
			return "", fmt.Errorf("SELFHEAL_CHROMIUM=%s: %w", p, err)
		}
		return found, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no chromium on PATH")
}

func needBrowser(t *testing.T) string {
	t.Helper()
	p, err := browserPath()
	if err == nil {
		return p
	}
	if testing.Short() {
		t.Skip("chromium not installed; skipped under -short")
	}
	t.Fatalf("%v: run hack/install-browser.sh (installs Debian's chromium), or set SELFHEAL_CHROMIUM, or use go test -short to skip browser tests", err)
	return ""
}

// pageCheck is what a browser saw while loading one page.
type pageCheck struct {
	mu       sync.Mutex
	console  []string // console errors, exceptions, browser log errors
	requests []string // every URL the page asked for, the page itself included
}

func (c *pageCheck) listen(ev any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch e := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeAssert || e.Type == runtime.ConsoleAPICalledTypeWarning {
			c.console = append(c.console, fmt.Sprintf("console.%s: %s", e.Type, args(e.Args)))
		}
	case *runtime.EventExceptionThrown:
		text := e.ExceptionDetails.Text
		if ex := e.ExceptionDetails.Exception; ex != nil {
			text += " " + ex.Description
		}
		c.console = append(c.console, "exception: "+text)
	case *cdplog.EventEntryAdded:
		if e.Entry.Level == cdplog.EntryLevelError || e.Entry.Level == cdplog.EntryLevelWarning {
			c.console = append(c.console, fmt.Sprintf("log %s (%s): %s %s", e.Entry.Level, e.Entry.Source, e.Entry.Text, e.Entry.URL))
		}
	case *network.EventRequestWillBeSent:
		c.requests = append(c.requests, e.Request.URL)
	}
}

func args(as []*runtime.RemoteObject) string {
	var parts []string
	for _, a := range as {
		switch {
		case len(a.Value) > 0:
			parts = append(parts, string(a.Value))
		default:
			parts = append(parts, a.Description)
		}
	}
	return strings.Join(parts, " ")
}

// chartStats is what the page's charts hold, read from the DOM.
type chartStats struct {
	ID         string `json:"id"`
	Columns    int    `json:"columns"`    // data-columns: what the view model had
	Hits       int    `json:"hits"`       // hover columns drawn
	Series     int    `json:"series"`     // stacked outcome paths with data
	Points     int    `json:"points"`     // columns with a non-zero value, over all series
	Latency    int    `json:"latency"`    // latency paths with segments
	Events     int    `json:"events"`     // data-events
	EventMarks int    `json:"eventMarks"` // event marks drawn
	Markers    int    `json:"markers"`
	Width      int    `json:"width"` // rendered width in CSS pixels
	Height     int    `json:"height"`
}

const statsJS = `[...document.querySelectorAll('svg.timeline')].map(s => {
  const r = s.getBoundingClientRect();
  const areas = [...s.querySelectorAll('path.area[data-series]')].filter(p => p.getAttribute('d').length > 10);
  return {
    id: s.id,
    columns: +s.dataset.columns,
    hits: s.querySelectorAll('rect.hit').length,
    series: areas.length,
    points: areas.reduce((n, p) => n + (+p.dataset.points), 0),
    latency: [...s.querySelectorAll('path.lat')].filter(p => /L/.test(p.getAttribute('d'))).length,
    events: +s.dataset.events,
    eventMarks: s.querySelectorAll('path.ev').length,
    markers: s.querySelectorAll('g.marker').length,
    width: Math.round(r.width), height: Math.round(r.height),
  };
})`

type browser struct {
	ctx    context.Context
	cancel context.CancelFunc
}

// startBrowser starts headless Chromium with the flags this closed network
// needs (no background connections, no QUIC, a fresh profile).
func startBrowser(t *testing.T, path string) *browser {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("mute-audio", true),
		// Without a desktop session the keyring lookup over D-Bus stalls
		// the start by seconds.
		chromedp.Flag("password-store", "basic"),
		chromedp.Flag("use-mock-keychain", true),
		chromedp.WindowSize(1280, 1000),
	}
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	// The first Run starts the browser and binds it to ctx: no timeout here.
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		acancel()
		t.Fatalf("starting %s: %v", path, err)
	}
	b := &browser{ctx: ctx, cancel: func() { cancel(); acancel() }}
	t.Cleanup(b.cancel)
	return b
}

// open loads a file in a new tab and reports what the page did.
func (b *browser) open(t *testing.T, file string) (context.Context, *pageCheck) {
	t.Helper()
	tab, cancel := chromedp.NewContext(b.ctx)
	t.Cleanup(cancel)
	check := &pageCheck{}
	if err := chromedp.Do(tab); err != nil {
		t.Fatalf("opening a tab: %v", err)
	}
	if err := chromedp.Listen(tab, check.listen); err != nil {
		t.Fatalf("listening to the tab: %v", err)
	}
	if _, err := chromedp.Call(tab, network.Enable, network.EnableParams{}); err != nil {
		t.Fatalf("enabling network events: %v", err)
	}
	if _, err := chromedp.Call(tab, cdplog.Enable, cdp.Empty{}); err != nil {
		t.Fatalf("enabling the browser log: %v", err)
	}
	abs, err := filepath.Abs(file)
	if err != nil {
		t.Fatal(err)
	}
	u := (&url.URL{Scheme: "file", Path: abs}).String()
	ctx, cancelNav := context.WithTimeout(tab, 30*time.Second)
	defer cancelNav()
	if err := chromedp.Do(ctx, chromedp.Navigate(u), chromedp.WaitReady("body")); err != nil {
		t.Fatalf("loading %s: %v", u, err)
	}
	// Late resource errors (an image that fails) arrive after load.
	if err := chromedp.Do(ctx, chromedp.Sleep(300*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	return tab, check
}

func (c *pageCheck) foreignRequests(self string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, r := range c.requests {
		if r != self {
			out = append(out, r)
		}
	}
	return out
}

func (c *pageCheck) errors() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.console...)
}

func renderSample(t *testing.T, dir string, paths ...string) string {
	t.Helper()
	loaded, _, err := result.ReadPaths(context.Background(), paths...)
	if err != nil {
		t.Fatal(err)
	}
	rs := result.Results(loaded)
	out := filepath.Join(dir, "report.html")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := Write(context.Background(), f, rs, view.WithGenerated(time.Date(2025, 6, 4, 4, 0, 0, 0, time.UTC))); err != nil {
		t.Fatal(err)
	}
	return out
}

func fileURL(t *testing.T, path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	return (&url.URL{Scheme: "file", Path: abs}).String()
}

// TestBrowser renders the sample reports and loads them in headless
// Chromium: no console error, no request but the file itself, and every
// chart drawn with data. A last subtest loads a bad page to show that the
// checks catch what they look for.
func TestBrowser(t *testing.T) {
	path := needBrowser(t)
	b := startBrowser(t, path)
	tests := []struct {
		name       string
		paths      []string
		wantCharts int
		docs       map[string]string // documentation screenshots of this page
	}{
		{"nightlies", []string{"../testdata/nightly"}, 4, nightlyShots},
		{"synthetic probe", []string{"../testdata/probe"}, 1, nil},
		{"real probe against the flaky server", []string{"../testdata/probe-flaky"}, 1, probeShots},
		{"repeated scenarios", []string{"../testdata/repeated"}, 8, repeatedShots},
		{"real suite run", []string{"../../docs/runs/20261123-132901"}, 5, realRunShots},
		{"vantage points", []string{"../testdata/vantages"}, 1, vantageShots},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := renderSample(t, t.TempDir(), tt.paths...)
			tab, check := b.open(t, file)
			if errs := check.errors(); len(errs) > 0 {
				t.Errorf("console errors:\n  %s", strings.Join(errs, "\n  "))
			}
			if reqs := check.foreignRequests(fileURL(t, file)); len(reqs) > 0 {
				t.Errorf("the page made requests besides its own file:\n  %s", strings.Join(reqs, "\n  "))
			}
			stats, err := chromedp.Run(tab, chromedp.Evaluate[[]chartStats](statsJS))
			if err != nil {
				t.Fatalf("reading the charts: %v", err)
			}
			if len(stats) != tt.wantCharts {
				t.Fatalf("%d charts on the page, want %d", len(stats), tt.wantCharts)
			}
			for _, s := range stats {
				switch {
				case s.Columns == 0 || s.Hits != s.Columns:
					t.Errorf("%s: %d hover columns for %d data columns", s.ID, s.Hits, s.Columns)
				case s.Series == 0 || s.Points == 0:
					t.Errorf("%s: no request series with data", s.ID)
				case s.Latency == 0:
					t.Errorf("%s: no latency line", s.ID)
				case s.Events > 0 && s.EventMarks == 0:
					t.Errorf("%s: %d events but no mark drawn", s.ID, s.Events)
				case s.Width < 900 || s.Height < 250:
					t.Errorf("%s: rendered %dx%d px, too small to read", s.ID, s.Width, s.Height)
				}
				t.Logf("%s: %+v", s.ID, s)
			}
			if n := checkVantageRows(t, tab); n == 0 && tt.name == "vantage points" {
				t.Error("no vantage point row drawn for the vantage points' sample")
			}
			if n := checkStrips(t, tab); n == 0 && tt.name == "repeated scenarios" {
				t.Error("no strip drawn for the repeated scenarios")
			}
			saveShots(t, tab, tt.docs, tt.name == "nightlies")
		})
	}
	t.Run("a bad page is caught", func(t *testing.T) { badPage(t, b) })
}

// badPage proves the checks above can fail: a page that fetches something
// and throws is caught on both counts.
func badPage(t *testing.T, b *browser) {
	file := filepath.Join(t.TempDir(), "bad.html")
	bad := `<!DOCTYPE html><html><head><title>bad</title></head><body>
<img src="http://127.0.0.1:61999/nothing.png" alt="">
<script>console.error("boom"); undefinedFunction();</script></body></html>`
	if err := os.WriteFile(file, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	_, check := b.open(t, file)
	errs := strings.Join(check.errors(), "\n")
	for _, want := range []string{"boom", "undefinedFunction"} {
		if !strings.Contains(errs, want) {
			t.Errorf("console errors lack %q; got:\n%s", want, errs)
		}
	}
	reqs := check.foreignRequests(fileURL(t, file))
	if len(reqs) != 1 || !strings.Contains(reqs[0], "127.0.0.1:61999") {
		t.Errorf("foreign requests %v, want the image's", reqs)
	}
}

// saveShots writes the screenshots asked for by -docs and -shots.
func saveShots(t *testing.T, tab context.Context, docs map[string]string, sections bool) {
	t.Helper()
	if *docsShots != "" {
		for name, js := range docs {
			shot, err := clipShot(tab, js)
			if err != nil {
				t.Fatalf("screenshot %s: %v", name, err)
			}
			path := filepath.Join(*docsShots, name)
			if err := os.WriteFile(path, shot, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("wrote %s", path)
		}
	}
	if *shotsDir != "" && sections {
		if err := os.MkdirAll(*shotsDir, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, sel := range []string{".page-head", ".run", ".scenario", "figure.chart", ".trends", ".runs", ".glossary"} {
			nodes, err := chromedp.Run(tab, chromedp.Nodes(chromedp.CSSAll(sel), chromedp.AtLeast(0)))
			if err != nil {
				t.Fatal(err)
			}
			for i, n := range nodes {
				png, err := chromedp.Run(tab, chromedp.ScreenshotNodes([]*chromedp.Node{n}, 1))
				if err != nil {
					t.Fatalf("screenshot of %s: %v", sel, err)
				}
				name := filepath.Join(*shotsDir, fmt.Sprintf("%s-%d.png", strings.Trim(strings.ReplaceAll(sel, ".", "_"), "_"), i))
				if err := os.WriteFile(name, png, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
		// The page as it prints (print styles), for review.
		if _, err := chromedp.Call(tab, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"}); err != nil {
			t.Fatal(err)
		}
		defer chromedp.Call(tab, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{})
		shot, err := clipShot(tab, nightlyShots["report-sample-failure.png"])
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(*shotsDir, "print-failure.png"), shot, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// checkVantageRows reads the vantage points' rows as the browser lays
// them out: each under the latency panel and above the event lanes, its
// outages inside the plot, with an outage drawn in every row whose
// vantage point had one; and the vantage table beside the chart with a
// row per vantage point. It returns how many rows it saw.
func checkVantageRows(t *testing.T, tab context.Context) int {
	t.Helper()
	type row struct {
		Label               string
		Top, Bottom         float64
		Outages             int
		Left, Right         float64
		PlotLeft, PlotRight float64
		LatBottom, LaneTop  float64
		TableRows           int
	}
	const js = `[...document.querySelectorAll('svg.timeline g.vantage')].map(g => {
		const svg = g.closest('svg'), r = g.querySelector('rect.lane-bg').getBoundingClientRect();
		const lat = svg.querySelector('g.latency rect.panel').getBoundingClientRect();
		const lane = svg.querySelector('g.lanes rect.lane-bg');
		const outs = [...g.querySelectorAll('rect.v-outage')].map(o => o.getBoundingClientRect());
		const table = svg.closest('section.scenario').querySelector('table.vantages');
		return {Label: g.querySelector('text').textContent, Top: r.top, Bottom: r.bottom, Outages: outs.length,
			Left: Math.min(...outs.map(o => o.left), r.left), Right: Math.max(...outs.map(o => o.right), r.left),
			PlotLeft: r.left, PlotRight: r.right, LatBottom: lat.bottom,
			LaneTop: lane ? lane.getBoundingClientRect().top : r.bottom,
			TableRows: table ? table.tBodies[0].rows.length : 0};
	})`
	rows, err := chromedp.Run(tab, chromedp.Evaluate[[]row](js))
	if err != nil {
		t.Fatalf("reading the vantage rows: %v", err)
	}
	for _, r := range rows {
		switch {
		case r.Top < r.LatBottom || r.Bottom > r.LaneTop+0.5:
			t.Errorf("vantage row %s at %v–%v px: not between the latency (bottom %v) and the event lanes (top %v)", r.Label, r.Top, r.Bottom, r.LatBottom, r.LaneTop)
		case r.Outages == 0:
			t.Errorf("vantage row %s: no outage drawn", r.Label)
		case r.Left < r.PlotLeft-0.5 || r.Right > r.PlotRight+0.5:
			t.Errorf("vantage row %s: outages from %v to %v px, outside the plot %v–%v", r.Label, r.Left, r.Right, r.PlotLeft, r.PlotRight)
		case r.TableRows != len(rows):
			t.Errorf("the vantage table has %d rows for %d rows in the chart", r.TableRows, len(rows))
		}
	}
	return len(rows)
}

// checkStrips reads every repeated scenario's strips as the browser lays
// them out: each one drawn at its full size with a dot or a never mark
// per counted repetition.
func checkStrips(t *testing.T, tab context.Context) int {
	t.Helper()
	type strip struct {
		W, H          float64
		Marks, Counts int
	}
	const js = `[...document.querySelectorAll('svg.strip')].map(s => {
		const r = s.getBoundingClientRect(), row = s.closest('tr');
		const apart = row.cells[7].textContent.match(/(\d+) (not recovered|not healed)/);
		return {W: r.width, H: r.height, Marks: s.querySelectorAll('circle.dot, path.never').length,
			Counts: parseInt(row.cells[2].textContent) + (apart ? parseInt(apart[1]) : 0)};
	})`
	strips, err := chromedp.Run(tab, chromedp.Evaluate[[]strip](js))
	if err != nil {
		t.Fatalf("reading the strips: %v", err)
	}
	for i, s := range strips {
		if s.W < 200 || s.H < 25 || s.Marks != s.Counts {
			t.Errorf("strip %d: %vx%v px, %d marks for %d repetitions", i, s.W, s.H, s.Marks, s.Counts)
		}
	}
	return len(strips)
}

// repeatedShots: node-halt's three repetitions taken together.
var repeatedShots = map[string]string{
	"report-repeated.png": `(() => {
		const e = document.querySelector('section.repeats[id$="node-halt-repeats"]');
		const r = e.getBoundingClientRect();
		return [r.top + window.scrollY - 8, r.bottom + window.scrollY + 8];
	})()`,
}

// realRunShots: the report of the real suite run of docs/runs, from the
// top to the first scenario's budgets, and the scenario that must not
// recover, down to its budgets: every budget row as a reader sees it.
var realRunShots = map[string]string{
	"report-real-run.png": `(() => {
		const e = document.querySelector('section.scenario .tables');
		return [0, e.getBoundingClientRect().bottom + window.scrollY + 12];
	})()`,
	"report-real-run-mysql.png": `(() => {
		const s = [...document.querySelectorAll('section.scenario')].find(e => e.id.endsWith('mysql-node-halt'));
		const t = s.querySelector('.tables');
		return [s.getBoundingClientRect().top + window.scrollY - 8, t.getBoundingClientRect().bottom + window.scrollY + 12];
	})()`,
}

// vantageShots: a scenario seen from every vantage point, from its
// heading to the end of the loaders' table.
var vantageShots = map[string]string{
	"report-vantages.png": `(() => {
		const s = document.querySelector('section.scenario');
		const e = s.querySelector('table.loaders') || s.querySelector('table.vantages');
		return [s.getBoundingClientRect().top + window.scrollY - 8, e.getBoundingClientRect().bottom + window.scrollY + 12];
	})()`,
}

// probeShots: the report of a real probe run, from the top to the end of
// the incidents table, what a newcomer reads to learn what happened.
var probeShots = map[string]string{
	"report-probe.png": `(() => {
		const e = document.querySelector('table.incidents') || document.querySelector('figure.chart');
		return [0, e.getBoundingClientRect().bottom + window.scrollY + 12];
	})()`,
}

// nightlyShots are the documentation screenshots of the nightly sample:
// each a script returning the page region [top, bottom] to capture, in CSS
// pixels.
var nightlyShots = map[string]string{
	// The top of the report as a reader first sees it: the banner, the
	// run summary and the first scenario down to its chart.
	"report-sample.png": `(() => {
		const c = document.querySelector('figure.chart');
		return [0, c.getBoundingClientRect().bottom + window.scrollY + 12];
	})()`,
	// The first failing scenario, from its heading to the end of its chart.
	"report-sample-failure.png": `(() => {
		const s = [...document.querySelectorAll('section.scenario')].find(e => e.querySelector('.badge.fail'));
		const c = s.querySelector('figure.chart');
		return [s.getBoundingClientRect().top + window.scrollY - 8, c.getBoundingClientRect().bottom + window.scrollY + 12];
	})()`,
	// The trends across the three sample nights.
	"report-sample-trends.png": `(() => {
		const s = document.querySelector('section.trends');
		const r = s.getBoundingClientRect();
		return [r.top + window.scrollY - 8, r.bottom + window.scrollY + 8];
	})()`,
}

// clipShot captures the page region the script names, beyond the viewport.
func clipShot(tab context.Context, js string) ([]byte, error) {
	span, err := chromedp.Run(tab, chromedp.Evaluate[[]float64](js))
	if err != nil {
		return nil, fmt.Errorf("measuring the page: %w", err)
	}
	if len(span) != 2 || span[1] <= span[0] {
		return nil, fmt.Errorf("bad region %v", span)
	}
	beyond := true
	res, err := chromedp.Call(tab, cdppage.CaptureScreenshot, cdppage.CaptureScreenshotParams{
		Format:                cdppage.CaptureScreenshotFormatPng,
		Clip:                  &cdppage.Viewport{X: 0, Y: span[0], Width: 1280, Height: span[1] - span[0], Scale: 1},
		CaptureBeyondViewport: &beyond,
	})
	if err != nil {
		return nil, err
	}
	return res.Data, nil
}
