package catalog

import (
	"fmt"
	"time"

	"github.com/selfheal/selfheal/chaos/app"
	"github.com/selfheal/selfheal/chaos/fault/apiserver"
	"github.com/selfheal/selfheal/chaos/fault/dnsoutage"
	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/chaos/scenario"
)

// The scenarios on the cluster's own components: DNS, the API server.
// They break the same thing whatever the app's set-up; the set-up only
// changes how users see the outage, which is what is measured.

// dnsHold is how long cluster DNS stays down: long enough for readiness
// (every 5 s, 2 failures) to take every WordPress pod out of the Service
// and for liveness (every 10 s, 3 failures) to be about to restart them,
// which is what an outage of half a minute does to a site; short enough
// to keep the scenario about a minute.
const dnsHold = 30 * time.Second

// dnsBackAfterRevert bounds how long after CoreDNS is scaled back the
// service must be back. The chain: CoreDNS pods start (their image is on
// the nodes: seconds) and pass readiness (every 10 s, no initial delay: up
// to 10 s), kube-proxy routes to them (about 1 s), then WordPress passes
// readiness again (every 5 s) and is routed to in turn: about 20 s. A
// WordPress container that liveness restarted near the end of the outage
// adds its start and, for a second restart, a 10 s back-off. One minute is
// that with a slow machine's margin; slower than that, DNS or the app is
// not coming back by itself. The revert waits for the service (up to
// SteadyTimeout), so a slower return is still measured.
const dnsBackAfterRevert = time.Minute

func dnsOutage(env Env) scenario.Scenario {
	a := env.App.App
	sc := scenario.Scenario{
		Name:             result.ScenarioDNSOutage,
		Description:      fmt.Sprintf("Scale CoreDNS (kube-system, k8s-app=kube-dns) to zero for %s, then back to its replica count. ", dnsHold),
		Fault:            dnsoutage.New(env.Client),
		Steady:           steady(env),
		HealingCondition: env.App.SteadyWords(),
		Timing:           scenario.Timing{Hold: dnsHold, Deadline: dnsHold},
	}
	db := a.Database
	if db == nil || !db.LookedUpPerRequest {
		// Whether the app needs DNS while it is away depends on what it
		// resolves, and when: only its return is judged.
		sc.Description += fmt.Sprintf("Whether %s notices depends on what it resolves while DNS is away (a client that keeps its connections or caches its lookups may not): "+
			"how soon it is sound once DNS is back is what is judged.", a.Name)
		sc.Budgets = scenario.Budgets{RecoveryAfterRevert: scenario.Dur(dnsBackAfterRevert)}
		return sc
	}
	by := ""
	if db.Address != "" {
		by = " (" + db.Address + ")"
	}
	sc.Description += fmt.Sprintf("%s finds %s by name%s on every request and nothing in its pods caches lookups, so once the last CoreDNS pod "+
		"has stopped (5 s lameduck) %s until readiness takes the pods out of the Service "+
		"(then connections are refused). The app is not expected to stay up: it must come back soon after DNS does.", a.Name, db.Title, by, unreachable(a))
	// Without a DNS cache in the pods the service cannot recover while
	// DNS is down: that it does not is the expected result, and how fast
	// it returns once DNS does is the figure.
	sc.Budgets = scenario.Budgets{MustNotRecover: true, RecoveryAfterRevert: scenario.Dur(dnsBackAfterRevert)}
	sc.Bounds = []result.Bound{
		{Metric: result.KeyRecovery, MS: float64(dnsHold / time.Millisecond), Reason: fmt.Sprintf("every request resolves the database host and nothing caches it: nothing can serve until CoreDNS is back, which this scenario does after %s", dnsHold)},
	}
	return sc
}

// unreachable is what users get while the app cannot reach its database.
func unreachable(a app.App) string {
	if a.Database != nil && a.Database.Unreachable != "" {
		return a.Database.Unreachable
	}
	return "pages that need the database fail"
}

func dnsOutageWords(s app.Shape) (string, string) {
	breaks := "cluster DNS: CoreDNS is scaled to zero for 30 s, then back"
	if db := s.App.Database; db != nil && db.LookedUpPerRequest {
		return breaks, "none possible while DNS is away (" + s.App.Name + " resolves its database host on every request): not recovered until CoreDNS returns, then back"
	}
	return breaks, "whether the app notices depends on what it resolves while DNS is away; it must be sound soon after CoreDNS returns"
}

func apiserverRestart(env Env) scenario.Scenario {
	return scenario.Scenario{
		Name: result.ScenarioAPIServerRestart,
		Description: "Stop the API server (SIGTERM to its container's process in the control-plane node); the kubelet restarts it as a static pod, which takes " +
			"tens of seconds. The API server is not on the request path: the app must not notice (not one failed request). The harness rides it out: " +
			"the timeline marks when the API stopped and started answering, its informers list and watch again, the run lease is renewed once the API is back.",
		Fault:            apiserver.New(env.Client, env.Cluster),
		Steady:           steady(env),
		HealingCondition: env.App.SteadyWords(),
		// Nothing on the request path talks to the API: pods, endpoints
		// and kube-proxy's rules stay as they are while it is away, so any
		// failed request at all is a finding (Downtime 0 catches every
		// kind; 5xx and transport errors say which).
		Budgets: scenario.Budgets{Downtime: scenario.Dur(0), Server5xx: scenario.Requests(0), TransportErrors: scenario.Requests(0)},
		// The observation ends once the service is confirmed unharmed;
		// the revert then waits (apiserver.DefaultBound) for the API
		// server, with the load still on.
		Timing: scenario.Timing{Deadline: 2 * time.Minute},
	}
}
