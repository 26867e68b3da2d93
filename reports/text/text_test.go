package text

import (
	"bytes"
	"context"
	"flag"
	"github.com/selfheal/selfheal/reports/internal/golden"
	"path/filepath"
	"testing"

	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/reports/view"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestGolden pins the summary of real results (the suite run of
// docs/report.md, a probe against the flaky server) and of the synthetic
// samples. Run with -update after a deliberate change and read the diff:
// every budget line must read as its budget does.
func TestGolden(t *testing.T) {
	tests := []struct {
		name  string
		paths []string
	}{
		{"real-run", []string{"../../docs/runs/20261123-132901"}},
		{"probe-flaky", []string{"../testdata/probe-flaky/result.json"}},
		{"nightly-20250604", []string{"../testdata/nightly/2025-06-04"}},
		{"probe", []string{"../testdata/probe/probe.json"}},
		// Repetitions analysed by chaos/measure, then taken together.
		{"repeated", []string{"../testdata/repeated"}},
		// A node halt seen from four vantage points.
		{"vantages", []string{"../testdata/vantages"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loaded, _, err := result.ReadPaths(context.Background(), tt.paths...)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			for _, l := range loaded {
				buf.WriteString("==== " + filepath.Base(l.Path) + "\n")
				Summary(&buf, l.Result)
				buf.WriteString("\n")
			}
			for _, rp := range view.RepeatsOf(result.Results(loaded)) {
				Repeats(&buf, rp)
			}
			golden.Check(t, filepath.Join("testdata", tt.name+".golden.txt"), buf.Bytes(), *update)
		})
	}
}
