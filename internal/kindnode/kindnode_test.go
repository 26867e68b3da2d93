package kindnode

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
)

// fakeDocker answers like the docker CLI for a set of containers, and
// records the commands that change something.
type fakeDocker struct {
	nodes   []Node
	port    string // docker port output for the control plane
	changed []string
}

func (d *fakeDocker) run(_ context.Context, args ...string) (string, error) {
	switch {
	case args[0] == "ps":
		var ids []string
		for _, n := range d.nodes {
			ids = append(ids, "id-"+n.Name)
		}
		return strings.Join(ids, "\n"), nil
	case args[0] == "inspect" && args[2] == "{{.State.Status}}":
		for _, n := range d.nodes {
			if n.Name == args[3] {
				return n.State + "\n", nil
			}
		}
		return "", errors.New("no such object: " + args[3])
	case args[0] == "inspect":
		var b strings.Builder
		for _, n := range d.nodes {
			fmt.Fprintf(&b, "/%s\t%s\t%s\t%s\t%s\n", n.Name, n.Image, n.ImageID, n.State, n.Role)
		}
		return b.String(), nil
	case args[0] == "port":
		return d.port, nil
	default:
		d.changed = append(d.changed, strings.Join(args, " "))
		return "", nil
	}
}

func kindNodes(states ...string) []Node {
	names := []string{"c-control-plane", "c-worker", "c-worker2"}
	roles := []string{RoleControlPlane, RoleWorker, RoleWorker}
	var out []Node
	for i, n := range names {
		out = append(out, Node{Name: n, Role: roles[i], Image: "img", ImageID: "sha", State: states[i]})
	}
	return out
}

func TestStartHalted(t *testing.T) {
	d := &fakeDocker{nodes: kindNodes("running", "exited", "paused")}
	did, err := StartHalted(context.Background(), d.run, "c")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(d.changed, ","); got != "start c-worker,unpause c-worker2" {
		t.Errorf("docker calls %q", got)
	}
	if len(did) != 2 || !strings.Contains(did[0], "c-worker was exited") {
		t.Errorf("said %q", did)
	}
}

func apiNode(name, providerID string) runtime.Object {
	return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.NodeSpec{ProviderID: providerID}}
}

func TestVerify(t *testing.T) {
	kindAPI := []runtime.Object{
		apiNode("c-control-plane", "kind://docker/c/c-control-plane"),
		apiNode("c-worker", "kind://docker/c/c-worker"),
		apiNode("c-worker2", "kind://docker/c/c-worker2"),
	}
	// A cluster with the same node names elsewhere: kind on another
	// machine (same providerIDs, another server) or a cloud.
	cloudAPI := []runtime.Object{
		apiNode("c-control-plane", "aws:///eu-west-1a/i-1"),
		apiNode("c-worker", "aws:///eu-west-1a/i-2"),
		apiNode("c-worker2", "aws:///eu-west-1a/i-3"),
	}
	tests := []struct {
		name    string
		api     []runtime.Object
		server  string
		port    string
		nodes   []Node
		wantErr string
	}{
		{"the local kind cluster", kindAPI, "https://127.0.0.1:40123", "127.0.0.1:40123\n", kindNodes("running", "running", "running"), ""},
		{"localhost in the kubeconfig", kindAPI, "https://localhost:40123", "127.0.0.1:40123\n", kindNodes("running", "running", "running"), ""},
		{"a halted worker is still the cluster", kindAPI, "https://127.0.0.1:40123", "127.0.0.1:40123\n", kindNodes("running", "exited", "running"), ""},
		{"from inside docker's network", kindAPI, "https://c-control-plane:6443", "127.0.0.1:40123\n", kindNodes("running", "running", "running"), ""},
		{"another machine's kind cluster of the same name", kindAPI, "https://10.1.2.3:40123", "127.0.0.1:40123\n", kindNodes("running", "running", "running"), "not the API port"},
		{"another local port", kindAPI, "https://127.0.0.1:40999", "127.0.0.1:40123\n", kindNodes("running", "running", "running"), "not the API port"},
		{"same names, not kind", cloudAPI, "https://127.0.0.1:40123", "127.0.0.1:40123\n", kindNodes("running", "running", "running"), `node c-worker has providerID "aws:///eu-west-1a/i-2"`},
		{"no local containers", kindAPI, "https://127.0.0.1:40123", "", nil, "no node container"},
		{"other nodes", kindAPI[:2], "https://127.0.0.1:40123", "127.0.0.1:40123\n", kindNodes("running", "running", "running"), "are not the node containers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &fakeDocker{nodes: tt.nodes, port: tt.port}
			err := Verify(context.Background(), fake.NewClientset(tt.api...), tt.server, d.run, "c")
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("err = %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("err = %v, want one naming %q", err, tt.wantErr)
			}
			if len(d.changed) > 0 {
				t.Errorf("the check changed something: %v", d.changed)
			}
		})
	}
}

func TestParse(t *testing.T) {
	out := "/selfheal-worker2\timg:1\tsha256:a\texited\tworker\n" +
		"/selfheal-control-plane\timg:1\tsha256:a\trunning\tcontrol-plane\n" +
		"garbage line\n" +
		"/selfheal-worker\timg:1\tsha256:b\trunning\tworker\n"
	got := parse(out)
	want := []Node{
		{Name: "selfheal-control-plane", Role: "control-plane", Image: "img:1", ImageID: "sha256:a", State: "running"},
		{Name: "selfheal-worker", Role: "worker", Image: "img:1", ImageID: "sha256:b", State: "running"},
		{Name: "selfheal-worker2", Role: "worker", Image: "img:1", ImageID: "sha256:a", State: "exited"},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
	if got[2].Running() || !got[0].Running() {
		t.Error("Running() does not follow the state")
	}
}

// PIDs asks docker for the running node containers of the cluster by
// kind's label, and their first processes' PIDs; a halted one (PID 0) is
// left out.
func TestPIDs(t *testing.T) {
	var calls [][]string
	docker := func(_ context.Context, args ...string) (string, error) {
		calls = append(calls, args)
		if args[0] == "ps" {
			return "id1\nid2\nid3\n", nil
		}
		return "4242\n0\n4444\n", nil
	}
	got, err := PIDs(context.Background(), docker, "selfheal")
	if err != nil || fmt.Sprint(got) != "[4242 4444]" {
		t.Fatalf("PIDs = %v, %v; want [4242 4444]", got, err)
	}
	if want := "ps -q --filter label=io.x-k8s.kind.cluster=selfheal"; strings.Join(calls[0], " ") != want {
		t.Errorf("first call %q, want %q", calls[0], want)
	}
	if want := "inspect --format {{.State.Pid}} id1 id2 id3"; strings.Join(calls[1], " ") != want {
		t.Errorf("second call %q, want %q", calls[1], want)
	}
	none := func(context.Context, ...string) (string, error) { return "", nil }
	if got, err := PIDs(context.Background(), none, "gone"); err != nil || len(got) != 0 {
		t.Errorf("no cluster: %v, %v", got, err)
	}
}
