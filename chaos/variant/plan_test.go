package variant_test

import (
	"strings"
	"testing"
	"time"

	"github.com/selfheal/selfheal/chaos/app"
	"github.com/selfheal/selfheal/chaos/variant"
	"github.com/selfheal/selfheal/fixtures/wordpress"
)

func wordpressApp(t *testing.T) app.App {
	t.Helper()
	c, err := wordpress.New(wordpress.WithImages("wp:1", "db:1"))
	if err != nil {
		t.Fatal(err)
	}
	return c.App("wp:2")
}

func cellNames(m variant.Matrix) string {
	var out []string
	for _, c := range m.Cells {
		out = append(out, c.Name())
	}
	return strings.Join(out, " ")
}

func TestPlan(t *testing.T) {
	tests := []struct {
		name     string
		req      variant.Request
		want     string
		explicit bool
		skipped  int
	}{
		{"nothing asked: baseline, every scenario, today's layout", variant.Request{},
			"wp-config-break pod-eviction image-roll scale-out-in node-drain mysql-crash db-partition dns-outage packet-loss apiserver-restart mysql-hang node-halt mysql-node-halt", false, 0},
		{"scenarios only", variant.Request{Scenarios: []string{"image-roll", "wp-config-break"}},
			"wp-config-break image-roll", false, 0},
		{"one variant alone runs what it matters to", variant.Request{Variants: []string{"no-prestop"}},
			"pod-eviction@no-prestop image-roll@no-prestop scale-out-in@no-prestop node-drain@no-prestop", true, 0},
		{"baseline beside a variant runs that variant's scenarios, first if asked first", variant.Request{Variants: []string{"baseline", "no-pdb"}},
			"pod-eviction node-drain pod-eviction@no-pdb node-drain@no-pdb", true, 0},
		{"variants in the order asked, each grouped", variant.Request{Variants: []string{"no-pdb", "baseline", "liveness-tcp"}},
			"pod-eviction@no-pdb node-drain@no-pdb wp-config-break pod-eviction node-drain wp-config-break@liveness-tcp", true, 0},
		{"any pair by name", variant.Request{Variants: []string{"no-pdb"}, Scenarios: []string{"image-roll"}},
			"image-roll@no-pdb", true, 0},
		{"a name asked twice runs once", variant.Request{Variants: []string{"no-pdb", "no-pdb"}},
			"pod-eviction@no-pdb node-drain@no-pdb", true, 0},
		{"default matrix", variant.Request{Default: true},
			"wp-config-break pod-eviction image-roll image-roll@statefulset-1 image-roll@deployment-1-surge " +
				"wp-config-break@liveness-tcp wp-config-break@liveness-none wp-config-break@readiness-none " +
				"pod-eviction@no-prestop image-roll@no-prestop pod-eviction@no-pdb", true, 0},
		{"default matrix of one scenario", variant.Request{Default: true, Scenarios: []string{"pod-eviction"}},
			"pod-eviction pod-eviction@no-prestop pod-eviction@no-pdb", true, 0},
		{"baseline runs the union of the other variants' scenarios", variant.Request{Variants: []string{"baseline", "replicas-4", "daemonset"}},
			"wp-config-break pod-eviction image-roll node-halt wp-config-break@replicas-4 pod-eviction@replicas-4 image-roll@replicas-4 node-halt@replicas-4 " +
				"wp-config-break@daemonset pod-eviction@daemonset image-roll@daemonset", true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := variant.Plan(wordpressApp(t), wordpress.Variants(), tt.req)
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
	m, err := variant.Plan(wordpressApp(t), wordpress.Variants(), variant.Request{Variants: []string{"liveness-none", "readiness-none"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range m.Cells {
		got := c.Timing.Deadline
		if want := 90 * time.Second; c.Variant.Name == "liveness-none" && got != want {
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
		req  variant.Request
		want string
	}{
		{"unknown variant", variant.Request{Variants: []string{"no-pbd"}}, `unknown variant(s) "no-pbd"; known: baseline,`},
		{"unknown scenario", variant.Request{Variants: []string{"no-pdb"}, Scenarios: []string{"nod-halt"}}, "unknown scenario(s) nod-halt"},
		{"a pair asked by name that the scenario refuses", variant.Request{Variants: []string{"daemonset"}, Scenarios: []string{"node-halt"}},
			"variant daemonset: node-halt cannot run against WordPress DaemonSet"},
		{"one replica and node halt", variant.Request{Variants: []string{"replicas-1"}, Scenarios: []string{"node-halt"}}, "node-halt cannot run against WordPress Deployment x1 (maxSurge 1, maxUnavailable 0), liveness httpGet /wp-login.php every 10s x3, readiness httpGet / every 5s x2, preStop sleep 10s, PDB maxUnavailable 1; MySQL StatefulSet x1 on a local-path PVC, exec probes (mysqladmin ping, SELECT 1; client timeout 2 s): it needs at least 2 replicas: WordPress has 1"},
		{"default matrix of variants outside it", variant.Request{Default: true, Variants: []string{"surge-25"}}, "nothing to run"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := variant.Plan(wordpressApp(t), wordpress.Variants(), tt.req)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

// A pair the plan chose itself (not asked by name) that the scenario
// refuses is left out with its reason rather than failing the run.
func TestPlanSkipsRefusedPairsItChose(t *testing.T) {
	set := append(wordpress.Variants()[:1:1], variant.Variant{Name: "ds", Question: "?",
		Patch:     variant.Patches(variant.ObjectPatch{Kind: "Deployment", Name: "wordpress", Patch: "spec: {replicas: 1}"}),
		Scenarios: []string{"image-roll", "node-halt"}})
	m, err := variant.Plan(wordpressApp(t), set, variant.Request{Variants: []string{"ds"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := cellNames(m); got != "image-roll@ds" || len(m.Skipped) != 1 || !strings.Contains(m.Skipped[0], "node-halt@ds: node-halt cannot run") {
		t.Errorf("cells %q skipped %q", got, m.Skipped)
	}
	if _, err := variant.Plan(wordpressApp(t), set, variant.Request{Variants: []string{"ds"}, Scenarios: []string{"image-roll", "node-halt"}}); err == nil {
		t.Error("the same pair asked by name must be an error")
	}
}
