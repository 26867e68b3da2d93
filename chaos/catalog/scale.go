package catalog

import (
	"fmt"
	"time"

	"github.com/selfheal/selfheal/chaos/fault/scale"
	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/chaos/scenario"
	"github.com/selfheal/selfheal/fixtures/app"
)

// scaleSettle is the pause between the end of the scale-out and the
// scale-in (scale.WithSettle).
const scaleSettle = 10 * time.Second

// scaleRefuses: the scale subresource exists for a Deployment and a
// StatefulSet only.
func scaleRefuses(c app.Config) error { return scale.Scalable(string(c.Workload)) }

func scaleOutIn(env Env) scenario.Scenario {
	c := env.App
	return scenario.Scenario{
		Name: result.ScenarioScaleOutIn,
		Description: fmt.Sprintf("Scale WordPress (%s) from %d to %d replicas through its scale subresource, wait until the new pods are Ready and in the Service's endpoints, "+
			"then %s later scale back to %d; each scale call is an injection. %s %s",
			c.Workload, c.Replicas, 2*c.Replicas, scaleSettle, c.Replicas, scaleOutWords(c), scaleInWords(c)),
		Fault:            scale.New(env.Client, c.Namespace, app.WordPress, app.WordPress, scale.WithKind(string(c.Workload)), scale.WithSettle(scaleSettle)),
		Steady:           steady(env),
		HealingCondition: steadyWords + fmt.Sprintf(" at the original %d replicas, the removed ones gone", c.Replicas),
		// Healing runs from the scale-out to the moment the removed pods
		// are gone: the new pods' start (tens of seconds on a loaded
		// machine), the settle, and the preStop sleep.
		Budgets: plannedBudgets(3 * time.Minute),
		Bounds:  scaleBounds(c),
	}
}

// scaleBounds: the workload is at its desired state again only once the
// pods removed by the scale-in are gone, which their preStop sleep
// delays; the scale-in comes scaleSettle after the scale-out at best.
func scaleBounds(c app.Config) []result.Bound {
	ms := float64((scaleSettle + c.PreStopSleep).Milliseconds())
	return []result.Bound{{Metric: result.KeyHealing, MS: ms, Reason: fmt.Sprintf(
		"the scale-in comes %s after the scaled-out pods are Ready, and the removed pods terminate only after their %s preStop sleep: at best %s after the scale-out",
		scaleSettle, c.PreStopSleep, scaleSettle+c.PreStopSleep)}}
}

// scaleOutWords says what keeps the scale-out free of errors, for the
// fixture's readiness probe.
func scaleOutWords(c app.Config) string {
	if c.Readiness == app.ReadinessNone {
		return "Scaling out should cost nothing, but without a readiness probe a new pod gets traffic as soon as it runs, before Apache and WordPress are ready."
	}
	return "Scaling out must cost nothing: a new pod gets traffic only once its readiness probe passed."
}

// scaleInWords says what keeps the scale-in free of errors, for the
// fixture's preStop sleep.
func scaleInWords(c app.Config) string {
	if c.PreStopSleep == 0 {
		return "Scaling in should cost nothing, but without a preStop sleep a removed pod stops at once while some kube-proxy may still route requests to it (refused or reset connections)."
	}
	return fmt.Sprintf("Scaling in must cost nothing either: a removed pod leaves the endpoints as soon as it is terminating, and its preStop sleep (%s) keeps Apache serving "+
		"the requests still routed to it until every kube-proxy has dropped it.", c.PreStopSleep)
}

// The scale-out-in entry's line in `selfheal run --list` and the README.
const (
	scaleOutInBreaks = "WordPress is scaled from its replica count to twice that and back through the scale subresource, under load (two injections)"
	scaleOutInHeals  = "new pods get traffic once Ready; removed pods leave the endpoints while their preStop sleep keeps them serving: no request fails"
)
