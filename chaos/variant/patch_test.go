package variant_test

import (
	"strings"
	"testing"

	"github.com/selfheal/selfheal/chaos/app"
	"github.com/selfheal/selfheal/chaos/catalog"
	"github.com/selfheal/selfheal/chaos/variant"
)

func shop(t *testing.T) app.App {
	t.Helper()
	a, err := app.ReadFile("../app/testdata/shop/app.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// A variant of an app selfheal did not write is patches of its objects:
// the patched app is what the scenarios judge and run against.
func TestPatches(t *testing.T) {
	one := variant.Variant{Name: "one-replica", Question: "?", Scenarios: []string{"node-halt", "pod-eviction"},
		Patch: variant.Patches(variant.ObjectPatch{Kind: "Deployment", Name: "web", Patch: "spec:\n  replicas: 1\n  template:\n    spec:\n      containers:\n      - name: web\n        readinessProbe: null\n"})}
	s, err := variant.Shape(t.Context(), shop(t), one)
	if err != nil {
		t.Fatal(err)
	}
	if s.Serving.Replicas != 1 || s.Serving.Readiness() != nil || s.Serving.Liveness() == nil || len(s.Serving.Template.Spec.Containers) != 2 {
		t.Errorf("patched web: replicas %d, readiness %v, liveness %v, %d containers", s.Serving.Replicas, s.Serving.Readiness(), s.Serving.Liveness(), len(s.Serving.Template.Spec.Containers))
	}
	base, err := variant.Shape(t.Context(), shop(t), variant.Base())
	if err != nil || base.Serving.Replicas != 3 || base.Serving.Readiness() == nil {
		t.Fatalf("the base changed with its variant: %+v %v", base.Serving, err)
	}
	m, err := variant.Plan(shop(t), variant.Set{variant.Base(), one}, variant.Request{Variants: []string{"one-replica"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := cellNames(m); got != "pod-eviction@one-replica" || len(m.Skipped) != 1 || !strings.Contains(m.Skipped[0], "needs at least 2 replicas: Shop has 1") {
		t.Errorf("cells %q skipped %q", got, m.Skipped)
	}
}

func TestPatchesRefused(t *testing.T) {
	tests := []struct {
		name  string
		app   func(app.App) app.App
		patch variant.ObjectPatch
		want  string
	}{
		{"no such object", func(a app.App) app.App { return a }, variant.ObjectPatch{Kind: "Deployment", Name: "api", Patch: "spec: {replicas: 1}"}, "patch of Deployment api: the app deploys no such object"},
		{"not YAML", func(a app.App) app.App { return a }, variant.ObjectPatch{Kind: "Deployment", Name: "web", Patch: "spec: [1"}, "the patch is not YAML"},
		{"an app deployed already", func(a app.App) app.App { a.Deploy = app.Deploy{Existing: true}; return a }, variant.ObjectPatch{Kind: "Deployment", Name: "web", Patch: "{}"}, "deployed already"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := variant.Variant{Name: "v", Patch: variant.Patches(tt.patch)}
			_, err := variant.Shape(t.Context(), tt.app(shop(t)), v)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "variant v") {
				t.Errorf("err %v, want %q", err, tt.want)
			}
		})
	}
}

// The baseline of an app that names no variants runs every scenario
// the app offers what it needs; the others are left out, each saying
// what is missing.
func TestBaseOfAnAppWithoutADatabase(t *testing.T) {
	a := shop(t)
	a.Database, a.Writes = nil, nil
	m, err := variant.Plan(a, variant.Set{variant.Base()}, variant.Request{})
	if err != nil {
		t.Fatal(err)
	}
	skipped := strings.Join(m.Skipped, "\n")
	for _, name := range []string{"mysql-crash", "mysql-hang", "db-partition", "mysql-node-halt"} {
		if !strings.Contains(skipped, name+"@baseline: "+name+" cannot run against") || !strings.Contains(skipped, "needs "+string(catalog.Database)) {
			t.Errorf("%s not left out for want of a database:\n%s", name, skipped)
		}
	}
	if got := cellNames(m); !strings.Contains(got, "wp-config-break") || !strings.Contains(got, "node-halt") || strings.Contains(got, "mysql") {
		t.Errorf("cells %s", got)
	}
}

func TestSetCheck(t *testing.T) {
	tests := []struct {
		name string
		set  variant.Set
		want string
	}{
		{"no baseline first", variant.Set{{Name: "x"}}, "the first variant must be baseline"},
		{"a name twice", variant.Set{variant.Base(), {Name: "x"}, {Name: "x"}}, "variant x is named twice"},
		{"an unknown scenario", variant.Set{variant.Base(), {Name: "x", Scenarios: []string{"nod-halt"}}}, "variant x: unknown scenario(s) nod-halt"},
		{"a default it does not matter to", variant.Set{variant.Base(), {Name: "x", Scenarios: []string{"node-halt"}, Default: []string{"image-roll"}}}, "default scenario image-roll is not one it matters to"},
	}
	for _, tt := range tests {
		if err := tt.set.Check(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err %v, want %q", tt.name, err, tt.want)
		}
	}
	if err := (variant.Set{variant.Base()}).Check(); err != nil {
		t.Errorf("the base alone: %v", err)
	}
}
