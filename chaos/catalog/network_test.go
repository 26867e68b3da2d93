package catalog

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/selfheal/selfheal/chaos/fault/dbpartition"
	"github.com/selfheal/selfheal/chaos/fault/packetloss"
	"github.com/selfheal/selfheal/chaos/kube"
	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/fixtures/app"
)

func networkScenario(t *testing.T, name string) Entry {
	t.Helper()
	es, err := Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	if es[0].Set != "extra" || es[0].Fault != "network" {
		t.Errorf("%s: set %q fault %q", name, es[0].Set, es[0].Fault)
	}
	return es[0]
}

func TestDBPartitionAsDescribed(t *testing.T) {
	e := networkScenario(t, "db-partition")
	s := e.Build(Env{Client: &kube.Client{}, App: app.Default()})
	if s.Fault.Name() != dbpartition.Name {
		t.Errorf("fault %q", s.Fault.Name())
	}
	// Timed: held 30 s, then reverted at once (the deadline is the hold),
	// and not expected to recover before.
	if s.Timing.Hold != 30*time.Second || s.Timing.Deadline != s.Timing.Hold {
		t.Errorf("timing %+v: want a 30 s hold and the deadline at its end", s.Timing)
	}
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
	if e.Supports(app.Default()) != nil {
		t.Error("refuses the baseline fixture")
	}
}

func TestPacketLossAsDescribed(t *testing.T) {
	e := networkScenario(t, "packet-loss")
	s := e.Build(Env{Client: &kube.Client{}, App: app.Default()})
	if s.Fault.Name() != packetloss.Name {
		t.Errorf("fault %q", s.Fault.Name())
	}
	if s.Timing.Hold != 30*time.Second || s.Timing.Deadline != s.Timing.Hold {
		t.Errorf("timing %+v", s.Timing)
	}
	b := s.Budgets
	// Loss slows answers: no 5xx, no full outage, downtime at most half the hold, and
	// clean again soon after the lift; recovery during the hold is not
	// judged.
	if b.MustRecover || b.MustNotRecover || b.Server5xx == nil || *b.Server5xx != 0 ||
		b.LongestOutage == nil || *b.LongestOutage != 2*time.Second || b.Downtime == nil || *b.Downtime != 15*time.Second ||
		b.RecoveryAfterRevert == nil || *b.RecoveryAfterRevert != 15*time.Second {
		t.Errorf("budgets %+v", b)
	}
	if !strings.Contains(s.Description, "10%") || !strings.Contains(s.Description, "netem") {
		t.Errorf("description: %s", s.Description)
	}
}

func TestNetworkFaultsHaveRepairers(t *testing.T) {
	var kinds []string
	for _, r := range Repairers(&kube.Client{}) {
		kinds = append(kinds, r.Kind())
	}
	for _, k := range []string{dbpartition.RepairKind, packetloss.RepairKind} {
		if !slices.Contains(kinds, k) {
			t.Errorf("no repairer for %q", k)
		}
	}
}
