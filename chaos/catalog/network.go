package catalog

import (
	"fmt"
	"time"

	"github.com/selfheal/selfheal/chaos/app"
	"github.com/selfheal/selfheal/chaos/fault/dbpartition"
	"github.com/selfheal/selfheal/chaos/fault/packetloss"
	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/chaos/scenario"
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
	a := env.App.App
	db := a.Database
	return scenario.Scenario{
		Name: result.ScenarioDBPartition,
		Description: fmt.Sprintf("Drop TCP to and from %s's port %d inside every %s pod's network namespace (iptables through nsenter on the kind node; "+
			"established connections are cut too) for %s, then lift it. %s itself and DNS are untouched. Pages that need the database hang (the connection to %s is retried, not refused): readiness "+
			"takes the pods out of the Service and the liveness probe may restart them (the rules survive a container restart: they belong to the pod). "+
			"Expected: no recovery while the partition holds, and the service back soon after it is lifted.",
			db.Title, db.Port, a.Name, netHold, db.Title, db.Title),
		Fault:            dbpartition.New(env.Client, a.Namespace, env.App.Serving.Pods, dbpartition.WithPort(int(db.Port))),
		Steady:           steady(env),
		HealingCondition: env.App.SteadyWords(),
		// Nothing in the cluster can heal a partition: every page but the
		// static ones needs the database, so recovering while it holds
		// would mean the fault did not take.
		Budgets: scenario.Budgets{MustNotRecover: true, RecoveryAfterRevert: scenario.Dur(partitionBackAfterRevert)},
		Bounds: []result.Bound{
			{Metric: result.KeyRecovery, MS: float64(netHold.Milliseconds()), Reason: fmt.Sprintf("%s cannot reach its database until the partition is lifted, %s after the injection; no page that needs it can be served before", a.Name, netHold)},
		},
		Timing: scenario.Timing{Hold: netHold, Deadline: netHold},
	}
}

func dbPartitionWords(s app.Shape) (string, string) {
	port := int32(0)
	if s.App.Database != nil {
		port = s.App.Database.Port
	}
	return fmt.Sprintf("TCP to and from %s's port %d is dropped inside each %s pod's network namespace (iptables via nsenter) for 30 s", dbName(s), port, s.App.Name),
		"none possible while it holds (readiness takes the pods out); back within 60 s of the lift"
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
	a := env.App.App
	answers, waits := "", ""
	if db := a.Database; db != nil {
		answers = ", " + db.Title + "'s answers"
		waits = " (a page waits on " + db.Title + "'s answers too, each exposed to the loss)"
	}
	return scenario.Scenario{
		Name: result.ScenarioPacketLoss,
		Description: fmt.Sprintf("Drop %.0f%% of the packets arriving in every %s pod's network namespace at random (iptables statistic match through nsenter "+
			"on the kind node) for %s, then lift it: users' requests%s and the probes alike. TCP retransmits, so the expected result is "+
			"slower answers and many scattered timeouts%s, no 5xx and no full outage. (No latency counterpart: this machine's kernel has no netem.)",
			packetloss.DefaultProbability*100, a.Name, netHold, answers, waits),
		Fault:            packetloss.New(env.Client, a.Namespace, env.App.Serving.Pods),
		Steady:           steady(env),
		HealingCondition: env.App.SteadyWords(),
		Budgets:          lossBudgets(),
		Timing:           scenario.Timing{Hold: netHold, Deadline: netHold},
	}
}

func packetLossWords(s app.Shape) (string, string) {
	lost := ""
	if s.App.Database != nil {
		lost = " (" + s.App.Database.Title + "'s answers are lost too)"
	}
	return fmt.Sprintf("10%% of the packets arriving in each %s pod are dropped at random (iptables statistic via nsenter) for 30 s", s.App.Name),
		"nothing to heal: TCP retransmits, so answers slow down and many scattered requests time out" + lost + "; the pods must stay in the Service"
}
