package nodeagent

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/selfheal/selfheal/chaos/fault"
	"github.com/selfheal/selfheal/chaos/fault/faulttest"
	"github.com/selfheal/selfheal/chaos/fault/nodehalt"
	"github.com/selfheal/selfheal/chaos/kube"
	"github.com/selfheal/selfheal/chaos/result"
)

func TestManifestsArePrivilegedOnTheNodeAndAskTheLeastOfTheAPI(t *testing.T) {
	a := New(fake.NewClientset(), nil, WithImage("registry.example/selfheal-agent:7"), WithImageID("sha256:abc"))
	o, err := a.Objects()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []metav1.Object{o.Namespace, o.ServiceAccount, o.Role, o.RoleBinding, o.DaemonSet, &o.DaemonSet.Spec.Template} {
		if m.GetLabels()[PartOfLabel] != Name {
			t.Errorf("%T %s lacks %s: one label must select every trace", m, m.GetName(), Selector)
		}
		if m.GetNamespace() != Namespace && m != o.Namespace && m != &o.DaemonSet.Spec.Template {
			t.Errorf("%T %s is in namespace %q, not the agent's own", m, m.GetName(), m.GetNamespace())
		}
	}
	if got := o.Namespace.Labels[podSecurityEnforce]; got != "privileged" {
		t.Errorf("namespace enforces %q", got)
	}
	pod := o.DaemonSet.Spec.Template.Spec
	c := pod.Containers[0]
	if !pod.HostPID || !pod.HostNetwork || c.SecurityContext == nil || c.SecurityContext.Privileged == nil || !*c.SecurityContext.Privileged {
		t.Errorf("the agent must be privileged with the node's PID and network namespaces: hostPID %v hostNetwork %v securityContext %+v", pod.HostPID, pod.HostNetwork, c.SecurityContext)
	}
	if c.SecurityContext.ReadOnlyRootFilesystem == nil || !*c.SecurityContext.ReadOnlyRootFilesystem {
		t.Error("the agent's own filesystem should be read-only: it writes only the node's /run/selfheal-agent")
	}
	if c.Image != "registry.example/selfheal-agent:7" || o.DaemonSet.Spec.Template.Annotations[imageIDAnnotation] != "sha256:abc" || c.Name != Container {
		t.Errorf("container %s image %s, annotations %v", c.Name, c.Image, o.DaemonSet.Spec.Template.Annotations)
	}
	if pod.ServiceAccountName != o.ServiceAccount.Name {
		t.Errorf("pod runs as %q, not the agent's ServiceAccount %q", pod.ServiceAccountName, o.ServiceAccount.Name)
	}
	var hostPaths []string
	for _, v := range pod.Volumes {
		if v.HostPath != nil {
			hostPaths = append(hostPaths, v.HostPath.Path)
		}
	}
	if !slices.Equal(hostPaths, []string{"/run/selfheal-agent"}) {
		t.Errorf("host paths %v: the agent needs the node's /run/selfheal-agent and nothing else", hostPaths)
	}
	aff := pod.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms[0].MatchExpressions[0]
	if aff.Key != kube.ControlPlaneRole || aff.Operator != corev1.NodeSelectorOpDoesNotExist {
		t.Errorf("the agent must stay off the control plane: %+v", aff)
	}
	// RBAC: get on its one lease, in its namespace; no other rule, no
	// ClusterRole at all (Objects holds none).
	if len(o.Role.Rules) != 1 {
		t.Fatalf("role rules %+v", o.Role.Rules)
	}
	r := o.Role.Rules[0]
	if !slices.Equal(r.Verbs, []string{"get"}) || !slices.Equal(r.Resources, []string{"leases"}) || !slices.Equal(r.ResourceNames, []string{RenewLease}) ||
		!slices.Equal(r.APIGroups, []string{"coordination.k8s.io"}) {
		t.Errorf("role rule %+v: want get on lease %s only", r, RenewLease)
	}
	b := o.RoleBinding
	if b.RoleRef.Kind != "Role" || b.RoleRef.Name != o.Role.Name || len(b.Subjects) != 1 || b.Subjects[0].Name != o.ServiceAccount.Name || b.Subjects[0].Namespace != Namespace {
		t.Errorf("role binding %+v", b)
	}
}

func TestPreflight(t *testing.T) {
	for _, tc := range []struct {
		name    string
		labels  map[string]string
		absent  bool
		dryRun  error
		refused string
	}{
		{name: "no namespace yet: Install makes it", absent: true},
		{name: "selfheal's, privileged", labels: map[string]string{PartOfLabel: Name, podSecurityEnforce: "privileged"}},
		{name: "selfheal's, no Pod Security label", labels: map[string]string{PartOfLabel: Name}},
		{name: "restricted", labels: map[string]string{PartOfLabel: Name, podSecurityEnforce: "restricted"},
			refused: `namespace selfheal-agent enforces Pod Security "restricted", which forbids hostPID, hostNetwork and privileged containers`},
		{name: "baseline", labels: map[string]string{PartOfLabel: Name, podSecurityEnforce: "baseline"}, refused: `enforces Pod Security "baseline"`},
		{name: "someone else's namespace", labels: map[string]string{"team": "x"}, refused: "selfheal did not create it"},
		{name: "a webhook refuses the pod", labels: map[string]string{PartOfLabel: Name},
			dryRun:  apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, "", errors.New(`admission webhook "policy.example" denied the request: privileged containers are not allowed`)),
			refused: "denied the request: privileged containers are not allowed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cs := fake.NewClientset()
			if !tc.absent {
				if _, err := cs.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: Namespace, Labels: tc.labels}}, metav1.CreateOptions{}); err != nil {
					t.Fatal(err)
				}
			}
			var dryRuns int
			cs.PrependReactor("create", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
				if !slices.Equal(a.(k8stesting.CreateActionImpl).GetCreateOptions().DryRun, []string{metav1.DryRunAll}) {
					t.Errorf("the pre-flight created a pod for real")
				}
				dryRuns++
				return true, nil, tc.dryRun
			})
			err := New(cs, nil).Preflight(context.Background())
			var refused *Refused
			switch {
			case tc.refused == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.refused != "" && (!errors.As(err, &refused) || !strings.Contains(err.Error(), tc.refused)):
				t.Fatalf("err %v, want a refusal saying %q", err, tc.refused)
			}
			if tc.absent && dryRuns != 0 {
				t.Error("a dry run in a namespace that does not exist")
			}
		})
	}
}

func TestInstallUnderRestrictedPodSecurityChangesNothing(t *testing.T) {
	cs := cluster("w1", "w2")
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: Namespace, Labels: map[string]string{PartOfLabel: Name, podSecurityEnforce: "restricted"}}}
	if _, err := cs.CoreV1().Namespaces().Create(context.Background(), ns, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	cs.ClearActions()
	_, err := New(cs, nil).Install(context.Background())
	var refused *Refused
	if !errors.As(err, &refused) {
		t.Fatalf("Install: %v, want a refusal", err)
	}
	for _, a := range cs.Actions() {
		if a.GetVerb() != "get" && a.GetVerb() != "list" {
			t.Errorf("a refused install changed the cluster: %s %s", a.GetVerb(), a.GetResource().Resource)
		}
	}
	got, _ := cs.CoreV1().Namespaces().Get(context.Background(), Namespace, metav1.GetOptions{})
	if got.Labels[podSecurityEnforce] != "restricted" {
		t.Error("the namespace's Pod Security was relabelled")
	}
}

func TestInstallAppliesEveryObjectAndWaitsForEveryWorker(t *testing.T) {
	cs := cluster("w1", "w2")
	fakeDaemonSetController(t, cs, "w1", "w2")
	nodes, err := New(cs, nil, WithPoll(10*time.Millisecond), WithWait(5*time.Second), WithImage("img:1")).Install(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(nodes, []string{"w1", "w2"}) {
		t.Errorf("ready on %v", nodes)
	}
	ctx := context.Background()
	ds, err := cs.AppsV1().DaemonSets(Namespace).Get(ctx, Name, metav1.GetOptions{})
	if err != nil || ds.Spec.Template.Spec.Containers[0].Image != "img:1" {
		t.Fatalf("daemonset %v: %v", ds, err)
	}
	if _, err := cs.RbacV1().Roles(Namespace).Get(ctx, Name, metav1.GetOptions{}); err != nil {
		t.Error(err)
	}
	if _, err := cs.RbacV1().RoleBindings(Namespace).Get(ctx, Name, metav1.GetOptions{}); err != nil {
		t.Error(err)
	}
	if crs, _ := cs.RbacV1().ClusterRoles().List(ctx, metav1.ListOptions{}); len(crs.Items) != 0 {
		t.Errorf("cluster roles created: %v", crs.Items)
	}
}

func TestInstallThatDoesNotComeUpSaysWhy(t *testing.T) {
	cs := cluster("w1")
	ctx := context.Background()
	go func() {
		for range 100 {
			time.Sleep(10 * time.Millisecond)
			if _, err := cs.AppsV1().DaemonSets(Namespace).Get(ctx, Name, metav1.GetOptions{}); err == nil {
				_, _ = cs.CoreV1().Events(Namespace).Create(ctx, &corev1.Event{ObjectMeta: metav1.ObjectMeta{Name: "e1", Namespace: Namespace},
					InvolvedObject: corev1.ObjectReference{Kind: "DaemonSet", Name: Name}, Reason: "FailedCreate",
					Message: `Error creating: pods "selfheal-agent-x" is forbidden: violates PodSecurity "baseline:latest": host namespaces (hostNetwork=true, hostPID=true)`}, metav1.CreateOptions{})
				return
			}
		}
	}()
	_, err := New(cs, nil, WithPoll(10*time.Millisecond), WithWait(300*time.Millisecond)).Install(ctx)
	var refused *Refused
	if !errors.As(err, &refused) || !strings.Contains(err.Error(), `violates PodSecurity "baseline:latest"`) {
		t.Fatalf("err %v: want a refusal quoting the FailedCreate event", err)
	}
}

// haltFixture is a cluster of two workers with the agent on each, run by
// the real scripts in sandboxes.
type haltFixture struct {
	cs    *fake.Clientset
	agent *Agent
	exec  *nodeExec
	nodes map[string]*sandbox
	sims  map[string]*nodeSim
}

func newHaltFixture(t *testing.T, deadman bool) *haltFixture {
	f := &haltFixture{cs: cluster("w1", "w2"), exec: &nodeExec{nodes: map[string]*sandbox{}}, nodes: map[string]*sandbox{}, sims: map[string]*nodeSim{}}
	installed(t, f.cs, "w1", "w2")
	for _, w := range []string{"w1", "w2"} {
		s := newSandbox(t)
		f.nodes[w] = s
		f.exec.nodes[agentPod(w).Name] = s
		f.sims[w] = simulate(t, f.cs, w, s, deadman)
	}
	f.agent = New(f.cs, f.exec, WithPoll(20*time.Millisecond), WithWait(10*time.Second))
	return f
}

// victims puts WordPress on both workers and MySQL on w2: node-halt halts w1.
func (f *haltFixture) victims(t *testing.T) {
	for i, w := range []string{"w1", "w2"} {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "wordpress-" + itoa(i), Namespace: "app", Labels: map[string]string{"app": "wordpress"}},
			Spec: corev1.PodSpec{NodeName: w}, Status: corev1.PodStatus{Phase: corev1.PodRunning}}
		if _, err := f.cs.CoreV1().Pods("app").Create(context.Background(), p, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	db := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "mysql-0", Namespace: "app", Labels: map[string]string{"app": "mysql"}},
		Spec: corev1.PodSpec{NodeName: "w2"}, Status: corev1.PodStatus{Phase: corev1.PodRunning}}
	if _, err := f.cs.CoreV1().Pods("app").Create(context.Background(), db, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func TestNodeHaltThroughTheAgent(t *testing.T) {
	f := newHaltFixture(t, true)
	f.victims(t)
	door := NewDoor(f.agent, WithDelay(time.Second), WithGrace(2*time.Second), WithDeadline(time.Minute))
	flt := nodehalt.New(&kube.Client{Kubernetes: f.cs}, "", "app", nodehalt.WithVictim("app=wordpress"), nodehalt.WithAvoid("app=mysql"),
		nodehalt.WithSurvivor(true), nodehalt.WithDoor(door))
	m := &faulttest.Marks{}
	ctx := context.Background()
	if err := flt.Inject(ctx, m); err != nil {
		t.Fatal(err)
	}
	w1 := f.nodes["w1"]
	if len(m.Undos) != 1 || m.Undos[0].Kind != RepairKind || m.Undos[0].Params["node"] != "w1" || m.Undos[0].Params["id"] == "" {
		t.Fatalf("undo %+v", m.Undos)
	}
	id := m.Undos[0].Params["id"]
	if w1.read("units/kubelet") != "inactive" || w1.read("units/containerd") != "inactive" || len(w1.rules("INPUT")) != 4 {
		t.Fatalf("after the injection: kubelet %s, containerd %s, INPUT %q", w1.read("units/kubelet"), w1.read("units/containerd"), w1.rules("INPUT"))
	}
	if f.nodes["w2"].read("units/kubelet") != "active" {
		t.Fatal("the other worker was touched")
	}
	if len(m.Injections) != 1 || !strings.Contains(m.Injections[0], "node w1 halted") || !strings.Contains(m.Injections[0], "by the node agent") {
		t.Errorf("injections %q", m.Injections)
	}
	// The node controller's view, through the API, proves it.
	waitFor(t, func() bool { return len(evidence(m)) > 0 }, "the node seen NotReady")
	l, err := f.cs.CoordinationV1().Leases(Namespace).Get(ctx, RenewLease, metav1.GetOptions{})
	if err != nil || holderOf(l) != id {
		t.Fatalf("lease %v, %v: want it held for %s", l, err, id)
	}
	// Renewed while the fault holds, past the grace: the dead-man leaves it.
	time.Sleep(3 * time.Second)
	if st := w1.faultFile(id, ".state"); st != "broken" {
		t.Fatalf("renewed for longer than its grace, the fault is %s", st)
	}
	if err := flt.Revert(ctx, m); err != nil {
		t.Fatal(err)
	}
	if w1.read("units/kubelet") != "active" || w1.read("units/containerd") != "active" || len(w1.rules("INPUT")) != 0 || len(w1.rules("OUTPUT")) != 0 {
		t.Errorf("after the revert: kubelet %s, INPUT %q, OUTPUT %q", w1.read("units/kubelet"), w1.rules("INPUT"), w1.rules("OUTPUT"))
	}
	if len(m.Reverts) != 1 || !strings.Contains(m.Reverts[0], "selfheal deleted the lease") {
		t.Errorf("reverts %q: want the agent's own word that the lease's deletion reverted it", m.Reverts)
	}
	var checks []string
	for _, e := range evidence(m) {
		if !e.Held {
			t.Errorf("evidence did not hold: %s", e)
		}
		checks = append(checks, e.Check)
	}
	for _, want := range []string{"Ready condition", "systemctl is-active", "iptables -L -v"} {
		if !slices.ContainsFunc(checks, func(c string) bool { return strings.Contains(c, want) }) {
			t.Errorf("no evidence from %q in %q", want, checks)
		}
	}
	if _, err := f.cs.CoordinationV1().Leases(Namespace).Get(ctx, RenewLease, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("the lease is still there after the revert: %v", err)
	}
	if err := flt.Revert(ctx, m); err != nil || len(m.Reverts) != 1 {
		t.Errorf("a second revert: %v, reverts %q", err, m.Reverts)
	}
}

// A harness that vanishes mid-fault stops renewing: the agent puts the
// node back by itself after the grace, and the next run's repair finds it
// done and says who did it.
func TestDeadmanRevertsAfterTheHarnessVanishesAndTheRepairSaysSo(t *testing.T) {
	f := newHaltFixture(t, true)
	door := NewDoor(f.agent, WithDelay(time.Second), WithGrace(2*time.Second), WithDeadline(time.Minute))
	m := &faulttest.Marks{}
	ctx := context.Background()
	if _, err := door.Halt(ctx, m, "w1"); err != nil {
		t.Fatal(err)
	}
	w1 := f.nodes["w1"]
	id := m.Undos[0].Params["id"]
	// SIGKILL: the renewals stop with the process, nothing else happens.
	door.held["w1"].renew.Stop()
	waitFor(t, func() bool { return w1.faultFile(id, ".state") == "reverted" }, "the dead-man's revert")
	if w1.read("units/kubelet") != "active" || len(w1.rules("INPUT")) != 0 {
		t.Errorf("after the dead-man: kubelet %s, INPUT %q", w1.read("units/kubelet"), w1.rules("INPUT"))
	}
	did, err := NewRepairer(f.agent, 10*time.Second).Repair(ctx, m.Undos[0])
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(did, "already reverted") || !strings.Contains(did, "was not renewed") || !strings.Contains(did, "Ready") {
		t.Errorf("repair said %q: want who reverted it (the dead-man) and the node Ready", did)
	}
}

// With the agent's loop gone too (its pod's process dead), the repair
// itself puts the node back once it can reach the node again.
func TestRepairRevertsWhatNobodyReverted(t *testing.T) {
	f := newHaltFixture(t, false)
	door := NewDoor(f.agent, WithDelay(time.Second), WithGrace(2*time.Second), WithDeadline(time.Minute))
	m := &faulttest.Marks{}
	ctx := context.Background()
	if _, err := door.Halt(ctx, m, "w1"); err != nil {
		t.Fatal(err)
	}
	door.held["w1"].renew.Stop()
	w1 := f.nodes["w1"]
	id := m.Undos[0].Params["id"]
	// No exec reaches the agent while the kubelet is stopped: bring it
	// back as the deadline timer would, with the rules left for the repair.
	go func() {
		time.Sleep(500 * time.Millisecond)
		w1.write("units/kubelet", "active")
	}()
	did, err := NewRepairer(f.agent, 10*time.Second).Repair(ctx, m.Undos[0])
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(did, "repaired by the next selfheal run") || len(w1.rules("INPUT")) != 0 || w1.read("units/containerd") != "active" {
		t.Errorf("repair said %q; INPUT %q, containerd %s", did, w1.rules("INPUT"), w1.read("units/containerd"))
	}
	if w1.faultFile(id, ".state") != "reverted" {
		t.Error("not reverted")
	}
}

func TestHaltWithoutAnAgentOnTheNodeBreaksNothing(t *testing.T) {
	cs := cluster("w1")
	installed(t, cs) // the namespace, no pod
	m := &faulttest.Marks{}
	_, err := NewDoor(New(cs, &nodeExec{})).Halt(context.Background(), m, "w1")
	if !errors.Is(err, ErrNoAgent) || !strings.Contains(err.Error(), "nothing was broken") {
		t.Fatalf("err %v", err)
	}
	if len(m.Undos) != 0 {
		t.Error("recorded a fault it never injected")
	}
}

func TestHaltThatCannotBeRecordedBreaksNothing(t *testing.T) {
	f := newHaltFixture(t, true)
	m := &faulttest.Marks{BreakErr: errors.New("the record is unreachable")}
	if _, err := NewDoor(f.agent).Halt(context.Background(), m, "w1"); err == nil {
		t.Fatal("halted without a record")
	}
	if slices.ContainsFunc(f.exec.calls(), func(c string) bool { return strings.Contains(c, " break ") }) {
		t.Error("armed a fault that was not recorded")
	}
	if _, err := f.cs.CoordinationV1().Leases(Namespace).Get(context.Background(), RenewLease, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Error("took the lease for a fault that was not recorded")
	}
}

func TestStatusListsTheFaultsOnEachNode(t *testing.T) {
	f := newHaltFixture(t, true)
	door := NewDoor(f.agent, WithDelay(time.Second), WithGrace(30*time.Second), WithDeadline(time.Minute), WithActions(ActionNetwork))
	ctx := context.Background()
	m := &faulttest.Marks{}
	if _, err := door.Halt(ctx, m, "w2"); err != nil {
		t.Fatal(err)
	}
	st, err := f.agent.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	id := m.Undos[0].Params["id"]
	if !st.Installed || !strings.Contains(st.Nodes["w1"], "no fault") || !strings.Contains(st.Nodes["w2"], "faults: "+id+" broken") ||
		!strings.Contains(st.Lease, "held for fault "+id) {
		t.Errorf("status %+v", st)
	}
	if _, err := door.Start(ctx, m, "w2"); err != nil {
		t.Fatal(err)
	}
	// Only the network was isolated: exec reached the agent throughout,
	// and its rules are gone.
	if len(f.nodes["w2"].rules("INPUT")) != 0 || f.nodes["w2"].read("units/kubelet") != "active" {
		t.Errorf("after the revert: %q", f.nodes["w2"].rules("INPUT"))
	}
}

func TestRemoveRevertsOnEveryNodeThenDeletesTheNamespace(t *testing.T) {
	f := newHaltFixture(t, true)
	door := NewDoor(f.agent, WithDelay(time.Second), WithGrace(2*time.Second), WithDeadline(time.Minute))
	ctx := context.Background()
	if _, err := door.Halt(ctx, &faulttest.Marks{}, "w1"); err != nil {
		t.Fatal(err)
	}
	// The harness is gone (its renewals stopped); remove is what is left.
	door.held["w1"].renew.Stop()
	r, err := f.agent.Remove(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Nodes) != 2 || len(r.Deleted) != 1 {
		t.Errorf("removal %+v", r)
	}
	for name, s := range f.nodes {
		if s.read("units/kubelet") != "active" || len(s.rules("INPUT")) != 0 || len(s.timers()) != 0 {
			t.Errorf("%s after remove: kubelet %s, INPUT %q, timers %v", name, s.read("units/kubelet"), s.rules("INPUT"), s.timers())
		}
	}
	if _, err := f.cs.CoreV1().Namespaces().Get(ctx, Namespace, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("namespace still there: %v", err)
	}
	if r2, err := f.agent.Remove(ctx); err != nil || len(r2.Nodes) != 0 {
		t.Errorf("a second remove: %+v, %v", r2, err)
	}
}

var _ nodehalt.Door = (*Door)(nil)
var _ fault.Repairer = (*Repairer)(nil)

func evidence(m *faulttest.Marks) []result.Evidence { return m.Proofs() }

func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within 15 s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
