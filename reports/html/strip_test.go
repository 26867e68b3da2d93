package html

import (
	"regexp"
	"strings"
	"testing"

	"github.com/selfheal/selfheal/chaos/aggregate"
	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/reports/view"
)

// TestRepeatsDrawn renders the repeated sample run and reads the strips
// back: one dot per repetition with a number, a never mark per repetition
// that did not recover, the history band where one was given, and the
// aggregate budgets table.
func TestRepeatsDrawn(t *testing.T) {
	rs := loadSamples(t, "../testdata/repeated")
	history := view.WithHistory(func(sc, _ string, key result.MetricKey) (view.HistoryBand, bool) {
		return view.HistoryBand{P50: 48000, P95: 70000, Runs: 14}, sc == "node-halt" && key == result.KeyRecovery
	})
	page := render(t, rs, history)
	for _, agg := range aggregate.Of(rs) {
		anchor := "run-20261123-140000-" + agg.Scenario + "-repeats"
		sec := section(t, page, anchor)
		for _, m := range agg.Metrics {
			if m.Summary.N == 0 && m.Never == 0 && m.Absent > 0 {
				continue
			}
			row := stripRow(t, sec, m.Metric.Title())
			if got, want := strings.Count(row, `<circle class="dot"`), m.Summary.N; got != want {
				t.Errorf("%s %s: %d dots, want %d", agg.Scenario, m.Metric.Key, got, want)
			}
			if got := strings.Count(row, `<path class="never"`); got != m.Never {
				t.Errorf("%s %s: %d never marks, want %d", agg.Scenario, m.Metric.Key, got, m.Never)
			}
			wantBand := agg.Scenario == "node-halt" && m.Metric.Key == result.KeyRecovery
			if got := strings.Contains(row, `<rect class="band"`); got != wantBand {
				t.Errorf("%s %s: band drawn %v, want %v", agg.Scenario, m.Metric.Key, got, wantBand)
			}
		}
		if !strings.Contains(sec, agg.PassText()) {
			t.Errorf("%s: the section does not say %q", agg.Scenario, agg.PassText())
		}
		if got := strings.Count(sec, `<tr class="fail"><th scope="row">`) + strings.Count(sec, `<tr class="pass"><th scope="row">`); got != len(agg.Budgets) {
			t.Errorf("%s: %d aggregate budget rows, want %d", agg.Scenario, got, len(agg.Budgets))
		}
	}
}

func section(t *testing.T, page, id string) string {
	t.Helper()
	i := strings.Index(page, `<section class="repeats" id="`+id+`"`)
	if i < 0 {
		t.Fatalf("no section %s", id)
	}
	end := strings.Index(page[i:], "</section>")
	return page[i : i+end]
}

func stripRow(t *testing.T, sec, metric string) string {
	t.Helper()
	re := regexp.MustCompile(`(?s)<tr><th scope="row">` + regexp.QuoteMeta(metric) + `</th>.*?</tr>`)
	row := re.FindString(sec)
	if row == "" {
		t.Fatalf("no row %q", metric)
	}
	return row
}
