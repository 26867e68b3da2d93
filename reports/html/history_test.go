package html

import (
	"strings"
	"testing"

	"github.com/selfheal/selfheal/chaos/history"
	"github.com/selfheal/selfheal/chaos/result"
)

// The nightly samples judged against each other with history budgets
// (a P50 bound, which 1 earlier run allows): the page shows the basis of each history
// budget, the note on the runs used, and marks the trend cells of runs
// that missed one.
func TestHistoryOnThePage(t *testing.T) {
	rs := loadSamples(t, "../testdata/nightly")
	s, err := history.Parse("p=0.5,min=1,last=14")
	if err != nil {
		t.Fatal(err)
	}
	var judged []*result.Result
	missed := false
	for _, r := range rs { // oldest first
		history.Apply(r, history.Judge(r, judged, s))
		missed = missed || r.FailedHistory()
		judged = append(judged, r)
	}
	if !missed {
		t.Fatal("no sample missed a history budget; the test shows nothing")
	}
	page := render(t, rs)
	for _, want := range []string{`class="history-note"`, "earlier run", "of the last", `<span class="hist-mark">⚑`} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
}
