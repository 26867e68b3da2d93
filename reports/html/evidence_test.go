package html

import (
	"strings"
	"testing"
	"time"

	"github.com/selfheal/selfheal/chaos/measure"
	"github.com/selfheal/selfheal/chaos/result"
)

// The evidence is on the page beside the injections, and a scenario whose
// fault did not take effect says so in its verdict and error box, not
// that it could not run.
func TestEvidenceOnThePage(t *testing.T) {
	page := render(t, loadSamples(t, "../testdata/nightly/2025-06-04/wp-config-break.json"))
	for _, w := range []string{"Evidence that the fault took effect, read from the system",
		"grep -c selfheal-fault /var/www/html/wp-config.php in pod wordpress-6c9f7d8b5-x2kqp (exec), after the injection", "1 corrupted DB_HOST line (db.invalid)"} {
		if !strings.Contains(page, w) {
			t.Errorf("page lacks %q", w)
		}
	}

	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	r, err := measure.Analyze(measure.Input{Scenario: "packet-loss", Epoch: now, End: now.Add(time.Minute),
		Injections: []measure.Mark{{At: now.Add(time.Second), Fault: "packet-loss"}}})
	if err != nil {
		t.Fatal(err)
	}
	r.Evidence = []result.Evidence{{At: now.Add(40 * time.Second), Fault: "packet-loss", Check: "iptables -v -S at the revert", Observed: "no rule with comment selfheal:packet-loss:x left", Held: false}}
	r.Verdict, r.Error = result.VerdictError, "scenario packet-loss: "+r.Unproven()
	page = render(t, []*result.Result{r})
	for _, w := range []string{"no verdict: the fault did not take effect", "No verdict: the scenario ran, but its fault did not take effect",
		"no rule with comment selfheal:packet-loss:x left", "did not hold"} {
		if !strings.Contains(page, w) {
			t.Errorf("page lacks %q", w)
		}
	}
	if strings.Contains(page, "could not run to its end") {
		t.Error("page says the scenario could not run")
	}
}
