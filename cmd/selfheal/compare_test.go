package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/selfheal/selfheal/chaos/result"
)

// writeRun writes one result per downtime (seconds) of scenario into
// dir/<run>/, as the suite lays them out.
func writeRun(t *testing.T, dir, run, scenario string, downtimes ...float64) string {
	t.Helper()
	start := time.Date(2026, 11, 30, 2, 0, 0, 0, time.UTC)
	for i, d := range downtimes {
		rec := 5000 + d*1000
		r := &result.Result{
			Schema: result.Schema, Scenario: scenario,
			Started: start.Add(time.Duration(i) * 10 * time.Minute), Ended: start.Add(time.Duration(i)*10*time.Minute + time.Minute),
			Run:  &result.RunInfo{ID: run, ImageMode: "offline"},
			Load: result.Load{Rate: 10, Timeout: "2s"}, Requests: result.Requests{Total: 600, OK: 600},
			Injections: []result.Injection{{At: start, Fault: "evict"}},
			DowntimeMS: d * 1000, LongestOutageMS: d * 1000, Recovered: true, RecoveryMS: &rec,
			Verdict: result.VerdictPass,
		}
		if err := result.WriteFile(filepath.Join(dir, run, fmt.Sprintf("%s-%d.json", scenario, i+1)), r); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, run)
}

func TestCompareCommand(t *testing.T) {
	dir := t.TempDir()
	base := writeRun(t, dir, "base", "pod-eviction", 1.0, 1.2, 0.9, 1.1, 1.0)
	same := writeRun(t, dir, "same", "pod-eviction", 1.05, 0.95, 1.15, 1.0, 1.1)
	worse := writeRun(t, dir, "worse", "pod-eviction", 3.0, 3.2, 2.9, 3.1, 3.3)
	other := writeRun(t, dir, "other", "node-halt", 1, 2, 3)
	starvedDir := writeRun(t, dir, "starved", "pod-eviction", 1, 1, 1, 1, 1)
	starved, err := result.ReadFile(filepath.Join(starvedDir, "pod-eviction-1.json"))
	if err != nil {
		t.Fatal(err)
	}
	starved.Conditions = &result.Conditions{Verdict: result.HostStarved}
	if err := result.WriteFile(filepath.Join(starvedDir, "pod-eviction-1.json"), starved); err != nil {
		t.Fatal(err)
	}
	notResult := filepath.Join(dir, "junk.json")
	if err := os.WriteFile(notResult, []byte(`{"schema":"other/v1"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	page := filepath.Join(dir, "cmp.html")

	tests := []struct {
		name   string
		args   []string
		code   int
		stdout []string
		stderr []string
		page   bool
	}{
		{
			name:   "worse",
			args:   []string{"compare", base, worse, "--html", page},
			code:   1,
			stdout: []string{"downtime", "1.0 s (n=5)", "3.1 s (n=5)", "+2.1 s", "worse", "Mann-Whitney U, exact: p = 0.008", "NEW is clearly worse than BASE on 3 gating metrics", "wrote " + page},
			stderr: []string{"NEW is clearly worse than BASE on 3 gating metrics"},
			page:   true,
		},
		{
			name:   "the same service",
			args:   []string{"compare", base, same},
			code:   0,
			stdout: []string{"Nothing in NEW is clearly worse than BASE", "no clear difference at this sample size"},
		},
		{
			name:   "reversed: better",
			args:   []string{"compare", worse, base},
			code:   0,
			stdout: []string{"better", "3 better"},
		},
		{
			name:   "gating on 5xx only",
			args:   []string{"compare", "--metrics", "5xx", base, worse},
			code:   0,
			stdout: []string{"downtime (not gating)", "worse"},
		},
		{
			name:   "a glob and a comma list",
			args:   []string{"compare", filepath.Join(base, "pod-eviction-*.json"), filepath.Join(worse, "pod-eviction-1.json") + "," + filepath.Join(worse, "pod-eviction-2.json")},
			code:   0,
			stdout: []string{"5 results from 1 run", "2 results from 1 run"},
		},
		{name: "one side", args: []string{"compare", base}, code: 2, stderr: []string{"want two sides"}},
		{name: "no common scenario", args: []string{"compare", base, other}, code: 2, stderr: []string{"no scenario in common", "node-halt", "pod-eviction"}},
		{name: "a missing side", args: []string{"compare", base, filepath.Join(dir, "nope")}, code: 2, stderr: []string{"NEW", "nope", "name an existing result file"}},
		{name: "not a result", args: []string{"compare", notResult, base}, code: 2, stderr: []string{"BASE", "junk.json", `schema "other/v1"`}},
		{name: "a glob that matches nothing", args: []string{"compare", filepath.Join(dir, "x*"), base}, code: 2, stderr: []string{"BASE", "matches no file"}},
		{name: "an unknown metric", args: []string{"compare", "--metrics", "downtime,uptime", base, worse}, code: 2, stderr: []string{`no metric "uptime"`, "longest_outage"}},
		{name: "a bad host level", args: []string{"compare", "--leave-out-host", "busy", base, worse}, code: 2, stderr: []string{`--leave-out-host "busy"`}},
		{
			name:   "leaving out starved hosts",
			args:   []string{"compare", "--leave-out-host", "starved", starvedDir, base},
			code:   0,
			stdout: []string{"4 results from 1 run", "1 result left out: measured on a starved machine"},
		},
		{name: "a bad alpha", args: []string{"compare", "--alpha", "5", base, worse}, code: 2, stderr: []string{"--alpha 5"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			os.Remove(page)
			code, stdout, stderr := runCLI(t, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, stdout, stderr)
			}
			wantOutput(t, "stdout", stdout, tt.stdout)
			wantOutput(t, "stderr", stderr, tt.stderr)
			if !tt.page {
				return
			}
			b, err := os.ReadFile(page)
			if err != nil {
				t.Fatal(err)
			}
			html := string(b)
			for _, s := range []string{"default-src 'none'", "<h2 id=\"s-pod-eviction-h\">pod-eviction</h2>", "2.1 s</td>", "Benjamini-Hochberg", `class="badge bad">worse`} {
				if !strings.Contains(html, s) {
					t.Errorf("page lacks %q", s)
				}
			}
			for _, s := range []string{"<script", "http://", "https://"} {
				if strings.Contains(html, s) {
					t.Errorf("page is not self-contained: it has %q", s)
				}
			}
		})
	}
}
