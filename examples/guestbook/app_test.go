package main

import (
	"slices"
	"testing"

	"github.com/selfheal/selfheal/chaos/app"
	"github.com/selfheal/selfheal/chaos/suite"
)

// TestDescription reads app.yaml as selfheal does (every field checked)
// and plans the suite over it, before any cluster: the scenarios this
// example must run (an eviction, an image roll, a node halt, a database
// fault with its writes checked, the config break) are all offered what
// they need by the description and the manifests it points at.
func TestDescription(t *testing.T) {
	a, err := app.ReadFile("app.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"wp-config-break", "pod-eviction", "image-roll", "node-halt", "mysql-crash", "mysql-node-halt"}
	s, err := suite.New(nil, a, suite.WithScenarios(want...))
	if err != nil {
		t.Fatalf("planning %v over app.yaml: %v", want, err)
	}
	var got []string
	for _, f := range s.Features() {
		got = append(got, f.Labels()["scenario"]...)
	}
	for _, name := range want {
		if !slices.Contains(got, name) {
			t.Errorf("no feature for %s (features: %v)", name, got)
		}
	}
	// The planning refuses what a description lacks, so the pass above
	// means something.
	a.ConfigBreak = nil
	if _, err := suite.New(nil, a, suite.WithScenarios("wp-config-break")); err == nil {
		t.Error("wp-config-break planned over a description without a config break")
	}
}
