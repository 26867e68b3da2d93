package catalog

import (
	"slices"
	"testing"
	"time"

	"github.com/selfheal/selfheal/chaos/fault/evict"
	"github.com/selfheal/selfheal/chaos/fault/imageroll"
	"github.com/selfheal/selfheal/chaos/fault/nodehalt"
	"github.com/selfheal/selfheal/chaos/fault/procsignal"
	"github.com/selfheal/selfheal/chaos/fault/wpconfig"
	"github.com/selfheal/selfheal/chaos/kube"
)

// Every kind of Undo the catalog's faults write has exactly one repairer:
// an entry without one could never be repaired after a kill.
func TestEveryFaultKindHasOneRepairer(t *testing.T) {
	var kinds []string
	for _, r := range Repairers(&kube.Client{}) {
		if slices.Contains(kinds, r.Kind()) {
			t.Errorf("two repairers of kind %q", r.Kind())
		}
		kinds = append(kinds, r.Kind())
	}
	wantRepairers(t, wpconfig.RepairKind, nodehalt.RepairKind, imageroll.RepairKind, evict.RepairKind, procsignal.KillKind, procsignal.StopKind)
}

// wantRepairers checks that the catalog repairs Undos of each kind.
func wantRepairers(t *testing.T, kinds ...string) {
	t.Helper()
	var have []string
	for _, r := range Repairers(&kube.Client{}) {
		have = append(have, r.Kind())
	}
	for _, k := range kinds {
		if !slices.Contains(have, k) {
			t.Errorf("no repairer for %q", k)
		}
	}
}

func TestLongestRevert(t *testing.T) {
	got := LongestRevert()
	for _, e := range Entries() {
		if d := e.Build(Env{Client: &kube.Client{}}).Timing.RevertBound(); d > got {
			t.Errorf("%s may take %s to revert, longer than LongestRevert() %s", e.Name, d, got)
		}
	}
	// The suite used to leave a fixed 3 minutes for this.
	if got <= 3*time.Minute {
		t.Errorf("LongestRevert() = %s; the catalog's reverts wait longer than 3 minutes (mysql-node-halt)", got)
	}
}

// The scenarios that break the database, or the app's way to it, check
// that acknowledged writes survive, with the budget that fails a loss;
// the others send no writes.
func TestWriteCheckedScenarios(t *testing.T) {
	want := []string{"wp-config-break", "mysql-crash", "mysql-hang", "db-partition", "mysql-node-halt"}
	for _, e := range Entries() {
		s := e.Defaults()
		checked := slices.Contains(want, e.Name)
		if s.Writes != checked {
			t.Errorf("%s: Writes = %v, want %v", e.Name, s.Writes, checked)
		}
		if checked && (s.Budgets.AckedMissing == nil || *s.Budgets.AckedMissing != 0) {
			t.Errorf("%s checks writes without the budget acked_missing=0: %s", e.Name, s.Budgets)
		}
	}
}

// Every scenario says what it breaks and what healing it expects: the
// README's table and `selfheal run --list` show it.
func TestEntriesDescribeThemselves(t *testing.T) {
	for _, e := range Entries() {
		if e.Breaks == "" || e.Heals == "" {
			t.Errorf("%s: Breaks %q, Heals %q; both are shown by selfheal run --list and the README", e.Name, e.Breaks, e.Heals)
		}
		if e.Set != "core" && e.Set != "extra" {
			t.Errorf("%s: set %q, want core or extra", e.Name, e.Set)
		}
		if s := e.Defaults(); s.Name != e.Name {
			t.Errorf("entry %s builds scenario %q", e.Name, s.Name)
		}
	}
}

// wp-config-break's 5xx budget is load, not a count: 50 s of it per
// replica at the run's rate, 1,000 at 10/s with 2 replicas and 2,000 at
// 20/s. Before, it was 1,000 whatever --rate was.
func TestWPConfigBreak5xxFollowsTheRate(t *testing.T) {
	e, err := Lookup("wp-config-break")
	if err != nil {
		t.Fatal(err)
	}
	b := e[0].Defaults().Budgets
	for _, tt := range []struct {
		rate  float64
		limit int
	}{{10, 1000}, {20, 2000}, {5, 500}} {
		if got := b.Server5xx.Limit(tt.rate); got != tt.limit {
			t.Errorf("at %v/s the 5xx budget is %d, want %d", tt.rate, got, tt.limit)
		}
	}
	if got := b.Server5xx.String(); got != "100 s of load" {
		t.Errorf("5xx budget %q", got)
	}
}
