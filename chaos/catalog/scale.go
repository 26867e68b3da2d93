package catalog

import (
	"fmt"
	"time"

	"github.com/selfheal/selfheal/chaos/app"
	"github.com/selfheal/selfheal/chaos/fault/scale"
	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/chaos/scenario"
)

// scaleSettle is the pause between the end of the scale-out and the
// scale-in (scale.WithSettle).
const scaleSettle = 10 * time.Second

func scaleOutIn(env Env) scenario.Scenario {
	a, s := env.App.App, env.App.Serving
	return scenario.Scenario{
		Name: result.ScenarioScaleOutIn,
		Description: fmt.Sprintf("Scale %s (%s) from %d to %d replicas through its scale subresource, wait until the new pods are Ready and in the Service's endpoints, "+
			"then %s later scale back to %d; each scale call is an injection. %s %s",
			a.Name, s.Kind, s.Replicas, 2*s.Replicas, scaleSettle, s.Replicas, scaleOutWords(env.App), scaleInWords(s)),
		Fault:            scale.New(env.Client, a.Namespace, s.Name, a.Serving.Service, scale.WithKind(string(s.Kind)), scale.WithSettle(scaleSettle)),
		Steady:           steady(env),
		HealingCondition: env.App.SteadyWords() + fmt.Sprintf(" at the original %d replicas, the removed ones gone", s.Replicas),
		// Healing runs from the scale-out to the moment the removed pods
		// are gone: the new pods' start (tens of seconds on a loaded
		// machine), the settle, and the preStop sleep.
		Budgets: plannedBudgets(3 * time.Minute),
		Bounds:  scaleBounds(s),
	}
}

// scaleBounds: the workload is at its desired state again only once the
// pods removed by the scale-in are gone, which their preStop sleep
// delays; the scale-in comes scaleSettle after the scale-out at best.
func scaleBounds(s app.Resolved) []result.Bound {
	preStop := s.PreStopSleep()
	ms := float64((scaleSettle + preStop).Milliseconds())
	return []result.Bound{{Metric: result.KeyHealing, MS: ms, Reason: fmt.Sprintf(
		"the scale-in comes %s after the scaled-out pods are Ready, and the removed pods terminate only after their %s preStop sleep: at best %s after the scale-out",
		scaleSettle, preStop, scaleSettle+preStop)}}
}

// scaleOutWords says what keeps the scale-out free of errors, for the
// app's readiness probe.
func scaleOutWords(s app.Shape) string {
	if s.Serving.Readiness() == nil {
		return "Scaling out should cost nothing, but without a readiness probe a new pod gets traffic as soon as it runs, before " + s.App.Name + " is ready."
	}
	return "Scaling out must cost nothing: a new pod gets traffic only once its readiness probe passed."
}

// scaleInWords says what keeps the scale-in free of errors, for the
// app's preStop sleep.
func scaleInWords(s app.Resolved) string {
	preStop := s.PreStopSleep()
	if preStop == 0 {
		return "Scaling in should cost nothing, but without a preStop sleep a removed pod stops at once while some kube-proxy may still route requests to it (refused or reset connections)."
	}
	return fmt.Sprintf("Scaling in must cost nothing either: a removed pod leaves the endpoints as soon as it is terminating, and its preStop sleep (%s) keeps it serving "+
		"the requests still routed to it until every kube-proxy has dropped it.", preStop)
}

// scaleOutInWords are the scale-out-in entry's line in `selfheal run
// --list` and the README.
func scaleOutInWords(s app.Shape) (string, string) {
	return s.App.Name + " is scaled from its replica count to twice that and back through the scale subresource, under load (two injections)",
		"new pods get traffic once Ready; removed pods leave the endpoints while their preStop sleep keeps them serving: no request fails"
}
