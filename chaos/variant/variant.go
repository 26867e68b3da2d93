// Package variant names the configurations of the fixture that operators
// compare (a StatefulSet against a Deployment, probes of each kind, with
// and without a preStop sleep or a PodDisruptionBudget...), which
// scenarios each one matters to, and plans a scenario × variant matrix
// whose cells sharing a variant run back to back, so the app is deployed
// once per variant. Variants are data, as the scenarios of chaos/catalog
// are: the e2e suite and `selfheal run` both plan from here.
package variant

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/selfheal/selfheal/chaos/catalog"
	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/chaos/scenario"
	"github.com/selfheal/selfheal/fixtures/app"
)

// Baseline is the name of today's fixture, the variant every other one is
// compared with (chaos/result spells it once, for results that name none).
const Baseline = result.BaselineVariant

// Variant is a named set of changes to the fixture.
type Variant struct {
	Name string
	// Question is the one question the variant answers, in a line.
	Question string
	Options  []app.Option
	// Scenarios are the scenarios the variant matters to, in catalog
	// order; asking for the variant alone runs these.
	Scenarios []string
	// Default are the scenarios the default matrix pairs it with: the
	// cells the write-ups' claims need (chaos/expect).
	Default []string
	// Timing overrides a scenario's timing for this variant, where the
	// variant changes what there is to wait for.
	Timing map[string]scenario.Timing
}

// The scenarios variants refer to, short for the catalog's names
// (chaos/result spells each once).
const (
	wpConfig  = result.ScenarioWPConfigBreak
	eviction  = result.ScenarioPodEviction
	imageRoll = result.ScenarioImageRoll
	nodeHalt  = result.ScenarioNodeHalt
	mysqlHalt = result.ScenarioMySQLNodeHalt
	mysqlHang = result.ScenarioMySQLHang
	// Planned disruptions that go through preStop and the PDB too.
	scaleOutIn = result.ScenarioScaleOutIn
	nodeDrain  = result.ScenarioNodeDrain
)

// neverHeals is the deadline of a wp-config break that nothing restarts:
// httpGet liveness restarts the pod within 30 s (3 failures 10 s apart),
// so three times that shows that no restart comes without watching the
// scenario's full four minutes.
var neverHeals = map[string]scenario.Timing{wpConfig: {Deadline: 90 * time.Second}}

// Catalog lists every variant, baseline first.
func Catalog() []Variant {
	one, four := int32(1), int32(4)
	return []Variant{
		{Name: Baseline, Question: "Today's fixture: two replicas, httpGet probes, preStop sleep, PDB, maxSurge 1 / maxUnavailable 0; the reference every variant is compared with.",
			Scenarios: catalog.Names(), Default: []string{wpConfig, eviction, imageRoll}},
		{Name: "statefulset-1", Question: "Does a one-replica StatefulSet with readiness (the write-up's starting point) drop requests on every rollout?",
			Options:   []app.Option{app.WithWorkload(app.StatefulSet), app.WithReplicas(one), app.WithRollingUpdate(intstr.FromInt32(0), intstr.FromInt32(1))},
			Scenarios: []string{eviction, imageRoll}, Default: []string{imageRoll}},
		{Name: "deployment-1-surge", Question: "Does one Deployment replica with maxSurge 1 / maxUnavailable 0 roll without dropping a request?",
			Options:   []app.Option{app.WithReplicas(one), app.WithRollingUpdate(intstr.FromInt32(1), intstr.FromInt32(0))},
			Scenarios: []string{eviction, imageRoll}, Default: []string{imageRoll}},
		{Name: "daemonset", Question: "What does WordPress as a DaemonSet on the workers, rolled with maxUnavailable 1, cost during a roll, an eviction and a broken config?",
			Options:   []app.Option{app.WithWorkload(app.DaemonSet), app.WithRollingUpdate(intstr.FromInt32(0), intstr.FromInt32(1))},
			Scenarios: []string{wpConfig, eviction, imageRoll}},
		{Name: "liveness-tcp", Question: "Does a tcpSocket liveness probe ever restart a pod whose config is broken (port 80 stays open)?",
			Options: []app.Option{app.WithLiveness(app.ProbeTCP)}, Scenarios: []string{wpConfig}, Default: []string{wpConfig}, Timing: neverHeals},
		{Name: "liveness-none", Question: "Without a liveness probe, does a pod with a broken config ever heal?",
			Options: []app.Option{app.WithLiveness(app.ProbeNone)}, Scenarios: []string{wpConfig}, Default: []string{wpConfig}, Timing: neverHeals},
		{Name: "readiness-none", Question: "Without a readiness probe, how long does a broken pod keep receiving (and failing) requests?",
			Options: []app.Option{app.WithReadiness(app.ReadinessNone)}, Scenarios: []string{wpConfig, imageRoll}, Default: []string{wpConfig}},
		{Name: "no-probes", Question: "With neither probe, what do users see when a pod breaks or rolls?",
			Options:   []app.Option{app.WithLiveness(app.ProbeNone), app.WithReadiness(app.ReadinessNone)},
			Scenarios: []string{wpConfig, imageRoll}, Timing: neverHeals},
		{Name: "readiness-tcp", Question: "Does the tcpSocket readiness probe one write-up used take a broken pod out of the Service (it only sees the port)?",
			Options: []app.Option{app.WithReadiness(app.ReadinessTCP)}, Scenarios: []string{wpConfig, imageRoll}},
		{Name: "readiness-header", Question: "Does the httpGet readiness probe with a custom header, as another write-up used, behave any differently from the plain one?",
			Options: []app.Option{app.WithReadiness(app.ReadinessHeader)}, Scenarios: []string{wpConfig, imageRoll}},
		{Name: "no-prestop", Question: "Without the preStop sleep, do rolls, evictions, scale-ins and drains lose requests to the endpoint-removal race?",
			Options: []app.Option{app.WithPreStopSleep(0)}, Scenarios: []string{eviction, imageRoll, scaleOutIn, nodeDrain}, Default: []string{eviction, imageRoll}},
		{Name: "no-pdb", Question: "Without a PodDisruptionBudget, can evicting both pods, or draining a node, leave no replica serving?",
			Options: []app.Option{app.WithPDB(false)}, Scenarios: []string{eviction, nodeDrain}, Default: []string{eviction}},
		{Name: "replicas-1", Question: "What does a single replica cost in each fault (the fixture of deployment-1-surge, asked of every fault)?",
			Options: []app.Option{app.WithReplicas(one)}, Scenarios: []string{wpConfig, eviction, imageRoll}},
		{Name: "replicas-4", Question: "Do four replicas instead of two shrink the impact of a broken pod, a drain, a roll or a lost node?",
			Options: []app.Option{app.WithReplicas(four)}, Scenarios: []string{wpConfig, eviction, imageRoll, nodeHalt}},
		{Name: "surge-25", Question: "Does rolling four replicas 25 %/25 % (one up, one down at a time) cost more than surging one with none unavailable?",
			Options:   []app.Option{app.WithReplicas(four), app.WithRollingUpdate(intstr.FromString("25%"), intstr.FromString("25%"))},
			Scenarios: []string{imageRoll}},
		{Name: "mysql-probes-tcp", Question: "Do tcpSocket MySQL probes, instead of exec (mysqladmin ping, SELECT 1), change how the app comes back when MySQL's node returns, and do they ever restart a frozen server?",
			Options: []app.Option{app.WithMySQLProbes(app.MySQLTCP)}, Scenarios: []string{mysqlHang, mysqlHalt}},
		{Name: "mysql-probes-bare", Question: "Does the write-ups' exec probe as written (mysqladmin ping, SELECT 1, no client timeout) ever restart a frozen MySQL?",
			Options: []app.Option{app.WithMySQLProbes(app.MySQLExecBare)}, Scenarios: []string{mysqlHang}},
	}
}

// Names lists the variant names, baseline first.
func Names() []string {
	var names []string
	for _, v := range Catalog() {
		names = append(names, v.Name)
	}
	return names
}

// Find returns the variant named name.
func Find(name string) (Variant, bool) {
	for _, v := range Catalog() {
		if v.Name == name {
			return v, true
		}
	}
	return Variant{}, false
}

// Lookup returns the named variants in the order asked, or an error naming
// the unknown ones and the known ones. A name asked twice is kept once.
func Lookup(names ...string) ([]Variant, error) {
	byName := map[string]Variant{}
	for _, v := range Catalog() {
		byName[v.Name] = v
	}
	var out []Variant
	var unknown []string
	seen := map[string]bool{}
	for _, n := range names {
		v, ok := byName[n]
		switch {
		case !ok:
			unknown = append(unknown, fmt.Sprintf("%q", n))
		case !seen[n]:
			out = append(out, v)
		}
		seen[n] = true
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, fmt.Errorf("unknown variant(s) %s; known: %s", strings.Join(unknown, ", "), strings.Join(Names(), ", "))
	}
	return out, nil
}

// Config is the fixture of the variant on top of base (namespace,
// images).
func (v Variant) Config(base ...app.Option) (app.Config, error) {
	c, err := app.New(append(append([]app.Option(nil), base...), v.Options...)...)
	if err != nil {
		return c, fmt.Errorf("variant %s: %w", v.Name, err)
	}
	return c, nil
}

// plannedImages stand in for the cluster's images while a matrix is
// planned, before the cluster (and so the image mode) is known: what a
// scenario refuses depends on the settings, never on the images.
var plannedImages = app.WithImages("planned/wordpress", "planned/mysql")
