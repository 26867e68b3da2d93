package nodehalt

import (
	"context"
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/selfheal/selfheal/chaos/kube"
)

type marks struct{ injected, reverted []string }

func (m *marks) Injected(d string)   { m.injected = append(m.injected, d) }
func (m *marks) Reverted(d string)   { m.reverted = append(m.reverted, d) }
func (m *marks) Logf(string, ...any) {}

func pod(name, app, node string) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", Labels: map[string]string{"app": app}}, Spec: corev1.PodSpec{NodeName: node}}
}

var nodes = []Node{{"c-control-plane", "control-plane"}, {"c-worker", "worker"}, {"c-worker2", "worker"}}

func newFault(docker *[]string, pods ...*corev1.Pod) *Fault {
	cs := fake.NewClientset()
	for _, p := range pods {
		cs.Tracker().Add(p)
	}
	return New(&kube.Client{Kubernetes: cs}, "c", "ns", WithVictim("app=wp"), WithAvoid("app=db"),
		WithNodes(func(context.Context) ([]Node, error) { return nodes, nil }),
		WithDocker(func(_ context.Context, args ...string) (string, error) {
			*docker = append(*docker, strings.Join(args, " "))
			return "", nil
		}))
}

func TestChoosesWorkerWithVictimAndWithoutAvoided(t *testing.T) {
	tests := []struct {
		name    string
		pods    []*corev1.Pod
		want    string
		wantErr string
	}{
		{"db on worker", []*corev1.Pod{pod("wp-a", "wp", "c-worker"), pod("wp-b", "wp", "c-worker2"), pod("db-0", "db", "c-worker")}, "c-worker2", ""},
		{"db on worker2", []*corev1.Pod{pod("wp-a", "wp", "c-worker"), pod("wp-b", "wp", "c-worker2"), pod("db-0", "db", "c-worker2")}, "c-worker", ""},
		{"never the control plane", []*corev1.Pod{pod("wp-a", "wp", "c-control-plane"), pod("db-0", "db", "c-worker")}, "", "no worker of cluster c"},
		{"both workers have the db", []*corev1.Pod{pod("wp-a", "wp", "c-worker"), pod("db-0", "db", "c-worker")}, "", "no worker"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var docker []string
			f := newFault(&docker, tt.pods...)
			m := &marks{}
			err := f.Inject(context.Background(), m)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || len(docker) > 0 {
					t.Fatalf("err %v docker %v; want %q and no docker call", err, docker, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if want := []string{"stop " + tt.want}; fmt.Sprint(docker) != fmt.Sprint(want) || len(m.injected) != 1 {
				t.Fatalf("docker %v injected %v; want %v", docker, m.injected, want)
			}
			if err := f.Revert(context.Background(), m); err != nil {
				t.Fatal(err)
			}
			if err := f.Revert(context.Background(), m); err != nil { // idempotent
				t.Fatal(err)
			}
			if fmt.Sprint(docker) != fmt.Sprint([]string{"stop " + tt.want, "start " + tt.want}) || len(m.reverted) != 1 {
				t.Fatalf("docker %v reverted %v", docker, m.reverted)
			}
		})
	}
}

func TestRevertWithoutInjectDoesNothing(t *testing.T) {
	var docker []string
	if err := newFault(&docker).Revert(context.Background(), &marks{}); err != nil || len(docker) > 0 {
		t.Fatalf("err %v docker %v", err, docker)
	}
}

func TestRestoreAll(t *testing.T) {
	var calls []string
	docker := func(_ context.Context, args ...string) (string, error) {
		calls = append(calls, strings.Join(args, " "))
		if args[0] == "ps" {
			return "c-worker exited\nc-worker2 paused\n", nil
		}
		return "", nil
	}
	started, err := RestoreAll(context.Background(), "c", docker)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(started) != "[c-worker c-worker2]" || calls[1] != "start c-worker" || calls[2] != "unpause c-worker2" {
		t.Fatalf("started %v calls %v", started, calls)
	}
}
