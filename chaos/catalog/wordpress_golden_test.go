package catalog_test

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/selfheal/selfheal/chaos/catalog"
	"github.com/selfheal/selfheal/chaos/kube"
	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/chaos/scenario"
	"github.com/selfheal/selfheal/chaos/variant"
	"github.com/selfheal/selfheal/fixtures/wordpress"
)

var update = flag.Bool("update", false, "rewrite testdata/wordpress.golden.json")

// built is what a scenario is, for the golden file: every field a result
// or a verdict reads.
type built struct {
	Variant, Name, FaultFamily, Set, Breaks, Heals string
	Refused                                        bool
	Description, HealingCondition                  string `json:",omitempty"`
	Fault, FaultType                               string `json:",omitempty"`
	Budgets                                        string `json:",omitempty"`
	Bounds                                         []result.Bound
	Timing                                         scenario.Timing
	Writes, Prepare, Restored                      bool
}

func TestWordPressGolden(t *testing.T) {
	var got []built
	cfg, err := wordpress.New(wordpress.WithImages("wp:1", "db:1"))
	if err != nil {
		t.Fatal(err)
	}
	base := cfg.App("wp:2")
	for _, v := range wordpress.Variants() {
		shape, err := variant.Shape(t.Context(), base, v)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range catalog.Entries() {
			b := built{Variant: v.Name, Name: e.Name, FaultFamily: e.Fault, Set: e.Set}
			b.Breaks, b.Heals = e.Words(*shape)
			if e.Supports(*shape) != nil {
				b.Refused = true
				got = append(got, b)
				continue
			}
			s := e.Build(catalog.Env{Client: &kube.Client{}, Cluster: "selfheal", App: *shape})
			b.Description, b.HealingCondition = s.Description, s.HealingCondition
			b.Fault, b.FaultType = s.Fault.Name(), fmt.Sprintf("%T", s.Fault)
			b.Budgets, b.Bounds, b.Timing = s.Budgets.String(), s.Bounds, s.Timing
			b.Writes, b.Prepare, b.Restored = s.Writes, s.Prepare != nil, s.Restored != nil
			got = append(got, b)
		}
	}
	data, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "wordpress.golden.json")
	if *update {
		if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(want) != string(data)+"\n" {
		t.Errorf("the WordPress scenarios differ from %s (run with -update to see the difference in git)", path)
	}
}
