package junit

import (
	"bytes"
	"context"
	"encoding/xml"
	"flag"
	"github.com/selfheal/selfheal/reports/internal/golden"
	"path/filepath"
	"strings"
	"testing"

	"github.com/selfheal/selfheal/chaos/result"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func load(t *testing.T, paths ...string) []*result.Result {
	t.Helper()
	loaded, _, err := result.ReadPaths(context.Background(), paths...)
	if err != nil {
		t.Fatal(err)
	}
	rs := result.Results(loaded)
	return rs
}

// TestGolden pins the JUnit document of a synthetic night and of the real
// suite run of docs/report.md. Run with -update after a deliberate change
// and read the diff: every budget case must read as its budget does.
func TestGolden(t *testing.T) {
	tests := []struct {
		name string
		path string
	}{
		{"nightly-20250604", "../testdata/nightly/2025-06-04"},
		{"real-run", "../../docs/runs/20261123-132901"},
		// Repetitions analysed by chaos/measure (sample.Repeated): a
		// case per repetition and per aggregate budget.
		{"repeated", "../testdata/repeated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Write(&buf, load(t, tt.path)); err != nil {
				t.Fatal(err)
			}
			golden.Check(t, filepath.Join("testdata", tt.name+".golden.xml"), buf.Bytes(), *update)
		})
	}
}

func TestCounts(t *testing.T) {
	tests := []struct {
		name                          string
		paths                         []string
		suites, tests, failures, errs int
	}{
		// 4 scenarios + 5 budgets each, and wp-config-break's sixth on
		// acknowledged writes; wp-config-break misses 4 budgets (one
		// acknowledged write was lost), the node halt that never
		// recovered all 5 (its recovery is missing, and it had to recover).
		{"one run", []string{"../testdata/nightly/2025-06-04"}, 1, 4 + 5 + 6 + 5 + 5, 2 + 4 + 5, 0},
		{"three runs", []string{"../testdata/nightly"}, 3, 25 + 25 + 25, 11, 0},
		// 5 scenarios and their 4, 5, 5, 4 and 1 budgets, all kept.
		{"real run", []string{"../../docs/runs/20261123-132901"}, 1, 5 + 4 + 5 + 5 + 4 + 1, 0, 0},
		{"no budgets", []string{"../testdata/probe"}, 1, 1, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Write(&buf, load(t, tt.paths...)); err != nil {
				t.Fatal(err)
			}
			var doc Suites
			if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
				t.Fatalf("output is not XML: %v", err)
			}
			if len(doc.Suites) != tt.suites || doc.Tests != tt.tests || doc.Failures != tt.failures || doc.Errors != tt.errs {
				t.Errorf("got %d suites, %d tests, %d failures, %d errors; want %d, %d, %d, %d",
					len(doc.Suites), doc.Tests, doc.Failures, doc.Errors, tt.suites, tt.tests, tt.failures, tt.errs)
			}
			n := 0
			for _, s := range doc.Suites {
				n += len(s.Cases)
			}
			if n != doc.Tests {
				t.Errorf("%d testcases, tests=%d", n, doc.Tests)
			}
		})
	}
}

func TestErrorVerdict(t *testing.T) {
	rs := load(t, "../testdata/nightly/2025-06-04/image-roll.json")
	rs[0].Verdict, rs[0].Error = result.VerdictError, "kind cluster lost its control plane"
	doc := Build(rs)
	c := doc.Suites[0].Cases[0]
	if c.Error == nil || !strings.Contains(c.Error.Message, "control plane") || c.Failure != nil {
		t.Errorf("scenario case %+v, want an error naming the cause", c)
	}
	if doc.Errors != 1 {
		t.Errorf("errors=%d, want 1", doc.Errors)
	}
}

func TestFailureMessageNamesBudget(t *testing.T) {
	doc := Build(load(t, "../testdata/nightly/2025-06-04/wp-config-break.json"))
	c := doc.Suites[0].Cases[0]
	if c.Failure == nil {
		t.Fatal("a failed scenario has no failure")
	}
	for _, want := range []string{"downtime 1 min 04 s is over its budget of 45.0 s", "recovery 1 min 05 s"} {
		if !strings.Contains(c.Failure.Message, want) {
			t.Errorf("failure message %q lacks %q", c.Failure.Message, want)
		}
	}
	if c.SystemOut == nil || !strings.Contains(c.SystemOut.Text, "The first request failed") {
		t.Error("system-out lacks the story")
	}
}

func TestWriteNoResults(t *testing.T) {
	if err := Write(&bytes.Buffer{}, nil); err == nil {
		t.Error("no error without results")
	}
}

func TestCDATAEscapes(t *testing.T) {
	rs := load(t, "../testdata/nightly/2025-06-04/wp-config-break.json")
	rs[0].Injections[0].Detail = "breaks ]]> the <section> & more"
	var buf bytes.Buffer
	if err := Write(&buf, rs); err != nil {
		t.Fatal(err)
	}
	var doc Suites
	if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("not XML after a ]]> in the text: %v", err)
	}
	if got := doc.Suites[0].Cases[0].SystemOut.Text; !strings.Contains(got, "breaks ]]> the <section> & more") {
		t.Errorf("text did not survive: %q", got)
	}
}

// A history budget beside a static one on the same metric is its own test
// case, named and typed as a history budget.
func TestHistoryBudgetCase(t *testing.T) {
	rs := load(t, "../testdata/nightly/2025-06-04")
	r := rs[0]
	r.Budgets = append(r.Budgets,
		result.BudgetCheck{Metric: result.KeyDowntime, Limit: 1000, Value: 2000, Message: "downtime 2s > P95 1s of the last 5 runs of the same kind",
			History: &result.HistoryBasis{Quantile: 0.95, Value: 1000, Floor: 1000, Runs: 5, Samples: 5}},
		result.BudgetCheck{Metric: result.KeyDowntime, Limit: 5000, Value: 2000, Pass: true})
	r.Verdict = result.VerdictFail
	var buf bytes.Buffer
	if err := Write(&buf, []*result.Result{r}); err != nil {
		t.Fatal(err)
	}
	doc := buf.String()
	for _, want := range []string{
		`name="` + r.Scenario + ` history budget downtime_ms"`,
		`name="` + r.Scenario + ` budget downtime_ms"`,
		`type="history budget"`,
		"downtime 2.0 s is over its history budget of 1.0 s (P95 of the last 5 runs)",
	} {
		if !strings.Contains(doc, want) {
			t.Errorf("JUnit lacks %q", want)
		}
	}
}

func TestVariantCaseNames(t *testing.T) {
	rs := load(t, "../testdata/nightly/2025-06-04/image-roll.json")
	run := *rs[0].Run
	run.Variant = "no-prestop"
	rs[0].Run = &run
	c := Build(rs).Suites[0].Cases[0]
	if c.Name != "image-roll@no-prestop" || c.Classname != "selfheal.image-roll@no-prestop" {
		t.Errorf("case %q class %q; want the variant in both", c.Name, c.Classname)
	}
}
