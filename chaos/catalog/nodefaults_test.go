package catalog_test

import (
	"strings"
	"testing"

	"k8s.io/client-go/kubernetes/fake"

	"github.com/selfheal/selfheal/chaos/catalog"
	"github.com/selfheal/selfheal/chaos/fault/nodeagent"
	"github.com/selfheal/selfheal/chaos/kube"
)

func TestParseNodeFaults(t *testing.T) {
	for in, want := range map[string]catalog.NodeFaults{"": catalog.NodeFaultsDocker, "docker": catalog.NodeFaultsDocker, "agent": catalog.NodeFaultsAgent} {
		if got, err := catalog.ParseNodeFaults(in); err != nil || got != want {
			t.Errorf("ParseNodeFaults(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := catalog.ParseNodeFaults("ssh"); err == nil || !strings.Contains(err.Error(), "want docker") {
		t.Errorf("ssh: %v", err)
	}
}

// node-halt and mysql-node-halt go through the door the env names, and
// they alone halt nodes.
func TestNodeHaltsGoThroughTheDoor(t *testing.T) {
	s := wordpressShape(t)
	c := &kube.Client{Kubernetes: fake.NewClientset()}
	agent := catalog.Env{Client: c, Cluster: "selfheal", App: s, NodeFaults: catalog.NodeFaultsAgent, Agent: nodeagent.New(c.Kubernetes, c)}
	docker := catalog.Env{Client: c, Cluster: "selfheal", App: s}
	var halts []string
	for _, e := range catalog.Entries() {
		if e.HaltsNodes() {
			halts = append(halts, e.Name)
		}
	}
	if strings.Join(halts, ",") != "node-halt,mysql-node-halt" {
		t.Fatalf("scenarios that halt a node: %v", halts)
	}
	for _, name := range halts {
		e, _ := catalog.Lookup(name)
		viaAgent, viaDocker := e[0].Build(agent), e[0].Build(docker)
		if viaAgent.Fault.Name() != "node-halt" || !strings.Contains(viaAgent.Description, "node agent") || strings.Contains(viaAgent.Description, "docker kill") {
			t.Errorf("%s via the agent: fault %s, %q", name, viaAgent.Fault.Name(), viaAgent.Description)
		}
		if viaDocker.Fault.Name() != "node-kill" || !strings.Contains(viaDocker.Description, "docker kill") {
			t.Errorf("%s via docker: fault %s, %q", name, viaDocker.Fault.Name(), viaDocker.Description)
		}
	}
}

// Where the agent cannot run, the pre-flight refuses the scenarios that
// halt a node through it, by name and saying why, and no other; through
// docker, a cluster that is not the local kind cluster refuses them, and
// says which door would do.
func TestHaltNodesRefusals(t *testing.T) {
	s := wordpressShape(t)
	psa := `namespace selfheal-agent enforces Pod Security "restricted", which forbids hostPID, hostNetwork and privileged containers`
	for _, tc := range []struct {
		name    string
		cluster catalog.Cluster
		want    string
	}{
		{"agent refused", catalog.Cluster{KindNodes: true, Workers: 2, NodeFaults: catalog.NodeFaultsAgent, AgentRefused: psa}, "via the agent: " + psa},
		{"agent running, not kind", catalog.Cluster{Workers: 2, NodeFaults: catalog.NodeFaultsAgent}, ""},
		{"docker, not kind", catalog.Cluster{Workers: 2, NodeFaults: catalog.NodeFaultsDocker}, "--node-faults agent"},
		{"docker on kind", catalog.Cluster{KindNodes: true, Workers: 2}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, e := range catalog.Entries() {
				err := e.Refusal(catalog.Facts{App: &s, Cluster: &tc.cluster})
				halts := e.HaltsNodes()
				switch {
				case halts && tc.want != "" && (err == nil || !strings.HasPrefix(err.Error(), e.Name+" cannot run") || !strings.Contains(err.Error(), tc.want)):
					t.Errorf("%s: %v, want a refusal saying %q", e.Name, err, tc.want)
				case halts && tc.want == "" && err != nil:
					t.Errorf("%s refused: %v", e.Name, err)
				case !halts && tc.cluster.KindNodes && err != nil:
					t.Errorf("%s does not halt a node, refused: %v", e.Name, err)
				}
			}
		})
	}
}

func TestTheAgentsFaultsHaveARepairer(t *testing.T) {
	wantRepairers(t, nodeagent.RepairKind)
}
