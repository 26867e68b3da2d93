package evict

import (
	"context"
	"errors"
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
	"github.com/selfheal/selfheal/chaos/fault/faulttest"
	"github.com/selfheal/selfheal/chaos/kube"
)

var pods = corev1.SchemeGroupVersion.WithResource("pods")

func wpPod(name, node string) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", UID: types.UID("uid-" + name), Labels: map[string]string{"app": "wp"}},
		Spec: corev1.PodSpec{NodeName: node}}
}

// evicted is what the cluster does with an evicted pod: with terminate
// it marks it terminating, with replace its ReplicaSet creates another
// (a new name and UID).
func evicted(cs *fake.Clientset, ns, name string, terminate, replace bool) {
	obj, err := cs.Tracker().Get(pods, ns, name)
	if err != nil {
		return
	}
	p := obj.(*corev1.Pod).DeepCopy()
	if terminate {
		p.DeletionTimestamp = ptr.To(metav1.Now())
		cs.Tracker().Update(pods, p, ns)
	}
	if replace {
		cs.Tracker().Add(wpPod(name+"-r", "w3"))
	}
}

func TestEvictsInTurnHonouringThePDB(t *testing.T) {
	cs := fake.NewClientset(wpPod("wp-b", "w2"), wpPod("wp-a", "w1"))
	var attempts []string
	refusals := 2
	cs.PrependReactor("create", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if a.GetSubresource() != "eviction" {
			return false, nil, nil
		}
		name := a.(k8stesting.CreateAction).GetObject().(metav1.Object).GetName()
		attempts = append(attempts, name)
		// The second pod is refused twice, as a PDB does until the first
		// one's replacement is Ready.
		if name == "wp-b" && refusals > 0 {
			refusals--
			return true, nil, apierrors.NewTooManyRequests("Cannot evict pod as it would violate the pod's disruption budget.", 1)
		}
		evicted(cs, a.GetNamespace(), name, true, true)
		return true, nil, nil
	})
	f := New(&kube.Client{Kubernetes: cs}, "ns", "app=wp", WithRetry(10*time.Millisecond))
	m := &faulttest.Marks{}
	if err := f.Inject(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(attempts, " "); got != "wp-a wp-b wp-b wp-b" {
		t.Errorf("eviction attempts %q, want wp-a then wp-b three times", got)
	}
	if len(m.Injections) != 2 || !strings.Contains(m.Injections[1], "after 2 refusal(s)") {
		t.Errorf("injections %q", m.Injections)
	}
	if len(m.Undos) != 1 || m.Undos[0].Params["selector"] != "app=wp" {
		t.Errorf("undos %+v, want one naming the pods before the first eviction", m.Undos)
	}
	if notes := f.Notes(); len(notes) != 1 || !strings.Contains(notes[0], "wp-b 2 time(s)") {
		t.Errorf("notes %q", notes)
	}
}

// After each eviction the fault reads from the API that the pod is
// leaving and that a replacement with a new UID was created; an eviction
// answered without either is evidence that did not hold.
func TestProvesEachPodLeftAndWasReplaced(t *testing.T) {
	tests := []struct {
		name               string
		terminate, replace bool
		held               bool
		observed           []string // for wp-a, then wp-b
	}{
		{name: "terminating and replaced", terminate: true, replace: true, held: true,
			observed: []string{"pod wp-a terminating (deletionTimestamp set); replacement wp-a-r (uid uid-wp-a-r) created", "pod wp-b terminating (deletionTimestamp set); replacement wp-b-r (uid uid-wp-b-r) created"}},
		{name: "nothing happened", observed: []string{"pod wp-a still running, not terminating; no replacement yet", "pod wp-b still running"}},
		{name: "terminating, never replaced", terminate: true, observed: []string{"pod wp-a terminating (deletionTimestamp set); no replacement yet", "pod wp-b terminating"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs := fake.NewClientset(wpPod("wp-a", "w1"), wpPod("wp-b", "w2"))
			cs.PrependReactor("create", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
				if a.GetSubresource() != "eviction" {
					return false, nil, nil
				}
				evicted(cs, a.GetNamespace(), a.(k8stesting.CreateAction).GetObject().(metav1.Object).GetName(), tt.terminate, tt.replace)
				return true, nil, nil
			})
			f := New(&kube.Client{Kubernetes: cs}, "ns", "app=wp")
			f.proofTimeout = 300 * time.Millisecond
			m := &faulttest.Marks{}
			if err := f.Inject(context.Background(), m); err != nil {
				t.Fatal(err)
			}
			if len(m.Evidence) != 2 {
				t.Fatalf("evidence %+v, want one piece per eviction", m.Evidence)
			}
			for i, e := range m.Evidence {
				if e.Held != tt.held || !strings.Contains(e.Observed, tt.observed[i]) || !strings.Contains(e.Check, "after its eviction") {
					t.Errorf("evidence %d: %+v, want held %v saying %q", i, e, tt.held, tt.observed[i])
				}
			}
		})
	}
}

func TestGivesUpAfterTimeoutAndNeverForces(t *testing.T) {
	cs := fake.NewClientset(&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "db-0", Namespace: "ns", Labels: map[string]string{"app": "db"}}})
	cs.PrependReactor("create", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewTooManyRequests("disruption budget", 1)
	})
	cs.PrependReactor("delete", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		t.Error("the fault deleted a pod: evictions must never be bypassed")
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, "db-0", nil)
	})
	f := New(&kube.Client{Kubernetes: cs}, "ns", "app=db", WithRetry(5*time.Millisecond), WithTimeout(50*time.Millisecond))
	err := f.Inject(context.Background(), &faulttest.Marks{})
	if err == nil || !strings.Contains(err.Error(), "refused it for 50ms") {
		t.Fatalf("err = %v", err)
	}
}

func TestRepairWaitsForReplacements(t *testing.T) {
	ready := func(name string, ok bool) *corev1.Pod {
		st := corev1.ConditionFalse
		if ok {
			st = corev1.ConditionTrue
		}
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", Labels: map[string]string{"app": "wp"}},
			Status: corev1.PodStatus{Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: st}}}}
	}
	undo := fault.Undo{Kind: RepairKind, Params: map[string]string{"namespace": "ns", "selector": "app=wp"}}

	cs := fake.NewClientset(ready("wp-a", true), ready("wp-c", false))
	time.AfterFunc(300*time.Millisecond, func() {
		cs.CoreV1().Pods("ns").UpdateStatus(context.Background(), ready("wp-c", true), metav1.UpdateOptions{})
	})
	did, err := NewRepairer(&kube.Client{Kubernetes: cs}, 10*time.Second).Repair(context.Background(), undo)
	if err != nil || !strings.Contains(did, "every one Ready after") {
		t.Fatalf("did %q err %v", did, err)
	}
	did, err = NewRepairer(&kube.Client{Kubernetes: cs}, 10*time.Second).Repair(context.Background(), undo)
	if err != nil || did != "" {
		t.Fatalf("nothing left: did %q err %v", did, err)
	}
	stuck := fake.NewClientset(ready("wp-a", false))
	if _, err := NewRepairer(&kube.Client{Kubernetes: stuck}, 1500*time.Millisecond).Repair(context.Background(), undo); err == nil {
		t.Fatal("a pod that never gets Ready was called repaired")
	}
	// No pod matches any more: the workload is gone, nothing will replace
	// them, and the record's entry goes (chaos/guard).
	did, err = NewRepairer(&kube.Client{Kubernetes: fake.NewClientset()}, time.Minute).Repair(context.Background(), undo)
	if !errors.Is(err, fault.ErrNothingToRepair) || !strings.Contains(err.Error(), "every pod app=wp in ns no longer exists") || did != "" {
		t.Fatalf("pods gone: did %q err %v; want nothing to repair", did, err)
	}
}
