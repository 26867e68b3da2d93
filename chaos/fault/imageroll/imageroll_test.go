package imageroll

import (
	"context"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/selfheal/selfheal/chaos/kube"
)

type marks struct{ reverted []string }

func (m *marks) Injected(string)     {}
func (m *marks) Reverted(d string)   { m.reverted = append(m.reverted, d) }
func (m *marks) Logf(string, ...any) {}

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
			m := &marks{}
			if err := f.Revert(ctx, m); err != nil {
				t.Fatal(err)
			}
			if img, _ := f.image(ctx); img != "wp:1" || len(m.reverted) != 1 {
				t.Errorf("after Revert the %s runs %q (%d revert marks), want wp:1 and one mark", tt.kind, img, len(m.reverted))
			}
		})
	}
	f := New(&kube.Client{Kubernetes: fake.NewClientset()}, "ns", "wordpress", "wordpress", "wp:2", WithKind("ReplicaSet"))
	if _, err := f.image(context.Background()); err == nil {
		t.Error("an unknown kind must be refused")
	}
}
