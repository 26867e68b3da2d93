package publish

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/reports/view"
)

// copyTree copies the sample results into a scratch directory, with a
// stray JSON file that is not a result, as CI artifact folders have.
func copyTree(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		out := filepath.Join(dst, rel)
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			return err
		}
		return os.WriteFile(out, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dst, "vegeta-metrics.json"), []byte(`{"latencies":{}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	return dst
}

func TestDir(t *testing.T) {
	dir := copyTree(t, "../testdata/nightly")
	w, err := Dir(context.Background(), dir, WithView(view.WithTitle("nightly e2e")))
	if err != nil {
		t.Fatal(err)
	}
	if w.Results != 12 || len(w.Skipped) != 1 || !strings.HasSuffix(w.Skipped[0].Path, "vegeta-metrics.json") {
		t.Errorf("written %+v; want 12 results and the vegeta file skipped", w)
	}
	page, err := os.ReadFile(filepath.Join(dir, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(page), "<title>nightly e2e</title>") {
		t.Error("report.html lacks the title")
	}
	x, err := os.ReadFile(filepath.Join(dir, "junit.xml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Tests int `xml:"tests,attr"`
	}
	if err := xml.Unmarshal(x, &doc); err != nil || doc.Tests == 0 {
		t.Errorf("junit.xml: %v, %d tests", err, doc.Tests)
	}
	dashboards(t, dir, w)
	// A second run over the same directory must not read its own output.
	if w2, err := Dir(context.Background(), dir); err != nil || w2.Results != 12 || len(w2.Skipped) != 1 {
		t.Errorf("second publish: %+v, %v; want 12 results, only the vegeta file skipped", w2, err)
	}
}

func TestDirEmpty(t *testing.T) {
	_, err := Dir(context.Background(), t.TempDir())
	if !errors.Is(err, result.ErrNoResults) {
		t.Errorf("error %v, want ErrNoResults", err)
	}
}

// dashboards checks that the dashboard files were written beside the
// report and read as their consumers read them (each format is checked
// in full in reports/openmetrics and reports/grafana).
func dashboards(t *testing.T, dir string, w Written) {
	t.Helper()
	want := []string{filepath.Join(dir, MetricsName), filepath.Join(dir, OpenMetricsName), filepath.Join(dir, AnnotationsName)}
	if !slices.Equal(w.Dashboards, want) {
		t.Errorf("dashboard files %q, want %q", w.Dashboards, want)
	}
	prom, err := os.ReadFile(want[0])
	if err != nil {
		t.Fatal(err)
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	if fams, err := p.TextToMetricFamilies(bytes.NewReader(prom)); err != nil || len(fams["selfheal_downtime_seconds"].GetMetric()) != w.Results {
		t.Errorf("%s: %v; want a downtime per result", want[0], err)
	}
	om, err := os.ReadFile(want[1])
	if err != nil || !bytes.HasSuffix(om, []byte("# EOF\n")) {
		t.Errorf("%s: %v, not OpenMetrics text", want[1], err)
	}
	notes, err := os.ReadFile(want[2])
	if err != nil || !bytes.Contains(notes, []byte(`"timeEnd"`)) {
		t.Errorf("%s: %v, no fault window in it", want[2], err)
	}
}

func TestWithoutDashboards(t *testing.T) {
	dir := copyTree(t, "../testdata/probe")
	w, err := Dir(context.Background(), dir, WithoutDashboards())
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{MetricsName, OpenMetricsName, AnnotationsName} {
		if _, err := os.Stat(filepath.Join(dir, name)); !errors.Is(err, os.ErrNotExist) || len(w.Dashboards) != 0 {
			t.Errorf("%s written (%v) or listed (%q)", name, err, w.Dashboards)
		}
	}
}

func TestWithoutJUnit(t *testing.T) {
	dir := copyTree(t, "../testdata/probe")
	w, err := Dir(context.Background(), dir, WithJUnitName(""), WithHTMLName("probe.html"))
	if err != nil {
		t.Fatal(err)
	}
	if w.JUnit != "" {
		t.Errorf("JUnit written to %s", w.JUnit)
	}
	if _, err := os.Stat(filepath.Join(dir, "probe.html")); err != nil {
		t.Error(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "junit.xml")); !os.IsNotExist(err) {
		t.Errorf("junit.xml exists: %v", err)
	}
}

// The report and the JUnit file are written together or not at all: a
// JUnit file that cannot be written leaves no report behind.
func TestWriteAllOrNone(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "junit.xml"), 0o755); err != nil { // in the way
		t.Fatal(err)
	}
	r := &result.Result{Schema: result.Schema, Scenario: "x"}
	if _, err := Write(context.Background(), dir, []*result.Result{r}); err == nil {
		t.Fatal("no error with junit.xml a directory")
	}
	if _, err := os.Stat(filepath.Join(dir, "report.html")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("report.html written without its JUnit file: %v", err)
	}
}
