package sample

import (
	"fmt"
	"time"

	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/chaos/scenario"
)

// Night is one synthetic nightly run: its results in scenario order.
type Night struct {
	Dir     string // directory name under testdata/nightly
	Results []*result.Result
}

const (
	wpA   = "wordpress/wordpress-6c9f7d8b5-x2kqp"
	wpB   = "wordpress/wordpress-6c9f7d8b5-m7ztn"
	wpNew = "wordpress/wordpress-6c9f7d8b5-r4wvd"
	mysql = "wordpress/mysql-0"
)

var targets = []string{"http://127.0.0.1:30080/", "http://127.0.0.1:30080/?p=1"}

// Nightlies returns three nightly runs of the four scenarios, oldest first.
// The third run regresses: the wp-config break takes longer to heal and the
// node halt lands on the database node and never recovers (a one-hour
// scenario, to exercise long timelines).
func Nightlies() []Night {
	var out []Night
	for i, day := range []int{2, 3, 4} {
		start := time.Date(2025, 6, day, 2, 0, 0, 0, time.UTC)
		run := &result.RunInfo{
			ID:                fmt.Sprintf("nightly-2025060%d", day),
			Cluster:           "kind-selfheal",
			KubernetesVersion: "v1.34.4",
			ImageMode:         "offline",
			Fixture:           "wordpress: 2 replicas behind a NodePort, mysql-0 StatefulSet, 3 nodes",
			Host:              "ci-runner-3",
			SelfhealVersion:   "v0.3.0-sample",
		}
		n := Night{Dir: start.Format("2006-01-02")}
		specs := []Spec{
			eviction(run, start, i),
			wpConfig(run, start.Add(4*time.Minute), i),
			imageRoll(run, start.Add(9*time.Minute), i),
			nodeHalt(run, start.Add(13*time.Minute), i),
		}
		for _, s := range specs {
			s.Targets = targets
			s.Rate = 20
			s.BaseLatency = 32
			n.Results = append(n.Results, Build(s))
		}
		out = append(out, n)
	}
	return out
}

func sec(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

func eviction(run *result.RunInfo, start time.Time, night int) Spec {
	refused := 3.4 + 0.3*float64(night%2)
	if night == 2 {
		refused = 6.1
	}
	heal := sec(18.2 + float64(night))
	return Spec{
		Scenario:    "pod-eviction",
		Description: "Evicts one of the two WordPress pods through the Eviction API; the Deployment should replace it while the other pod serves.",
		Run:         run, Start: start, Duration: 3 * time.Minute, Seed: 11 + uint64(night),
		Phases: []Phase{
			{From: sec(60.1), To: sec(60.1 + refused), FailP: 0.5, Fail: "refused"},
			{From: sec(60.1 + refused), To: sec(62 + refused), FailP: 0.12, Fail: "reset"},
		},
		Injections: []Mark{{At: sec(60), Fault: "pod-eviction", Detail: "evicted " + wpA}},
		Proofs: []Proof{{At: sec(60.4), Held: true,
			Check:    "pod " + wpA + " (uid 0c6f1e2a-4d1b-4f7e-9a53-2b8c1d7e6f10) and the pods matching app=wordpress, read from the API after its eviction",
			Observed: "pod wordpress-6c9f7d8b5-x2kqp terminating (deletionTimestamp set); replacement wordpress-6c9f7d8b5-r4wvd (uid 5e2d9b71-8a0c-4c3e-b6f4-91d2a7c3e805) created, 0.4s after the eviction"}},
		Events: []Event{
			{sec(60.00), "fault", wpA, "Evict", "eviction of " + wpA + " accepted"},
			{sec(60.04), "pod", wpA, "Killing", "Stopping container wordpress"},
			{sec(60.06), "deployment", "wordpress/wordpress", "ScalingReplicaSet", "1/2 available"},
			{sec(60.20), "pod", wpNew, "Scheduled", "Successfully assigned " + wpNew + " to selfheal-worker"},
			{sec(60.1 + refused - 0.2), "endpoints", "wordpress/wordpress-abcde", "EndpointsChanged", "1/2 ready: removed " + wpA},
			{sec(61.30), "container", wpNew, "Started", "Started container wordpress (image already present on machine)"},
			{sec(60 + heal.Seconds() - 0.1), "pod", wpNew, "Ready", "pod Ready"},
			{sec(60 + heal.Seconds()), "endpoints", "wordpress/wordpress-abcde", "EndpointsChanged", "2/2 ready: added " + wpNew},
		},
		HealedAfter: &heal,
		HealCond:    "deployment wordpress 2/2 available, endpoints 2/2 ready",
		LowerBounds: []result.Bound{{Metric: result.KeyRecovery, Name: "endpoint removal", MS: 1000, Reason: "kube-proxy sync after the pod is deleted; about one second on kind"}},
		Budgets:     scenario.Budgets{Downtime: scenario.Dur(5 * time.Second), LongestOutage: scenario.Dur(2 * time.Second), Server5xx: scenario.Requests(10), Recovery: scenario.Dur(30 * time.Second), MustRecover: true},
	}
}

func wpConfig(run *result.RunInfo, start time.Time, night int) Spec {
	// In the third night the liveness probe had been relaxed to
	// failureThreshold 6: the restart, and so the recovery, comes 30 s later.
	delay := 0.0
	if night == 2 {
		delay = 30
	}
	restartA, restartB := 90.4+delay, 91.9+delay
	readyA, readyB := 92.0+delay, 95.5+delay
	heal := sec(readyB - 60 + 0.1)
	ev := []Event{
		{sec(60.0), "fault", wpA, "Exec", "wrote DB_HOST='db.invalid' into /var/www/html/wp-config.php in both pods"},
		{sec(70.3), "pod", wpA, "Unhealthy", "Liveness probe failed: HTTP probe failed with statuscode: 500"},
		{sec(70.9), "pod", wpB, "Unhealthy", "Liveness probe failed: HTTP probe failed with statuscode: 500"},
		{sec(74.6), "pod", wpA, "NotReady", "Readiness probe failed: HTTP probe failed with statuscode: 500"},
		{sec(74.8), "pod", wpB, "NotReady", "Readiness probe failed: HTTP probe failed with statuscode: 500"},
		{sec(75.0), "endpoints", "wordpress/wordpress-abcde", "EndpointsChanged", "0/2 ready: the Service has no endpoint"},
	}
	for k := 80.3; k < restartA-1; k += 10 {
		ev = append(ev, Event{sec(k), "pod", wpA, "Unhealthy", "Liveness probe failed: HTTP probe failed with statuscode: 500"})
	}
	ev = append(ev,
		Event{sec(restartA), "container", wpA, "Killing", "Container wordpress failed liveness probe, will be restarted"},
		Event{sec(restartA + 0.6), "container", wpA, "Restarted", "restart 1, last state Terminated (Error, exit code 0)"},
		Event{sec(restartB), "container", wpB, "Killing", "Container wordpress failed liveness probe, will be restarted"},
		Event{sec(restartB + 0.5), "container", wpB, "Restarted", "restart 1, last state Terminated (Error, exit code 0)"},
		Event{sec(readyA), "pod", wpA, "Ready", "pod Ready"},
		Event{sec(readyA + 0.1), "endpoints", "wordpress/wordpress-abcde", "EndpointsChanged", "1/2 ready: added " + wpA},
		Event{sec(readyB), "pod", wpB, "Ready", "pod Ready"},
		Event{sec(readyB + 0.1), "endpoints", "wordpress/wordpress-abcde", "EndpointsChanged", "2/2 ready: added " + wpB},
		Event{sec(150), "fault", wpA, "Revert", "restore wp-config.php: already restored by the container restart"},
	)
	return Spec{
		Scenario:    "wp-config-break",
		Description: "Breaks the database host in wp-config.php inside both WordPress containers; only a liveness restart brings back the good file from the image.",
		Run:         run, Start: start, Duration: 4 * time.Minute, Seed: 21 + uint64(night),
		Phases: []Phase{
			{From: sec(60.2), To: sec(75.0), FailP: 1, Fail: "500", LatencyMS: 12},
			{From: sec(75.0), To: sec(readyA), FailP: 1, Fail: "refused"},
			{From: sec(readyA), To: sec(readyB), FailP: 0.5, Fail: "refused", LatencyMS: 180},
			{From: sec(readyB), To: sec(readyB + 8), LatencyMS: 70},
		},
		Injections: []Mark{{At: sec(60), Fault: "wp-config-break", Detail: "DB_HOST='db.invalid' in wp-config.php of " + wpA + " and " + wpB}},
		Proofs: []Proof{
			{At: sec(60.3), Held: true, Check: "grep -c selfheal-fault /var/www/html/wp-config.php in pod wordpress-6c9f7d8b5-x2kqp (exec), after the injection", Observed: "1 corrupted DB_HOST line (db.invalid)"},
			{At: sec(60.4), Held: true, Check: "grep -c selfheal-fault /var/www/html/wp-config.php in pod wordpress-6c9f7d8b5-m7ztn (exec), after the injection", Observed: "1 corrupted DB_HOST line (db.invalid)"},
		},
		Reverts:     []Mark{{At: sec(150), Fault: "wp-config-break", Detail: "restore wp-config.php (already restored by the restart)"}},
		Events:      ev,
		HealedAfter: &heal,
		HealCond:    "deployment wordpress 2/2 available, endpoints 2/2 ready",
		LowerBounds: []result.Bound{{Metric: result.KeyRecovery, Name: "liveness restart", MS: 30000 + delay*1000, Reason: fmt.Sprintf("liveness period 10 s x failureThreshold %d before the container is restarted", 3+int(delay/10))}},
		Budgets:     scenario.Budgets{Downtime: scenario.Dur(45 * time.Second), LongestOutage: scenario.Dur(45 * time.Second), Server5xx: scenario.Requests(400), Recovery: scenario.Dur(time.Minute), MustRecover: true, AckedMissing: scenario.Count(0)},
		Writes:      wpConfigWrites(night, readyA),
	}
}

// wpConfigWrites: writes fail with 500 while the broken pods serve, and
// nothing answers until one is back. The second night one write's answer
// is lost after its commit and one is stored twice; the third night one
// acknowledged write is lost, which fails its budget.
func wpConfigWrites(night int, readyA float64) *Writes {
	w := &Writes{Rate: 1, FailFrom: sec(60.2), FailTo: sec(readyA), FailWith: "500"}
	switch night {
	case 1:
		w.AnswerLost, w.Twice = []int{40}, []int{110}
	case 2:
		w.Lost = []int{130}
	}
	return w
}

func imageRoll(run *result.RunInfo, start time.Time, night int) Spec {
	var phases []Phase
	phases = append(phases, Phase{From: sec(61), To: sec(95), LatencyMS: 58})
	if night == 1 {
		// The endpoint-removal race: a handful of resets in one night.
		phases = []Phase{
			{From: sec(61), To: sec(78.3), LatencyMS: 58},
			{From: sec(78.3), To: sec(78.6), FailP: 0.6, Fail: "reset", LatencyMS: 58},
			{From: sec(78.6), To: sec(95), LatencyMS: 58},
		}
	}
	heal := sec(35.4)
	return Spec{
		Scenario:    "image-roll",
		Description: "Rolls the WordPress Deployment to a new image tag; maxUnavailable 0 and a preStop sleep should lose no request.",
		Run:         run, Start: start, Duration: 3 * time.Minute, Seed: 31 + uint64(night),
		Phases:     phases,
		Injections: []Mark{{At: sec(60), Fault: "image-roll", Detail: "wordpress image selfheal/wordpress:6.8.1-a -> selfheal/wordpress:6.8.1-b"}},
		Proofs: []Proof{{At: sec(95.5), Held: true, Check: "the pods of deployment wordpress/wordpress and their container wordpress, read from the API after the roll",
			Observed: "2 pod(s) run selfheal/wordpress:6.8.1-b, 2 of them Ready (ReplicaSet wordpress-7b4d9c6f8)"}},
		Events: []Event{
			{sec(60.0), "fault", "wordpress/wordpress", "SetImage", "image selfheal/wordpress:6.8.1-b"},
			{sec(60.1), "deployment", "wordpress/wordpress", "ScalingReplicaSet", "Scaled up replica set wordpress-7b4d9c6f8 to 1"},
			{sec(62.2), "container", "wordpress/wordpress-7b4d9c6f8-9hx2l", "Started", "Started container wordpress"},
			{sec(76.0), "pod", "wordpress/wordpress-7b4d9c6f8-9hx2l", "Ready", "pod Ready"},
			{sec(76.1), "deployment", "wordpress/wordpress", "ScalingReplicaSet", "Scaled down replica set wordpress-6c9f7d8b5 to 1"},
			{sec(76.2), "pod", wpA, "Killing", "Stopping container wordpress (preStop sleep 5 s)"},
			{sec(78.4), "endpoints", "wordpress/wordpress-abcde", "EndpointsChanged", "2/2 ready: swapped " + wpA},
			{sec(78.5), "container", "wordpress/wordpress-7b4d9c6f8-kd8sx", "Started", "Started container wordpress"},
			{sec(95.3), "pod", "wordpress/wordpress-7b4d9c6f8-kd8sx", "Ready", "pod Ready"},
			{sec(95.4), "deployment", "wordpress/wordpress", "RolloutComplete", "deployment \"wordpress\" successfully rolled out"},
		},
		HealedAfter: &heal,
		HealCond:    "rollout complete: 2/2 updated and available",
		Budgets:     scenario.Budgets{Downtime: scenario.Dur(time.Second), LongestOutage: scenario.Dur(time.Second), Server5xx: scenario.Requests(0), Recovery: scenario.Dur(30 * time.Second), MustRecover: true},
	}
}

func nodeHalt(run *result.RunInfo, start time.Time, night int) Spec {
	if night == 2 {
		return nodeHaltDB(run, start)
	}
	heal := sec(215 + float64(night)*3)
	return Spec{
		Scenario:    "node-halt",
		Description: "Stops the kind node container that runs one WordPress pod (docker stop); the pod's requests time out until the node is NotReady and its endpoint removed.",
		Run:         run, Start: start, Duration: 5 * time.Minute, Seed: 41 + uint64(night),
		Phases: []Phase{
			{From: sec(60.1), To: sec(110.4), FailP: 0.5, Fail: "timeout"},
		},
		Injections: []Mark{{At: sec(60), Fault: "node-halt", Detail: "docker stop selfheal-worker2 (runs " + wpB + ")"}},
		Proofs:     haltProofs("selfheal-worker2"),
		Reverts:    []Mark{{At: sec(240), Fault: "node-halt", Detail: "docker start selfheal-worker2"}},
		Events: []Event{
			{sec(60.0), "fault", "selfheal-worker2", "Stop", "docker stop selfheal-worker2"},
			{sec(110.1), "node", "selfheal-worker2", "NotReady", "Kubelet stopped posting node status"},
			{sec(110.3), "pod", wpB, "NotReady", "pod Ready=False (node NotReady)"},
			{sec(110.4), "endpoints", "wordpress/wordpress-abcde", "EndpointsChanged", "1/2 ready: removed " + wpB},
			{sec(240.0), "fault", "selfheal-worker2", "Start", "docker start selfheal-worker2"},
			{sec(262.0), "node", "selfheal-worker2", "Ready", "kubelet is posting ready status"},
			{sec(60 + heal.Seconds() - 0.1), "pod", wpB, "Ready", "pod Ready"},
			{sec(60 + heal.Seconds()), "endpoints", "wordpress/wordpress-abcde", "EndpointsChanged", "2/2 ready: added " + wpB},
		},
		HealedAfter: &heal,
		HealCond:    "all nodes Ready, deployment wordpress 2/2 available",
		LowerBounds: []result.Bound{{Metric: result.KeyRecovery, Name: "node NotReady", MS: 50000, Reason: "node-monitor-grace-period 50 s before the node controller marks the node NotReady"}},
		Budgets:     scenario.Budgets{Downtime: scenario.Dur(time.Minute), LongestOutage: scenario.Dur(10 * time.Second), Server5xx: scenario.Requests(10), Recovery: scenario.Dur(90 * time.Second), MustRecover: true},
	}
}

// haltProofs: the node container read back exited, and the node seen
// NotReady from the API 50 s later.
func haltProofs(node string) []Proof {
	return []Proof{
		{At: sec(60.2), Held: true, Check: "docker inspect of node container " + node + ", after docker stop", Observed: "the container is exited"},
		{At: sec(110.2), Held: true, Check: "the Ready condition of node " + node + ", read from the API", Observed: "NotReady: Ready=Unknown (NodeStatusUnknown) (50.2s after the injection)"},
	}
}

// nodeHaltDB is the third night: the halted node also ran mysql-0. The
// StatefulSet pod is never replaced while its node is unreachable, so the
// site stays down for the whole hour; WordPress restarts in a crash loop.
func nodeHaltDB(run *result.RunInfo, start time.Time) Spec {
	phases := []Phase{
		{From: sec(60.1), To: sec(110.4), FailP: 1, Fail: "timeout"},
	}
	ev := []Event{
		{sec(60.0), "fault", "selfheal-worker", "Stop", "docker stop selfheal-worker"},
		{sec(110.1), "node", "selfheal-worker", "NotReady", "Kubelet stopped posting node status"},
		{sec(110.3), "pod", mysql, "NotReady", "pod Ready=False (node NotReady)"},
		{sec(110.4), "endpoints", "wordpress/mysql-xk2p9", "EndpointsChanged", "0/1 ready: removed " + mysql},
	}
	// WordPress pods fail liveness (500 without a database) and restart
	// with exponential back-off capped at 5 minutes; while one restarts
	// requests are refused by half.
	t, backoff := 140.0, 10.0
	from := 110.4
	for t < 3590 {
		phases = append(phases,
			Phase{From: sec(from), To: sec(t), FailP: 1, Fail: "500", LatencyMS: 9},
			Phase{From: sec(t), To: sec(t + 6), FailP: 1, Fail: "refused"},
		)
		ev = append(ev,
			Event{sec(t - 0.5), "container", wpA, "Killing", "Container wordpress failed liveness probe, will be restarted"},
			Event{sec(t + 0.1), "endpoints", "wordpress/wordpress-abcde", "EndpointsChanged", "0/2 ready"},
			Event{sec(t + 1), "container", wpA, "BackOff", fmt.Sprintf("Back-off %s restarting failed container wordpress", time.Duration(backoff)*time.Second)},
			Event{sec(t + 6), "endpoints", "wordpress/wordpress-abcde", "EndpointsChanged", "1/2 ready"},
		)
		from = t + 6
		t += 30 + backoff
		backoff = min(backoff*2, 300)
	}
	phases = append(phases, Phase{From: sec(from), To: sec(3600), FailP: 1, Fail: "500", LatencyMS: 9})
	ev = append(ev,
		Event{sec(410.2), "pod", mysql, "TaintManagerEviction", "Marking for deletion Pod wordpress/mysql-0 (tolerationSeconds 300 expired); it stays Terminating while its node is unreachable"},
		Event{sec(410.3), "pod", wpB, "TaintManagerEviction", "Marking for deletion Pod " + wpB},
	)
	return Spec{
		Scenario:    "node-halt",
		Description: "Stops the kind node container that runs one WordPress pod (docker stop); the pod's requests time out until the node is NotReady and its endpoint removed.",
		Run:         run, Start: start, Duration: time.Hour, Seed: 43,
		Phases:      phases,
		Injections:  []Mark{{At: sec(60), Fault: "node-halt", Detail: "docker stop selfheal-worker (runs " + mysql + " and " + wpB + ")"}},
		Proofs:      haltProofs("selfheal-worker"),
		Events:      ev,
		HealCond:    "all nodes Ready, deployment wordpress 2/2 available, statefulset mysql 1/1 ready",
		LowerBounds: []result.Bound{{Metric: result.KeyRecovery, Name: "node NotReady", MS: 50000, Reason: "node-monitor-grace-period 50 s before the node controller marks the node NotReady"}},
		Budgets:     scenario.Budgets{Downtime: scenario.Dur(time.Minute), LongestOutage: scenario.Dur(10 * time.Second), Server5xx: scenario.Requests(10), Recovery: scenario.Dur(90 * time.Second), MustRecover: true},
	}
}

// Probe is a `selfheal probe`-like run against a local server that fails on
// a schedule: no injection, no cluster, two outages.
func Probe() *result.Result {
	start := time.Date(2025, 6, 5, 14, 30, 0, 0, time.FixedZone("CEST", 2*3600))
	return Build(Spec{
		Scenario:    "probe",
		Description: "selfheal probe http://127.0.0.1:8099/",
		Start:       start, Duration: 60 * time.Second, Rate: 50, Seed: 7, BaseLatency: 2,
		Targets: []string{"http://127.0.0.1:8099/"}, KeepAlive: true,
		Phases: []Phase{
			{From: sec(15), To: sec(27), FailP: 1, Fail: "503", LatencyMS: 1},
			{From: sec(38), To: sec(42), FailP: 1, Fail: "refused"},
			{From: sec(42), To: sec(47), FailP: 0.3, Fail: "500", LatencyMS: 40},
		},
	})
}
