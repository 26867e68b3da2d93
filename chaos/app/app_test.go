package app_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/selfheal/selfheal/chaos/app"
)

const shop = "testdata/shop"

func readShop(t *testing.T) app.App {
	t.Helper()
	a, err := app.ReadFile(filepath.Join(shop, "app.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestReadFile(t *testing.T) {
	a := readShop(t)
	if a.Name != "Shop" || a.Namespace != "shop" || a.Serving.Kind != app.Deployment || a.Serving.Service != "web" ||
		a.Database == nil || a.Database.Port != 5432 || a.Writes == nil || len(a.Writes.Count.Command) != 4 || a.ConfigBreak == nil {
		t.Errorf("read %+v", a)
	}
	// A relative deploy path is the file's directory's.
	if want := filepath.Join(shop, "manifests"); a.Deploy.Manifests != want {
		t.Errorf("manifests %q, want %q", a.Deploy.Manifests, want)
	}
	if got := a.Load.URLs(); strings.Join(got, " ") != "http://127.0.0.1:30081/ http://127.0.0.1:30081/products" {
		t.Errorf("targets %q", got)
	}
}

// The database's title (what people call it) and its workload's name are
// two fields of the file: with both named "name", the workload's could not
// be set.
func TestDatabaseTitleAndWorkloadName(t *testing.T) {
	file, err := os.ReadFile(filepath.Join(shop, "app.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	file = bytes.Replace(file, []byte("  selector: app=db\n"), []byte("  name: db\n"), 1)
	a, err := app.Parse(file, shop)
	if err != nil {
		t.Fatal(err)
	}
	if d := a.Database; d == nil || d.Title != "PostgreSQL" || d.Name != "db" {
		t.Errorf("database %+v, want title PostgreSQL and workload name db", d)
	}
}

// valid is a description every case of TestValidate breaks in one place.
func valid() app.App {
	return app.App{Name: "Shop", Namespace: "shop", Deploy: app.Deploy{Manifests: filepath.Join(shop, "manifests")},
		Serving:  app.Serving{Workload: app.Workload{Kind: app.Deployment, Name: "web"}, Service: "web"},
		Load:     app.Load{Base: "http://127.0.0.1:30081", Paths: []string{"/"}},
		Database: &app.Database{Title: "PostgreSQL", Workload: app.Workload{Kind: app.StatefulSet, Name: "db"}, Port: 5432},
		Writes:   &app.Writes{Path: "/writes", Count: app.Count{Command: []string{"count"}}}}
}

// Every problem is found before any work, and named by its YAML path.
func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(*app.App)
		want   []string
	}{
		{"valid", func(*app.App) {}, nil},
		{"no name", func(a *app.App) { a.Name = " " }, []string{"name: Required value"}},
		{"namespace", func(a *app.App) { a.Namespace = "Shop_1" }, []string{`namespace: Invalid value: "Shop_1"`}},
		{"no way to deploy", func(a *app.App) { a.Deploy = app.Deploy{} }, []string{"deploy: Required value: one of manifests"}},
		{"two ways to deploy", func(a *app.App) { a.Deploy.Existing = true }, []string{"deploy: Invalid value: \"manifests, existing\": give exactly one"}},
		{"manifests not a directory", func(a *app.App) { a.Deploy.Manifests = "testdata/none" }, []string{"deploy.manifests: Invalid value: \"testdata/none\": not a directory"}},
		{"kustomization without its file", func(a *app.App) { a.Deploy = app.Deploy{Kustomization: filepath.Join(shop, "manifests")} }, []string{"deploy.kustomization: Invalid value", "holds no kustomization.yaml"}},
		{"kind", func(a *app.App) { a.Serving.Kind = "Deploy" }, []string{`serving.kind: Unsupported value: "Deploy": supported values: "Deployment", "StatefulSet", "DaemonSet"`}},
		{"no kind", func(a *app.App) { a.Serving.Kind = "" }, []string{"serving.kind: Required value"}},
		{"neither name nor selector", func(a *app.App) { a.Serving.Name = "" }, []string{"serving.name: Required value"}},
		{"name and selector", func(a *app.App) { a.Serving.Selector = "app=web" }, []string{"serving.selector: Invalid value: \"app=web\": give the name or a selector, not both"}},
		{"bad selector", func(a *app.App) { a.Serving.Name, a.Serving.Selector = "", "app in (web" }, []string{"serving.selector: Invalid value"}},
		{"no service", func(a *app.App) { a.Serving.Service = "" }, []string{"serving.service: Required value"}},
		{"no base", func(a *app.App) { a.Load.Base = "" }, []string{"load.base: Required value"}},
		{"base not http", func(a *app.App) { a.Load.Base = "ftp://x" }, []string{`load.base: Invalid value: "ftp://x"`}},
		{"no paths", func(a *app.App) { a.Load.Paths = nil }, []string{"load.paths: Required value"}},
		{"a path without /", func(a *app.App) { a.Load.Paths = []string{"/", "products"} }, []string{`load.paths[1]: Invalid value: "products": a path begins with /`}},
		{"database without port", func(a *app.App) { a.Database.Port = 0 }, []string{"database.port: Invalid value: 0"}},
		{"database kind", func(a *app.App) { a.Database.Kind = "Pod" }, []string{`database.kind: Unsupported value: "Pod"`}},
		{"writes without count", func(a *app.App) { a.Writes.Count = app.Count{} }, []string{"writes.count: Required value"}},
		{"writes counted twice", func(a *app.App) { a.Writes.Count.MySQLTable = "w" }, []string{"writes.count.command: Invalid value"}},
		{"bad table", func(a *app.App) { a.Writes.Count = app.Count{MySQLTable: "w`; drop"} }, []string{"writes.count.mysqlTable: Invalid value"}},
		{"writes without database", func(a *app.App) { a.Database = nil }, []string{"database: Required value: writes are counted inside the database's pod"}},
		{"config break without its check", func(a *app.App) { a.ConfigBreak = &app.ConfigBreak{Break: []string{"x"}} }, []string{"configBreak.broken: Required value"}},
		{"every problem at once", func(a *app.App) { a.Name, a.Serving.Service, a.Load.Paths = "", "", nil },
			[]string{"name: Required value", "serving.service: Required value", "load.paths: Required value"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := valid()
			tt.change(&a)
			err := a.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted; want %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not say %q", err, w)
				}
			}
		})
	}
}

// A misspelt or repeated field in the file is refused, naming it: it
// would otherwise be left out without a word.
func TestParseRefusesUnknownFields(t *testing.T) {
	tests := []struct{ yaml, want string }{
		{"name: x\nnamespce: shop\n", `unknown field "namespce"`},
		{"name: x\nserving: {kind: Deployment, nmae: web}\n", `unknown field "serving.nmae"`},
		{"name: x\nname: z\n", `"name"`},
		{"name: [x\n", "not YAML"},
	}
	for _, tt := range tests {
		if _, err := app.Parse([]byte(tt.yaml), "."); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: err %v, want %q", tt.yaml, err, tt.want)
		}
	}
}

func TestReadFileNamesTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.yaml")
	os.WriteFile(path, []byte("name: x\n"), 0o644)
	_, err := app.ReadFile(path)
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "namespace: Required value") {
		t.Errorf("err %v: want the file and the missing fields named", err)
	}
}

// The workloads are found among the objects the app deploys, from a
// directory of manifests or a kustomization, by name or by selector.
func TestResolve(t *testing.T) {
	tests := []struct {
		name     string
		change   func(*app.App)
		replicas int32
		err      string
	}{
		{"manifests, by name", func(*app.App) {}, 3, ""},
		{"kustomization", func(a *app.App) { a.Deploy = app.Deploy{Kustomization: shop} }, 2, ""},
		{"by selector", func(a *app.App) { a.Serving.Name, a.Serving.Selector = "", "tier=front" }, 3, ""},
		{"no such workload", func(a *app.App) { a.Serving.Name = "webb" }, 0, "serving.name: no Deployment webb among the objects the app deploys"},
		{"a selector that matches none", func(a *app.App) { a.Serving.Name, a.Serving.Selector = "", "tier=back" }, 0, "serving.selector: no Deployment with labels tier=back"},
		{"the wrong kind", func(a *app.App) { a.Database.Kind = app.Deployment }, 0, "database.selector: no Deployment with labels app=db"},
		{"two containers, none named", func(a *app.App) { a.Serving.Container = "" }, 0, "serving.container: the pods have 2 containers (web, sidecar): name one"},
		{"no such container", func(a *app.App) { a.Serving.Container = "api" }, 0, `serving.container: the pods have no container "api"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := readShop(t)
			tt.change(&a)
			objs, err := a.Objects(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			s, err := app.Resolve(a, objs)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			w := s.Serving
			if w.Name != "web" || w.Pods != "app=web" || w.Replicas != tt.replicas || w.Container.Name != "web" ||
				w.MaxSurge != "1" || w.MaxUnavailable != "0" || w.PreStopSleep() != 5*time.Second || w.Readiness() == nil {
				t.Errorf("serving %+v", w)
			}
			db := s.Database
			if db == nil || db.Name != "db" || db.Pod0() != "db-0" || db.Container.Name != "postgres" || db.Grace() != 20*time.Second {
				t.Errorf("database %+v", db)
			}
			for _, o := range objs {
				if o.GetNamespace() != "shop" {
					t.Errorf("%s %s in namespace %q, want the app's", o.GetObjectKind().GroupVersionKind().Kind, o.GetName(), o.GetNamespace())
				}
			}
		})
	}
}

// The summary results keep says the set-up: two different set-ups never
// read alike.
func TestDescribe(t *testing.T) {
	a := readShop(t)
	objs, _ := a.Objects(t.Context())
	s, err := app.Resolve(a, objs)
	if err != nil {
		t.Fatal(err)
	}
	want := "Shop Deployment web x3 (maxSurge 1, maxUnavailable 0), liveness httpGet /healthz, readiness httpGet /healthz, preStop sleep 5s; PostgreSQL StatefulSet db x1, liveness exec sh -c pg_isready -t 2"
	if got := s.Describe(); got != want {
		t.Errorf("describe:\n got %s\nwant %s", got, want)
	}
	a.Summary = "the shop, as the team calls it"
	if s2, _ := app.Resolve(a, objs); s2.Describe() != a.Summary {
		t.Errorf("a summary given is not kept: %q", s2.Describe())
	}
}

func TestObjectsOutsideTheNamespace(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.yaml"), []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: other}\n"), 0o644)
	a := valid()
	a.Deploy.Manifests = dir
	if _, err := a.Objects(t.Context()); err == nil || !strings.Contains(err.Error(), "ConfigMap other/c") {
		t.Errorf("err %v: want the object outside the namespace named", err)
	}
}
