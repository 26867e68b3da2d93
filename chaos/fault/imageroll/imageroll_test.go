package imageroll

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/utils/ptr"

	"github.com/selfheal/selfheal/chaos/fault"
	"github.com/selfheal/selfheal/chaos/fault/faulttest"
	"github.com/selfheal/selfheal/chaos/kube"
)

// The roll reads and sets the image of whichever kind of workload runs
// WordPress, and Revert puts the first image back on that same object.
func TestImageOfEveryKind(t *testing.T) {
	meta := metav1.ObjectMeta{Name: "wordpress", Namespace: "ns"}
	tmpl := corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "wordpress", Image: "wp:1"}}}}
	tests := []struct {
		kind string
		obj  runtime.Object
	}{
		{kube.KindDeployment, &appsv1.Deployment{ObjectMeta: meta, Spec: appsv1.DeploymentSpec{Template: tmpl}}},
		{kube.KindStatefulSet, &appsv1.StatefulSet{ObjectMeta: meta, Spec: appsv1.StatefulSetSpec{Template: tmpl}}},
		{kube.KindDaemonSet, &appsv1.DaemonSet{ObjectMeta: meta, Spec: appsv1.DaemonSetSpec{Template: tmpl}}},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			ctx := context.Background()
			f := New(&kube.Client{Kubernetes: fake.NewClientset(tt.obj)}, "ns", "wordpress", "wordpress", "wp:2", WithKind(tt.kind))
			if img, err := f.image(ctx); err != nil || img != "wp:1" {
				t.Fatalf("image = %q, %v; want wp:1", img, err)
			}
			if err := f.setImage(ctx, "wp:2"); err != nil {
				t.Fatal(err)
			}
			if img, _ := f.image(ctx); img != "wp:2" {
				t.Fatalf("after setImage the %s runs %q, want wp:2", tt.kind, img)
			}
			f.from = "wp:1"
			m := &faulttest.Marks{}
			if err := f.Revert(ctx, m); err != nil {
				t.Fatal(err)
			}
			if img, _ := f.image(ctx); img != "wp:1" || len(m.Reverts) != 1 {
				t.Errorf("after Revert the %s runs %q (%d revert marks), want wp:1 and one mark", tt.kind, img, len(m.Reverts))
			}
		})
	}
	f := New(&kube.Client{Kubernetes: fake.NewClientset()}, "ns", "wordpress", "wordpress", "wp:2", WithKind("ReplicaSet"))
	if _, err := f.image(context.Background()); err == nil {
		t.Error("an unknown kind must be refused")
	}
}

func deploymentOn(img string) *appsv1.Deployment {
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "wordpress", Namespace: "ns", Generation: 1},
		Spec: appsv1.DeploymentSpec{Replicas: ptr.To(int32(2)), Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
			Containers: []corev1.Container{{Name: "wordpress", Image: img}}}}},
		Status: appsv1.DeploymentStatus{ObservedGeneration: 1, Replicas: 2, UpdatedReplicas: 2, AvailableReplicas: 2, ReadyReplicas: 2},
	}
}

func TestRepairFromTheUndoAlone(t *testing.T) {
	undo := fault.Undo{Kind: RepairKind, Params: map[string]string{"namespace": "ns", "kind": kube.KindDeployment, "name": "wordpress", "container": "wordpress", "image": "wp:1", "to": "wp:2"}}
	cs := fake.NewClientset(deploymentOn("wp:2"))
	r := NewRepairer(&kube.Client{Kubernetes: cs}, 5*time.Second)
	did, err := r.Repair(context.Background(), undo)
	if err != nil || !strings.Contains(did, "image set back from wp:2 to wp:1") {
		t.Fatalf("did %q err %v", did, err)
	}
	d, _ := cs.AppsV1().Deployments("ns").Get(context.Background(), "wordpress", metav1.GetOptions{})
	if img := d.Spec.Template.Spec.Containers[0].Image; img != "wp:1" {
		t.Fatalf("image after the repair %s, want wp:1", img)
	}
	if did, err := r.Repair(context.Background(), undo); err != nil || did != "" {
		t.Fatalf("nothing left: did %q err %v", did, err)
	}
}

func TestRecordsTheOriginalImageBeforeRolling(t *testing.T) {
	cs := fake.NewClientset(deploymentOn("wp:1"))
	var patchedAfterRecord bool
	m := &faulttest.Marks{}
	f := New(&kube.Client{Kubernetes: cs}, "ns", "wordpress", "wordpress", "wp:2")
	// Stop the fault after its first roll: the order is what is tested.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cs.PrependReactor("patch", "deployments", func(a k8stesting.Action) (bool, runtime.Object, error) {
		patchedAfterRecord = len(m.Undos) == 1
		cancel()
		return false, nil, nil
	})
	f.Inject(ctx, m)
	if !patchedAfterRecord || m.Undos[0].Params["image"] != "wp:1" || m.Undos[0].Params["to"] != "wp:2" || m.Undos[0].Params["kind"] != kube.KindDeployment {
		t.Fatalf("undos %+v, patched after the record %v", m.Undos, patchedAfterRecord)
	}
}

// rolledPod is a Ready WordPress pod of ReplicaSet rs running img.
func rolledPod(name, rs, img string) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", Labels: map[string]string{"app": "wp"},
		OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: rs, Controller: ptr.To(true)}}},
		Spec:   corev1.PodSpec{Containers: []corev1.Container{{Name: "wordpress", Image: img}}},
		Status: corev1.PodStatus{Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}}}
}

// After each rollout the fault reads the workload's pods: Ready pods of
// the new ReplicaSet running the new image prove the roll; a rollout
// whose status says complete while the pods still run the old image is
// evidence that did not hold.
func TestProvesThePodsRunTheNewImage(t *testing.T) {
	for _, tt := range []struct {
		name     string
		rolls    bool // the Deployment controller replaces the pods
		want     []string
		wantHeld []bool
	}{
		{"the pods follow", true, []string{"2 pod(s) run wp:2, 2 of them Ready (ReplicaSet wordpress-wp-2)", "2 pod(s) run wp:1, 2 of them Ready (ReplicaSet wordpress-wp-1)"}, []bool{true, true}},
		{"the pods never change", false, []string{"0 pod(s) run wp:2, 0 of them Ready; 2 other pod(s) run another image", "2 pod(s) run wp:1"}, []bool{false, true}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := deploymentOn("wp:1")
			d.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": "wp"}}
			other := rolledPod("other", "other-rs", "other:1") // another workload's pod: not counted
			other.Labels = map[string]string{"app": "other"}
			cs := fake.NewClientset(d, rolledPod("wp-1a", "wordpress-wp-1", "wp:1"), rolledPod("wp-1b", "wordpress-wp-1", "wp:1"), other)
			pods := corev1.SchemeGroupVersion.WithResource("pods")
			cs.PrependReactor("patch", "deployments", func(a k8stesting.Action) (bool, runtime.Object, error) {
				if !tt.rolls {
					return false, nil, nil
				}
				img := "wp:1"
				if strings.Contains(string(a.(k8stesting.PatchAction).GetPatch()), "wp:2") {
					img = "wp:2"
				}
				list, _ := cs.Tracker().List(pods, corev1.SchemeGroupVersion.WithKind("Pod"), "ns")
				for _, p := range list.(*corev1.PodList).Items {
					if p.Labels["app"] == "wp" {
						cs.Tracker().Delete(pods, "ns", p.Name)
					}
				}
				rs := "wordpress-" + strings.ReplaceAll(img, ":", "-")
				cs.Tracker().Add(rolledPod(rs+"-a", rs, img))
				cs.Tracker().Add(rolledPod(rs+"-b", rs, img))
				return false, nil, nil
			})
			f := New(&kube.Client{Kubernetes: cs}, "ns", "wordpress", "wordpress", "wp:2")
			f.settle = 0
			m := &faulttest.Marks{}
			if err := f.Inject(context.Background(), m); err != nil {
				t.Fatal(err)
			}
			if len(m.Evidence) != 2 {
				t.Fatalf("evidence %+v, want one piece per rollout", m.Evidence)
			}
			for i, e := range m.Evidence {
				if e.Held != tt.wantHeld[i] || !strings.Contains(e.Observed, tt.want[i]) || !strings.Contains(e.Check, "pods of deployment ns/wordpress") {
					t.Errorf("evidence %d: %+v, want held %v saying %q", i, e, tt.wantHeld[i], tt.want[i])
				}
			}
		})
	}
}

// TestRepairLeavesWhatIsNotTheFaults: the image is set back only while the
// workload runs the one the fault set. One that no longer exists, or that
// someone rolled to a third image since, is nothing to repair (the
// record's entry goes, chaos/guard) and is left as it is; so does the
// revert.
func TestRepairLeavesWhatIsNotTheFaults(t *testing.T) {
	undo := fault.Undo{Kind: RepairKind, Params: map[string]string{"namespace": "ns", "kind": kube.KindDeployment, "name": "wordpress", "container": "wordpress", "image": "wp:1", "to": "wp:2"}}
	tests := []struct {
		name string
		objs []runtime.Object
		want string
	}{
		{"gone", nil, "deployment ns/wordpress no longer exists"},
		{"changed by someone", []runtime.Object{deploymentOn("wp:3")}, "deployment ns/wordpress's image is wp:3, not the wp:2 the fault left"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs := fake.NewClientset(tt.objs...)
			did, err := NewRepairer(&kube.Client{Kubernetes: cs}, time.Minute).Repair(context.Background(), undo)
			if !errors.Is(err, fault.ErrNothingToRepair) || !strings.Contains(err.Error(), tt.want) || did != "" {
				t.Fatalf("did %q err %v; want nothing to repair: %s", did, err, tt.want)
			}
			for _, a := range cs.Actions() {
				if a.GetVerb() != "get" {
					t.Errorf("the repair wrote: %s", a)
				}
			}
		})
	}
	t.Run("revert", func(t *testing.T) {
		cs := fake.NewClientset(deploymentOn("wp:3"))
		f, m := New(&kube.Client{Kubernetes: cs}, "ns", "wordpress", "wordpress", "wp:2"), &faulttest.Marks{}
		f.from = "wp:1"
		if err := f.Revert(context.Background(), m); err != nil || len(m.Reverts) > 0 {
			t.Fatalf("revert of an image someone changed: err %v reverted %q", err, m.Reverts)
		}
		if img, _ := f.image(context.Background()); img != "wp:3" {
			t.Errorf("the revert set the image to %s; someone's wp:3 must stay", img)
		}
	})
}
