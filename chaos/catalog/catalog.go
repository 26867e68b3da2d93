// Package catalog names the scenarios selfheal runs against an app
// (chaos/app), with their default budgets, the lower bounds the app's own
// settings allow, and what "healed" means for each. Each scenario says
// what it needs of the app and the cluster (Needs), and is refused by
// name when one is missing (Refusal): a database for the database faults,
// two replicas for a node halt. The e2e suite, chaos/suite and `selfheal
// run` all take their scenarios from here.
package catalog

import (
	"cmp"
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/selfheal/selfheal/chaos/app"
	"github.com/selfheal/selfheal/chaos/fault"
	"github.com/selfheal/selfheal/chaos/fault/apiserver"
	"github.com/selfheal/selfheal/chaos/fault/configbreak"
	"github.com/selfheal/selfheal/chaos/fault/dbpartition"
	"github.com/selfheal/selfheal/chaos/fault/dnsoutage"
	"github.com/selfheal/selfheal/chaos/fault/drain"
	"github.com/selfheal/selfheal/chaos/fault/evict"
	"github.com/selfheal/selfheal/chaos/fault/imageroll"
	"github.com/selfheal/selfheal/chaos/fault/nodeagent"
	"github.com/selfheal/selfheal/chaos/fault/nodehalt"
	"github.com/selfheal/selfheal/chaos/fault/packetloss"
	"github.com/selfheal/selfheal/chaos/fault/procsignal"
	"github.com/selfheal/selfheal/chaos/fault/scale"
	"github.com/selfheal/selfheal/chaos/kube"
	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/chaos/scenario"
	"github.com/selfheal/selfheal/internal/kindnode"
)

// Env is the cluster and the app the scenarios act on.
type Env struct {
	Client *kube.Client
	// Cluster is the kind cluster's name (node faults stop its containers).
	Cluster string
	// App is the app as it runs (app.Resolve).
	App app.Shape
	// Workers is the number of schedulable workers, when known: a
	// DaemonSet's pods are counted on them (Facts.Replicas).
	Workers int
	// NodeFaults is the door node faults go through (default docker);
	// Agent is the node agent, set when that is NodeFaultsAgent.
	NodeFaults NodeFaults
	Agent      *nodeagent.Agent
}

func (e Env) facts() Facts {
	f := Facts{App: &e.App}
	if e.Workers > 0 {
		f.Cluster = &Cluster{KindNodes: true, Workers: e.Workers, NodeFaults: e.NodeFaults}
	}
	return f
}

// Entry is a scenario of the catalog: it runs against any app that offers
// what it needs.
type Entry struct {
	Name string
	// Fault is the fault family, for selecting by label.
	Fault string
	// Set is "core" (the default suite) or "extra".
	Set string
	// Needs are what the scenario needs of the app and the cluster: a
	// pre-flight refuses it by name when one is missing (Refusal).
	Needs []Need
	// Words say in a line what the fault breaks in app s and what healing
	// is expected: `selfheal run --list` and the README's scenario table
	// (the WordPress fixture's, checked against each other) show them.
	Words func(s app.Shape) (breaks, heals string)
	Build func(Env) scenario.Scenario
}

// Supports says whether the scenario can run against the app as it will
// run, and if not, why (Refusal with the app alone).
func (e Entry) Supports(s app.Shape) error { return e.Refusal(Facts{App: &s}) }

// Labels are the e2e-framework feature labels of the entry.
func (e Entry) Labels() map[string]string {
	return map[string]string{"scenario": e.Name, "fault": e.Fault, "set": e.Set}
}

// Entries lists the catalog in the order the suite runs it: the planned
// disruptions first, then the faults between the tiers, the node faults
// last. mysql-crash and mysql-hang are kept apart: a container restarted
// again soon waits out the kubelet's back-off.
func Entries() []Entry {
	return []Entry{
		{Name: result.ScenarioWPConfigBreak, Fault: "wp-config", Set: "core", Build: checkWrites(configBreak), Words: configBreakWords,
			Needs: []Need{{Capability: ConfigBreak}}},
		{Name: result.ScenarioPodEviction, Fault: "eviction", Set: "core", Build: podEviction, Words: func(s app.Shape) (string, string) {
			return fmt.Sprintf("every %s pod is evicted in turn through the Eviction API (429s from the PDB are retried, never bypassed)", s.App.Name),
				"the workload replaces each pod; the PDB keeps one serving"
		}},
		{Name: result.ScenarioImageRoll, Fault: "image", Set: "core", Build: imageRoll, Words: imageRollWords,
			Needs: []Need{{Capability: NextImage, Why: "the roll goes to it and back"}}},
		{Name: result.ScenarioScaleOutIn, Fault: "scale", Set: "extra", Build: scaleOutIn, Words: scaleOutInWords,
			Needs: []Need{{Capability: Scalable, Why: "a DaemonSet runs one pod on each node it may run on, with no replica count to scale"}}},
		{Name: result.ScenarioNodeDrain, Fault: "node", Set: "extra", Build: nodeDrain, Words: nodeDrainWords, Needs: nodeDrainNeeds},
		{Name: result.ScenarioMySQLCrash, Fault: "process", Set: "extra", Build: checkWrites(mysqlCrash), Words: mysqlCrashWords, Needs: databaseProcessNeeds},
		{Name: result.ScenarioDBPartition, Fault: "network", Set: "extra", Build: checkWrites(dbPartition), Words: dbPartitionWords,
			Needs: []Need{{Capability: Database, Why: "it cuts the app from its database's port"}, {Capability: KindNodes, Why: "the rules go into the pods' network namespaces through their nodes"}}},
		{Name: result.ScenarioDNSOutage, Fault: "dns", Set: "extra", Build: dnsOutage, Words: dnsOutageWords},
		{Name: result.ScenarioPacketLoss, Fault: "network", Set: "extra", Build: packetLoss, Words: packetLossWords,
			Needs: []Need{{Capability: KindNodes, Why: "the rules go into the pods' network namespaces through their nodes"}}},
		{Name: result.ScenarioAPIServerRestart, Fault: "apiserver", Set: "extra", Build: apiserverRestart, Words: func(app.Shape) (string, string) {
			return "the API server's container is stopped (SIGTERM in the control-plane node)",
				"the kubelet restarts it (static pod); the app must not notice, the harness rides the gap out"
		}, Needs: []Need{{Capability: KindNodes, Why: "the API server's container is stopped in the control-plane node"}}},
		{Name: result.ScenarioMySQLHang, Fault: "process", Set: "extra", Build: checkWrites(mysqlHang), Words: mysqlHangWords, Needs: databaseProcessNeeds},
		{Name: result.ScenarioNodeHalt, Fault: "node", Set: "core", Build: nodeHalt, Words: nodeHaltWords, Needs: nodeHaltNeeds},
		{Name: result.ScenarioMySQLNodeHalt, Fault: "node", Set: "core", Build: checkWrites(mysqlNodeHalt), Words: mysqlNodeHaltWords,
			Needs: []Need{{Capability: Database, Why: "it halts the database's node"}, haltNeed}},
	}
}

// Names lists the scenario names.
func Names() []string {
	var names []string
	for _, e := range Entries() {
		names = append(names, e.Name)
	}
	return names
}

// Lookup returns the named entries, in catalog order, or an error naming
// the unknown ones and the known ones.
func Lookup(names ...string) ([]Entry, error) {
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	var out []Entry
	for _, e := range Entries() {
		if want[e.Name] {
			out = append(out, e)
			delete(want, e.Name)
		}
	}
	if len(want) > 0 {
		var unknown []string
		for n := range want {
			unknown = append(unknown, n)
		}
		sort.Strings(unknown)
		return nil, fmt.Errorf("unknown scenario(s) %s; known: %s", strings.Join(unknown, ", "), strings.Join(Names(), ", "))
	}
	return out, nil
}

// Defaults is the scenario as built against app s, for listing its
// budgets and timing; it is never run.
func (e Entry) Defaults(s app.Shape) scenario.Scenario {
	return e.Build(Env{Client: &kube.Client{}, App: s})
}

// LongestRevert is the longest any scenario of the catalog may take to
// revert its fault after it was stopped (scenario.Timing.RevertBound): the
// margin an outer deadline (go test -timeout) must leave. The timing of a
// scenario does not depend on the app, so it is read from every scenario
// built against an app that offers what all of them need (timingApp).
func LongestRevert() time.Duration {
	var longest time.Duration
	for _, e := range Entries() {
		// Only the timing is read: the scenario is never run.
		if d := e.Defaults(timingApp()).Timing.RevertBound(); d > longest {
			longest = d
		}
	}
	return longest
}

// timingApp is an app with everything a scenario may need, only ever
// built against to read the scenarios' timing.
func timingApp() app.Shape {
	probe := &corev1.Probe{ProbeHandler: corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{}}}
	w := func(kind app.Kind, name string) app.Resolved {
		return app.Resolved{Kind: kind, Name: name, Pods: "app=" + name, Replicas: 2,
			Container: corev1.Container{Name: name, LivenessProbe: probe, ReadinessProbe: probe}}
	}
	db := w(app.StatefulSet, "db")
	a := app.App{Name: "app", Namespace: "app", NextImage: "next", Serving: app.Serving{Service: "app"},
		Database: &app.Database{Title: "db", Port: 1}, ConfigBreak: &app.ConfigBreak{Break: []string{"x"}, Broken: []string{"x"}}}
	return app.Shape{App: a, Serving: w(app.Deployment, "app"), Database: &db}
}

// RepairTimeout bounds each repair of a fault a killed run left behind
// (a node to come back Ready, a rollout, replacements to be Ready).
const RepairTimeout = 5 * time.Minute

// Repairers put back, from the active-fault record, what each fault of the
// catalog breaks (chaos/guard.Repair): one per fault kind. A new fault adds
// its package's repairer here.
func Repairers(c *kube.Client) []fault.Repairer {
	return []fault.Repairer{
		configbreak.NewRepairer(c, RepairTimeout),
		nodehalt.NewRepairer(c, kindnode.CLI, RepairTimeout),
		imageroll.NewRepairer(c, RepairTimeout),
		evict.NewRepairer(c, RepairTimeout),
		scale.NewRepairer(c, RepairTimeout),
		drain.NewRepairer(c, RepairTimeout),
		dbpartition.NewRepairer(kindnode.CLI, RepairTimeout),
		packetloss.NewRepairer(kindnode.CLI, RepairTimeout),
		procsignal.NewRepairer(procsignal.KillKind, c, kindnode.CLI, RepairTimeout),
		procsignal.NewRepairer(procsignal.StopKind, c, kindnode.CLI, RepairTimeout),
		dnsoutage.NewRepairer(c, RepairTimeout),
		apiserver.NewRepairer(c, kindnode.CLI, RepairTimeout),
		nodeagent.NewRepairer(nodeagent.New(c.Kubernetes, c), RepairTimeout),
	}
}

// steady is the app's desired state (app.Shape.Steady).
func steady(env Env) kube.Check { return env.App.Steady(env.Client) }

// checkWrites makes build's scenario run the write stream and require
// every write the app acknowledged to be in the database afterwards
// (chaos/writes), when the app has a write endpoint: for the faults of
// the database, and of the app's way to it.
func checkWrites(build func(Env) scenario.Scenario) func(Env) scenario.Scenario {
	return func(env Env) scenario.Scenario {
		s := build(env)
		if env.App.App.Writes != nil {
			s.Writes = true
			s.Budgets.AckedMissing = scenario.Count(0)
		}
		return s
	}
}

// configBreak breaks one serving pod with the app's config-break pair
// (the WordPress fixture's corrupts DB_HOST in wp-config.php).
func configBreak(env Env) scenario.Scenario {
	a, s := env.App.App, env.App.Serving
	cb := a.ConfigBreak
	container := cmp.Or(cb.Container, s.Container.Name)
	desc := cb.Description
	if desc == "" {
		desc = fmt.Sprintf("Break one %s pod from inside (`%s` in its container %s): its requests fail until the liveness probe restarts the container, which starts unbroken.",
			a.Name, strings.Join(cb.Break, " "), container)
	}
	return scenario.Scenario{
		Name:        result.ScenarioWPConfigBreak,
		Description: desc,
		Fault: configbreak.New(env.Client, configbreak.Spec{Name: result.ScenarioWPConfigBreak, Namespace: a.Namespace, Selector: s.Pods, Container: container,
			Break: cb.Break, Broken: cb.Broken, Restore: cb.Restore, What: cb.What}),
		Steady:           steady(env),
		HealingCondition: env.App.SteadyWords(),
		Budgets: scenario.Budgets{
			MustRecover: true,
			Recovery:    scenario.Dur(30 * time.Second),
			Healing:     scenario.Dur(90 * time.Second),
			// 50 s of load per replica, at the run's rate (1,000 at 10/s
			// with 2 replicas): a count budget follows the rate it is
			// measured at (scenario.RequestBudget).
			Server5xx: scenario.SecondsOfLoad(time.Duration(50*env.facts().Replicas()) * time.Second),
		},
		Bounds: configBreakBounds(env.facts()),
		// Past the healing budget nothing changes the verdict: watching
		// longer only costs a matrix cell whose variant never heals
		// (liveness-none, liveness-tcp) minutes per repetition.
		Timing: scenario.Timing{Deadline: 2 * time.Minute},
	}
}

func configBreakWords(s app.Shape) (string, string) {
	cb := s.App.ConfigBreak
	breaks, heals := "", "readiness takes the pod out of the Service; liveness restarts the container, which starts unbroken"
	if cb != nil {
		breaks = cmp.Or(cb.Breaks, fmt.Sprintf("one %s pod is broken from inside by the app's break command (exec)", s.App.Name))
		heals = cmp.Or(cb.Heals, heals)
	}
	return breaks, heals
}

// configBreakBounds: a readiness probe that asks for a page takes the
// broken pod out of the Service after (failureThreshold-1) periods at
// best; an httpGet liveness probe restarts it after (failureThreshold-1)
// periods at best, and it must pass readiness again. Probes of other
// kinds may not see the break at all.
func configBreakBounds(f Facts) []result.Bound {
	var b []result.Bound
	s := f.App.Serving
	if r := s.Readiness(); r != nil && r.HTTPGet != nil && f.Replicas() > 1 {
		period, _, failures := probeTimes(r)
		b = append(b, result.Bound{Metric: result.KeyRecovery, MS: ms(time.Duration(failures-1) * period), Reason: fmt.Sprintf(
			"readiness probe every %s, failureThreshold %d: the broken pod leaves the endpoints after %d failed probes, at best %s after the first",
			secs(period), failures, failures, secs(time.Duration(failures-1)*period))})
	}
	if l := s.Liveness(); l != nil && l.HTTPGet != nil {
		period, _, failures := probeTimes(l)
		b = append(b, result.Bound{Metric: result.KeyHealing, MS: ms(time.Duration(failures-1) * period), Reason: fmt.Sprintf(
			"liveness probe every %s, failureThreshold %d: the restart comes after %d failed probes, at best %s after the first",
			secs(period), failures, failures, secs(time.Duration(failures-1)*period))})
	}
	return b
}

// secs writes a duration of whole seconds as the bounds' reasons do: "5 s".
func secs(d time.Duration) string { return fmt.Sprintf("%d s", int(d.Seconds())) }

// plannedBudgets are the budgets of a planned disruption (an eviction, a rolling
// update) with a PDB, readiness and a preStop sleep: no 5xx at all, and no
// second without a success. The endpoint race they prevent shows as
// refused, reset or 502 answers; what is left is single slow requests while
// a new pod starts beside the others on a small machine (seen: up to 13
// requests past the 2 s timeout, 1.3 s of downtime, at most 300 ms in a
// row, on 2 cores running the whole cluster), which the downtime budget
// allows for. Healing is the time the rollouts may take.
func plannedBudgets(healing time.Duration) scenario.Budgets {
	return scenario.Budgets{
		MustRecover:   true,
		Downtime:      scenario.Dur(5 * time.Second),
		LongestOutage: scenario.Dur(time.Second),
		Server5xx:     scenario.Requests(0),
		Healing:       scenario.Dur(healing),
	}
}

func podEviction(env Env) scenario.Scenario {
	a := env.App.App
	return scenario.Scenario{
		Name: result.ScenarioPodEviction,
		Description: "Evict every " + a.Name + " pod in turn through the Eviction API, as a node drain does; the PodDisruptionBudget decides when the next one may go " +
			"(429s are retried, never bypassed).",
		Fault:            evict.New(env.Client, a.Namespace, env.App.Serving.Pods),
		Steady:           steady(env),
		HealingCondition: env.App.SteadyWords(),
		Budgets:          plannedBudgets(3 * time.Minute),
	}
}

func imageRoll(env Env) scenario.Scenario {
	a, s := env.App.App, env.App.Serving
	return scenario.Scenario{
		Name: result.ScenarioImageRoll,
		Description: fmt.Sprintf("Roll the %s %s to %s (maxSurge %s, maxUnavailable %s, preStop sleep %s), then roll it back; each rollout is an injection.",
			a.Name, s.Kind, a.NextImage, s.MaxSurge, s.MaxUnavailable, s.PreStopSleep()),
		Fault:            imageroll.New(env.Client, a.Namespace, s.Name, s.Container.Name, a.NextImage, imageroll.WithKind(string(s.Kind))),
		Steady:           steady(env),
		HealingCondition: env.App.SteadyWords(),
		Budgets:          plannedBudgets(5 * time.Minute),
	}
}

func imageRollWords(s app.Shape) (string, string) {
	heals := fmt.Sprintf("rolling update with maxSurge %s / maxUnavailable %s", s.Serving.MaxSurge, s.Serving.MaxUnavailable)
	if s.Serving.PreStopSleep() > 0 {
		heals += " and a preStop sleep"
	}
	return s.App.Name + " is rolled to a new image, then rolled back (two injections)", heals
}

// spread is node halt's preparation: a replica on each worker, so that one
// worker can be halted with the app still running on the other.
func spread(env Env) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		_, err := env.Client.Spread(ctx, env.App.App.Namespace, env.App.Serving.Name, env.App.Serving.Pods)
		return err
	}
}

// nodeHaltNeeds: the scenario halts a worker that runs the app but not
// its database while a replica keeps serving on the other, and spreads
// the replicas with a rollout restart of the Deployment beforehand.
var nodeHaltNeeds = []Need{
	{Capability: Replaced, Why: "it expects the lost pod to be replaced on the other worker by a Deployment; a DaemonSet pod belongs to its node, a StatefulSet pod waits for its node to return"},
	{Capability: TwoReplicas, Why: "a replica on a worker without the database, and another left serving"},
	haltNeed,
	{Capability: TwoWorkers, Why: "one to halt, one to serve and take the replacement"},
}

// nodeNotReady is the earliest a halted node's pods leave the endpoints:
// the node is marked NotReady node-monitor-grace-period (50 s) after its
// last heartbeat, and the kubelet renews its lease every 10 s.
const nodeNotReady = 40 * time.Second

// unreachableToleration is how long the pods of w stay bound to a node
// that is unreachable before they are evicted and replaced: their
// toleration's seconds, or the 300 s the DefaultTolerationSeconds
// admission plugin gives pods that say nothing.
func unreachableToleration(w app.Resolved) time.Duration {
	for _, t := range w.Template.Spec.Tolerations {
		if t.Key == corev1.TaintNodeUnreachable && t.TolerationSeconds != nil {
			return time.Duration(*t.TolerationSeconds) * time.Second
		}
	}
	return 300 * time.Second
}

func nodeHalt(env Env) scenario.Scenario {
	a, s := env.App.App, env.App.Serving
	toleration := unreachableToleration(s)
	// Healing: NotReady, the toleration, then the replacement's start
	// (110 s: a cold start on a loaded 2-core machine, with room).
	healing := nodeNotReady + toleration + 110*time.Second
	opts := []nodehalt.Option{nodehalt.WithVictim(s.Pods), nodehalt.WithAvoid(""), nodehalt.WithKill(env.NodeFaults != NodeFaultsAgent), nodehalt.WithSurvivor(true),
		nodehalt.WithDoor(nodeDoor(env))}
	where := "a worker that runs " + a.Name
	if db := env.App.Database; db != nil {
		opts[1] = nodehalt.WithAvoid(db.Pods)
		where += " but not " + a.Database.Title
	}
	return scenario.Scenario{
		Name: result.ScenarioNodeHalt,
		Description: fmt.Sprintf("%s is %s. Requests routed to its pod time out until the node is NotReady and the pod leaves the endpoints; "+
			"the pod is replaced on the other worker after its %s toleration. The node is started again afterwards.", capitalized(where), haltWords(env), secs(toleration)),
		Prepare:          spread(env),
		Fault:            nodehalt.New(env.Client, env.Cluster, a.Namespace, opts...),
		Steady:           steady(env),
		Restored:         env.Client.NodesReady(),
		HealingCondition: env.App.SteadyWords() + " (on the remaining nodes; the halted node's return is checked after the revert)",
		Budgets: scenario.Budgets{
			MustRecover: true,
			Recovery:    scenario.Dur(90 * time.Second),
			Healing:     scenario.Dur(healing),
			Server5xx:   scenario.Requests(0),
		},
		Bounds: []result.Bound{
			{Metric: result.KeyRecovery, MS: ms(nodeNotReady), Reason: "the lost node's pod stays in the endpoints until the node is marked NotReady, node-monitor-grace-period (50 s) after its last heartbeat; the kubelet renews its lease every 10 s, so at best 40 s after the halt"},
			{Metric: result.KeyHealing, MS: ms(nodeNotReady + toleration), Reason: fmt.Sprintf("at best 40 s until NotReady (see recovery), then the pods' %s tolerationSeconds for unreachable/not-ready before they are evicted and replaced", secs(toleration))},
		},
		Timing: scenario.Timing{Deadline: max(4*time.Minute, healing+time.Minute)},
	}
}

func nodeHaltWords(s app.Shape) (string, string) {
	breaks := "the worker running a " + s.App.Name + " replica"
	if s.App.Database != nil {
		breaks += " but not " + s.App.Database.Title
	}
	return breaks + " is halted (docker kill of its kind node; with --node-faults agent, its kubelet and container runtime stopped and its network isolated by selfheal's node agent)",
		"the node goes NotReady, its pod leaves the endpoints, a replacement starts on the other worker"
}

// mysqlBackAfterRevert bounds how long after the node is started again the
// service must be back. The chain after a docker start: the kubelet posts
// Ready (5 s in the real run), MySQL's container is recreated and passes
// readiness (initial delay 5 s, every 5 s: Ready 17 s after the revert),
// WordPress passes readiness again (every 5 s, 2 failures), and a WordPress
// container whose liveness (every 10 s, 3 failures on /wp-login.php, which
// needs the database) failed during the halt restarts with a back-off. That
// took 43 s and 68 s after the revert on a 2-core machine running the whole
// cluster. 2 minutes is the slowest seen plus one more liveness restart
// (30 s of failed probes, then a 20 s back-off): slower than that, the app
// is not coming back by itself. The scenario keeps the load on after the
// revert until the service is back or SteadyTimeout (8 min) passes, so a
// recovery this slow is still measured.
const mysqlBackAfterRevert = 2 * time.Minute

func mysqlNodeHalt(env Env) scenario.Scenario {
	a := env.App.App
	db := a.Database.Title
	return scenario.Scenario{
		Name: result.ScenarioMySQLNodeHalt,
		Description: fmt.Sprintf("The worker that runs %s is %s. Its data is on a node-local volume, so the database cannot move: the expected result is "+
			"'not recovered until the node returns'. After 90 s the node is started again and the app must come back.", db, haltWords(env)),
		Fault: nodehalt.New(env.Client, env.Cluster, a.Namespace, nodehalt.WithVictim(env.App.Database.Pods), nodehalt.WithAvoid(""),
			nodehalt.WithKill(env.NodeFaults != NodeFaultsAgent), nodehalt.WithDoor(nodeDoor(env))),
		Steady:           steady(env),
		Restored:         env.Client.NodesReady(),
		HealingCondition: env.App.SteadyWords(),
		Budgets:          scenario.Budgets{MustNotRecover: true, RecoveryAfterRevert: scenario.Dur(mysqlBackAfterRevert)},
		Bounds: []result.Bound{
			{Metric: result.KeyRecovery, MS: 90000, Reason: db + "'s volume is local to the halted node: nothing can serve until the node returns, which this scenario does after 90 s"},
		},
		Timing: scenario.Timing{Deadline: 90 * time.Second, SteadyTimeout: 8 * time.Minute},
	}
}

func mysqlNodeHaltWords(s app.Shape) (string, string) {
	db := dbName(s)
	return "the worker running " + db + " is halted (docker kill, or the node agent with --node-faults agent) for 90 s",
		"none possible while the node is away (" + db + "'s volume is node-local): not recovered until the node returns, then back"
}

// dbName is the app's database's name in words.
func dbName(s app.Shape) string {
	if s.App.Database == nil {
		return "the database"
	}
	return s.App.Database.Title
}
