package drain

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/utils/ptr"

	"github.com/selfheal/selfheal/chaos/fault"
	"github.com/selfheal/selfheal/chaos/fault/evict"
	"github.com/selfheal/selfheal/chaos/fault/faulttest"
	"github.com/selfheal/selfheal/chaos/kube"
)

var pods = corev1.SchemeGroupVersion.WithResource("pods")

// cluster is a fake API server whose evictions go through a PDB that
// refuses a given number of times, and whose evicted pods disappear a
// little later (their grace period). Every change goes to the log.
type cluster struct {
	cs       *fake.Clientset
	refusals map[string]int // pod → 429s before the eviction is allowed
	// lostPatch answers a node patch without applying it.
	lostPatch bool

	faulttest.Log
}

func node(name string, controlPlane, cordoned bool) *corev1.Node {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{}}, Spec: corev1.NodeSpec{Unschedulable: cordoned}}
	if controlPlane {
		n.Labels[kube.ControlPlaneRole] = ""
	}
	return n
}

// pod is a pod of namespace/name on node, owned by a controller of kind
// ownerKind ("" for none).
func pod(nsName, app, nodeName, ownerKind string) *corev1.Pod {
	ns, name, _ := strings.Cut(nsName, "/")
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, UID: types.UID(nsName), Labels: map[string]string{"app": app}},
		Spec: corev1.PodSpec{NodeName: nodeName}}
	if ownerKind != "" {
		p.OwnerReferences = []metav1.OwnerReference{{Kind: ownerKind, Name: app, Controller: ptr.To(true)}}
	}
	return p
}

// baseline is the fixture's layout: MySQL on w1, a WordPress pod on each
// worker, the DaemonSets everywhere, a static pod's mirror on w2 and
// another namespace's Deployment pod on w2.
func baseline() []runtime.Object {
	mirror := pod("kube-system/static-w2", "static", "w2", "")
	mirror.Annotations = map[string]string{corev1.MirrorPodAnnotationKey: "x"}
	return []runtime.Object{
		node("cp", true, false), node("w1", false, false), node("w2", false, false),
		pod("ns/db-0", "db", "w1", "StatefulSet"),
		pod("ns/wp-a", "wp", "w1", "ReplicaSet"),
		pod("ns/wp-b", "wp", "w2", "ReplicaSet"),
		pod("kube-system/proxy-w2", "proxy", "w2", "DaemonSet"),
		pod("kube-system/dns-1", "dns", "w2", "ReplicaSet"),
		mirror,
	}
}

func newCluster(t *testing.T, objs ...runtime.Object) *cluster {
	c := &cluster{cs: fake.NewClientset(objs...), refusals: map[string]int{}}
	c.cs.PrependReactor("create", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if a.GetSubresource() != "eviction" {
			return false, nil, nil
		}
		ns, name := a.GetNamespace(), a.(k8stesting.CreateAction).GetObject().(metav1.Object).GetName()
		// Reactors run one at a time, under the fake clientset's lock.
		if c.refusals[name] != 0 {
			if c.refusals[name] > 0 {
				c.refusals[name]--
			}
			return true, nil, apierrors.NewTooManyRequests("Cannot evict pod as it would violate the pod's disruption budget.", 1)
		}
		c.Add("evict " + ns + "/" + name)
		// Gone after its grace period.
		time.AfterFunc(100*time.Millisecond, func() { c.cs.Tracker().Delete(pods, ns, name) })
		return true, nil, nil
	})
	c.cs.PrependReactor("patch", "nodes", func(a k8stesting.Action) (bool, runtime.Object, error) {
		c.Add(fmt.Sprintf("patch %s %s", a.(k8stesting.PatchAction).GetName(), a.(k8stesting.PatchAction).GetPatch()))
		if c.lostPatch {
			n, err := c.cs.Tracker().Get(corev1.SchemeGroupVersion.WithResource("nodes"), "", a.(k8stesting.PatchAction).GetName())
			return true, n, err
		}
		return false, nil, nil
	})
	c.cs.PrependReactor("delete", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		t.Error("the drain deleted a pod: evictions must never be bypassed")
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, "", nil)
	})
	return c
}

func (c *cluster) cordoned(t *testing.T, name string) bool {
	t.Helper()
	n, err := c.cs.CoreV1().Nodes().Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return n.Spec.Unschedulable
}

func (c *cluster) fault(opts ...Option) *Fault {
	return New(&kube.Client{Kubernetes: c.cs}, "ns", "app=wp", append([]Option{
		WithAvoid("app=db", "the database's volume is local"),
		WithEviction(evict.WithRetry(5 * time.Millisecond)),
		WithGoneTimeout(5 * time.Second),
	}, opts...)...)
}

// marks is the engine's side; the record goes to the cluster's log so
// that its order against the cluster's changes shows.
func (c *cluster) marks() *faulttest.Marks {
	return &faulttest.Marks{OnRecord: func(u fault.Undo) { c.Add("record " + u.Params["node"]) }}
}

const (
	cordon   = `patch w2 {"spec":{"unschedulable":true}}`
	uncordon = `patch w2 {"spec":{"unschedulable":false}}`
)

func TestDrainsTheWorkerWithoutMySQLAsKubectlDoes(t *testing.T) {
	c := newCluster(t, baseline()...)
	c.refusals["wp-b"] = 2 // the PDB holds it back until a replacement is Ready
	f, m := c.fault(), c.marks()
	if err := f.Inject(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	// Recorded before the cordon; the DaemonSet and mirror pods stay;
	// every other pod on w2 goes, whatever its namespace; none on w1.
	if got, want := c.String(), "record w2, "+cordon+", evict kube-system/dns-1, evict ns/wp-b"; got != want {
		t.Errorf("events %q\nwant   %q", got, want)
	}
	if len(m.Injections) != 3 || m.Injections[0] != "cordoned node w2 (it runs wp-b)" || !strings.Contains(m.Injections[2], "after 2 refusal(s)") {
		t.Errorf("injections %q", m.Injections)
	}
	if !c.cordoned(t, "w2") || c.cordoned(t, "w1") {
		t.Error("w2 should be cordoned and w1 not")
	}
	// Inject returned only once the evicted pods were gone.
	for _, p := range []string{"dns-1", "wp-b"} {
		if _, err := c.cs.Tracker().Get(pods, map[string]string{"dns-1": "kube-system", "wp-b": "ns"}[p], p); !apierrors.IsNotFound(err) {
			t.Errorf("pod %s still there after the drain: %v", p, err)
		}
	}
	if notes := f.Notes(); len(notes) != 2 || !strings.Contains(notes[1], "wp-b 2 time(s)") {
		t.Errorf("notes %q", notes)
	}
	for range 2 {
		if err := f.Revert(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	if c.cordoned(t, "w2") || fmt.Sprint(m.Reverts) != "[uncordoned node w2]" || strings.Count(c.String(), uncordon) != 1 {
		t.Errorf("after two reverts: cordoned %v, reverted %q, events %q", c.cordoned(t, "w2"), m.Reverts, c.String())
	}
}

// The cordon is read back from the node, and the evicted pods seen gone;
// a cordon the API answered without applying is evidence that did not
// hold, and nothing is evicted after it.
func TestProvesTheCordonAndTheEvictions(t *testing.T) {
	c := newCluster(t, baseline()...)
	m := c.marks()
	if err := c.fault().Inject(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	want := []string{"unschedulable=true", "kube-system/dns-1, ns/wp-b gone"}
	if len(m.Evidence) != 2 {
		t.Fatalf("evidence %+v, want the cordon's and the evictions'", m.Evidence)
	}
	for i, e := range m.Evidence {
		if !e.Held || !strings.Contains(e.Observed, want[i]) || !strings.Contains(e.Check, "node w2") {
			t.Errorf("evidence %d: %+v, want it held, saying %q", i, e, want[i])
		}
	}

	c = newCluster(t, baseline()...)
	c.lostPatch = true
	m = c.marks()
	err := c.fault().Inject(context.Background(), m)
	if err == nil || !strings.Contains(err.Error(), "the cordon did not take") || len(m.Evidence) != 1 || m.Evidence[0].Held ||
		m.Evidence[0].Observed != "unschedulable=false" || strings.Contains(c.String(), "evict") {
		t.Fatalf("err %v evidence %+v events %q; want evidence that did not hold and no eviction", err, m.Evidence, c.String())
	}
}

func TestRefusesBeforeItCordons(t *testing.T) {
	withPod := func(p *corev1.Pod) []runtime.Object { return append(baseline(), p) }
	scratch := pod("other/scratch", "scratch", "w2", "ReplicaSet")
	scratch.Spec.Volumes = []corev1.Volume{{Name: "tmp", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}}
	tests := []struct {
		name string
		objs []runtime.Object
		want string
	}{
		{"every WordPress pod beside MySQL", []runtime.Object{node("cp", true, false), node("w1", false, false), node("w2", false, false),
			pod("ns/db-0", "db", "w1", "StatefulSet"), pod("ns/wp-a", "wp", "w1", "ReplicaSet"), pod("ns/wp-b", "wp", "w1", "ReplicaSet")},
			`a node running a pod "app=db" is never drained (the database's volume is local)`},
		{"the other worker already cordoned", []runtime.Object{node("cp", true, false), node("w1", false, false), node("w2", false, true),
			pod("ns/db-0", "db", "w1", "StatefulSet"), pod("ns/wp-a", "wp", "w1", "ReplicaSet"), pod("ns/wp-b", "wp", "w2", "ReplicaSet")},
			"none of [w1] runs"},
		{"never the control plane", []runtime.Object{node("cp", true, false), node("w1", false, false),
			pod("ns/db-0", "db", "w1", "StatefulSet"), pod("ns/wp-a", "wp", "cp", "ReplicaSet")},
			"none of [w1] runs"},
		{"a pod nothing would recreate", withPod(pod("other/bare", "bare", "w2", "")), "other/bare (no controller would recreate it; kubectl drain refuses it without --force)"},
		{"a pod with emptyDir data", withPod(scratch), "other/scratch (its emptyDir data would be lost"},
		{"no WordPress pod", []runtime.Object{node("cp", true, false), node("w1", false, false)}, "no worker to drain"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCluster(t, tt.objs...)
			m := c.marks()
			err := c.fault().Inject(context.Background(), m)
			if err == nil || !strings.Contains(err.Error(), tt.want) || c.String() != "" || len(m.Injections) > 0 {
				t.Fatalf("err %v\nwant %q, and no record, cordon or eviction (events %q)", err, tt.want, c.String())
			}
		})
	}
}

func TestNothingCordonedWithoutARecord(t *testing.T) {
	c := newCluster(t, baseline()...)
	err := c.fault().Inject(context.Background(), &faulttest.Marks{BreakErr: errors.New("record unwritable")})
	if err == nil || c.String() != "" || c.cordoned(t, "w2") {
		t.Fatalf("err %v events %q: a fault that cannot be recorded must not be injected", err, c.String())
	}
}

func TestBlockedDrainGivesUpAndRevertUncordons(t *testing.T) {
	// A PDB that never allows the eviction (one replica, minAvailable 1):
	// the drain is bounded, reports it, and the revert uncordons.
	c := newCluster(t, baseline()...)
	c.refusals["wp-b"] = -1
	f, m := c.fault(WithEviction(evict.WithRetry(5*time.Millisecond), evict.WithTimeout(50*time.Millisecond))), c.marks()
	err := f.Inject(context.Background(), m)
	if err == nil || !strings.Contains(err.Error(), "draining node w2: evicting wp-b: the PodDisruptionBudget refused it for 50ms") {
		t.Fatalf("err = %v", err)
	}
	if err := f.Revert(context.Background(), m); err != nil || c.cordoned(t, "w2") || len(m.Reverts) != 1 {
		t.Fatalf("revert after a partial drain: err %v cordoned %v reverted %q", err, c.cordoned(t, "w2"), m.Reverts)
	}
}

func TestRevertWithoutInjectChangesNothing(t *testing.T) {
	c := newCluster(t, baseline()...)
	m := c.marks()
	if err := c.fault().Revert(context.Background(), m); err != nil || c.String() != "" || len(m.Reverts) > 0 {
		t.Fatalf("err %v events %q reverted %q", err, c.String(), m.Reverts)
	}
}

func TestRepairFromTheUndoAlone(t *testing.T) {
	c := newCluster(t, node("w2", false, true))
	r := NewRepairer(&kube.Client{Kubernetes: c.cs}, 5*time.Second)
	u := fault.Undo{Kind: RepairKind, Params: map[string]string{"node": "w2"}}
	if did, err := r.Repair(context.Background(), u); err != nil || did != "uncordoned node w2" || c.cordoned(t, "w2") {
		t.Fatalf("did %q err %v", did, err)
	}
	if did, err := r.Repair(context.Background(), u); err != nil || did != "" || c.String() != uncordon {
		t.Fatalf("already repaired: did %q err %v events %q", did, err, c.String())
	}
	if did, err := r.Repair(context.Background(), fault.Undo{Kind: RepairKind, Params: map[string]string{"node": "gone"}}); !errors.Is(err, fault.ErrNothingToRepair) || did != "" {
		t.Fatalf("a node that no longer exists: did %q err %v", did, err)
	}
	if _, err := r.Repair(context.Background(), fault.Undo{Kind: RepairKind}); err == nil {
		t.Fatal("repaired from a record that names no node")
	}
}
