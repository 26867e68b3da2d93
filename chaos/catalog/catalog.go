// Package catalog names the scenarios selfheal runs against the WordPress
// fixture, with their default budgets, the lower bounds the fixture's own
// settings allow, and what "healed" means for each. The e2e suite and
// `selfheal run` both take their scenarios from here.
package catalog

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/selfheal/selfheal/chaos/fault"
	"github.com/selfheal/selfheal/chaos/fault/apiserver"
	"github.com/selfheal/selfheal/chaos/fault/dbpartition"
	"github.com/selfheal/selfheal/chaos/fault/dnsoutage"
	"github.com/selfheal/selfheal/chaos/fault/drain"
	"github.com/selfheal/selfheal/chaos/fault/evict"
	"github.com/selfheal/selfheal/chaos/fault/imageroll"
	"github.com/selfheal/selfheal/chaos/fault/nodehalt"
	"github.com/selfheal/selfheal/chaos/fault/packetloss"
	"github.com/selfheal/selfheal/chaos/fault/procsignal"
	"github.com/selfheal/selfheal/chaos/fault/scale"
	"github.com/selfheal/selfheal/chaos/fault/wpconfig"
	"github.com/selfheal/selfheal/chaos/kube"
	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/chaos/scenario"
	"github.com/selfheal/selfheal/fixtures/app"
	"github.com/selfheal/selfheal/internal/kindnode"
)

// Env is the cluster and fixture the scenarios act on.
type Env struct {
	Client *kube.Client
	// Cluster is the kind cluster's name (node faults stop its containers).
	Cluster string
	App     app.Config
	// NextImage is the WordPress image an image roll goes to.
	NextImage string
}

// Entry is a scenario of the catalog.
type Entry struct {
	Name string
	// Fault is the fault family, for selecting by label.
	Fault string
	// Set is "core" (the default suite) or "extra".
	Set string
	// Breaks and Heals say in a line what the fault breaks and what
	// healing the fixture is expected to show: `selfheal run --list` and
	// the README's scenario table (checked against each other) show them.
	Breaks, Heals string
	Build         func(Env) scenario.Scenario
	// Refuse, when set, says why the scenario cannot run against a fixture
	// configuration (nil when it can): a variant paired with it is then
	// never planned.
	Refuse func(app.Config) error
}

// Supports says whether the scenario can run against fixture c, and if
// not, why.
func (e Entry) Supports(c app.Config) error {
	if e.Refuse == nil {
		return nil
	}
	if err := e.Refuse(c); err != nil {
		return fmt.Errorf("%s cannot run against %s: %w", e.Name, c.Describe(), err)
	}
	return nil
}

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
		{Name: "wp-config-break", Fault: "wp-config", Set: "core", Build: checkWrites(wpConfigBreak),
			Breaks: "DB_HOST in one WordPress pod's wp-config.php is corrupted (exec)",
			Heals:  "readiness takes the pod out of the Service; liveness restarts the container with a fresh config"},
		{Name: "pod-eviction", Fault: "eviction", Set: "core", Build: podEviction,
			Breaks: "every WordPress pod is evicted in turn through the Eviction API (429s from the PDB are retried, never bypassed)",
			Heals:  "the workload replaces each pod; the PDB keeps one serving"},
		{Name: "image-roll", Fault: "image", Set: "core", Build: imageRoll,
			Breaks: "WordPress is rolled to a new image, then rolled back (two injections)",
			Heals:  "rolling update with maxSurge 1 / maxUnavailable 0 and a preStop sleep"},
		{Name: "scale-out-in", Fault: "scale", Set: "extra", Build: scaleOutIn, Refuse: scaleRefuses, Breaks: scaleOutInBreaks, Heals: scaleOutInHeals},
		{Name: "node-drain", Fault: "node", Set: "extra", Build: nodeDrain, Refuse: nodeDrainRefuses, Breaks: nodeDrainBreaks, Heals: nodeDrainHeals},
		{Name: "mysql-crash", Fault: "process", Set: "extra", Build: checkWrites(mysqlCrash), Refuse: mysqlRefuses, Breaks: mysqlCrashBreaks, Heals: mysqlCrashHeals},
		{Name: "db-partition", Fault: "network", Set: "extra", Build: checkWrites(dbPartition),
			Breaks: "TCP to and from MySQL's port 3306 is dropped inside each WordPress pod's network namespace (iptables via nsenter) for 30 s",
			Heals:  "none possible while it holds (readiness takes the pods out); back within 60 s of the lift"},
		{Name: "dns-outage", Fault: "dns", Set: "extra", Build: dnsOutage,
			Breaks: "cluster DNS: CoreDNS is scaled to zero for 30 s, then back",
			Heals:  "none possible while DNS is away (WordPress resolves its database host on every request): not recovered until CoreDNS returns, then back"},
		{Name: "packet-loss", Fault: "network", Set: "extra", Build: packetLoss,
			Breaks: "10% of the packets arriving in each WordPress pod are dropped at random (iptables statistic via nsenter) for 30 s",
			Heals:  "nothing to heal: TCP retransmits, so answers slow down and many scattered requests time out (MySQL's answers are lost too); the pods must stay in the Service"},
		{Name: "apiserver-restart", Fault: "apiserver", Set: "extra", Build: apiserverRestart,
			Breaks: "the API server's container is stopped (SIGTERM in the control-plane node)",
			Heals:  "the kubelet restarts it (static pod); the app must not notice, the harness rides the gap out"},
		{Name: "mysql-hang", Fault: "process", Set: "extra", Build: checkWrites(mysqlHang), Refuse: mysqlRefuses, Breaks: mysqlHangBreaks, Heals: mysqlHangHeals},
		{Name: "node-halt", Fault: "node", Set: "core", Build: nodeHalt, Refuse: nodeHaltRefuses,
			Breaks: "the worker running a WordPress replica but not MySQL is halted (docker kill of its kind node)",
			Heals:  "the node goes NotReady, its pod leaves the endpoints, a replacement starts on the other worker"},
		{Name: "mysql-node-halt", Fault: "node", Set: "core", Build: checkWrites(mysqlNodeHalt),
			Breaks: "the worker running MySQL is halted (docker kill) for 90 s",
			Heals:  "none possible while the node is away (MySQL's volume is node-local): not recovered until the node returns, then back"},
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

// Defaults is the scenario as built against the baseline fixture, for
// listing its budgets and timing; it is never run.
func (e Entry) Defaults() scenario.Scenario {
	return e.Build(Env{Client: &kube.Client{}, App: app.Default(), NextImage: "the next image"})
}

// LongestRevert is the longest any scenario of the catalog may take to
// revert its fault after it was stopped (scenario.Timing.RevertBound): the
// margin an outer deadline (go test -timeout) must leave.
func LongestRevert() time.Duration {
	var longest time.Duration
	for _, e := range Entries() {
		// Only the timing is read: the scenario is never run.
		if d := e.Defaults().Timing.RevertBound(); d > longest {
			longest = d
		}
	}
	return longest
}

// RepairTimeout bounds each repair of a fault a killed run left behind
// (a node to come back Ready, a rollout, replacements to be Ready).
const RepairTimeout = 5 * time.Minute

// Repairers put back, from the active-fault record, what each fault of the
// catalog breaks (chaos/guard.Repair): one per fault kind. A new fault adds
// its package's repairer here.
func Repairers(c *kube.Client) []fault.Repairer {
	return []fault.Repairer{
		wpconfig.NewRepairer(c),
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
	}
}

// steady is the WordPress desired state: rollout complete, every replica
// Ready, the Service's endpoints complete, and MySQL Ready.
func steady(env Env) kube.Check {
	ns := env.App.Namespace
	return kube.All(env.Client.WorkloadSteady(ns, string(env.App.Workload), app.WordPress, app.WordPress), env.Client.StatefulSetSteady(ns, app.MySQL))
}

const steadyWords = "WordPress rollout complete with every replica Ready and in the Service's endpoints, MySQL Ready"

// checkWrites makes build's scenario run the write stream and require
// every write the site acknowledged to be in the database afterwards
// (chaos/writes): for the faults of the database, and of the app's way to
// it.
func checkWrites(build func(Env) scenario.Scenario) func(Env) scenario.Scenario {
	return func(env Env) scenario.Scenario {
		s := build(env)
		s.Writes = true
		s.Budgets.AckedMissing = scenario.Count(0)
		return s
	}
}

func wpConfigBreak(env Env) scenario.Scenario {
	c := env.App
	return scenario.Scenario{
		Name: "wp-config-break",
		Description: "Corrupt DB_HOST in wp-config.php inside one WordPress pod; its pages answer 500 until the liveness probe restarts the container, " +
			"which starts with a fresh wp-config.php.",
		Fault:            wpconfig.New(env.Client, c.Namespace, app.WordPressLabel),
		Steady:           steady(env),
		HealingCondition: steadyWords,
		Budgets: scenario.Budgets{
			MustRecover: true,
			Recovery:    scenario.Dur(30 * time.Second),
			Healing:     scenario.Dur(90 * time.Second),
			// 50 s of load per replica, at the run's rate (1,000 at 10/s
			// with 2 replicas): a count budget follows the rate it is
			// measured at (scenario.RequestBudget).
			Server5xx: scenario.SecondsOfLoad(time.Duration(50*c.Replicas) * time.Second),
		},
		Bounds: wpConfigBounds(c),
		// Past the healing budget nothing changes the verdict: watching
		// longer only costs a matrix cell whose variant never heals
		// (liveness-none, liveness-tcp) minutes per repetition.
		Timing: scenario.Timing{Deadline: 2 * time.Minute},
	}
}

// wpConfigBounds: readiness takes the broken pod out of the Service after
// (failureThreshold-1) periods at best; liveness restarts it after
// (failureThreshold-1) periods at best, and it must pass readiness again.
func wpConfigBounds(c app.Config) []result.Bound {
	var b []result.Bound
	if c.Readiness.SeesPage() && c.Replicas > 1 {
		b = append(b, result.Bound{Metric: result.KeyRecovery, MS: 5000, Reason: "readiness probe every 5 s, failureThreshold 2: the broken pod leaves the endpoints after 2 failed probes, at best 5 s after the first"})
	}
	if c.Liveness == app.ProbeHTTP {
		b = append(b, result.Bound{Metric: result.KeyHealing, MS: 20000, Reason: "liveness probe every 10 s, failureThreshold 3: the restart comes after 3 failed probes, at best 20 s after the first"})
	}
	return b
}

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
	c := env.App
	return scenario.Scenario{
		Name: "pod-eviction",
		Description: "Evict every WordPress pod in turn through the Eviction API, as a node drain does; the PodDisruptionBudget decides when the next one may go " +
			"(429s are retried, never bypassed).",
		Fault:            evict.New(env.Client, c.Namespace, app.WordPressLabel),
		Steady:           steady(env),
		HealingCondition: steadyWords,
		Budgets:          plannedBudgets(3 * time.Minute),
	}
}

func imageRoll(env Env) scenario.Scenario {
	c := env.App
	return scenario.Scenario{
		Name: "image-roll",
		Description: fmt.Sprintf("Roll the WordPress %s to %s (maxSurge %s, maxUnavailable %s, preStop sleep %s), then roll it back; each rollout is an injection.",
			c.Workload, env.NextImage, c.MaxSurge.String(), c.MaxUnavailable.String(), c.PreStopSleep),
		Fault:            imageroll.New(env.Client, c.Namespace, app.WordPress, "wordpress", env.NextImage, imageroll.WithKind(string(c.Workload))),
		Steady:           steady(env),
		HealingCondition: steadyWords,
		Budgets:          plannedBudgets(5 * time.Minute),
	}
}

// spread is node halt's preparation: a replica on each worker, so that one
// worker can be halted with WordPress still running on the other.
func spread(env Env) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		_, err := env.Client.Spread(ctx, env.App.Namespace, app.WordPress, app.WordPressLabel)
		return err
	}
}

// nodeHaltRefuses: the scenario halts a worker that runs WordPress but
// not MySQL while a replica keeps serving on the other, and spreads the
// replicas with a rollout restart of the Deployment beforehand.
func nodeHaltRefuses(c app.Config) error {
	switch {
	case c.Workload != app.Deployment:
		return fmt.Errorf("it expects the lost pod to be replaced on the other worker by a Deployment; a %s pod is not (a DaemonSet pod belongs to its node, a StatefulSet pod waits for its node to return)", c.Workload)
	case c.Replicas < 2:
		return fmt.Errorf("it needs a WordPress replica on a worker without MySQL and another left serving; %d replica(s) cannot give both", c.Replicas)
	}
	return nil
}

func nodeHalt(env Env) scenario.Scenario {
	c := env.App
	return scenario.Scenario{
		Name: "node-halt",
		Description: "Halt the kind node container of a worker that runs WordPress but not MySQL (docker kill: the node dies at once, as in a power cut, " +
			"so the injection instant is exact). Requests routed to its pod time out until the node is NotReady and the pod leaves the endpoints; " +
			"the pod is replaced on the other worker after its 30 s toleration. The node is started again afterwards.",
		Prepare:          spread(env),
		Fault:            nodehalt.New(env.Client, env.Cluster, c.Namespace, nodehalt.WithVictim(app.WordPressLabel), nodehalt.WithAvoid(app.MySQLLabel), nodehalt.WithKill(true), nodehalt.WithSurvivor(true)),
		Steady:           steady(env),
		Restored:         env.Client.NodesReady(),
		HealingCondition: steadyWords + " (on the remaining nodes; the halted node's return is checked after the revert)",
		Budgets: scenario.Budgets{
			MustRecover: true,
			Recovery:    scenario.Dur(90 * time.Second),
			Healing:     scenario.Dur(3 * time.Minute),
			Server5xx:   scenario.Requests(0),
		},
		Bounds: []result.Bound{
			{Metric: result.KeyRecovery, MS: 40000, Reason: "the lost node's pod stays in the endpoints until the node is marked NotReady, node-monitor-grace-period (50 s) after its last heartbeat; the kubelet renews its lease every 10 s, so at best 40 s after the halt"},
			{Metric: result.KeyHealing, MS: 70000, Reason: "at best 40 s until NotReady (see recovery), then the pods' 30 s tolerationSeconds for unreachable/not-ready before they are evicted and replaced"},
		},
		Timing: scenario.Timing{Deadline: 4 * time.Minute},
	}
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
	c := env.App
	return scenario.Scenario{
		Name: "mysql-node-halt",
		Description: "Halt the kind node that runs MySQL (docker kill). Its data is on a node-local volume, so the database cannot move: the expected result is " +
			"'not recovered until the node returns'. After 90 s the node is started again and the app must come back.",
		Fault:            nodehalt.New(env.Client, env.Cluster, c.Namespace, nodehalt.WithVictim(app.MySQLLabel), nodehalt.WithAvoid(""), nodehalt.WithKill(true)),
		Steady:           steady(env),
		Restored:         env.Client.NodesReady(),
		HealingCondition: steadyWords,
		Budgets:          scenario.Budgets{MustNotRecover: true, RecoveryAfterRevert: scenario.Dur(mysqlBackAfterRevert)},
		Bounds: []result.Bound{
			{Metric: result.KeyRecovery, MS: 90000, Reason: "MySQL's volume is local to the halted node: nothing can serve until the node returns, which this scenario does after 90 s"},
		},
		Timing: scenario.Timing{Deadline: 90 * time.Second, SteadyTimeout: 8 * time.Minute},
	}
}
