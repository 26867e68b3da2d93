package session

import (
	"context"
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/rest"

	"github.com/selfheal/selfheal/chaos/kube"
)

type logs struct{ lines []string }

func (l *logs) Logf(f string, a ...any) { l.lines = append(l.lines, fmt.Sprintf(f, a...)) }
func (l *logs) Progress(string)         {}
func (l *logs) Done()                   {}

// docker answers as the docker CLI does for kind cluster c's containers,
// its API published on 127.0.0.1:40123.
func docker(_ context.Context, args ...string) (string, error) {
	switch args[0] {
	case "ps":
		return "1\n2\n", nil
	case "inspect":
		return "/c-control-plane\timg\tsha\trunning\tcontrol-plane\n/c-worker\timg\tsha\trunning\tworker\n", nil
	case "port":
		return "127.0.0.1:40123\n", nil
	}
	return "", fmt.Errorf("unexpected docker %v", args)
}

// A remote cluster whose nodes have the local kind cluster's names must be
// refused: its node faults would halt local containers.
func TestCheckKindRefusesALookAlike(t *testing.T) {
	nodes := fake.NewClientset(
		&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "c-control-plane"}, Spec: corev1.NodeSpec{ProviderID: "kind://docker/c/c-control-plane"}},
		&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "c-worker"}, Spec: corev1.NodeSpec{ProviderID: "kind://docker/c/c-worker"}},
	)
	tests := []struct {
		server   string
		allow    bool
		wantKind bool
		wantErr  string
	}{
		{"https://127.0.0.1:40123", false, true, ""},
		{"https://203.0.113.7:6443", false, false, "refusing to inject faults"},
		{"https://203.0.113.7:6443", true, false, ""},
	}
	for _, tt := range tests {
		g := &guarded{client: &kube.Client{Kubernetes: nodes}, rest: &rest.Config{Host: tt.server}}
		con := &logs{}
		isKind, err := g.checkKind(context.Background(), Config{Cluster: "c", AllowNonKind: tt.allow, Console: con}, docker)
		if isKind != tt.wantKind || (tt.wantErr == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("%s allow=%v: kind %v err %v", tt.server, tt.allow, isKind, err)
		}
		if tt.allow && (len(con.lines) != 1 || !strings.Contains(con.lines[0], "warning")) {
			t.Errorf("allowed non-kind cluster: said %q, want a warning", con.lines)
		}
	}
}
