package catalog

import (
	"context"
	"fmt"
	"time"

	"github.com/selfheal/selfheal/chaos/fault/drain"
	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/chaos/scenario"
	"github.com/selfheal/selfheal/fixtures/app"
)

// mysqlStays is why the drain never evicts MySQL.
const mysqlStays = "MySQL's data is on a node-local volume: evicted, it could not start elsewhere and the app would fail until the node is uncordoned"

// nodeDrainRefuses: the drain must leave a WordPress replica serving on
// the other worker while it moves the drained node's pods there.
func nodeDrainRefuses(c app.Config) error {
	switch {
	case c.Workload == app.DaemonSet:
		return fmt.Errorf("a drain leaves DaemonSet pods where they are (as kubectl drain --ignore-daemonsets does), so it would disrupt no WordPress pod")
	case c.Replicas < 2:
		// Not bounded and reported instead: with maxUnavailable 1 the
		// eviction goes through and the site is down until the
		// replacement is Ready (no surge for an eviction), beyond any
		// planned budget; with minAvailable 1 the PDB refuses it forever
		// and the drain would only time out.
		return fmt.Errorf("with %d replica the drain takes the only pod: either the PodDisruptionBudget allows it and nothing serves until the replacement is Ready, or it refuses the eviction forever", c.Replicas)
	}
	return nil
}

func nodeDrain(env Env) scenario.Scenario {
	c := env.App
	// Spread a Deployment's pods over the workers first, as node halt
	// does, so that one runs on a worker without MySQL; a StatefulSet is
	// left as it is.
	var prepare func(context.Context) error
	if c.Workload == app.Deployment {
		prepare = spread(env)
	}
	return scenario.Scenario{
		Name: result.ScenarioNodeDrain,
		Description: "Drain a worker that runs WordPress but not MySQL, as kubectl drain --ignore-daemonsets does: cordon it, evict its pods through the Eviction API " +
			"(a PodDisruptionBudget's 429 is waited out and retried, never bypassed) and wait until they are gone; the controller replaces them on the other worker. " +
			"The node is uncordoned afterwards. MySQL is never evicted (" + mysqlStays + "): when every WordPress pod shares its node, the scenario stops without draining.",
		Prepare:          prepare,
		Fault:            drain.New(env.Client, c.Namespace, app.WordPressLabel, drain.WithAvoid(app.MySQLLabel, mysqlStays)),
		Steady:           steady(env),
		HealingCondition: steadyWords + " (the evicted pods replaced on the other worker)",
		// Healing: the eviction, the replacement's start on the other
		// worker (tens of seconds on a loaded machine) and the evicted
		// pod's preStop sleep; a second pod on the node waits for the
		// first one's replacement (the PDB).
		Budgets: plannedBudgets(3 * time.Minute),
		Bounds: []result.Bound{{Metric: result.KeyHealing, MS: float64(c.PreStopSleep.Milliseconds()), Reason: fmt.Sprintf(
			"an evicted pod terminates only after its %s preStop sleep, and the workload is not at its desired state while it is terminating", c.PreStopSleep)}},
	}
}

// The node-drain entry's line in `selfheal run --list` and the README.
const (
	nodeDrainBreaks = "a worker running WordPress but not MySQL is drained as kubectl drain does (cordon, evictions through the Eviction API honouring the PDB), then uncordoned"
	nodeDrainHeals  = "the evicted pods are replaced on the other worker while the PDB keeps a replica serving: no request fails"
)
