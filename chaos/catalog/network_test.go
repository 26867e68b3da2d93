package catalog_test

import (
	"strings"
	"testing"
	"time"

	"github.com/selfheal/selfheal/chaos/catalog"
	"github.com/selfheal/selfheal/chaos/fault/dbpartition"
	"github.com/selfheal/selfheal/chaos/fault/packetloss"
	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/chaos/scenario"
)

// networkScenario is the named network scenario built for the baseline
// fixture; it checks what both share: the extra set, the fault, and a
// 30 s hold reverted at once (the deadline is the hold).
func networkScenario(t *testing.T, name, fault string) (catalog.Entry, scenario.Scenario) {
	t.Helper()
	e, s := build(t, name, wordpressShape(t))
	if e.Set != "extra" || e.Fault != "network" {
		t.Errorf("%s: set %q fault %q", name, e.Set, e.Fault)
	}
	if s.Fault.Name() != fault {
		t.Errorf("%s: fault %q", name, s.Fault.Name())
	}
	if s.Timing.Hold != 30*time.Second || s.Timing.Deadline != s.Timing.Hold {
		t.Errorf("%s: timing %+v: want a 30 s hold and the deadline at its end", name, s.Timing)
	}
	return e, s
}

func TestDBPartitionAsDescribed(t *testing.T) {
	e, s := networkScenario(t, "db-partition", dbpartition.Name)
	b := s.Budgets
	if !b.MustNotRecover || b.MustRecover || b.RecoveryAfterRevert == nil || *b.RecoveryAfterRevert != time.Minute {
		t.Errorf("budgets %+v: want must-not-recover and back within 1 min of the revert", b)
	}
	if len(s.Bounds) != 1 || s.Bounds[0].Metric != result.KeyRecovery || s.Bounds[0].MS != float64(s.Timing.Hold.Milliseconds()) {
		t.Errorf("bounds %+v: recovery cannot come before the hold ends", s.Bounds)
	}
	for _, words := range []string{"3306", "30s", "readiness", "liveness"} {
		if !strings.Contains(s.Description, words) {
			t.Errorf("description lacks %q: %s", words, s.Description)
		}
	}
	if e.Supports(wordpressShape(t)) != nil {
		t.Error("refuses the baseline fixture")
	}
}

func TestPacketLossAsDescribed(t *testing.T) {
	_, s := networkScenario(t, "packet-loss", packetloss.Name)
	b := s.Budgets
	// Loss slows answers: no 5xx, no full outage, downtime at most half the hold, and
	// clean again soon after the lift; recovery during the hold is not
	// judged.
	if b.MustRecover || b.MustNotRecover || b.Server5xx == nil || b.Server5xx.Limit(10) != 0 ||
		b.LongestOutage == nil || *b.LongestOutage != 2*time.Second || b.Downtime == nil || *b.Downtime != 15*time.Second ||
		b.RecoveryAfterRevert == nil || *b.RecoveryAfterRevert != 15*time.Second {
		t.Errorf("budgets %+v", b)
	}
	if !strings.Contains(s.Description, "10%") || !strings.Contains(s.Description, "netem") {
		t.Errorf("description: %s", s.Description)
	}
}

func TestNetworkFaultsHaveRepairers(t *testing.T) {
	wantRepairers(t, dbpartition.RepairKind, packetloss.RepairKind)
}
