package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := &cliEnv{stdin: strings.NewReader(""), stdout: &out, stderr: &errb}
	code = run(context.Background(), env, args)
	return code, out.String(), errb.String()
}

func TestReportCommand(t *testing.T) {
	dir := t.TempDir()
	notResult := filepath.Join(dir, "metrics.json")
	if err := os.WriteFile(notResult, []byte(`{"latencies":{}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	notJSON := filepath.Join(dir, "notes.json")
	if err := os.WriteFile(notJSON, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	emptyDir := t.TempDir()
	nightly := filepath.Join("..", "..", "reports", "testdata", "nightly")
	probe := filepath.Join("..", "..", "reports", "testdata", "probe", "probe.json")
	out := filepath.Join(dir, "out", "r.html")
	junitOut := filepath.Join(dir, "j.xml")
	variantsOut := filepath.Join(dir, "v.html")

	tests := []struct {
		name      string
		args      []string
		code      int
		stdout    []string
		stderr    []string
		wantFiles []string
	}{
		{
			name:      "a directory of nightlies, flags after the paths",
			args:      []string{"report", nightly, "--out", out, "--junit", junitOut, "--title", "Nightly"},
			code:      0,
			stdout:    []string{"wrote " + out + ": 12 results in 3 runs; latest run nightly-20250604: 2 passed, 2 failed", "wrote " + junitOut},
			wantFiles: []string{out, junitOut},
		},
		{
			name:   "one probe file",
			args:   []string{"report", "--out", out, probe},
			code:   0,
			stdout: []string{"1 result in 1 run", "1 without budgets"},
		},
		{
			name:      "a run over variants, --variants",
			args:      []string{"report", "--variants", filepath.Join("..", "..", "reports", "testdata", "variants"), "--out", variantsOut},
			code:      0,
			stdout:    []string{"wrote " + variantsOut + ": 18 results in 1 run"},
			wantFiles: []string{variantsOut},
		},
		{name: "--variants over one variant", args: []string{"report", "--variants", "--out", out, nightly}, code: 2, stderr: []string{"single fixture variant", "--matrix"}},
		{name: "--variants with --junit", args: []string{"report", "--variants", "--junit", junitOut, nightly}, code: 2, stderr: []string{"--junit with --variants"}},
		{name: "no inputs", args: []string{"report"}, code: 2, stderr: []string{"no result files given", "selfheal report -h"}},
		{name: "a file that is not a result", args: []string{"report", "--out", out, notResult}, code: 2, stderr: []string{notResult, "no \"schema\" field", "selfheal.result/v1"}},
		{name: "a file that is not JSON", args: []string{"report", "--out", out, notJSON}, code: 2, stderr: []string{notJSON, "not JSON"}},
		{name: "a missing file", args: []string{"report", "--out", out, filepath.Join(dir, "nope.json")}, code: 2, stderr: []string{"nope.json", "name an existing result file"}},
		{name: "a directory without results", args: []string{"report", "--out", out, emptyDir}, code: 2, stderr: []string{"no selfheal result files in " + emptyDir}},
		{name: "out is a directory", args: []string{"report", "--out", dir, probe}, code: 2, stderr: []string{"is a directory"}},
		{name: "junit and out the same", args: []string{"report", "--out", out, "--junit", out, probe}, code: 2, stderr: []string{"give the JUnit XML its own file"}},
		{name: "an unknown flag", args: []string{"report", "--colour", probe}, code: 2, stderr: []string{"flag provided but not defined: -colour"}},
		{name: "help", args: []string{"report", "-h"}, code: 0, stderr: []string{"Usage: selfheal report", "--junit"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, tt.args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, stdout, stderr)
			}
			wantOutput(t, "stdout", stdout, tt.stdout)
			wantOutput(t, "stderr", stderr, tt.stderr)
			for _, f := range tt.wantFiles {
				if st, err := os.Stat(f); err != nil || st.Size() == 0 {
					t.Errorf("%s not written: %v", f, err)
				}
			}
		})
	}
	page, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(page), "<title>selfheal report</title>") {
		t.Error("the last successful run (probe, default title) did not overwrite the report")
	}
}

// wantOutput fails t for each of wants that the stream's output lacks.
func wantOutput(t *testing.T, stream, out string, wants []string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(out, w) {
			t.Errorf("%s lacks %q:\n%s", stream, w, out)
		}
	}
}
