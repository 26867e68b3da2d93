package catalog

import (
	"strings"
	"testing"
	"time"

	"github.com/selfheal/selfheal/chaos/fault/apiserver"
	"github.com/selfheal/selfheal/chaos/fault/dnsoutage"
	"github.com/selfheal/selfheal/chaos/kube"
	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/chaos/scenario"
	"github.com/selfheal/selfheal/fixtures/app"
)

func build(t *testing.T, name string, c app.Config) (Entry, scenario.Scenario) {
	t.Helper()
	es, err := Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return es[0], es[0].Build(Env{Client: &kube.Client{}, Cluster: "selfheal", App: c})
}

// dns-outage: DNS down for the hold, the app expected down with it, and
// back within the budget once DNS is.
func TestDNSOutageScenario(t *testing.T) {
	e, s := build(t, "dns-outage", app.Default())
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
	e, s := build(t, "apiserver-restart", app.Default())
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

// Both break the same thing under every fixture variant: none is refused.
func TestClusterScenariosRunAgainstEveryVariant(t *testing.T) {
	configs := []app.Config{app.Default()}
	for _, o := range []app.Option{app.WithLiveness(app.ProbeNone), app.WithReadiness(app.ReadinessTCP), app.WithWorkload(app.StatefulSet), app.WithReplicas(1), app.WithPDB(false)} {
		c := app.Default()
		o(&c)
		configs = append(configs, c)
	}
	for _, name := range []string{"dns-outage", "apiserver-restart"} {
		e, _ := build(t, name, app.Default())
		for _, c := range configs {
			if err := e.Supports(c); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
	}
}

func TestClusterFaultsHaveRepairers(t *testing.T) {
	wantRepairers(t, dnsoutage.RepairKind, apiserver.RepairKind)
}
