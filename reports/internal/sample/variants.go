package sample

import (
	"fmt"
	"time"

	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/chaos/scenario"
)

// variantCell scripts one scenario against one fixture variant, for a
// repetition (from 0): what the requests meet and what Kubernetes says.
type variantCell struct {
	scenario, variant, fixture string
	spec                       func(rep int) Spec
}

// Variants is one run of a scenario × variant matrix, each cell repeated
// three times, as `selfheal run --variant ... --repeat 3` writes it: a
// broken wp-config against baseline (readiness takes the pods out, the
// liveness restart brings them back), without readiness (the broken pods
// keep receiving requests and answer 500 until the restart) and without
// liveness (nothing restarts them); an eviction against baseline,
// without the preStop sleep and without the PDB. Every repetition is a
// request stream analysed by chaos/measure.Analyze and judged by
// chaos/scenario.Budgets; only the events and the healing are scripted.
func Variants() []*result.Result {
	start := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	var out []*result.Result
	for _, c := range variantCells {
		for i := range 3 {
			s := c.spec(i)
			s.Start = start
			s.Run = &result.RunInfo{ID: "20261130-090000", Cluster: "selfheal", KubernetesVersion: "v1.34.1", ImageMode: "offline", Host: "ci-runner-2",
				Fixture: c.fixture, Variant: c.variant}
			s.Seed = uint64(100*len(out) + i)
			r := Build(s)
			r.Repetition, r.Repetitions = i+1, 3
			out = append(out, r)
			start = start.Add(s.Duration + 30*time.Second)
		}
	}
	return out
}

const baseFixture = "deployment wordpress ×2, liveness httpGet, readiness httpGet, preStop sleep 5s, PDB minAvailable 1, maxSurge 1 / maxUnavailable 0"

var variantCells = []variantCell{
	{"wp-config-break", "baseline", baseFixture, func(i int) Spec { return wpBreak(i, true, true) }},
	{"wp-config-break", "readiness-none", "deployment wordpress ×2, liveness httpGet, readiness none, preStop sleep 5s, PDB minAvailable 1, maxSurge 1 / maxUnavailable 0",
		func(i int) Spec { return wpBreak(i, false, true) }},
	{"wp-config-break", "liveness-none", "deployment wordpress ×2, liveness none, readiness httpGet, preStop sleep 5s, PDB minAvailable 1, maxSurge 1 / maxUnavailable 0",
		func(i int) Spec { return wpBreak(i, true, false) }},
	{"pod-eviction", "baseline", baseFixture, func(i int) Spec { return evict(i, true, true) }},
	{"pod-eviction", "no-prestop", "deployment wordpress ×2, liveness httpGet, readiness httpGet, preStop none, PDB minAvailable 1, maxSurge 1 / maxUnavailable 0",
		func(i int) Spec { return evict(i, false, true) }},
	{"pod-eviction", "no-pdb", "deployment wordpress ×2, liveness httpGet, readiness httpGet, preStop sleep 5s, PDB none, maxSurge 1 / maxUnavailable 0",
		func(i int) Spec { return evict(i, true, false) }},
}

// wpBreak breaks wp-config in both pods 30 s in. Readiness notices after
// three failures 5 s apart (the Service then has no endpoint: refused);
// liveness restarts the container after three failures 10 s apart.
func wpBreak(i int, readiness, liveness bool) Spec {
	const inj = 30.0
	jitter := 0.4 * float64(i)
	notReady, restart := inj+14.6+jitter, inj+30.4+jitter
	ready := restart + 2.5
	a, b := "wordpress-6d9f7-a", "wordpress-6d9f7-b"
	ca, cb := a+"/wordpress", b+"/wordpress"
	ev := []Event{{sec(inj), "fault", a, "Exec", "wrote DB_HOST='db.invalid' into wp-config.php in both pods"}}
	var phases []Phase
	end := inj + 100 // the load's end: the deadline of 90 s, then 10 s more
	if liveness {
		ev = append(ev, Event{sec(inj + 10.3 + jitter), "pod", a, "Unhealthy", "Liveness probe failed: HTTP probe failed with statuscode: 500"})
	}
	if readiness {
		ev = append(ev,
			Event{sec(notReady), "pod", a, "NotReady", "Readiness probe failed: HTTP probe failed with statuscode: 500"},
			Event{sec(notReady + 0.2), "endpoints", "wordpress", "EndpointsChanged", "0/2 ready: the Service has no endpoint"})
		phases = append(phases, Phase{From: sec(inj + 0.2), To: sec(notReady + 0.3), FailP: 1, Fail: "500", LatencyMS: 12})
		if liveness {
			phases = append(phases, Phase{From: sec(notReady + 0.3), To: sec(ready), FailP: 1, Fail: "refused"})
		} else {
			phases = append(phases, Phase{From: sec(notReady + 0.3), To: sec(end), FailP: 1, Fail: "refused"})
		}
	} else {
		last := end
		if liveness {
			last = ready
		}
		phases = append(phases, Phase{From: sec(inj + 0.2), To: sec(last), FailP: 1, Fail: "500", LatencyMS: 12})
	}
	var heal *time.Duration
	var bounds []result.Bound
	if liveness {
		ev = append(ev,
			Event{sec(restart), "container", ca, "Killing", "Container wordpress failed liveness probe, will be restarted"},
			Event{sec(restart + 0.3), "container", cb, "Killing", "Container wordpress failed liveness probe, will be restarted"},
			Event{sec(restart + 0.6), "container", ca, "Restarted", "restart 1, last state Terminated (Error, exit code 0)"},
			Event{sec(restart + 0.9), "container", cb, "Restarted", "restart 1, last state Terminated (Error, exit code 0)"},
			Event{sec(ready - 0.2), "pod", a, "Ready", "pod Ready"},
			Event{sec(ready - 0.1), "pod", b, "Ready", "pod Ready"},
			Event{sec(ready), "endpoints", "wordpress", "EndpointsChanged", "2/2 ready"})
		h := sec(ready + 0.5 - inj)
		heal = &h
		bounds = []result.Bound{{Metric: result.KeyRecovery, Name: "liveness restart", MS: 30000, Reason: "liveness period 10 s × failureThreshold 3 before the container is restarted"}}
	}
	return Spec{
		Scenario:    "wp-config-break",
		Description: "Breaks the database host in wp-config.php inside both WordPress containers; only a liveness restart brings back the good file from the image.",
		Duration:    sec(end), Rate: 10, BaseLatency: 60, Deadline: 90 * time.Second,
		Phases:      phases,
		Injections:  []Mark{{At: sec(inj), Fault: "wp-config-break", Detail: "DB_HOST='db.invalid' in wp-config.php of " + a + " and " + b}},
		Events:      ev,
		HealedAfter: heal,
		HealCond:    "deployment wordpress 2/2 available, endpoints 2/2 ready",
		LowerBounds: bounds,
		Budgets:     scenario.Budgets{Downtime: scenario.Dur(45 * time.Second), Recovery: scenario.Dur(time.Minute), MustRecover: true},
	}
}

// evict evicts one pod 30 s in (with no PDB, the drain takes both). The
// preStop sleep keeps the old pod serving while its endpoint is removed;
// without it the requests routed to it in that time are refused.
func evict(i int, preStop, pdb bool) Spec {
	const inj = 30.0
	jitter := 0.1 * float64(i)
	a, b := "wordpress-6d9f7-a", "wordpress-6d9f7-b"
	ev := []Event{{sec(inj), "fault", a, "Evicted", "evicted " + a}, {sec(inj + 0.1), "container", a + "/wordpress", "Killing", "Stopping container wordpress"}}
	var phases []Phase
	if !preStop {
		phases = append(phases, Phase{From: sec(inj + 0.1), To: sec(inj + 1.2 + jitter), FailP: 0.5, Fail: "refused"})
	}
	if !pdb {
		ev = append(ev, Event{sec(inj + 0.2), "container", b + "/wordpress", "Killing", "Stopping container wordpress"},
			Event{sec(inj + 5.3), "endpoints", "wordpress", "EndpointsChanged", "0/2 ready: the Service has no endpoint"},
			Event{sec(inj + 14.8 + jitter), "pod", "wordpress-6d9f7-c", "Ready", "pod Ready"},
			Event{sec(inj + 14.9 + jitter), "endpoints", "wordpress", "EndpointsChanged", "1/2 ready"})
		phases = append(phases, Phase{From: sec(inj + 5.3), To: sec(inj + 14.9 + jitter), FailP: 1, Fail: "refused"})
	} else {
		ev = append(ev, Event{sec(inj + 12.1 + jitter), "pod", "wordpress-6d9f7-c", "Ready", "pod Ready"})
	}
	heal := sec(15.5 + jitter)
	return Spec{
		Scenario:    "pod-eviction",
		Description: fmt.Sprintf("Evicts a WordPress pod through the eviction API (PDB: %v).", pdb),
		Duration:    sec(inj + 60), Rate: 10, BaseLatency: 60,
		Phases:      phases,
		Injections:  []Mark{{At: sec(inj), Fault: "pod-eviction", Detail: "evict " + a}},
		Events:      ev,
		HealedAfter: &heal,
		HealCond:    "deployment wordpress 2/2 available, endpoints 2/2 ready",
		Budgets:     scenario.Budgets{Downtime: scenario.Dur(2500 * time.Millisecond), MustRecover: true},
	}
}
