package catalog_test

import (
	"slices"
	"testing"
	"time"

	"github.com/selfheal/selfheal/chaos/app"
	"github.com/selfheal/selfheal/chaos/catalog"
	"github.com/selfheal/selfheal/chaos/kube"
	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/chaos/scenario"
	"github.com/selfheal/selfheal/fixtures/wordpress"
)

// wordpressShape is the WordPress fixture with opts, as it will run.
func wordpressShape(t *testing.T, opts ...wordpress.Option) app.Shape {
	t.Helper()
	c, err := wordpress.New(append([]wordpress.Option{wordpress.WithImages("wp:1", "db:1")}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	a := c.App("wp:2")
	objs, err := a.Objects(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	s, err := app.Resolve(a, objs)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func build(t *testing.T, name string, s app.Shape) (catalog.Entry, scenario.Scenario) {
	t.Helper()
	es, err := catalog.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return es[0], es[0].Build(catalog.Env{Client: &kube.Client{}, Cluster: "selfheal", App: s})
}

// wantRepairers checks that the catalog repairs Undos of each kind.
func wantRepairers(t *testing.T, kinds ...string) {
	t.Helper()
	var have []string
	for _, r := range catalog.Repairers(&kube.Client{}) {
		have = append(have, r.Kind())
	}
	for _, k := range kinds {
		if !slices.Contains(have, k) {
			t.Errorf("no repairer for %q", k)
		}
	}
}

func bound(s scenario.Scenario, k result.MetricKey) time.Duration {
	for _, b := range s.Bounds {
		if b.Metric == k {
			return time.Duration(b.MS) * time.Millisecond
		}
	}
	return 0
}

func dur(d *time.Duration) time.Duration {
	if d == nil {
		return 0
	}
	return *d
}
