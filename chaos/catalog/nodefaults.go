package catalog

import (
	"fmt"
	"slices"

	"github.com/selfheal/selfheal/chaos/fault/nodeagent"
	"github.com/selfheal/selfheal/chaos/fault/nodehalt"
)

// NodeFaults is the door the node faults (node-halt, mysql-node-halt) go
// through.
type NodeFaults string

const (
	// NodeFaultsDocker halts a kind node's container (docker kill): the
	// default, on the local kind cluster only.
	NodeFaultsDocker NodeFaults = "docker"
	// NodeFaultsAgent halts a node through selfheal's node agent
	// (chaos/fault/nodeagent): its kubelet and container runtime stopped,
	// its network isolated, its containers still running. Any cluster
	// where the agent may run.
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

// haltNeed is what the node faults need of the cluster: a way to halt a
// node through the door the run chose.
var haltNeed = Need{Capability: HaltNodes, Why: "a node is halted"}

// HaltsNodes says whether the entry halts a node: through the node agent
// it needs the agent deployed (the session sets it up first, once).
func (e Entry) HaltsNodes() bool {
	return slices.ContainsFunc(e.Needs, func(n Need) bool { return n.Capability == HaltNodes })
}

// haltLacks says what keeps the cluster from halting a node through its
// door, "" when nothing does.
func (c *Cluster) haltLacks() string {
	if c.NodeFaults == NodeFaultsAgent {
		if c.AgentRefused != "" {
			return "via the agent: " + c.AgentRefused
		}
		return ""
	}
	if !c.KindNodes {
		return "the cluster is not the local kind cluster, which docker kill needs (halt through the node agent instead: --node-faults agent)"
	}
	return ""
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
	return "halted (docker kill of its kind node container: the node dies at once, as in a power cut, so the injection instant is exact)"
}

// capitalized is s with its first letter upper case.
func capitalized(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}
