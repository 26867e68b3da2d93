package catalog

import (
	"errors"
	"fmt"
	"strings"

	"github.com/selfheal/selfheal/chaos/app"
)

// Capability is something a scenario needs of the app or of the cluster
// it runs in. Each scenario lists its needs (Entry.Needs), so a pre-flight
// can say by name what is missing ("mysql-crash needs a database
// workload") and refuse that scenario alone.
type Capability string

// The capabilities, each as it reads in a refusal after "needs".
const (
	// Database: the description names a database workload.
	Database Capability = "a database workload"
	// ConfigBreak: the description gives a config-break pair.
	ConfigBreak Capability = "a config-break pair (configBreak: a command that breaks the app inside a pod, one that shows it is broken)"
	// NextImage: the description names a second image to roll to.
	NextImage Capability = "a second image to roll to (nextImage)"
	// TwoReplicas: the serving workload runs at least 2 pods.
	TwoReplicas Capability = "at least 2 replicas"
	// Replaced: the serving workload is a Deployment, whose lost pod is
	// replaced on another node.
	Replaced Capability = "a Deployment (its lost pod replaced on another node)"
	// Scalable: the serving workload has a scale subresource.
	Scalable Capability = "a scale subresource (a Deployment or a StatefulSet)"
	// Movable: a drain moves the serving workload's pods.
	Movable Capability = "pods a drain moves (not a DaemonSet's)"
	// KindNodes: the cluster's nodes are the local kind cluster's
	// containers, which the node, process and network faults act through.
	KindNodes Capability = "the local kind cluster's node containers (docker)"
	// TwoWorkers: at least 2 schedulable worker nodes, one to lose and one
	// to move to.
	TwoWorkers Capability = "at least 2 schedulable workers"
	// HaltNodes: a way to halt a node, through the door the run chose
	// (Cluster.NodeFaults): the local kind cluster's node containers
	// (docker), or selfheal's node agent where it can run.
	HaltNodes Capability = "a way to halt a node (docker on the local kind cluster's node containers, or selfheal's node agent: --node-faults agent)"
)

// Need is a capability a scenario needs, and why.
type Need struct {
	Capability Capability
	// Why says why the scenario needs it, in its own terms ("it expects
	// the lost pod to be replaced on the other worker").
	Why string
}

// Cluster is what the cluster offers the scenarios.
type Cluster struct {
	// KindNodes: the nodes are the local kind cluster's containers.
	KindNodes bool
	// Workers is the number of schedulable worker nodes.
	Workers int
	// NodeFaults is the door node faults go through; AgentRefused, when
	// that is the node agent, is why the agent cannot run here ("" when
	// it runs).
	NodeFaults   NodeFaults
	AgentRefused string
}

// DefaultWorkers is the number of workers a DaemonSet's pods are counted
// on before the cluster is known: the kind cluster selfheal brings up has
// two (fixtures/kind/cluster.yaml).
const DefaultWorkers = 2

// Facts are what the app and the cluster offer, as far as they are known.
type Facts struct {
	// App is the app as it will run (app.Resolve); nil while it cannot be
	// known (an app deployed already, before the cluster is reached).
	App *app.Shape
	// Cluster is nil before a cluster is reached (planning): what a
	// scenario needs of it is judged at the pre-flight.
	Cluster *Cluster
}

// Replicas is the number of serving pods: a DaemonSet's are the workers'.
func (f Facts) Replicas() int32 {
	s := f.App.Serving
	if !s.PerNode {
		return s.Replicas
	}
	if f.Cluster != nil {
		return int32(f.Cluster.Workers)
	}
	return DefaultWorkers
}

// lacks says what is missing of c, "" when f offers it or cannot tell yet.
func (f Facts) lacks(c Capability) string {
	if f.App != nil {
		if why := f.appLacks(c); why != "" {
			return why
		}
	}
	if f.Cluster == nil {
		return ""
	}
	switch c {
	case KindNodes:
		if !f.Cluster.KindNodes {
			return "the cluster is not the local kind cluster"
		}
	case TwoWorkers:
		if f.Cluster.Workers < 2 {
			return fmt.Sprintf("the cluster has %d", f.Cluster.Workers)
		}
	case HaltNodes:
		return f.Cluster.haltLacks()
	}
	return ""
}

func (f Facts) appLacks(c Capability) string {
	a, s := f.App.App, f.App.Serving
	switch c {
	case Database:
		if a.Database == nil {
			return a.Name + " has none (database)"
		}
	case ConfigBreak:
		if a.ConfigBreak == nil {
			return a.Name + " has none (configBreak)"
		}
	case NextImage:
		if a.NextImage == "" {
			return a.Name + " names none"
		}
	case TwoReplicas:
		if n := f.Replicas(); n < 2 {
			return fmt.Sprintf("%s has %d", a.Name, n)
		}
	case Replaced:
		if s.Kind != app.Deployment {
			return fmt.Sprintf("%s is a %s", a.Name, s.Kind)
		}
	case Scalable:
		if s.Kind != app.Deployment && s.Kind != app.StatefulSet {
			return fmt.Sprintf("%s is a %s", a.Name, s.Kind)
		}
	case Movable:
		if s.Kind == app.DaemonSet {
			return a.Name + " is a DaemonSet"
		}
	}
	return ""
}

// Refusal says why the entry cannot run with what f offers, naming each
// capability it lacks; nil when it can (or when what it needs cannot be
// known yet).
func (e Entry) Refusal(f Facts) error {
	var missing []error
	for _, n := range e.Needs {
		if why := f.lacks(n.Capability); why != "" {
			msg := fmt.Sprintf("needs %s: %s", n.Capability, why)
			if n.Why != "" {
				msg += " (" + n.Why + ")"
			}
			missing = append(missing, errors.New(msg))
		}
	}
	if len(missing) == 0 {
		return nil
	}
	var parts []string
	for _, m := range missing {
		parts = append(parts, m.Error())
	}
	where := "this app"
	if f.App != nil {
		where = f.App.Describe()
	}
	return &RefusedError{Scenario: e.Name, Against: where, Reasons: parts}
}

// RefusedError is a scenario refused for what the app or the cluster
// lacks.
type RefusedError struct {
	Scenario, Against string
	// Reasons say each missing capability and why.
	Reasons []string
}

func (r *RefusedError) Error() string {
	return fmt.Sprintf("%s cannot run against %s: it %s", r.Scenario, r.Against, strings.Join(r.Reasons, "; it "))
}
