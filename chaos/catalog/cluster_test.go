package catalog_test

import (
	"strings"
	"testing"
	"time"

	"github.com/selfheal/selfheal/chaos/fault/apiserver"
	"github.com/selfheal/selfheal/chaos/fault/dnsoutage"
	"github.com/selfheal/selfheal/chaos/result"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/selfheal/selfheal/chaos/app"
	"github.com/selfheal/selfheal/fixtures/wordpress"
)

// dns-outage: DNS down for the hold, the app expected down with it, and
// back within the budget once DNS is.
func TestDNSOutageScenario(t *testing.T) {
	e, s := build(t, "dns-outage", wordpressShape(t))
	if e.Set != "extra" || s.Fault.Name() != "dns-outage" {
		t.Errorf("set %q fault %q", e.Set, s.Fault.Name())
	}
	if s.Timing.Hold != 30*time.Second || s.Timing.Deadline != s.Timing.Hold {
		t.Errorf("timing %+v: DNS stays down 30 s, and is reverted then (nothing recovers before)", s.Timing)
	}
	if !strings.Contains(s.Description, "for 30s") || !strings.Contains(s.Description, "WORDPRESS_DB_HOST=mysql") {
		t.Errorf("description %q must say how long and why the app needs DNS", s.Description)
	}
	b := s.Budgets
	if !b.MustNotRecover || b.MustRecover || b.RecoveryAfterRevert == nil || *b.RecoveryAfterRevert != time.Minute {
		t.Errorf("budgets %s: must not recover while DNS is down, back within 1m after", b)
	}
	if len(s.Bounds) != 1 || s.Bounds[0].Metric != result.KeyRecovery || s.Bounds[0].MS != 30000 {
		t.Errorf("bounds %+v: recovery at best the hold", s.Bounds)
	}
	// The revert waits for CoreDNS within the scenario's revert bound.
	if dnsoutage.DefaultReadyTimeout >= s.Timing.RevertBound() {
		t.Errorf("CoreDNS wait %s does not fit the revert bound %s", dnsoutage.DefaultReadyTimeout, s.Timing.RevertBound())
	}
}

// apiserver-restart: not one failed request, of any kind.
func TestAPIServerRestartScenario(t *testing.T) {
	e, s := build(t, "apiserver-restart", wordpressShape(t))
	if e.Set != "extra" || s.Fault.Name() != "apiserver-restart" || s.Timing.Hold != 0 {
		t.Errorf("set %q fault %q hold %s", e.Set, s.Fault.Name(), s.Timing.Hold)
	}
	b := s.Budgets
	if b.Downtime == nil || *b.Downtime != 0 || b.Server5xx == nil || b.Server5xx.Limit(10) != 0 || b.TransportErrors == nil || b.TransportErrors.Limit(10) != 0 {
		t.Errorf("budgets %s: want no downtime, no 5xx, no transport error", b)
	}
	if b.MustNotRecover || len(s.Bounds) > 0 {
		t.Errorf("budgets %s bounds %+v", b, s.Bounds)
	}
	// Each kind of failed request misses a budget.
	for _, r := range []*result.Result{{DowntimeMS: 1}, {Server5xx: 1}, {Errors: map[string]int{"refused": 1}}} {
		if result.Judge(b.Check(r)) != result.VerdictFail {
			t.Errorf("%+v passes: the app must not notice", r)
		}
	}
	if apiserver.DefaultBound >= s.Timing.RevertBound() {
		t.Errorf("API server wait %s does not fit the revert bound %s", apiserver.DefaultBound, s.Timing.RevertBound())
	}
}

// Both break the same thing under every set-up of the app: none is
// refused for the app's sake.
func TestClusterScenariosRunAgainstEveryVariant(t *testing.T) {
	shapes := []app.Shape{wordpressShape(t)}
	for _, o := range []wordpress.Option{wordpress.WithLiveness(wordpress.ProbeNone), wordpress.WithReadiness(wordpress.ReadinessTCP), wordpress.WithReplicas(1), wordpress.WithPDB(false)} {
		shapes = append(shapes, wordpressShape(t, o))
	}
	shapes = append(shapes, wordpressShape(t, wordpress.WithWorkload(wordpress.StatefulSet), wordpress.WithRollingUpdate(intstr.FromInt32(0), intstr.FromInt32(1))))
	bare := shapes[0]
	bare.App.Database, bare.Database = nil, nil
	shapes = append(shapes, bare)
	for _, name := range []string{"dns-outage", "apiserver-restart"} {
		e, _ := build(t, name, shapes[0])
		for _, s := range shapes {
			if err := e.Supports(s); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
	}
}

// Without an app that resolves its database on every request, dns-outage
// judges only the return: whether the app notices is not known.
func TestDNSOutageOfAnAppThatMayNotNotice(t *testing.T) {
	s := wordpressShape(t)
	s.App.Database.LookedUpPerRequest = false
	_, sc := build(t, "dns-outage", s)
	if b := sc.Budgets; b.MustNotRecover || b.RecoveryAfterRevert == nil || len(sc.Bounds) > 0 {
		t.Errorf("budgets %s bounds %+v: want only the return judged", b, sc.Bounds)
	}
	if !strings.Contains(sc.Description, "Whether WordPress notices") {
		t.Errorf("description %q", sc.Description)
	}
}

func TestClusterFaultsHaveRepairers(t *testing.T) {
	wantRepairers(t, dnsoutage.RepairKind, apiserver.RepairKind)
}
