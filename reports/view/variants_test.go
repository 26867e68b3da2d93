package view

import (
	"encoding/json"
	"errors"
	"fmt"
	"github.com/selfheal/selfheal/reports/internal/golden"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/chaos/stats"
)

// TestVariantsGolden pins the variants page's model of a scenario ×
// variant run (reports/internal/sample.Variants: request streams analysed by
// chaos/measure). Run with -update after a deliberate change and read the
// diff.
func TestVariantsGolden(t *testing.T) {
	page, err := BuildVariants(load(t, "../testdata/variants"), VariantsGenerated(generated))
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.MarshalIndent(page, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	golden.Check(t, filepath.Join("testdata", "variants.golden.json"), got, *update)
}

func variantsPage(t *testing.T) (*Variants, []*result.Result) {
	t.Helper()
	rs := load(t, "../testdata/variants")
	page, err := BuildVariants(rs, VariantsGenerated(generated))
	if err != nil {
		t.Fatal(err)
	}
	return page, rs
}

func whyOf(t *testing.T, page *Variants, sc, v string) string {
	t.Helper()
	for _, s := range page.Scenarios {
		for _, w := range s.Why {
			if s.Name == sc && w.Variant == v {
				return strings.Join(w.Lines, "\n")
			}
		}
	}
	t.Fatalf("no why for %s@%s", sc, v)
	return ""
}

// TestVariantsWhyFromResults: the sentences carry the median repetition's
// own figures (its longest outage and cause), and say what the scripted
// streams did: without readiness the pods answered 500 and were never
// NotReady; without liveness nothing restarted them and the outage never
// closed.
func TestVariantsWhyFromResults(t *testing.T) {
	page, rs := variantsPage(t)
	for _, s := range page.Scenarios {
		for _, w := range s.Why {
			var cell []*result.Result
			for _, r := range rs {
				if r.Scenario == s.Name && r.VariantName() == w.Variant {
					cell = append(cell, r)
				}
			}
			sort.SliceStable(cell, func(i, j int) bool { return cell[i].DowntimeMS < cell[j].DowntimeMS })
			med := cell[(len(cell)-1)/2]
			text := strings.Join(w.Lines, "\n")
			if !strings.Contains(text, fmt.Sprintf("Repetition #%d", med.Repetition)) {
				t.Errorf("%s@%s: the median repetition is #%d:\n%s", s.Name, w.Variant, med.Repetition, text)
			}
			if o, ok := longestOf(med); ok && !strings.Contains(text, "lasted "+Duration(o.DurationMS)+", ") || ok && !strings.Contains(text, "mostly "+o.Cause) {
				t.Errorf("%s@%s: want its longest outage %s, mostly %s:\n%s", s.Name, w.Variant, Duration(o.DurationMS), o.Cause, text)
			}
		}
	}
	for _, tt := range []struct {
		sc, v     string
		want, not []string
	}{
		{"wp-config-break", "readiness-none", []string{"mostly 500", "no pod NotReady", "readiness httpGet → readiness none", "liveness period 10 s × failureThreshold 3"}, []string{"no container restart"}},
		{"wp-config-break", "baseline", []string{"mostly refused", "NotReady ×1", "Restarted ×2", "Unhealthy (liveness) ×1"}, []string{"no pod NotReady", "Settings changed"}},
		{"wp-config-break", "liveness-none", []string{"still open when the load stopped", "no container restart", "did not recover", "Write-up claim held"}, []string{"lower bound"}},
		{"pod-eviction", "no-pdb", []string{"PDB minAvailable 1 → PDB none"}, nil},
	} {
		text := whyOf(t, page, tt.sc, tt.v)
		for _, w := range tt.want {
			if !strings.Contains(text, w) {
				t.Errorf("%s@%s: want %q in:\n%s", tt.sc, tt.v, w, text)
			}
		}
		for _, n := range tt.not {
			if strings.Contains(text, n) {
				t.Errorf("%s@%s: %q should not be in:\n%s", tt.sc, tt.v, n, text)
			}
		}
	}
}

// TestVariantsRecommendation: the pick is never a variant with a failed
// repetition, and the change that moved downtime most is the one the
// script made fail longest (no PDB: both pods gone for about 10 s; no
// liveness: never back).
func TestVariantsRecommendation(t *testing.T) {
	page, _ := variantsPage(t)
	want := map[string]string{"wp-config-break": "liveness-none", "pod-eviction": "no-pdb"}
	for _, rec := range page.Recommendations {
		for _, s := range page.Scenarios {
			if s.Name != rec.Scenario {
				continue
			}
			for _, row := range s.Rows {
				if row.Variant == rec.Best && row.Verdict != result.VerdictPass {
					t.Errorf("%s: recommended %s, which did not pass (%s)", rec.Scenario, rec.Best, row.PassText)
				}
			}
		}
		if !strings.Contains(rec.Mover, "most: "+want[rec.Scenario]+",") {
			t.Errorf("%s: want %s as the change that moved downtime most, got %q", rec.Scenario, want[rec.Scenario], rec.Mover)
		}
		if !strings.Contains(rec.Mover, stats.NoClearDifference.Words()) {
			t.Errorf("%s: 3 against 3 repetitions cannot be clear at α = 0.05 (the smallest exact p is 0.1): %q", rec.Scenario, rec.Mover)
		}
	}
}

func TestVariantsNeedTwo(t *testing.T) {
	if _, err := BuildVariants(load(t, "../testdata/repeated")); !errors.Is(err, ErrNoVariants) {
		t.Fatalf("results of one variant: got %v, want ErrNoVariants", err)
	}
}

// TestVariantsClearDifference: with six repetitions a side of the
// eviction (the sample's three, each measured twice), no PDB's downtime is
// clearly worse, and the table, the why and the recommendation say so.
func TestVariantsClearDifference(t *testing.T) {
	var rs []*result.Result
	for _, r := range load(t, "../testdata/variants") {
		if r.Scenario != "pod-eviction" || (r.VariantName() != "baseline" && r.VariantName() != "no-pdb") {
			continue
		}
		again := *r
		again.Repetition += 3
		again.Started = r.Started.Add(time.Hour)
		rs = append(rs, r, &again)
	}
	page, err := BuildVariants(rs, VariantsGenerated(generated))
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Scenarios) != 1 || len(page.Scenarios[0].Rows) != 2 {
		t.Fatalf("want one scenario with baseline and no-pdb, got %+v", page.Scenarios)
	}
	s := page.Scenarios[0]
	if c := s.Rows[1].Cells[0]; s.Metrics[0] != "Downtime" || c.Verdict != stats.Worse || c.Short != "worse" {
		t.Errorf("no-pdb downtime: %+v, want clearly worse", c)
	}
	if c := s.Rows[0].Cells[0]; c.Verdict != "" || c.Diff != "" {
		t.Errorf("baseline is not compared with itself: %+v", c)
	}
	if !strings.Contains(whyOf(t, page, "pod-eviction", "no-pdb"), "Against baseline: downtime +") {
		t.Errorf("why lacks the clear difference:\n%s", whyOf(t, page, "pod-eviction", "no-pdb"))
	}
	if rec := page.Recommendations[0]; !strings.Contains(rec.Mover, "most: no-pdb") || !strings.Contains(rec.Mover, "worse") || rec.Best != "baseline" {
		t.Errorf("recommendation %+v", rec)
	}
	if strings.HasPrefix(page.Headline, "1 variant against baseline on 1 scenario, 12 results: 0 of") {
		t.Errorf("headline counts no clear difference: %s", page.Headline)
	}
}

// The settings line names only what a variant changed, whole: a comma
// inside parentheses or the "; " before MySQL's settings never splits one.
func TestSettingChange(t *testing.T) {
	const base = "WordPress Deployment x2 (maxSurge 1, maxUnavailable 0), liveness httpGet /wp-login.php every 10s x3, readiness httpGet / every 5s x2, preStop sleep 10s, PDB maxUnavailable 1; MySQL StatefulSet x1 on a local-path PVC, exec probes (mysqladmin ping, SELECT 1)"
	tests := []struct{ variant, want string }{
		{strings.Replace(base, "PDB maxUnavailable 1", "no PDB", 1), "PDB maxUnavailable 1 → no PDB"},
		{strings.Replace(base, "exec probes (mysqladmin ping, SELECT 1)", "tcpSocket probes on :3306", 1), "exec probes (mysqladmin ping, SELECT 1) → tcpSocket probes on :3306"},
		{strings.Replace(base, "(maxSurge 1, maxUnavailable 0)", "(maxSurge 25%, maxUnavailable 25%)", 1), "WordPress Deployment x2 (maxSurge 1, maxUnavailable 0) → WordPress Deployment x2 (maxSurge 25%, maxUnavailable 25%)"},
		{base, ""},
	}
	for _, tt := range tests {
		if got := settingChange(base, tt.variant); got != tt.want {
			t.Errorf("settingChange(…, %q)\n got %q\nwant %q", tt.variant, got, tt.want)
		}
	}
}
