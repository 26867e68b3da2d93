package catalog_test

import (
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/selfheal/selfheal/chaos/catalog"
	"github.com/selfheal/selfheal/chaos/fault/configbreak"
	"github.com/selfheal/selfheal/chaos/fault/evict"
	"github.com/selfheal/selfheal/chaos/fault/imageroll"
	"github.com/selfheal/selfheal/chaos/fault/nodehalt"
	"github.com/selfheal/selfheal/chaos/fault/procsignal"
	"github.com/selfheal/selfheal/chaos/kube"
	"github.com/selfheal/selfheal/chaos/result"
)

// Every kind of Undo the catalog's faults write has exactly one repairer:
// an entry without one could never be repaired after a kill.
func TestEveryFaultKindHasOneRepairer(t *testing.T) {
	var kinds []string
	for _, r := range catalog.Repairers(&kube.Client{}) {
		if slices.Contains(kinds, r.Kind()) {
			t.Errorf("two repairers of kind %q", r.Kind())
		}
		kinds = append(kinds, r.Kind())
	}
	wantRepairers(t, configbreak.RepairKind, nodehalt.RepairKind, imageroll.RepairKind, evict.RepairKind, procsignal.KillKind, procsignal.StopKind)
}

func TestLongestRevert(t *testing.T) {
	got := catalog.LongestRevert()
	s := wordpressShape(t)
	for _, e := range catalog.Entries() {
		if d := e.Defaults(s).Timing.RevertBound(); d > got {
			t.Errorf("%s may take %s to revert, longer than LongestRevert() %s", e.Name, d, got)
		}
	}
	// The suite used to leave a fixed 3 minutes for this.
	if got <= 3*time.Minute {
		t.Errorf("LongestRevert() = %s; the catalog's reverts wait longer than 3 minutes (mysql-node-halt)", got)
	}
}

// The scenarios that break the database, or the app's way to it, check
// that acknowledged writes survive, with the budget that fails a loss,
// for an app that has a write endpoint; the others send no writes, and
// none does for an app without one.
func TestWriteCheckedScenarios(t *testing.T) {
	want := []string{"wp-config-break", "mysql-crash", "mysql-hang", "db-partition", "mysql-node-halt"}
	with := wordpressShape(t)
	without := with
	without.App.Writes = nil
	for _, e := range catalog.Entries() {
		s := e.Defaults(with)
		checked := slices.Contains(want, e.Name)
		if s.Writes != checked {
			t.Errorf("%s: Writes = %v, want %v", e.Name, s.Writes, checked)
		}
		if checked && (s.Budgets.AckedMissing == nil || *s.Budgets.AckedMissing != 0) {
			t.Errorf("%s checks writes without the budget acked_missing=0: %s", e.Name, s.Budgets)
		}
		if s := e.Defaults(without); s.Writes || s.Budgets.AckedMissing != nil {
			t.Errorf("%s checks writes of an app that has no write endpoint", e.Name)
		}
	}
}

// Every scenario says what it breaks and what healing it expects: the
// README's table and `selfheal run --list` show it.
func TestEntriesDescribeThemselves(t *testing.T) {
	s := wordpressShape(t)
	for _, e := range catalog.Entries() {
		if breaks, heals := e.Words(s); breaks == "" || heals == "" {
			t.Errorf("%s: Breaks %q, Heals %q; both are shown by selfheal run --list and the README", e.Name, breaks, heals)
		}
		if e.Set != "core" && e.Set != "extra" {
			t.Errorf("%s: set %q, want core or extra", e.Name, e.Set)
		}
		if sc := e.Defaults(s); sc.Name != e.Name {
			t.Errorf("entry %s builds scenario %q", e.Name, sc.Name)
		}
	}
}

// The README's table of what each scenario needs is the catalog's.
func TestREADMESaysWhatEachScenarioNeeds(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range catalog.Entries() {
		var needs []string
		for _, n := range e.Needs {
			needs = append(needs, string(n.Capability))
		}
		if len(needs) == 0 {
			needs = []string{"nothing beyond the description's required fields"}
		}
		if row := "| `" + e.Name + "` | " + strings.Join(needs, "; ") + " |"; !strings.Contains(string(readme), row) {
			t.Errorf("README.md has no row %s", row)
		}
	}
}

// Each scenario has one name, chaos/result's, which the variants and the
// write-ups' claims use too; the suite runs them in this order.
func TestNamesAreResultsNames(t *testing.T) {
	want := []string{result.ScenarioWPConfigBreak, result.ScenarioPodEviction, result.ScenarioImageRoll, result.ScenarioScaleOutIn,
		result.ScenarioNodeDrain, result.ScenarioMySQLCrash, result.ScenarioDBPartition, result.ScenarioDNSOutage, result.ScenarioPacketLoss,
		result.ScenarioAPIServerRestart, result.ScenarioMySQLHang, result.ScenarioNodeHalt, result.ScenarioMySQLNodeHalt}
	if got := catalog.Names(); !slices.Equal(got, want) {
		t.Errorf("names %v\nwant  %v", got, want)
	}
	for _, e := range catalog.Entries() {
		if s := e.Defaults(wordpressShape(t)); s.Name != e.Name {
			t.Errorf("entry %s builds a scenario named %s", e.Name, s.Name)
		}
	}
}

// wp-config-break's 5xx budget is load, not a count: 50 s of it per
// replica at the run's rate, 1,000 at 10/s with 2 replicas and 2,000 at
// 20/s. Before, it was 1,000 whatever --rate was.
func TestWPConfigBreak5xxFollowsTheRate(t *testing.T) {
	_, sc := build(t, "wp-config-break", wordpressShape(t))
	b := sc.Budgets
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
