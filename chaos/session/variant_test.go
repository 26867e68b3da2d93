package session

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/selfheal/selfheal/chaos/app"
	"github.com/selfheal/selfheal/chaos/catalog"
	"github.com/selfheal/selfheal/chaos/plan"
	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/chaos/variant"
	"github.com/selfheal/selfheal/fixtures/wordpress"
	"github.com/selfheal/selfheal/reports/html"
)

// wordpressApp is the WordPress fixture, and shape it as it runs.
func wordpressApp(t *testing.T) (app.App, app.Shape) {
	t.Helper()
	c, err := wordpress.New(wordpress.WithImages("wp:1", "db:1"))
	if err != nil {
		t.Fatal(err)
	}
	a := c.App("wp:2")
	s, err := variant.Shape(t.Context(), a, variant.Base())
	if err != nil {
		t.Fatal(err)
	}
	return a, *s
}

func TestResultName(t *testing.T) {
	a, _ := wordpressApp(t)
	cell := func(v string, reps int) plan.Cell {
		m, err := variant.Plan(a, wordpress.Variants(), variant.Request{Variants: []string{v}, Scenarios: []string{"pod-eviction"}})
		if err != nil {
			t.Fatal(err)
		}
		p, err := plan.New(m, reps)
		if err != nil {
			t.Fatal(err)
		}
		return p[len(p)-1]
	}
	tests := []struct {
		dirs bool
		cell plan.Cell
		want string
	}{
		{false, cell("baseline", 1), "pod-eviction.json"},
		{true, cell("baseline", 1), filepath.Join("baseline", "pod-eviction.json")},
		{true, cell("no-pdb", 3), filepath.Join("no-pdb", "pod-eviction.r3.json")},
	}
	for _, tt := range tests {
		// The session's deployed variant does not matter: the cell's does.
		s := &Session{cfg: Config{VariantDirs: tt.dirs}}
		if got := s.resultName(tt.cell); got != tt.want {
			t.Errorf("dirs %v cell %s: %s, want %s", tt.dirs, tt.cell.Name(), got, tt.want)
		}
	}
}

func TestOverheads(t *testing.T) {
	s := &Session{cfg: withDefaults(Config{})}
	if got := s.Overheads(); got != "" {
		t.Errorf("before any cell: %q", got)
	}
	s.costs = []cellCost{
		{name: "switch to no-pdb", wall: 20 * time.Second, isSwitch: true},
		{name: "a", wall: 100 * time.Second, loaded: 90 * time.Second},
		{name: "b", wall: 70 * time.Second, loaded: 50 * time.Second},
	}
	got := s.Overheads()
	for _, want := range []string{"2 cell(s) in 3m10s", "outside the load: 15s per cell", "1 variant switch(es) took 20s", "10s per cell"} {
		if !strings.Contains(got, want) {
			t.Errorf("overheads %q: want %q", got, want)
		}
	}
}

func TestAccountMeasuresOutsideTheLoad(t *testing.T) {
	s := &Session{cfg: withDefaults(Config{})}
	end := time.Now()
	res := &result.Result{Started: end.Add(-2 * time.Second), Ended: end, Requests: result.Requests{Total: 20}}
	s.account("x", time.Now().Add(-3*time.Second), res)
	c := s.costs[0]
	if c.loaded != 2*time.Second || c.wall < 3*time.Second || c.wall > 4*time.Second {
		t.Errorf("cost %+v: want 2s loaded of about 3s", c)
	}
	// A cell that ended before its load started spent all its time
	// outside the load, whatever its result's start and end say.
	s.account("y", time.Now().Add(-3*time.Second), &result.Result{Started: end.Add(-3 * time.Second), Ended: end})
	if c := s.costs[1]; c.loaded != 0 || c.isSwitch {
		t.Errorf("cost %+v: want nothing loaded, and not a switch", c)
	}
}

// A variant that could not be deployed is not tried again for its other
// cells (each would wait for the steady state in vain), and each of them
// gets a result saying why, in the variant's directory.
func TestCellsOfAnUnusableVariant(t *testing.T) {
	dir := t.TempDir()
	broken := errors.New("deploying variant no-pdb: not at the desired state after 5m0s")
	a, shape := wordpressApp(t)
	s := &Session{cfg: withDefaults(Config{VariantDirs: true, App: a}), runDir: dir, unusable: map[string]error{"no-pdb": broken},
		app: shape, cluster: catalog.Cluster{KindNodes: true, Workers: 2}}
	s.variant = wordpress.Variants()[0]
	m, err := variant.Plan(a, wordpress.Variants(), variant.Request{Variants: []string{"no-pdb"}})
	if err != nil {
		t.Fatal(err)
	}
	p, err := plan.New(m, 2)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range p {
		began := time.Now()
		res, err := s.RunCell(context.Background(), c)
		if !errors.Is(err, broken) || res == nil || res.Verdict != result.VerdictError || !strings.Contains(res.Error, "not at the desired state") {
			t.Fatalf("%s: result %+v, err %v; want an error result naming the failed deployment", c.Name(), res, err)
		}
		if time.Since(began) > time.Second {
			t.Errorf("%s took %s: the variant was tried again", c.Name(), time.Since(began))
		}
		if res.Run == nil || res.Scenario != c.Scenario() || res.Repetition != c.Repetition {
			t.Errorf("%s: result names scenario %q repetition %d run %+v", c.Name(), res.Scenario, res.Repetition, res.Run)
		}
		if _, err := os.Stat(filepath.Join(dir, "no-pdb", c.FileName())); err != nil {
			t.Errorf("%s: no result file: %v", c.Name(), err)
		}
	}
}

// A run over baseline and a variant compares them as selfheal compare
// does, on the screen and in a page per variant.
func TestCompareVariants(t *testing.T) {
	dir := t.TempDir()
	con := &logConsole{}
	s := &Session{cfg: withDefaults(Config{VariantDirs: true, Console: con}), runDir: dir}
	loaded, _, err := result.ReadPaths(context.Background(), "../../reports/testdata/repeated")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range result.Results(loaded) {
		if r.Scenario != "pod-eviction" {
			continue
		}
		base, other := *r, *r
		b, o := *r.Run, *r.Run
		b.Variant, o.Variant = "baseline", "no-pdb"
		base.Run, other.Run = &b, &o
		other.DowntimeMS += 5000
		s.results = append(s.results, &base, &other)
	}
	if len(s.results) < 4 {
		t.Fatalf("%d results from the sample", len(s.results))
	}
	if err := s.compareVariants(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "compare-no-pdb.html")); err != nil {
		t.Error(err)
	}
	all := strings.Join(con.lines, "\n")
	if !strings.Contains(all, "variant no-pdb against baseline") || !strings.Contains(all, "pod-eviction") || !strings.Contains(all, "downtime") {
		t.Errorf("console:\n%s", all)
	}
	if _, err := os.Stat(filepath.Join(dir, "compare-baseline.html")); err == nil {
		t.Error("baseline compared with itself")
	}
}

// A run over variants writes variants.html; a run over one variant does
// not.
func TestWriteVariants(t *testing.T) {
	for _, tt := range []struct {
		name, dir string
		want      bool
	}{
		{"baseline and variants", "../../reports/testdata/variants", true},
		{"one variant", "../../reports/testdata/repeated", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			con := &logConsole{}
			s := &Session{cfg: withDefaults(Config{VariantDirs: true, Console: con}), runDir: dir}
			loaded, _, err := result.ReadPaths(context.Background(), tt.dir)
			if err != nil {
				t.Fatal(err)
			}
			s.results = result.Results(loaded)
			if err := s.writeVariants(context.Background()); err != nil {
				t.Fatal(err)
			}
			_, err = os.Stat(filepath.Join(dir, html.VariantsFile))
			if got := err == nil; got != tt.want {
				t.Errorf("variants.html written: %v, want %v (%v)", got, tt.want, err)
			}
			// The console gives the answer too: the pick and the change
			// that moved downtime most (no PDB, in the sample).
			for _, w := range []string{"which variant to pick", "pod-eviction: baseline", "most: no-pdb"} {
				if got := strings.Contains(strings.Join(con.lines, "\n"), w); got != tt.want {
					t.Errorf("console has %q: %v, want %v", w, got, tt.want)
				}
			}
			if logged := strings.Contains(strings.Join(con.lines, "\n"), html.VariantsFile); logged != tt.want {
				t.Errorf("console names the page: %v, want %v:\n%s", logged, tt.want, strings.Join(con.lines, "\n"))
			}
		})
	}
}

// The pre-flight says which cells can run on this cluster against the
// app and refuses the others by name, saying what each lacks; a refused
// cell is not run and writes no result.
func TestPreflight(t *testing.T) {
	a, shape := wordpressApp(t)
	m, err := variant.Plan(a, wordpress.Variants(), variant.Request{Scenarios: []string{"pod-eviction", "node-halt", "mysql-crash", "dns-outage"}})
	if err != nil {
		t.Fatal(err)
	}
	p, err := plan.New(m, 2)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		cluster catalog.Cluster
		shape   func(app.Shape) app.Shape
		runs    string
		refused []string
	}{
		{"the kind cluster", catalog.Cluster{KindNodes: true, Workers: 2}, nil,
			"pod-eviction#1 pod-eviction#2 mysql-crash#1 mysql-crash#2 dns-outage#1 dns-outage#2 node-halt#1 node-halt#2", nil},
		{"another cluster, one worker", catalog.Cluster{Workers: 1}, nil,
			"pod-eviction#1 pod-eviction#2 dns-outage#1 dns-outage#2",
			[]string{"mysql-crash cannot run against", "it needs the local kind cluster's node containers (docker): the cluster is not the local kind cluster",
				"node-halt cannot run against", "it needs at least 2 schedulable workers: the cluster has 1"}},
		{"an app without a database", catalog.Cluster{KindNodes: true, Workers: 2},
			func(s app.Shape) app.Shape { s.App.Database, s.App.Writes, s.Database = nil, nil, nil; return s },
			"pod-eviction#1 pod-eviction#2 dns-outage#1 dns-outage#2 node-halt#1 node-halt#2",
			[]string{"mysql-crash cannot run against", "it needs a database workload: WordPress has none (database)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sh := shape
			if tt.shape != nil {
				sh = tt.shape(shape)
			}
			s := &Session{cfg: withDefaults(Config{App: a}), app: sh, cluster: tt.cluster, variant: wordpress.Variants()[0]}
			ok, refused := s.Preflight(context.Background(), p)
			var names []string
			for _, c := range ok {
				names = append(names, c.Name())
			}
			if got := strings.Join(names, " "); got != tt.runs {
				t.Errorf("runs %s\nwant %s", got, tt.runs)
			}
			all := fmt.Sprint(refused)
			for _, w := range tt.refused {
				if !strings.Contains(all, w) {
					t.Errorf("refusals %s\ndo not say %q", all, w)
				}
			}
			if len(tt.refused) == 0 && len(refused) > 0 {
				t.Errorf("refused %v", refused)
			}
			for _, r := range refused {
				var re *catalog.RefusedError
				if !errors.As(r, &re) {
					t.Errorf("%v is not a RefusedError", r)
				}
			}
			// A refused cell is not run: no result, the refusal as its error.
			for _, c := range p {
				if s.Refusal(context.Background(), c) == nil {
					continue
				}
				res, err := s.RunCell(context.Background(), c)
				var re *catalog.RefusedError
				if res != nil || !errors.As(err, &re) || re.Scenario != c.Scenario() {
					t.Errorf("%s: result %v err %v; want no result and its refusal", c.Name(), res, err)
				}
			}
		})
	}
}
