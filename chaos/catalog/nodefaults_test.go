package catalog

import (
	"context"
	"errors"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/selfheal/selfheal/chaos/fault/nodeagent"
	"github.com/selfheal/selfheal/chaos/kube"
	"github.com/selfheal/selfheal/fixtures/app"
)

func TestParseNodeFaults(t *testing.T) {
	for in, want := range map[string]NodeFaults{"": NodeFaultsDocker, "docker": NodeFaultsDocker, "agent": NodeFaultsAgent} {
		if got, err := ParseNodeFaults(in); err != nil || got != want {
			t.Errorf("ParseNodeFaults(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParseNodeFaults("ssh"); err == nil || !strings.Contains(err.Error(), "want docker") {
		t.Errorf("ssh: %v", err)
	}
}

// node-halt and mysql-node-halt go through the door the env names; the
// other scenarios do not care.
func TestNodeHaltsGoThroughTheDoor(t *testing.T) {
	agentEnv := Env{Client: &kube.Client{Kubernetes: fake.NewClientset()}, App: app.Default(), NodeFaults: NodeFaultsAgent}
	agentEnv.Agent = nodeagent.New(agentEnv.Client.Kubernetes, agentEnv.Client)
	dockerEnv := Env{Client: &kube.Client{}, App: app.Default()}
	var needs []string
	for _, e := range Entries() {
		if e.NodeAgent {
			needs = append(needs, e.Name)
		}
	}
	if strings.Join(needs, ",") != "node-halt,mysql-node-halt" {
		t.Errorf("scenarios that need the agent: %v", needs)
	}
	for _, name := range needs {
		e, _ := Lookup(name)
		viaAgent, viaDocker := e[0].Build(agentEnv), e[0].Build(dockerEnv)
		if viaAgent.Fault.Name() != "node-halt" || !strings.Contains(viaAgent.Description, "node agent") {
			t.Errorf("%s via the agent: fault %s, %q", name, viaAgent.Fault.Name(), viaAgent.Description)
		}
		if viaDocker.Fault.Name() != "node-kill" || !strings.Contains(viaDocker.Description, "docker kill") {
			t.Errorf("%s via docker: fault %s, %q", name, viaDocker.Fault.Name(), viaDocker.Description)
		}
	}
}

// Under Pod Security restricted on the agent's namespace the pre-flight
// refuses the node-agent scenarios by name, and no other.
func TestPreflightRefusesTheAgentScenariosByName(t *testing.T) {
	cs := fake.NewClientset(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: nodeagent.Namespace,
		Labels: map[string]string{nodeagent.PartOfLabel: nodeagent.Name, "pod-security.kubernetes.io/enforce": "restricted"}}})
	c := &kube.Client{Kubernetes: cs}
	env := Env{Client: c, App: app.Default(), NodeFaults: NodeFaultsAgent, Agent: nodeagent.New(cs, c)}
	ctx := context.Background()
	for _, e := range Entries() {
		err := e.Preflight(ctx, env)
		var refused *nodeagent.Refused
		switch {
		case !e.NodeAgent && err != nil:
			t.Errorf("%s does not need the agent, refused: %v", e.Name, err)
		case e.NodeAgent && (!errors.As(err, &refused) ||
			!strings.HasPrefix(err.Error(), e.Name+` via the agent: namespace selfheal-agent enforces Pod Security "restricted", which forbids hostPID`)):
			t.Errorf("%s: %v", e.Name, err)
		}
		if err := e.Preflight(ctx, Env{Client: c, App: app.Default()}); err != nil {
			t.Errorf("%s through docker refused: %v", e.Name, err)
		}
	}
}

func TestTheAgentsFaultsHaveARepairer(t *testing.T) {
	wantRepairers(t, nodeagent.RepairKind)
}
