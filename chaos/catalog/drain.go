package catalog

import (
	"context"
	"fmt"
	"time"

	"github.com/selfheal/selfheal/chaos/app"
	"github.com/selfheal/selfheal/chaos/fault/drain"
	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/chaos/scenario"
)

// dbStays is why the drain never evicts the database.
func dbStays(db string) string {
	return db + "'s data is on a node-local volume: evicted, it could not start elsewhere and the app would fail until the node is uncordoned"
}

// nodeDrainNeeds: the drain must leave a replica serving on the other
// worker while it moves the drained node's pods there.
var nodeDrainNeeds = []Need{
	{Capability: Movable, Why: "a drain leaves DaemonSet pods where they are (as kubectl drain --ignore-daemonsets does), so it would disrupt no pod of the app"},
	// Not bounded and reported instead: with maxUnavailable 1 the
	// eviction goes through and the site is down until the replacement
	// is Ready (no surge for an eviction), beyond any planned budget; with
	// minAvailable 1 the PDB refuses it forever and the drain would only
	// time out.
	{Capability: TwoReplicas, Why: "with one the drain takes the only pod: either the PodDisruptionBudget allows it and nothing serves until the replacement is Ready, or it refuses the eviction forever"},
	{Capability: TwoWorkers, Why: "the drained node's pods move to another"},
}

func nodeDrain(env Env) scenario.Scenario {
	a, s := env.App.App, env.App.Serving
	// Spread a Deployment's pods over the workers first, as node halt
	// does, so that one runs on a worker without the database; a
	// StatefulSet is left as it is.
	var prepare func(context.Context) error
	if s.Kind == app.Deployment {
		prepare = spread(env)
	}
	var opts []drain.Option
	what := "Drain a worker that runs " + a.Name
	if db := env.App.Database; db != nil {
		stays := dbStays(a.Database.Title)
		opts = append(opts, drain.WithAvoid(db.Pods, stays))
		what += fmt.Sprintf(" but not %s, as kubectl drain --ignore-daemonsets does: cordon it, evict its pods through the Eviction API "+
			"(a PodDisruptionBudget's 429 is waited out and retried, never bypassed) and wait until they are gone; the controller replaces them on the other worker. "+
			"The node is uncordoned afterwards. %s is never evicted (%s): when every %s pod shares its node, the scenario stops without draining.",
			a.Database.Title, a.Database.Title, stays, a.Name)
	} else {
		what += ", as kubectl drain --ignore-daemonsets does: cordon it, evict its pods through the Eviction API " +
			"(a PodDisruptionBudget's 429 is waited out and retried, never bypassed) and wait until they are gone; the controller replaces them on the other worker. " +
			"The node is uncordoned afterwards."
	}
	preStop := s.PreStopSleep()
	return scenario.Scenario{
		Name:             result.ScenarioNodeDrain,
		Description:      what,
		Prepare:          prepare,
		Fault:            drain.New(env.Client, a.Namespace, s.Pods, opts...),
		Steady:           steady(env),
		HealingCondition: env.App.SteadyWords() + " (the evicted pods replaced on the other worker)",
		// Healing: the eviction, the replacement's start on the other
		// worker (tens of seconds on a loaded machine) and the evicted
		// pod's preStop sleep; a second pod on the node waits for the
		// first one's replacement (the PDB).
		Budgets: plannedBudgets(3 * time.Minute),
		Bounds: []result.Bound{{Metric: result.KeyHealing, MS: float64(preStop.Milliseconds()), Reason: fmt.Sprintf(
			"an evicted pod terminates only after its %s preStop sleep, and the workload is not at its desired state while it is terminating", preStop)}},
	}
}

// nodeDrainWords are the node-drain entry's line in `selfheal run --list`
// and the README.
func nodeDrainWords(s app.Shape) (string, string) {
	breaks := "a worker running " + s.App.Name
	if s.App.Database != nil {
		breaks += " but not " + s.App.Database.Title
	}
	return breaks + " is drained as kubectl drain does (cordon, evictions through the Eviction API honouring the PDB), then uncordoned",
		"the evicted pods are replaced on the other worker while the PDB keeps a replica serving: no request fails"
}
