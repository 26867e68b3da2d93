package sample

import (
	"time"

	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/chaos/scenario"
)

// Vantages is a node-halt seen from three vantage points besides the
// outside: four loader pods inside the cluster, on the worker that is not
// halted, the outside with reused connections, and the control probe,
// which fails with the outside for two seconds of a harness-side network
// blip that the app is not charged for.
func Vantages() *result.Result {
	start := time.Date(2025, 6, 5, 2, 0, 0, 0, time.UTC)
	run := &result.RunInfo{ID: "vantages", Cluster: "selfheal", KubernetesVersion: "v1.34.4", ImageMode: "offline", Host: "ci-runner-3"}
	targets := []string{"http://127.0.0.1:30080/", "http://127.0.0.1:30080/?p=1", "http://127.0.0.1:30080/wp-includes/css/dist/block-library/style.min.css"}
	inside := []string{"http://wordpress.selfheal.svc.cluster.local./", "http://wordpress.selfheal.svc.cluster.local./?p=1", "http://wordpress.selfheal.svc.cluster.local./wp-includes/css/dist/block-library/style.min.css"}
	halt := []Phase{{From: sec(60.1), To: sec(110.4), FailP: 0.5, Fail: "timeout"}}
	blip := Phase{From: sec(150), To: sec(152), FailP: 1, Fail: "refused"}
	heal := sec(182)
	clock := func(at float64, off, unc float64) result.ClockReading {
		return result.ClockReading{At: start.Add(sec(at)), OffsetMS: off, UncertaintyMS: unc, Exchanges: 8}
	}
	var loaders []result.Loader
	for i, pod := range []string{"k2x8p", "7dq2m", "c5rzt", "w8v4n"} {
		off := []float64{0.2, -0.3, 0.1, -0.2}[i]
		loaders = append(loaders, result.Loader{Pod: "selfheal-loader-3f9a1c-" + string(rune('0'+i)) + "-" + pod, Node: "selfheal-worker", Rate: 50,
			Samples: 15_000, Achieved: 50, Ended: true, AppliedMS: off, UncertaintyMS: 1.2,
			Clock: []result.ClockReading{clock(-3, off, 0.9), clock(301, off+0.1, 1.1)}})
	}
	return Build(Spec{
		Scenario:    "node-halt",
		Description: "Stops the kind node container that runs one WordPress pod (docker kill); the pod's requests time out until the node is NotReady and its endpoint removed.",
		Run:         run, Start: start, Duration: 5 * time.Minute, Rate: 10, Seed: 77, BaseLatency: 30, Targets: targets,
		Phases:     append(append([]Phase(nil), halt...), blip),
		Injections: []Mark{{At: sec(60), Fault: "node-halt", Detail: "docker kill selfheal-worker2 (runs " + wpB + ")"}},
		Reverts:    []Mark{{At: sec(240), Fault: "node-halt", Detail: "docker start selfheal-worker2"}},
		Proofs:     haltProofs("selfheal-worker2"),
		Events: []Event{
			{sec(60.0), "fault", "selfheal-worker2", "Injected", "docker kill selfheal-worker2"},
			{sec(110.1), "node", "selfheal-worker2", "NotReady", "Kubelet stopped posting node status"},
			{sec(110.4), "endpoints", "wordpress/wordpress-abcde", "EndpointsChanged", "1/2 ready: removed " + wpB},
			{sec(240.0), "fault", "selfheal-worker2", "Reverted", "docker start selfheal-worker2"},
			{sec(242.0), "endpoints", "wordpress/wordpress-abcde", "EndpointsChanged", "2/2 ready: added " + wpB},
		},
		HealedAfter: &heal,
		HealCond:    "all nodes Ready, deployment wordpress 2/2 available",
		Budgets:     scenario.Budgets{Recovery: scenario.Dur(90 * time.Second), MustRecover: true},
		Vantages: []VantageSpec{
			{Point: result.VantagePoint{Name: "outside-reused", Kind: result.VantageOutside, Connections: result.ConnectionsReused, From: "the harness, to 127.0.0.1:30080"},
				// A kept-alive connection stays on its pod: the one pinned to the halted node times out to the end.
				Rate: 10, Seed: 78, Targets: targets, Phases: []Phase{{From: sec(60.1), To: sec(112), FailP: 1, Fail: "timeout"}, blip}},
			{Point: result.VantagePoint{Name: "control", Kind: result.VantageControl, Connections: result.ConnectionsNew,
				From: "the harness, to 127.0.0.1:30082: a static server on the control-plane node, not the app"},
				Rate: 10, Seed: 79, Targets: []string{"http://127.0.0.1:30082/"}, Phases: []Phase{blip}},
			{Point: result.VantagePoint{Name: "inside", Kind: result.VantageInside, Connections: result.ConnectionsNew,
				From: "4 loader pods on selfheal-worker, to wordpress.selfheal.svc.cluster.local."},
				Rate: 200, Seed: 80, Targets: inside, Phases: halt, Loaders: loaders},
		},
	})
}
