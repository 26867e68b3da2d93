package catalog_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/selfheal/selfheal/chaos/catalog"
	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/chaos/scenario"
	"github.com/selfheal/selfheal/fixtures/wordpress"
)

// The MySQL process scenarios' budgets, bounds and timing, from the
// manifests' MySQL settings: liveness exec every 10 s, timeout 5 s,
// failureThreshold 3; readiness initial delay 5 s; grace period 30 s.
func TestMySQLScenarios(t *testing.T) {
	type want struct {
		mustRecover, mustNot bool
		recovery, healing    time.Duration // budgets
		afterRevert          time.Duration
		recoveryBound        time.Duration
		healingBound         time.Duration
		hold, deadline       time.Duration
		says                 []string
	}
	tests := []struct {
		name     string
		scenario string
		opts     []wordpress.Option
		want     want
	}{
		{"crash", "mysql-crash", nil, want{mustRecover: true, recovery: 95 * time.Second, healing: 125 * time.Second,
			healingBound: 5 * time.Second, deadline: 125 * time.Second, says: []string{"SIGKILL", "mysql-0", "restart"}}},
		{"crash, tcpSocket probes: the same restart", "mysql-crash", []wordpress.Option{wordpress.WithMySQLProbes(wordpress.MySQLTCP)}, want{mustRecover: true,
			recovery: 95 * time.Second, healing: 125 * time.Second, healingBound: 5 * time.Second, deadline: 125 * time.Second}},
		// 2 more failures 10 s apart after the first one's 2 s client
		// timeout, then 30 s until SIGKILL: 52 s; +5 s before readiness.
		{"hang, exec liveness heals", "mysql-hang", nil, want{mustRecover: true, recovery: 52*time.Second + 95*time.Second,
			healing: 52*time.Second + 125*time.Second, recoveryBound: 52 * time.Second, healingBound: 57 * time.Second,
			deadline: 177 * time.Second, says: []string{"SIGSTOP", "exec liveness", "3 failed probes", "30s grace", "SIGCONT"}}},
		{"hang, exec probes with no client timeout never heal", "mysql-hang", []wordpress.Option{wordpress.WithMySQLProbes(wordpress.MySQLExecBare)}, want{mustNot: true,
			afterRevert: 2 * time.Minute, recoveryBound: 75 * time.Second, hold: 75 * time.Second, deadline: 75 * time.Second,
			says: []string{"SIGSTOP", "no client timeout", "not recovered", "SIGCONT"}}},
		{"hang, tcpSocket liveness never heals", "mysql-hang", []wordpress.Option{wordpress.WithMySQLProbes(wordpress.MySQLTCP)}, want{mustNot: true,
			afterRevert: 2 * time.Minute, recoveryBound: 75 * time.Second, hold: 75 * time.Second, deadline: 75 * time.Second,
			says: []string{"SIGSTOP", "not recovered", "After 1m15s", "SIGCONT"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := wordpressShape(t, tt.opts...)
			e, s := build(t, tt.scenario, c)
			if err := e.Supports(c); err != nil {
				t.Fatal(err)
			}
			b, w := s.Budgets, tt.want
			got := want{mustRecover: b.MustRecover, mustNot: b.MustNotRecover, recovery: dur(b.Recovery), healing: dur(b.Healing),
				afterRevert: dur(b.RecoveryAfterRevert), recoveryBound: bound(s, result.KeyRecovery), healingBound: bound(s, result.KeyHealing),
				hold: s.Timing.Hold, deadline: s.Timing.Deadline, says: w.says}
			if figures := func(w want) string { w.says = nil; return fmt.Sprintf("%+v", w) }; figures(got) != figures(w) {
				t.Errorf("got  %s\nwant %s", figures(got), figures(w))
			}
			for _, words := range w.says {
				if !strings.Contains(s.Description, words) {
					t.Errorf("description %q does not say %q", s.Description, words)
				}
			}
			for _, bd := range s.Bounds {
				if bd.Reason == "" {
					t.Errorf("bound %+v gives no reason", bd)
				}
			}
			// A bound is what the fixture allows at best: a budget below it
			// could never be met.
			if b.Recovery != nil && *b.Recovery < got.recoveryBound || b.Healing != nil && *b.Healing < got.healingBound {
				t.Errorf("budgets %s/%s below the bounds %s/%s", got.recovery, got.healing, got.recoveryBound, got.healingBound)
			}
			// Watching past the healing budget changes no verdict; a run that
			// never heals must not watch the default 4 minutes.
			if s.Timing.Deadline >= scenario.DefaultTiming().Deadline || b.Healing != nil && s.Timing.Deadline < *b.Healing {
				t.Errorf("deadline %s: want at least the healing budget and under the default %s", s.Timing.Deadline, scenario.DefaultTiming().Deadline)
			}
		})
	}
	e, hang := build(t, "mysql-hang", wordpressShape(t))
	if _, heals := e.Words(wordpressShape(t)); !strings.Contains(heals, fmt.Sprintf("%d s", int(catalog.MySQLHangHold.Seconds()))) {
		t.Errorf("the catalog says %q, not the hold of %s", heals, catalog.MySQLHangHold)
	}
	// The hold of the never-healing case outlasts the time the exec probe
	// takes to have the server killed: the result shows no restart came
	// when one would have.
	if kill, hold := bound(hang, result.KeyRecovery), catalog.MySQLHangHold; hold <= kill {
		t.Errorf("hold %s is not past the exec liveness restart %s", hold, kill)
	}
}
