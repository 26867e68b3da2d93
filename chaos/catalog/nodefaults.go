package catalog

import (
	"context"
	"fmt"

	"github.com/selfheal/selfheal/chaos/fault/nodeagent"
	"github.com/selfheal/selfheal/chaos/fault/nodehalt"
)

// NodeFaults is the door the node faults (node-halt, mysql-node-halt) go
// through.
type NodeFaults string

const (
	// NodeFaultsDocker halts a kind node's container (docker kill): the
	// default, on the kind cluster only.
	NodeFaultsDocker NodeFaults = "docker"
	// NodeFaultsAgent halts a node through selfheal's node agent
	// (chaos/fault/nodeagent): its kubelet and container runtime stopped,
	// its network isolated, its containers still running. Any cluster.
	NodeFaultsAgent NodeFaults = "agent"
)

// ParseNodeFaults reads a door's name; "" is docker.
func ParseNodeFaults(s string) (NodeFaults, error) {
	switch d := NodeFaults(s); d {
	case "":
		return NodeFaultsDocker, nil
	case NodeFaultsDocker, NodeFaultsAgent:
		return d, nil
	}
	return "", fmt.Errorf("unknown node-fault door %q: want docker (kind's node containers) or agent (selfheal's node agent, any cluster)", s)
}

// nodeDoor is the door env's node faults go through: nil for docker
// (nodehalt's own).
func nodeDoor(env Env) nodehalt.Door {
	if env.NodeFaults != NodeFaultsAgent || env.Agent == nil {
		return nil
	}
	return nodeagent.NewDoor(env.Agent)
}

// haltWords says how a node is halted through env's door, for the
// scenarios' descriptions.
func haltWords(env Env) string {
	if env.NodeFaults == NodeFaultsAgent {
		return "halted through selfheal's node agent (its kubelet and container runtime stopped, its network isolated: the node vanishes while its containers keep running)"
	}
	return "halted (docker kill of its kind node container: the node dies at once, as in a power cut)"
}

// Preflight says whether entry e can run against env's cluster, before
// any scenario runs: a scenario whose node faults go through the node
// agent cannot where the agent cannot run (its namespace's Pod Security,
// an admission webhook). The error names the scenario and the door.
func (e Entry) Preflight(ctx context.Context, env Env) error {
	if !e.NodeAgent || env.NodeFaults != NodeFaultsAgent {
		return nil
	}
	if env.Agent == nil {
		return fmt.Errorf("%s via the agent: no node agent was set up", e.Name)
	}
	if err := env.Agent.Preflight(ctx); err != nil {
		return fmt.Errorf("%s via the agent: %w", e.Name, err)
	}
	return nil
}
