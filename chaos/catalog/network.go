package catalog

import (
	"fmt"
	"time"

	"github.com/selfheal/selfheal/chaos/fault/dbpartition"
	"github.com/selfheal/selfheal/chaos/fault/packetloss"
	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/chaos/scenario"
	"github.com/selfheal/selfheal/fixtures/app"
)

// netHold is how long the network faults stay in place: long enough for
// readiness (every 5 s, 2 failures) to act on a WordPress pod that cannot
// reach its database, several times over, and for the liveness probe
// (every 10 s, 3 failures, on a page that needs the database) to restart
// it; short enough that a run stays under two minutes. The observation
// deadline is the hold too: the fault is timed, so the runner reverts at
// its end whatever the service does meanwhile.
const netHold = 30 * time.Second

// partitionBackAfterRevert bounds how long after the partition is lifted
// the service must be back. During the partition a page's connection to
// MySQL does not fail, it hangs (a dropped SYN is retried 1, 2, 4, 8, 16 s
// apart; PHP waits up to 60 s), so each pod's 10 Apache workers are soon
// all waiting and new requests queue. After the lift each waiting connect
// goes through at its next retry, at most 16 s later, and the queue
// drains. Healthy path: the next readiness probe of a WordPress pod
// (every 5 s, one success) passes and the endpoint follows within about a
// second: at most 6 s, plus that drain. Slow path: the liveness probe
// (every 10 s, 3 failures on /wp-login.php, which needs the database)
// decided a restart just before the lift; the container then runs its
// preStop sleep (10 s), stops, restarts (a back-off of 10 s if it is not
// its first restart) and passes readiness again: about 30 s. 60 s is the
// slow path twice; slower than that the app is not coming back by itself.
// Not yet measured on this machine.
const partitionBackAfterRevert = 60 * time.Second

func dbPartition(env Env) scenario.Scenario {
	c := env.App
	return scenario.Scenario{
		Name: "db-partition",
		Description: fmt.Sprintf("Drop TCP to and from MySQL's port %d inside every WordPress pod's network namespace (iptables through nsenter on the kind node; "+
			"established connections are cut too) for %s, then lift it. MySQL itself and DNS are untouched. Pages that need the database hang (the connection to MySQL is retried, not refused): readiness "+
			"takes the pods out of the Service and the liveness probe may restart them (the rules survive a container restart: they belong to the pod). "+
			"Expected: no recovery while the partition holds, and the service back soon after it is lifted.",
			dbpartition.DefaultPort, netHold),
		Fault:            dbpartition.New(env.Client, c.Namespace, app.WordPressLabel),
		Steady:           steady(env),
		HealingCondition: steadyWords,
		// Nothing in the cluster can heal a partition: every page but the
		// static ones needs the database, so recovering while it holds
		// would mean the fault did not take.
		Budgets: scenario.Budgets{MustNotRecover: true, RecoveryAfterRevert: scenario.Dur(partitionBackAfterRevert)},
		Bounds: []result.Bound{
			{Metric: result.KeyRecovery, MS: float64(netHold.Milliseconds()), Reason: fmt.Sprintf("WordPress cannot reach its database until the partition is lifted, %s after the injection; no page that needs it can be served before", netHold)},
		},
		Timing: scenario.Timing{Hold: netHold, Deadline: netHold},
	}
}

// lossBudgets are what a healthy fixture shows under packetloss's
// default 10% loss, at the suite's 10 requests/s with a 2 s timeout. The
// loss hits every packet arriving in the pod, MySQL's answers too, and a
// page waits on about twenty of them: retransmissions (200 ms and more
// each, 1 s for a SYN) add up past the 2 s timeout far more often than a
// single request's losses would. Measured on the 2-core machine
// (docs/runs/20261201): 99 of about 300 requests during the 30 s hold
// timed out, 9.9 s of downtime in 57 outages, the longest 700 ms, no 5xx.
// So the budgets judge what healing there is, not the loss itself: no
// outage of 2 s (that would mean no replica served: readiness took them
// both out), downtime at most half the hold (more would mean the pods
// spent most of it out of the Service), no 5xx (loss slows answers, it
// never makes WordPress answer an error), and the service clean within
// 15 s of the lift (a pod readiness took out is back after one 5 s
// period; three). The figures themselves are for the history to watch.
func lossBudgets() scenario.Budgets {
	return scenario.Budgets{
		Downtime:            scenario.Dur(netHold / 2),
		LongestOutage:       scenario.Dur(2 * time.Second),
		Server5xx:           scenario.Requests(0),
		RecoveryAfterRevert: scenario.Dur(15 * time.Second),
	}
}

func packetLoss(env Env) scenario.Scenario {
	c := env.App
	return scenario.Scenario{
		Name: "packet-loss",
		Description: fmt.Sprintf("Drop %.0f%% of the packets arriving in every WordPress pod's network namespace at random (iptables statistic match through nsenter "+
			"on the kind node) for %s, then lift it: users' requests, MySQL's answers and the probes alike. TCP retransmits, so the expected result is "+
			"slower answers and many scattered timeouts (a page waits on about twenty database answers, each exposed to the loss), no 5xx and no full outage. (No latency counterpart: this machine's kernel has no netem.)",
			packetloss.DefaultProbability*100, netHold),
		Fault:            packetloss.New(env.Client, c.Namespace, app.WordPressLabel),
		Steady:           steady(env),
		HealingCondition: steadyWords,
		Budgets:          lossBudgets(),
		Timing:           scenario.Timing{Hold: netHold, Deadline: netHold},
	}
}
