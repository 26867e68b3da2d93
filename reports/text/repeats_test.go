package text

import (
	"bytes"
	"strings"
	"testing"

	"github.com/selfheal/selfheal/reports/view"
)

// The repetitions taken together end with how --repeat auto decided
// their number, when it did.
func TestRepeatsSayTheDecision(t *testing.T) {
	rp := view.Repeats{Label: "image-roll@statefulset-1", N: 5, PassText: "0/5 passed",
		Decision: []string{"--repeat auto, against baseline: clear at look 1 of up to 5, 5 repetitions a side: downtime worse.", "Rule: looks at 5 to 10."}}
	var buf bytes.Buffer
	Repeats(&buf, rp)
	if !strings.Contains(buf.String(), "\n  --repeat auto, against baseline: clear at look 1 of up to 5, 5 repetitions a side: downtime worse.\n  Rule: looks at 5 to 10.\n") {
		t.Errorf("text:\n%s", buf.String())
	}
	buf.Reset()
	rp.Decision = nil
	Repeats(&buf, rp)
	if strings.Contains(buf.String(), "--repeat auto") {
		t.Errorf("a fixed count says it was decided:\n%s", buf.String())
	}
}
