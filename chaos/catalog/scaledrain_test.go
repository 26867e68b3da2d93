package catalog

import (
	"strings"
	"testing"
	"time"

	"github.com/selfheal/selfheal/chaos/fault/drain"
	"github.com/selfheal/selfheal/chaos/fault/scale"
	"github.com/selfheal/selfheal/chaos/kube"
	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/fixtures/app"
)

// The planned disruptions keep the budgets of a planned disruption and
// the healing bounds their descriptions give.
func TestScaleAndDrainScenarios(t *testing.T) {
	base := app.Default()
	tests := []struct {
		name       string
		healing    time.Duration
		boundMS    float64
		inWords    []string
		refusedFor []app.Option
		runsFor    []app.Option
	}{
		{"scale-out-in", 3 * time.Minute, 20000,
			[]string{"from 2 to 4 replicas", "preStop sleep (10s)", "readiness probe passed", "leaves the endpoints"},
			[]app.Option{app.WithWorkload(app.DaemonSet)},
			[]app.Option{app.WithReplicas(1), app.WithWorkload(app.StatefulSet), app.WithPDB(false), app.WithPreStopSleep(0)}},
		{"node-drain", 3 * time.Minute, 10000,
			[]string{"not MySQL", "Eviction API", "429", "uncordoned", "MySQL is never evicted"},
			[]app.Option{app.WithWorkload(app.DaemonSet), app.WithReplicas(1)},
			[]app.Option{app.WithWorkload(app.StatefulSet), app.WithPDB(false), app.WithReplicas(4)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			entries, err := Lookup(tt.name)
			if err != nil {
				t.Fatal(err)
			}
			e := entries[0]
			s := e.Build(Env{Client: &kube.Client{}, App: base})
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
			if err := e.Supports(base); err != nil {
				t.Errorf("refuses the baseline: %v", err)
			}
			for _, o := range tt.refusedFor {
				c := base
				o(&c)
				if e.Supports(c) == nil {
					t.Errorf("runs against %s", c.Describe())
				}
			}
			for _, o := range tt.runsFor {
				c := base
				o(&c)
				if err := e.Supports(c); err != nil {
					t.Errorf("refuses %s: %v", c.Describe(), err)
				}
			}
		})
	}
	// The description claims only what the fixture has.
	bare := base
	app.WithPreStopSleep(0)(&bare)
	app.WithReadiness(app.ReadinessNone)(&bare)
	if d := scaleOutIn(Env{Client: &kube.Client{}, App: bare}).Description; !strings.Contains(d, "without a preStop sleep") || !strings.Contains(d, "without a readiness probe") || strings.Contains(d, "must cost nothing") {
		t.Errorf("description for a fixture without preStop and readiness: %s", d)
	}
	// The bound follows the fixture's preStop sleep.
	c := base
	app.WithPreStopSleep(3 * time.Second)(&c)
	if b := scaleBounds(c); b[0].MS != 13000 {
		t.Errorf("scale bound with a 3 s preStop sleep: %+v", b)
	}
}

func TestScaleAndDrainHaveRepairers(t *testing.T) {
	wantRepairers(t, scale.RepairKind, drain.RepairKind)
}
