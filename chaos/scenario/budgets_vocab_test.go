package scenario

import (
	"testing"
	"time"

	"github.com/selfheal/selfheal/chaos/result"
)

// TestBudgetsSpeakTheTable checks that budgets name metrics as the table
// does: every check's metric is a table key, and overrides take the
// table's short names.
func TestBudgetsSpeakTheTable(t *testing.T) {
	rec, heal := 1000.0, 2000.0
	r := &result.Result{Recovered: true, RecoveryMS: &rec, Healing: &result.Healing{Healed: true, MS: &heal}}
	b := Budgets{Downtime: Dur(time.Second), LongestOutage: Dur(time.Second), Server5xx: Requests(0),
		Recovery: Dur(time.Second), Healing: Dur(time.Second), MustRecover: true}
	for _, c := range b.Check(r) {
		m, ok := result.MetricByKey(c.Metric)
		if !ok || m.Key != c.Metric {
			t.Errorf("check metric %q is not a key of the table", c.Metric)
		}
	}
	for _, name := range OverrideMetrics() {
		m, ok := result.MetricByKey(name)
		if !ok || m.Short != name {
			t.Errorf("override name %q is not a short name of the table", name)
		}
		if _, err := ParseOverrides("x." + name + "=none"); err != nil && m.Unit != result.UnitBool {
			t.Errorf("override %s: %v", name, err)
		}
	}
}
