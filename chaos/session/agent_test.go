package session

import (
	"context"
	"os"
	"path/filepath"
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
	"github.com/selfheal/selfheal/fixtures/app"
)

// With Pod Security restricted on the agent's namespace, the pre-flight
// refuses the scenarios that halt a node through the agent, by name and
// before any runs; each is recorded as refused, nothing injected, and the
// others are left to run.
func TestPreflightRefusesTheAgentScenariosAndNoOther(t *testing.T) {
	cs := fake.NewClientset(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: nodeagent.Namespace,
		Labels: map[string]string{nodeagent.PartOfLabel: nodeagent.Name, "pod-security.kubernetes.io/enforce": "restricted"}}})
	m, err := variant.Plan(variant.Request{Scenarios: []string{"pod-eviction", "node-halt", "mysql-node-halt"}})
	if err != nil {
		t.Fatal(err)
	}
	cells, err := plan.New(m, 1)
	if err != nil {
		t.Fatal(err)
	}
	con := &logs{}
	dir := t.TempDir()
	s := &Session{cfg: withDefaults(Config{NodeFaults: catalog.NodeFaultsAgent, Plan: cells, Console: con, ReportDir: dir}),
		app: app.Default(), runDir: dir, progress: plan.NewProgress(cells)}
	s.cfg.History.Off = true
	s.client = &kube.Client{Kubernetes: cs}
	ctx := context.Background()
	s.preflight(ctx)
	got := strings.Join(con.lines, "\n")
	for _, want := range []string{
		`pre-flight: refused: node-halt via the agent: namespace selfheal-agent enforces Pod Security "restricted", which forbids hostPID`,
		`pre-flight: refused: mysql-node-halt via the agent: namespace selfheal-agent enforces Pod Security "restricted"`,
		"the other scenarios still run",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("pre-flight said:\n%s\nwant %q", got, want)
		}
	}
	if strings.Contains(got, "pod-eviction") {
		t.Errorf("pod-eviction was refused:\n%s", got)
	}
	for _, c := range cells {
		if c.Entry.Name == "pod-eviction" {
			if err := s.refusal(ctx, c.Entry); err != nil {
				t.Errorf("pod-eviction refused: %v", err)
			}
			continue
		}
		res, err := s.run(ctx, c)
		if err == nil || res == nil || res.Verdict != result.VerdictError ||
			!strings.Contains(res.Error, "refused by the pre-flight: "+c.Entry.Name+" via the agent: namespace selfheal-agent enforces") {
			t.Fatalf("%s: result %+v, err %v", c.Name(), res, err)
		}
		if _, err := os.Stat(filepath.Join(dir, c.FileName())); err != nil {
			t.Errorf("%s: no result file: %v", c.Name(), err)
		}
	}
	for _, a := range cs.Actions() {
		if a.GetVerb() != "get" && a.GetVerb() != "list" {
			t.Errorf("the refused pre-flight changed the cluster: %s %s", a.GetVerb(), a.GetResource().Resource)
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
	a, b := &result.Result{Run: shared}, &result.Result{Run: shared}
	s.stampDoor(halt[0], a)
	s.stampDoor(evict[0], b)
	if a.Run.NodeFaults != "agent" || b.Run.NodeFaults != "" || shared.NodeFaults != "" {
		t.Errorf("node-halt %q, pod-eviction %q, shared %q", a.Run.NodeFaults, b.Run.NodeFaults, shared.NodeFaults)
	}
}
