package console

import (
	"strings"
	"testing"
	"time"

	"github.com/selfheal/selfheal/chaos/measure"
)

// A status with nothing answered says so, not "ok 100.0%" (a probe at a
// rate too low to have sent anything printed that).
func TestStatusLineBeforeAnyAnswer(t *testing.T) {
	now := time.Now()
	if line := StatusLine(measure.Status{Elapsed: 3 * time.Second}, now); !strings.Contains(line, "ok -") || strings.Contains(line, "100") {
		t.Errorf("nothing answered: %q", line)
	}
	if line := StatusLine(measure.Status{Elapsed: 3 * time.Second, Sent: 4, Done: 4, OK: 3}, now); !strings.Contains(line, "ok 75.0%") {
		t.Errorf("3 of 4 ok: %q", line)
	}
}
