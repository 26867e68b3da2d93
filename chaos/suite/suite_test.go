package suite_test

import (
	"context"
	"io"
	"strings"
	"testing"

	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/e2e-framework/pkg/features"

	"github.com/selfheal/selfheal/chaos/app"
	"github.com/selfheal/selfheal/chaos/suite"
	"github.com/selfheal/selfheal/chaos/variant"
	"github.com/selfheal/selfheal/fixtures/wordpress"
)

// shop is an app selfheal did not write, described in YAML as a team
// would (chaos/app/testdata/shop).
func shop(t *testing.T) app.App {
	t.Helper()
	a, err := app.ReadFile("../app/testdata/shop/app.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return a
}

type feature struct {
	name   string
	labels map[string]string
}

func summary(fs []features.Feature) []feature {
	var out []feature
	for _, f := range fs {
		l := map[string]string{}
		for k, v := range f.Labels() {
			l[k] = strings.Join(v, ",")
		}
		out = append(out, feature{f.Name(), l})
	}
	return out
}

func names(fs []feature) string {
	var n []string
	for _, f := range fs {
		n = append(n, f.name)
	}
	return strings.Join(n, " ")
}

// The features are the cells, named and labelled as the framework's
// flags choose them: scenario, fault family, set, variant, repetition.
func TestFeaturesAndLabels(t *testing.T) {
	s, err := suite.New(nil, shop(t), suite.WithScenarios("node-halt", "pod-eviction"), suite.WithRepeat(2), suite.WithOutput(io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	got := summary(s.Features())
	if n := names(got); n != "pod-eviction#1 pod-eviction#2 pod-eviction repetitions node-halt#1 node-halt#2 node-halt repetitions" {
		t.Fatalf("features %s", n)
	}
	want := []map[string]string{
		{"scenario": "pod-eviction", "fault": "eviction", "set": "core", "variant": "baseline", "repetition": "1"},
		{"scenario": "pod-eviction", "fault": "eviction", "set": "core", "variant": "baseline", "repetition": "2"},
		{"scenario": "pod-eviction", "fault": "eviction", "set": "core", "variant": "baseline", "repetition": "all"},
		{"scenario": "node-halt", "fault": "node", "set": "core", "variant": "baseline", "repetition": "1"},
	}
	for i, w := range want {
		for k, v := range w {
			if got[i].labels[k] != v {
				t.Errorf("%s: label %s=%q, want %q (labels %v)", got[i].name, k, got[i].labels[k], v, got[i].labels)
			}
		}
	}
	for _, f := range s.Features() {
		if len(f.Steps()) == 0 {
			t.Errorf("%s has no step", f.Name())
		}
	}
}

// The framework's selection flags keep only the features that will run,
// and name scenarios and variants: -labels scenario=X,variant=Y asks for
// the pair even when the variant is not meant for it.
func TestSelectionFromTheEnvironment(t *testing.T) {
	wp := func(t *testing.T) app.App {
		c, err := wordpress.New(wordpress.WithImages("wp:1", "db:1"))
		if err != nil {
			t.Fatal(err)
		}
		return c.App("wp:2")
	}
	tests := []struct {
		name string
		app  func(*testing.T) app.App
		cfg  *envconf.Config
		opts []suite.Option
		want string
	}{
		{"labels name the scenario", shop, envconf.New().WithLabels(map[string][]string{"scenario": {"image-roll"}}), nil, "image-roll"},
		{"skip a fault family", shop, envconf.New().WithSkipLabels(map[string][]string{"fault": {"node", "process", "network"}}),
			[]suite.Option{suite.WithScenarios("pod-eviction", "node-halt", "mysql-crash", "db-partition")}, "pod-eviction"},
		{"a feature regex", shop, envconf.New().WithFeatureRegex("^image"), []suite.Option{suite.WithScenarios("pod-eviction", "image-roll")}, "image-roll"},
		{"a variant label picks the variant", wp, envconf.New().WithLabels(map[string][]string{"variant": {"no-pdb"}}),
			[]suite.Option{suite.WithVariants(wordpress.Variants())}, "pod-eviction@no-pdb node-drain@no-pdb"},
		{"a pair by labels", wp, envconf.New().WithLabels(map[string][]string{"scenario": {"image-roll"}, "variant": {"no-pdb"}}),
			[]suite.Option{suite.WithVariants(wordpress.Variants())}, "image-roll@no-pdb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := suite.New(tt.cfg, tt.app(t), append(tt.opts, suite.WithOutput(io.Discard))...)
			if err != nil {
				t.Fatal(err)
			}
			if got := names(summary(s.Features())); got != tt.want {
				t.Errorf("features %q, want %q", got, tt.want)
			}
		})
	}
}

// Every mistake is refused by New, before any work, naming it.
func TestNewRefuses(t *testing.T) {
	broken := shop(t)
	broken.Serving.Service = ""
	noDB := shop(t)
	noDB.Database, noDB.Writes = nil, nil
	tests := []struct {
		name string
		app  app.App
		opts []suite.Option
		want string
	}{
		{"a field missing", broken, nil, "serving.service: Required value"},
		{"an unknown scenario", shop(t), []suite.Option{suite.WithScenarios("nod-halt")}, "unknown scenario(s) nod-halt"},
		{"a scenario the app cannot give", noDB, []suite.Option{suite.WithScenarios("mysql-crash")}, "mysql-crash cannot run against"},
		{"budgets naming no scenario", shop(t), []suite.Option{suite.WithBudgets("nod-halt.recovery=1m")}, "no scenario named nod-halt"},
		{"a bad budget", shop(t), []suite.Option{suite.WithBudgets("*.downtime=abc")}, `downtime="abc"`},
		{"an unknown variant", shop(t), []suite.Option{suite.WithVariants(variant.Set{variant.Base()}, "no-pdb")}, `unknown variant(s) "no-pdb"`},
		{"too many repetitions", shop(t), []suite.Option{suite.WithRepeat(101)}, "repetitions must be between 1 and 100"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := suite.New(nil, tt.app, append(tt.opts, suite.WithOutput(io.Discard))...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err %v, want %q", err, tt.want)
			}
		})
	}
}

// Setup needs a cluster: without a kubeconfig it says so and touches
// nothing.
func TestSetupWithoutACluster(t *testing.T) {
	s, err := suite.New(nil, shop(t), suite.WithScenarios("pod-eviction"), suite.WithOutput(io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Setup(context.Background(), envconf.New()); err == nil || !strings.Contains(err.Error(), "no cluster") {
		t.Errorf("err %v", err)
	}
	if _, err := s.Finish(context.Background(), envconf.New()); err != nil {
		t.Errorf("Finish without a session: %v", err)
	}
}

// With repeat auto the features are the first batch of each cell, and
// no feature judges the repetitions yet: Test runs the rounds the looks
// ask for.
func TestRepeatAutoPlansTheFirstBatch(t *testing.T) {
	s, err := suite.New(nil, shop(t), suite.WithScenarios("pod-eviction"), suite.WithRepeatAuto(), suite.WithOutput(io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	got := summary(s.Features())
	if len(got) < 2 || strings.Contains(names(got), "repetitions") || got[0].labels["repetition"] != "1" {
		t.Errorf("first batch %s", names(got))
	}
	for _, c := range s.Cells() {
		if !c.Auto {
			t.Errorf("%s is not an auto cell", c.Name())
		}
	}
}
