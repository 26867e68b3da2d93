package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/selfheal/selfheal/chaos/catalog"
	"github.com/selfheal/selfheal/chaos/scenario"
	"github.com/selfheal/selfheal/chaos/variant"
	"github.com/selfheal/selfheal/fixtures"
)

func TestRunBadFlags(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--scenario", "node-hlat"}, `unknown scenario(s) node-hlat; known: wp-config-break, pod-eviction`},
		{[]string{"--rate", "0"}, `invalid value "0" for flag -rate: rate must be a number of requests per second above 0`},
		{[]string{"--timeout", "-1s"}, `invalid value "-1s" for flag -timeout: want a duration above 0`},
		{[]string{"--mode", "cloud"}, `invalid value "cloud" for flag -mode: unknown image mode "cloud"`},
		{[]string{"--budgets", "node-halt.uptime=5s"}, `unknown metric "uptime"`},
		{[]string{"--history", "p=95"}, `invalid value "p=95" for flag -history: history quantile p=95: want between 0 and 1`},
		{[]string{"--history", "last=3"}, `invalid value "last=3" for flag -history: history last=3: a P95 budget needs at least 19 results of history (min), so last must keep that many`},
		{[]string{"node-halt"}, `unexpected argument "node-halt": scenarios are chosen with --scenario`},
		{[]string{"--repeat", "0"}, `invalid value "0" for flag -repeat: repetitions must be between 1 and 100 (got 0)`},
		{[]string{"--repeat", "three"}, `invalid value "three" for flag -repeat`},
		{[]string{"--repeat", "auto", "--repeat-max", "4"}, "--repeat-max 4, downtime,5xx,errors: with at most 4 repetitions a side no difference can be called at α = 0.05 across 3 figure(s)"},
		{[]string{"--repeat", "auto", "--repeat-max", "ten"}, `invalid value "ten" for flag -repeat-max: "ten" is not a whole number`},
		{[]string{"--repeat", "auto", "--repeat-metrics", "downtime,uptime"}, `invalid value "downtime,uptime" for flag -repeat-metrics: no figure named "uptime"`},
		{[]string{"--repeat", "3", "--repeat-max", "12"}, "--repeat-max 12: only --repeat auto (SELFHEAL_REPEAT=auto) uses it, and the repetitions are --repeat 3"},
		{[]string{"--budgets", "node-halt.recovery.p95=60s"}, `unknown statistic "p95" after recovery`},
		{[]string{"--budgets", "*.pass_rate=2"}, "want the least share of repetitions that must pass"},
		{[]string{"--budgets", "nodehalt.pass_rate=1"}, `invalid value "nodehalt.pass_rate=1" for flag -budgets: aggregate budgets: unknown scenario(s) nodehalt`},
		{[]string{"--variant", "no-pbd"}, `--variant: unknown variant(s) "no-pbd"; known: baseline`},
		{[]string{"--variant", "baseline,daemonset", "--scenario", "node-halt"}, "variant daemonset: node-halt cannot run against WordPress DaemonSet"},
		{[]string{"--matrix", "--variant", "surge-25"}, "nothing to run"},
		{[]string{"--run-id", "../x"}, `invalid value "../x" for flag -run-id: "../x" is not a plain directory name`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, _, errb := runWith(context.Background(), strings.NewReader(""), append([]string{"run"}, tt.args...)...)
			if code != 2 || !strings.Contains(errb.String(), tt.want) {
				t.Fatalf("exit %d, stderr %q; want exit 2 naming %q", code, errb.String(), tt.want)
			}
		})
	}
}

// --list shows every scenario with what it breaks, the healing it
// expects and its default budgets; the README's scenario table has a row
// for each.
func TestRunList(t *testing.T) {
	code, out, errb := runWith(context.Background(), strings.NewReader(""), "run", "--list")
	if code != 0 {
		t.Fatalf("exit %d out %q err %q", code, out.String(), errb.String())
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	a, err := wordpressApp(fixtures.ImageSet{WordPress: "wp", WordPressNext: "wp:2", MySQL: "db"})
	if err != nil {
		t.Fatal(err)
	}
	shape, err := variant.Shape(t.Context(), a, variant.Base())
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range catalog.Entries() {
		breaks, heals := e.Words(*shape)
		for _, want := range []string{e.Name + "  (fault " + e.Fault, "breaks:  " + breaks, "heals:   " + heals, "budgets: " + e.Defaults(*shape).Budgets.String()} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("--list lacks %q:\n%s", want, out.String())
			}
		}
		row := tableRow(string(readme), e.Name)
		if row == "" {
			t.Errorf("README.md's scenario table has no row for %s", e.Name)
		}
		// A count budget that follows the rate is said the same way in
		// both: "5xx ≤ 100 s of load".
		b := e.Defaults(*shape).Budgets
		for _, c := range []struct {
			name string
			b    *scenario.RequestBudget
		}{{"5xx", b.Server5xx}, {"transport errors", b.TransportErrors}} {
			if c.b != nil && strings.HasSuffix(c.b.String(), "of load") && !strings.Contains(row, c.name+" ≤ "+c.b.String()) {
				t.Errorf("README.md's row for %s does not say %q", e.Name, c.name+" ≤ "+c.b.String())
			}
		}
	}
}

// tableRow is the README's scenario table row of name, "" when none.
func tableRow(readme, name string) string {
	for line := range strings.Lines(readme) {
		if strings.HasPrefix(line, "| `"+name+"` |") {
			return line
		}
	}
	return ""
}

func TestRunListVariants(t *testing.T) {
	code, out, errb := runWith(context.Background(), strings.NewReader(""), "run", "--list-variants")
	for _, want := range []string{"statefulset-1", "no-pdb", "pod-eviction*", "mysql-probes-tcp", "selfheal run --matrix"} {
		if code != 0 || !strings.Contains(out.String(), want) {
			t.Fatalf("exit %d, out %q (err %q): want %q", code, out.String(), errb.String(), want)
		}
	}
}

// --app reads the app's description and refuses one with a missing or
// wrong field before any work, naming it.
func TestRunApp(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("name: Shop\nnamespace: shop\ndeploy: {existing: true}\nserving: {kind: Deployment, name: web}\nload: {base: http://127.0.0.1:30081, paths: [/]}\n"), 0o644)
	misspelt := filepath.Join(dir, "misspelt.yaml")
	os.WriteFile(misspelt, []byte("name: Shop\nnamespace: shop\nserving: {kind: Deployment, nmae: web}\n"), 0o644)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--app", bad}, "serving.service: Required value"},
		{[]string{"--app", misspelt}, `unknown field "serving.nmae"`},
		{[]string{"--app", filepath.Join(dir, "none.yaml")}, "--app: reading the app description"},
		{[]string{"--app", "../../chaos/app/testdata/shop/app.yaml", "--variant", "no-pdb"}, `unknown variant(s) "no-pdb"; known: baseline`},
	} {
		code, _, errb := runWith(context.Background(), strings.NewReader(""), append([]string{"run"}, tt.args...)...)
		if code != 2 || !strings.Contains(errb.String(), tt.want) {
			t.Errorf("%q: exit %d, stderr %q; want exit 2 naming %q", tt.args, code, errb.String(), tt.want)
		}
	}
	// The scenarios of an app: each with its words and budgets, or why it
	// cannot run against it.
	code, out, errb := runWith(context.Background(), strings.NewReader(""), "run", "--app", "../../chaos/app/testdata/shop/app.yaml", "--list")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, want := range []string{"every Shop pod is evicted", "the PostgreSQL server is killed (SIGKILL to postgres",
		"image-roll  (fault image, set core)\n  breaks:  Shop is rolled to a new image"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("--list lacks %q:\n%s", want, out.String())
		}
	}
}
