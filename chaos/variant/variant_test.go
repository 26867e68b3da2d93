package variant

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/selfheal/selfheal/chaos/catalog"
	"github.com/selfheal/selfheal/chaos/expect"
	"github.com/selfheal/selfheal/fixtures/app"
)

// facts are what a variant changes, read back from the objects the
// fixture would create (not from the Config that asked for them).
type facts struct {
	kind                string
	replicas            int32 // -1 for a DaemonSet: one per worker
	surge, unavailable  string
	liveness, readiness string
	preStop, pdb        bool
	mysql               string
	// writes: the write endpoint's plugin is mounted in the WordPress
	// pods (chaos/writes needs it in every variant a write-checked
	// scenario runs against)
	writes bool
}

func probeKind(p *corev1.Probe) string {
	switch {
	case p == nil:
		return "none"
	case p.HTTPGet != nil:
		var hs []string
		for _, h := range p.HTTPGet.HTTPHeaders {
			hs = append(hs, h.Name)
		}
		return "httpGet " + p.HTTPGet.Path + " " + strings.Join(hs, ",")
	case p.TCPSocket != nil:
		return "tcpSocket"
	case p.Exec != nil:
		return "exec " + strings.Join(p.Exec.Command, " ")
	}
	return "?"
}

func factsOf(t *testing.T, v Variant) facts {
	t.Helper()
	cfg, err := v.Config(app.WithImages("wp", "db"))
	if err != nil {
		t.Fatal(err)
	}
	objs, err := cfg.Objects(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var f facts
	pluginsMap := false
	for _, o := range objs {
		if cm, ok := o.(*corev1.ConfigMap); ok && cm.Name == "wordpress-mu-plugins" && cm.Data["selfheal-writes.php"] != "" {
			pluginsMap = true
		}
	}
	wordpress := func(spec corev1.PodSpec) {
		plugins := map[string]bool{}
		for _, v := range spec.Volumes {
			if v.ConfigMap != nil && v.ConfigMap.Name == "wordpress-mu-plugins" {
				plugins[v.Name] = true
			}
		}
		for _, c := range spec.Containers {
			if c.Name == "wordpress" {
				f.liveness, f.readiness = probeKind(c.LivenessProbe), probeKind(c.ReadinessProbe)
				f.preStop = c.Lifecycle != nil && c.Lifecycle.PreStop != nil
				for _, m := range c.VolumeMounts {
					if plugins[m.Name] && m.MountPath == "/var/www/html/wp-content/mu-plugins" && m.SubPath == "" {
						f.writes = pluginsMap
					}
				}
			}
		}
	}
	for _, o := range objs {
		switch w := o.(type) {
		case *appsv1.Deployment:
			f.kind, f.replicas = "Deployment", *w.Spec.Replicas
			f.surge, f.unavailable = w.Spec.Strategy.RollingUpdate.MaxSurge.String(), w.Spec.Strategy.RollingUpdate.MaxUnavailable.String()
			wordpress(w.Spec.Template.Spec)
		case *appsv1.DaemonSet:
			f.kind, f.replicas = "DaemonSet", -1
			f.surge, f.unavailable = w.Spec.UpdateStrategy.RollingUpdate.MaxSurge.String(), w.Spec.UpdateStrategy.RollingUpdate.MaxUnavailable.String()
			wordpress(w.Spec.Template.Spec)
		case *appsv1.StatefulSet:
			if w.Name == app.MySQL {
				f.mysql = probeKind(w.Spec.Template.Spec.Containers[0].LivenessProbe) + " / " + probeKind(w.Spec.Template.Spec.Containers[0].ReadinessProbe)
				continue
			}
			f.kind, f.replicas = "StatefulSet", *w.Spec.Replicas
			f.surge, f.unavailable = "-", string(w.Spec.UpdateStrategy.Type)
			wordpress(w.Spec.Template.Spec)
		case *policyv1.PodDisruptionBudget:
			f.pdb = true
		}
	}
	return f
}

// Each variant produces the objects it claims, and changes nothing else:
// every field not named in its row is the baseline's.
func TestVariantsProduceWhatTheyClaim(t *testing.T) {
	const (
		httpLive  = "httpGet /wp-login.php "
		httpReady = "httpGet / Host"
		exec      = "exec sh -c mysqladmin --connect-timeout=2 ping -h 127.0.0.1 --silent / exec sh -c mysql --connect-timeout=2 -h 127.0.0.1 -uroot -p\"$MYSQL_ROOT_PASSWORD\" -e 'SELECT 1' >/dev/null"
		bareExec  = "exec sh -c mysqladmin ping -h 127.0.0.1 --silent / exec sh -c mysql -h 127.0.0.1 -uroot -p\"$MYSQL_ROOT_PASSWORD\" -e 'SELECT 1' >/dev/null"
	)
	base := facts{kind: "Deployment", replicas: 2, surge: "1", unavailable: "0", liveness: httpLive, readiness: httpReady, preStop: true, pdb: true, mysql: exec, writes: true}
	with := func(change func(*facts)) facts { f := base; change(&f); return f }
	want := map[string]facts{
		Baseline: base,
		"statefulset-1": with(func(f *facts) {
			f.kind, f.replicas, f.surge, f.unavailable = "StatefulSet", 1, "-", "RollingUpdate"
		}),
		"deployment-1-surge": with(func(f *facts) { f.replicas, f.surge, f.unavailable = 1, "1", "0" }),
		"daemonset":          with(func(f *facts) { f.kind, f.replicas, f.surge, f.unavailable = "DaemonSet", -1, "0", "1" }),
		"liveness-tcp":       with(func(f *facts) { f.liveness = "tcpSocket" }),
		"liveness-none":      with(func(f *facts) { f.liveness = "none" }),
		"readiness-none":     with(func(f *facts) { f.readiness = "none" }),
		"no-probes":          with(func(f *facts) { f.liveness, f.readiness = "none", "none" }),
		"readiness-tcp":      with(func(f *facts) { f.readiness = "tcpSocket" }),
		"readiness-header":   with(func(f *facts) { f.readiness = httpReady + "," + app.ProbeHeader }),
		"no-prestop":         with(func(f *facts) { f.preStop = false }),
		"no-pdb":             with(func(f *facts) { f.pdb = false }),
		"replicas-1":         with(func(f *facts) { f.replicas = 1 }),
		"replicas-4":         with(func(f *facts) { f.replicas = 4 }),
		"surge-25":           with(func(f *facts) { f.replicas, f.surge, f.unavailable = 4, "25%", "25%" }),
		"mysql-probes-tcp":   with(func(f *facts) { f.mysql = "tcpSocket / tcpSocket" }),
		"mysql-probes-bare":  with(func(f *facts) { f.mysql = bareExec }),
	}
	for _, v := range Catalog() {
		t.Run(v.Name, func(t *testing.T) {
			w, ok := want[v.Name]
			if !ok {
				t.Fatalf("variant %s has no expected objects in this test: add its row", v.Name)
			}
			if got := factsOf(t, v); got != w {
				t.Errorf("objects:\n got %+v\nwant %+v", got, w)
			}
		})
		delete(want, v.Name)
	}
	for name := range want {
		t.Errorf("the issue's variant %s is missing from the catalog", name)
	}
}

// The relevance data is consistent: every variant says what it asks,
// names scenarios that exist, plans by default only what it matters to,
// and matters only to scenarios that accept it.
func TestCatalogData(t *testing.T) {
	for _, v := range Catalog() {
		if v.Question == "" || !strings.HasSuffix(v.Question, "?") && v.Name != Baseline {
			t.Errorf("%s: question %q, want one line ending in ?", v.Name, v.Question)
		}
		if len(v.Scenarios) == 0 {
			t.Errorf("%s matters to no scenario", v.Name)
		}
		cfg, err := v.Config(plannedImages)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range v.Scenarios {
			e, err := catalog.Lookup(s)
			if err != nil {
				t.Fatalf("%s: %v", v.Name, err)
			}
			if err := e[0].Supports(cfg); err != nil {
				t.Errorf("%s matters to %s, which refuses it: %v", v.Name, s, err)
			}
		}
		for _, s := range v.Default {
			if !slices.Contains(v.Scenarios, s) {
				t.Errorf("%s: default scenario %s is not one it matters to", v.Name, s)
			}
		}
		for s := range v.Timing {
			if !slices.Contains(v.Scenarios, s) {
				t.Errorf("%s: timing for %s, which it does not matter to", v.Name, s)
			}
		}
	}
}

func cellNames(m Matrix) string {
	var out []string
	for _, c := range m.Cells {
		out = append(out, c.Name())
	}
	return strings.Join(out, " ")
}

func TestPlan(t *testing.T) {
	tests := []struct {
		name     string
		req      Request
		want     string
		explicit bool
		skipped  int
	}{
		{"nothing asked: baseline, every scenario, today's layout", Request{},
			"wp-config-break pod-eviction image-roll scale-out-in node-drain mysql-crash db-partition dns-outage packet-loss apiserver-restart mysql-hang node-halt mysql-node-halt", false, 0},
		{"scenarios only", Request{Scenarios: []string{"image-roll", "wp-config-break"}},
			"wp-config-break image-roll", false, 0},
		{"one variant alone runs what it matters to", Request{Variants: []string{"no-prestop"}},
			"pod-eviction@no-prestop image-roll@no-prestop scale-out-in@no-prestop node-drain@no-prestop", true, 0},
		{"baseline beside a variant runs that variant's scenarios, first if asked first", Request{Variants: []string{"baseline", "no-pdb"}},
			"pod-eviction node-drain pod-eviction@no-pdb node-drain@no-pdb", true, 0},
		{"variants in the order asked, each grouped", Request{Variants: []string{"no-pdb", "baseline", "liveness-tcp"}},
			"pod-eviction@no-pdb node-drain@no-pdb wp-config-break pod-eviction node-drain wp-config-break@liveness-tcp", true, 0},
		{"any pair by name", Request{Variants: []string{"no-pdb"}, Scenarios: []string{"image-roll"}},
			"image-roll@no-pdb", true, 0},
		{"a name asked twice runs once", Request{Variants: []string{"no-pdb", "no-pdb"}},
			"pod-eviction@no-pdb node-drain@no-pdb", true, 0},
		{"default matrix", Request{Default: true},
			"wp-config-break pod-eviction image-roll image-roll@statefulset-1 image-roll@deployment-1-surge " +
				"wp-config-break@liveness-tcp wp-config-break@liveness-none wp-config-break@readiness-none " +
				"pod-eviction@no-prestop image-roll@no-prestop pod-eviction@no-pdb", true, 0},
		{"default matrix of one scenario", Request{Default: true, Scenarios: []string{"pod-eviction"}},
			"pod-eviction pod-eviction@no-prestop pod-eviction@no-pdb", true, 0},
		{"baseline runs the union of the other variants' scenarios", Request{Variants: []string{"baseline", "replicas-4", "daemonset"}},
			"wp-config-break pod-eviction image-roll node-halt wp-config-break@replicas-4 pod-eviction@replicas-4 image-roll@replicas-4 node-halt@replicas-4 " +
				"wp-config-break@daemonset pod-eviction@daemonset image-roll@daemonset", true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Plan(tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if got := cellNames(m); got != tt.want {
				t.Errorf("cells:\n got %s\nwant %s", got, tt.want)
			}
			if m.Explicit != tt.explicit || len(m.Skipped) != tt.skipped {
				t.Errorf("explicit %v skipped %v, want %v and %d", m.Explicit, m.Skipped, tt.explicit, tt.skipped)
			}
			seen := map[string]bool{}
			for _, v := range m.Variants() {
				if seen[v.Name] {
					t.Errorf("variant %s comes back after another: the app would be deployed twice", v.Name)
				}
				seen[v.Name] = true
			}
		})
	}
}

func TestPlanTimingFollowsTheVariant(t *testing.T) {
	m, err := Plan(Request{Variants: []string{"liveness-none", "readiness-none"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range m.Cells {
		got := c.Timing.Deadline
		if want := neverHeals[c.Entry.Name].Deadline; c.Variant.Name == "liveness-none" && got != want {
			t.Errorf("%s: deadline %s, want %s", c.Name(), got, want)
		}
		if c.Variant.Name == "readiness-none" && got != 0 {
			t.Errorf("%s: deadline %s, want the scenario's own", c.Name(), got)
		}
	}
}

func TestPlanRefuses(t *testing.T) {
	tests := []struct {
		name string
		req  Request
		want string
	}{
		{"unknown variant", Request{Variants: []string{"no-pbd"}}, `unknown variant(s) "no-pbd"; known: baseline,`},
		{"unknown scenario", Request{Variants: []string{"no-pdb"}, Scenarios: []string{"nod-halt"}}, "unknown scenario(s) nod-halt"},
		{"a pair asked by name that the scenario refuses", Request{Variants: []string{"daemonset"}, Scenarios: []string{"node-halt"}},
			"variant daemonset: node-halt cannot run against WordPress DaemonSet"},
		{"one replica and node halt", Request{Variants: []string{"replicas-1"}, Scenarios: []string{"node-halt"}}, "1 replica(s) cannot give both"},
		{"default matrix of variants outside it", Request{Default: true, Variants: []string{"surge-25"}}, "nothing to run"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Plan(tt.req)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

// A pair the plan chose itself (not asked by name) that the scenario
// refuses is left out with its reason rather than failing the run.
func TestPlanSkipsRefusedPairsItChose(t *testing.T) {
	v := Variant{Name: "ds", Options: []app.Option{app.WithWorkload(app.DaemonSet), app.WithRollingUpdate(intstr.FromInt32(0), intstr.FromInt32(1))},
		Scenarios: []string{"image-roll", "node-halt"}}
	m, err := Matrix{}.add([]Variant{v}, func(v Variant) []string { return v.Scenarios }, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := cellNames(m); got != "image-roll@ds" || len(m.Skipped) != 1 || !strings.Contains(m.Skipped[0], "node-halt@ds: node-halt cannot run") {
		t.Errorf("cells %q skipped %q", got, m.Skipped)
	}
	if _, err := (Matrix{}).add([]Variant{v}, func(v Variant) []string { return v.Scenarios }, true); err == nil {
		t.Error("the same pair asked by name must be an error")
	}
}

// The default matrix runs every cell the write-ups' claims need, so a
// default run checks each of them.
func TestDefaultMatrixCoversTheClaims(t *testing.T) {
	m, err := Plan(Request{Default: true})
	if err != nil {
		t.Fatal(err)
	}
	planned := map[[2]string]bool{}
	for _, c := range m.Cells {
		planned[[2]string{c.Entry.Name, c.Variant.Name}] = true
	}
	for _, c := range expect.Cells(expect.Claims()) {
		if _, err := Lookup(c[1]); err != nil {
			t.Errorf("a claim names variant %s: %v", c[1], err)
		}
		if !planned[c] {
			t.Errorf("the default matrix does not run %s@%s, which a claim needs", c[0], c[1])
		}
	}
}

// Results are compared with results of the same kind only, and the kind
// holds the fixture in words (run.fixture): two variants that describe
// themselves alike must be the same fixture, object for object.
func TestVariantsDescribeThemselvesApart(t *testing.T) {
	seen := map[string]Variant{}
	for _, v := range Catalog() {
		cfg, err := v.Config(plannedImages)
		if err != nil {
			t.Fatal(err)
		}
		d := cfg.Describe()
		if other, ok := seen[d]; ok {
			if a, b := objectsJSON(t, v), objectsJSON(t, other); a != b {
				t.Errorf("%s and %s both describe themselves as %q but differ", v.Name, other.Name, d)
			}
		}
		seen[d] = v
	}
}

func objectsJSON(t *testing.T, v Variant) string {
	t.Helper()
	cfg, err := v.Config(plannedImages)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := cfg.Objects(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(objs)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
