package catalog_test

import (
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/selfheal/selfheal/chaos/catalog"
	"github.com/selfheal/selfheal/chaos/fault/drain"
	"github.com/selfheal/selfheal/chaos/fault/scale"
	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/fixtures/wordpress"
)

// The rollouts the fixture accepts of a DaemonSet and a StatefulSet.
var (
	daemonRoll   = wordpress.WithRollingUpdate(intstr.FromInt32(0), intstr.FromInt32(1))
	statefulRoll = daemonRoll
)

// The planned disruptions keep the budgets of a planned disruption and
// the healing bounds their descriptions give.
func TestScaleAndDrainScenarios(t *testing.T) {
	tests := []struct {
		name       string
		healing    time.Duration
		boundMS    float64
		inWords    []string
		refusedFor [][]wordpress.Option
		runsFor    [][]wordpress.Option
	}{
		{"scale-out-in", 3 * time.Minute, 20000,
			[]string{"from 2 to 4 replicas", "preStop sleep (10s)", "readiness probe passed", "leaves the endpoints"},
			[][]wordpress.Option{{wordpress.WithWorkload(wordpress.DaemonSet), daemonRoll}},
			[][]wordpress.Option{{wordpress.WithReplicas(1)}, {wordpress.WithWorkload(wordpress.StatefulSet), statefulRoll}, {wordpress.WithPDB(false)}, {wordpress.WithPreStopSleep(0)}}},
		{"node-drain", 3 * time.Minute, 10000,
			[]string{"not MySQL", "Eviction API", "429", "uncordoned", "MySQL is never evicted"},
			[][]wordpress.Option{{wordpress.WithWorkload(wordpress.DaemonSet), daemonRoll}, {wordpress.WithReplicas(1)}},
			[][]wordpress.Option{{wordpress.WithWorkload(wordpress.StatefulSet), statefulRoll}, {wordpress.WithPDB(false)}, {wordpress.WithReplicas(4)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, s := build(t, tt.name, wordpressShape(t))
			b := s.Budgets
			if !b.MustRecover || b.Server5xx.Limit(10) != 0 || *b.Downtime != 5*time.Second || *b.LongestOutage != time.Second || *b.Healing != tt.healing || b.Recovery != nil {
				t.Errorf("budgets %+v are not the planned-disruption budgets with %s of healing", b, tt.healing)
			}
			if len(s.Bounds) != 1 || s.Bounds[0].Metric != result.KeyHealing || s.Bounds[0].MS != tt.boundMS {
				t.Errorf("bounds %+v, want healing at best %.0f ms", s.Bounds, tt.boundMS)
			}
			for _, w := range tt.inWords {
				if !strings.Contains(s.Description, w) {
					t.Errorf("the description does not say %q: %s", w, s.Description)
				}
			}
			if err := e.Supports(wordpressShape(t)); err != nil {
				t.Errorf("refuses the baseline: %v", err)
			}
			for _, opts := range tt.refusedFor {
				if c := wordpressShape(t, opts...); e.Supports(c) == nil {
					t.Errorf("runs against %s", c.Describe())
				}
			}
			for _, opts := range tt.runsFor {
				if c := wordpressShape(t, opts...); e.Supports(c) != nil {
					t.Errorf("refuses %s: %v", c.Describe(), e.Supports(c))
				}
			}
		})
	}
	// The description claims only what the fixture has.
	bare := wordpressShape(t, wordpress.WithPreStopSleep(0), wordpress.WithReadiness(wordpress.ReadinessNone))
	if _, sc := build(t, "scale-out-in", bare); !strings.Contains(sc.Description, "without a preStop sleep") || !strings.Contains(sc.Description, "without a readiness probe") || strings.Contains(sc.Description, "must cost nothing") {
		t.Errorf("description for a fixture without preStop and readiness: %s", sc.Description)
	}
	// The bound follows the fixture's preStop sleep.
	if b := catalog.ScaleBounds(wordpressShape(t, wordpress.WithPreStopSleep(3*time.Second)).Serving); b[0].MS != 13000 {
		t.Errorf("scale bound with a 3 s preStop sleep: %+v", b)
	}
}

func TestScaleAndDrainHaveRepairers(t *testing.T) {
	wantRepairers(t, scale.RepairKind, drain.RepairKind)
}
