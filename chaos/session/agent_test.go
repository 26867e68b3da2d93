package session

import (
	"context"
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/selfheal/selfheal/chaos/catalog"
	"github.com/selfheal/selfheal/chaos/fault/nodeagent"
	"github.com/selfheal/selfheal/chaos/kube"
	"github.com/selfheal/selfheal/chaos/plan"
	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/chaos/variant"
	"github.com/selfheal/selfheal/fixtures/wordpress"
)

func worker(name string) *corev1.Node {
	return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name},
		Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}}}
}

// With Pod Security restricted on the agent's namespace, the pre-flight
// refuses the scenarios that halt a node through the agent, by name and
// saying why, before any runs, and leaves the others to run; the agent's
// namespace is left as it was.
func TestPreflightRefusesTheAgentScenariosAndNoOther(t *testing.T) {
	cs := fake.NewClientset(worker("w1"), worker("w2"), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: nodeagent.Namespace,
		Labels: map[string]string{nodeagent.PartOfLabel: nodeagent.Name, "pod-security.kubernetes.io/enforce": "restricted"}}})
	a, shape := wordpressApp(t)
	m, err := variant.Plan(a, wordpress.Variants(), variant.Request{Scenarios: []string{"pod-eviction", "node-halt", "mysql-node-halt"}})
	if err != nil {
		t.Fatal(err)
	}
	p, err := plan.New(m, 1)
	if err != nil {
		t.Fatal(err)
	}
	con := &logs{}
	s := &Session{cfg: withDefaults(Config{App: a, NodeFaults: catalog.NodeFaultsAgent, Plan: p, Console: con}), app: shape, variant: wordpress.Variants()[0]}
	s.client = &kube.Client{Kubernetes: cs}
	s.isKind = true
	ctx := context.Background()
	cs.ClearActions()
	if s.cluster, err = s.clusterFacts(ctx); err != nil {
		t.Fatal(err)
	}
	ok, refused := s.Preflight(ctx, p)
	if len(ok) != 1 || ok[0].Scenario() != "pod-eviction" {
		t.Errorf("runs %v, want pod-eviction alone", ok)
	}
	all := fmt.Sprint(refused)
	for _, name := range []string{"node-halt", "mysql-node-halt"} {
		want := name + ` cannot run against`
		if !strings.Contains(all, want) {
			t.Errorf("refusals %s\ndo not name %s", all, name)
		}
	}
	if !strings.Contains(all, `via the agent: namespace selfheal-agent enforces Pod Security "restricted", which forbids hostPID, hostNetwork and privileged containers`) {
		t.Errorf("refusals %s\ndo not say why", all)
	}
	if log := strings.Join(con.lines, "\n"); !strings.Contains(log, "pre-flight: the node agent cannot run here") {
		t.Errorf("said:\n%s", log)
	}
	for _, act := range cs.Actions() {
		if act.GetVerb() != "get" && act.GetVerb() != "list" {
			t.Errorf("the refused pre-flight changed the cluster: %s %s", act.GetVerb(), act.GetResource().Resource)
		}
	}
}

// Through docker, or with no scenario that halts a node, the agent is
// not deployed at all.
func TestTheAgentIsDeployedOnlyWhenAScenarioNeedsIt(t *testing.T) {
	a, _ := wordpressApp(t)
	m, err := variant.Plan(a, wordpress.Variants(), variant.Request{Scenarios: []string{"pod-eviction"}})
	if err != nil {
		t.Fatal(err)
	}
	p, err := plan.New(m, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, door := range []catalog.NodeFaults{catalog.NodeFaultsDocker, catalog.NodeFaultsAgent} {
		cs := fake.NewClientset(worker("w1"), worker("w2"))
		s := &Session{cfg: withDefaults(Config{App: a, NodeFaults: door, Plan: p, Console: &logs{}})}
		s.client = &kube.Client{Kubernetes: cs}
		c, err := s.clusterFacts(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if c.NodeFaults != door || len(cs.Actions()) != 1 || s.agent != nil {
			t.Errorf("%s: cluster %+v, actions %v", door, c, cs.Actions())
		}
	}
}

// A node fault through the agent is recorded as such, so history never
// compares it with docker kills; the others are not marked.
func TestResultsSayTheAgentDoor(t *testing.T) {
	shared := &result.RunInfo{ID: "r1"}
	s := &Session{cfg: Config{NodeFaults: catalog.NodeFaultsAgent}}
	halt, _ := catalog.Lookup("node-halt")
	evict, _ := catalog.Lookup("pod-eviction")
	h, e := &result.Result{Run: shared}, &result.Result{Run: shared}
	s.stampDoor(halt[0], h)
	s.stampDoor(evict[0], e)
	if h.Run.NodeFaults != "agent" || e.Run.NodeFaults != "" || shared.NodeFaults != "" {
		t.Errorf("node-halt %q, pod-eviction %q, shared %q", h.Run.NodeFaults, e.Run.NodeFaults, shared.NodeFaults)
	}
}
