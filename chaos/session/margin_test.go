package session

import (
	"testing"
	"time"

	"github.com/selfheal/selfheal/chaos/catalog"
)

func TestMarginFollowsTheLongestRevert(t *testing.T) {
	longest := catalog.LongestRevert()
	// make e2e's -timeout: the suite stops early enough for any revert.
	m, warning := Margin(120 * time.Minute)
	if m < longest+ReportSlack || warning != "" {
		t.Errorf("Margin(120m) = %s (%q); the longest revert waits %s", m, warning, longest)
	}
	// The suite used to leave a fixed 3 minutes, less than a revert may wait.
	if m <= 3*time.Minute {
		t.Errorf("Margin(120m) = %s, no more than the old fixed 3 minutes", m)
	}
	// A timeout too short to keep it: a quarter of it, and a warning.
	m, warning = Margin(10 * time.Minute)
	if m != 150*time.Second || warning == "" {
		t.Errorf("Margin(10m) = %s, %q; want 2m30s and a warning", m, warning)
	}
}
