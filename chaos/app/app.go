// Package app describes an application selfheal breaks and measures: the
// namespace it runs in, how it gets there, the workload that serves it and
// its Service, the URLs the load asks for and what a healthy answer is,
// and, when the app has them, its database, a write endpoint with a way to
// count the rows it stored, a config break, and a second image to roll to.
//
// The same description is a Go value (App) and a YAML file (ReadFile, for
// `selfheal run --app FILE`); both are checked by Validate before any work,
// with errors that name the field by its YAML path ("serving.kind").
// Resolve reads what the description's objects say (the workload's kind,
// replicas, probes, preStop hook...), which is what the scenarios of
// chaos/catalog need: each says which capabilities it needs, and is refused
// by name when the app lacks one.
//
// The WordPress fixture is one such description (fixtures/wordpress).
package app

import (
	"context"
	"strings"

	"sigs.k8s.io/e2e-framework/klient/k8s"
	"sigs.k8s.io/e2e-framework/klient/k8s/resources"
)

// App describes one application. The zero value is not valid: Namespace,
// Name, a way to deploy, Serving and Load are required (Validate).
type App struct {
	// Name is what people call the app, in the scenarios' words and
	// reports ("WordPress").
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
	// Summary is the app's set-up in one line, kept in every result
	// (run.fixture) and compared by the history: results of differently
	// set-up apps are never held against each other. Empty: a line made
	// from the serving workload (Shape.Describe).
	Summary string  `json:"summary,omitempty"`
	Deploy  Deploy  `json:"deploy"`
	Serving Serving `json:"serving"`
	Load    Load    `json:"load"`
	// NextImage is the image the image roll rolls the serving container
	// to (and back from); without it there is no image roll.
	NextImage string `json:"nextImage,omitempty"`
	// Database is the workload the app keeps its data in, when it has one:
	// the database faults break it, the node faults keep off its node.
	Database *Database `json:"database,omitempty"`
	// Writes is the app's write endpoint and how to count what it stored:
	// the scenarios that break the database, or the app's way to it,
	// then check that no acknowledged write is lost.
	Writes *Writes `json:"writes,omitempty"`
	// ConfigBreak is a break of the app from inside one of its pods, and
	// how to tell it is broken (scenario wp-config-break).
	ConfigBreak *ConfigBreak `json:"configBreak,omitempty"`

	// Setup, in Go only, runs once after the app is first deployed and at
	// its desired state, before any scenario: an installer (the WordPress
	// fixture completes WordPress's). base is Load.Base.
	Setup func(ctx context.Context, base string) error `json:"-"`
}

// Deploy says how the app gets into the cluster: exactly one of
// Manifests, Kustomization, Existing, or (in Go) Source.
type Deploy struct {
	// Manifests is a directory of YAML files (*.yaml, *.yml), applied
	// server-side in the order of their names, into Namespace.
	Manifests string `json:"manifests,omitempty"`
	// Kustomization is a directory holding a kustomization.yaml, built as
	// `kustomize build` does and applied server-side into Namespace.
	Kustomization string `json:"kustomization,omitempty"`
	// Existing says the app is deployed already: nothing is applied, and
	// what the scenarios need is read from the cluster.
	Existing bool `json:"existing,omitempty"`
	// Source, in Go only, builds the objects (fixtures/wordpress does). A
	// Source that is also a Pruner removes what an earlier set-up applied
	// and this one does not.
	Source Source `json:"-"`
}

// Source builds the objects an app is made of, in the order they are
// applied (a namespace's contents: dependencies first).
type Source interface {
	Objects(ctx context.Context) ([]k8s.Object, error)
}

// Pruner is a Source that removes, after its objects were applied, what
// an earlier set-up of the same app left that this one does not have (a
// workload of another kind, a PodDisruptionBudget a variant drops).
type Pruner interface {
	Prune(ctx context.Context, r *resources.Resources) error
}

// Kind is the kind of controller that runs a workload.
type Kind string

// The controllers a description can name.
const (
	Deployment  Kind = "Deployment"
	StatefulSet Kind = "StatefulSet"
	DaemonSet   Kind = "DaemonSet"
)

// Kinds lists the kinds a workload may be.
func Kinds() []Kind { return []Kind{Deployment, StatefulSet, DaemonSet} }

// Workload names a workload: its kind and either its name or a label
// selector that matches the labels of exactly one workload of that kind.
type Workload struct {
	Kind     Kind   `json:"kind"`
	Name     string `json:"name,omitempty"`
	Selector string `json:"selector,omitempty"`
	// Container is the container that matters in its pods (the one the
	// image roll changes, the config break breaks, the database faults
	// signal); "" when the pods have one container.
	Container string `json:"container,omitempty"`
}

// Serving is the workload that answers the load, and its Service.
type Serving struct {
	Workload
	// Service is the Service the load reaches the workload through: the
	// steady state wants every pod in its endpoints.
	Service string `json:"service"`
}

// Load is what the load asks for.
type Load struct {
	// Base is where the load enters, as the harness reaches it
	// ("http://127.0.0.1:30080", a NodePort of the kind cluster).
	Base string `json:"base"`
	// Paths are the paths the load hits in turn ("/", "/?p=1"); at least
	// one.
	Paths []string `json:"paths"`
	// FailOn4xx counts a 4xx answer as a failure. By default an answer is
	// healthy unless it is a 5xx or no answer at all (a timeout, a refused
	// or reset connection): 4xx are counted apart.
	FailOn4xx bool `json:"failOn4xx,omitempty"`
}

// URLs are the load's targets: Base joined with each path.
func (l Load) URLs() []string {
	out := make([]string, len(l.Paths))
	for i, p := range l.Paths {
		out[i] = join(l.Base, p)
	}
	return out
}

func join(base, path string) string {
	return strings.TrimRight(base, "/") + "/" + strings.TrimLeft(path, "/")
}

// Database is the workload the app stores its data in.
//
// The database faults (mysql-crash, mysql-hang) signal its container's
// main process: PID 1 of Container in the pod (the first by name of a
// StatefulSet, its pod 0), sent from the node. The image's entrypoint must
// therefore exec the server, as the MySQL, MariaDB and PostgreSQL images
// do; Process names that process in the scenarios' words.
type Database struct {
	// Title is what people call the database ("MySQL"); the workload's
	// own name is Workload.Name ("name" in the file).
	Title string `json:"title"`
	Workload
	// Process names the container's main process in words ("mysqld").
	Process string `json:"process,omitempty"`
	// Port is the TCP port the app reaches the database on (db-partition
	// drops it).
	Port int32 `json:"port"`
	// Address is how the app names the database, in words
	// ("WORDPRESS_DB_HOST=mysql").
	Address string `json:"address,omitempty"`
	// Unreachable says what users get while the app cannot reach the
	// database, in words (default "pages that need the database fail").
	Unreachable string `json:"unreachable,omitempty"`
	// LookedUpPerRequest says the serving pods resolve the database's
	// name on every request and cache nothing: with cluster DNS down the
	// app cannot serve (dns-outage then expects no recovery until DNS
	// returns).
	LookedUpPerRequest bool `json:"lookedUpPerRequest,omitempty"`
}

// Writes is the app's write endpoint. Each write is a POST to Path with
// the query parameter id=<id> added (ids hold letters, digits, '.', '_'
// and '-'); the endpoint acknowledges it with a 2xx answer whose JSON body
// is {"id": "<id>"}, only once the write is stored. See chaos/writes.
type Writes struct {
	// Path is the endpoint under Load.Base ("/?rest_route=/x/writes").
	Path  string `json:"path"`
	Count Count  `json:"count"`
}

// URL is the endpoint under base.
func (w Writes) URL(base string) string { return join(base, w.Path) }

// Count says how to count the rows the endpoint stored, inside the
// database's pod: exactly one of MySQLTable and Command.
type Count struct {
	// MySQLTable is a table of the MySQL or MariaDB server in the
	// database container, with a column id: its rows are counted with the
	// mysql client as root (MYSQL_ROOT_PASSWORD and MYSQL_DATABASE from
	// the container's environment).
	MySQLTable string `json:"mysqlTable,omitempty"`
	// Command runs in the container with the id prefix as its last
	// argument, and prints one line per stored id that begins with it:
	// the id, a tab, the number of rows (chaos/writes.ParseRows). A
	// non-zero exit means the rows could not be read.
	Command []string `json:"command,omitempty"`
	// Container is where it runs (default: the database's container).
	Container string `json:"container,omitempty"`
}

// ConfigBreak breaks the app from inside one serving pod (an exec), as a
// bad configuration pushed to it would; the scenario wp-config-break
// runs it. The healing expected is the probes': readiness takes the pod
// out of the Service, liveness restarts its container, which starts
// unbroken.
type ConfigBreak struct {
	// Container is where the commands run (default: the serving
	// container).
	Container string `json:"container,omitempty"`
	// Break breaks the app in the container; it fails when it cannot.
	Break []string `json:"break"`
	// Broken exits 0 while the container is broken and non-zero once it
	// is not: it proves the break took and tells whether a restart
	// healed it.
	Broken []string `json:"broken"`
	// Restore, when given, puts the container back when nothing restarted
	// it; without it such a pod is deleted (its controller replaces it).
	Restore []string `json:"restore,omitempty"`
	// What says in words what Break does ("DB_HOST in wp-config.php set
	// to 127.0.0.1:1"), for the result's events.
	What string `json:"what,omitempty"`
	// Description, Breaks and Heals replace the scenario's generic words
	// (its description, and its lines in `selfheal run --list`).
	Description string `json:"description,omitempty"`
	Breaks      string `json:"breaks,omitempty"`
	Heals       string `json:"heals,omitempty"`
}
