package imageroll

import (
	"context"
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
	"github.com/selfheal/selfheal/chaos/kube"
)

func deploymentOn(img string) *appsv1.Deployment {
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "wordpress", Namespace: "ns", Generation: 1},
		Spec: appsv1.DeploymentSpec{Replicas: ptr.To(int32(2)), Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
			Containers: []corev1.Container{{Name: "wordpress", Image: img}}}}},
		Status: appsv1.DeploymentStatus{ObservedGeneration: 1, Replicas: 2, UpdatedReplicas: 2, AvailableReplicas: 2, ReadyReplicas: 2},
	}
}

func TestRepairFromTheUndoAlone(t *testing.T) {
	undo := fault.Undo{Kind: RepairKind, Params: map[string]string{"namespace": "ns", "deployment": "wordpress", "container": "wordpress", "image": "wp:1"}}
	cs := fake.NewClientset(deploymentOn("wp:2"))
	r := NewRepairer(&kube.Client{Kubernetes: cs}, 5*time.Second)
	did, err := r.Repair(context.Background(), undo)
	if err != nil || !strings.Contains(did, "image set back from wp:2 to wp:1") {
		t.Fatalf("did %q err %v", did, err)
	}
	d, _ := cs.AppsV1().Deployments("ns").Get(context.Background(), "wordpress", metav1.GetOptions{})
	if img, _ := image(d, "wordpress"); img != "wp:1" {
		t.Fatalf("image after the repair %s, want wp:1", img)
	}
	if did, err := r.Repair(context.Background(), undo); err != nil || did != "" {
		t.Fatalf("nothing left: did %q err %v", did, err)
	}
}

type marks struct{ undos []fault.Undo }

func (m *marks) Breaking(_ context.Context, u fault.Undo) error {
	m.undos = append(m.undos, u)
	return nil
}
func (m *marks) Injected(string)     {}
func (m *marks) Reverted(string)     {}
func (m *marks) Logf(string, ...any) {}

func TestRecordsTheOriginalImageBeforeRolling(t *testing.T) {
	cs := fake.NewClientset(deploymentOn("wp:1"))
	var patchedAfterRecord bool
	m := &marks{}
	f := New(&kube.Client{Kubernetes: cs}, "ns", "wordpress", "wordpress", "wp:2")
	// Stop the fault after its first roll: the order is what is tested.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cs.PrependReactor("patch", "deployments", func(a k8stesting.Action) (bool, runtime.Object, error) {
		patchedAfterRecord = len(m.undos) == 1
		cancel()
		return false, nil, nil
	})
	f.Inject(ctx, m)
	if !patchedAfterRecord || m.undos[0].Params["image"] != "wp:1" {
		t.Fatalf("undos %+v, patched after the record %v", m.undos, patchedAfterRecord)
	}
}
