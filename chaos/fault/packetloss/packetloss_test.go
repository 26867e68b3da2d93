package packetloss

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/selfheal/selfheal/chaos/fault"
	"github.com/selfheal/selfheal/chaos/fault/netfilter/netfiltertest"
	"github.com/selfheal/selfheal/chaos/kube"
)

type marks struct {
	breakErr error
	undos    []fault.Undo
	injected []string
	reverted []string
}

func (m *marks) Breaking(_ context.Context, u fault.Undo) error {
	if m.breakErr != nil {
		return m.breakErr
	}
	m.undos = append(m.undos, u)
	return nil
}
func (m *marks) Injected(d string)   { m.injected = append(m.injected, d) }
func (m *marks) Reverted(d string)   { m.reverted = append(m.reverted, d) }
func (m *marks) Logf(string, ...any) {}

func wp(name, node string) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "selfheal", UID: types.UID("uid-" + name), Labels: map[string]string{"app": "wordpress"}},
		Spec: corev1.PodSpec{NodeName: node}, Status: corev1.PodStatus{Phase: corev1.PodRunning}}
}

func setup(opts ...Option) (*Fault, *netfiltertest.Node) {
	node := netfiltertest.New()
	node.AddSandbox("w1", "uid-wp-a", 11)
	node.AddSandbox("w2", "uid-wp-b", 22)
	c := &kube.Client{Kubernetes: fake.NewClientset(wp("wp-a", "w1"), wp("wp-b", "w2"))}
	return New(c, "selfheal", "app=wordpress", append([]Option{WithDocker(node.Docker), WithComment("selfheal:packet-loss:t1")}, opts...)...), node
}

// The exact commands: one rule per WordPress pod, then on revert a
// listing and a deletion by specification, as -S printed it.
func TestLossCommands(t *testing.T) {
	f, node := setup(WithProbability(0.25))
	m := &marks{}
	if err := f.Inject(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"w1 11 -I INPUT 1 ! -i lo -m statistic --mode random --probability 0.25 -m comment --comment selfheal:packet-loss:t1 -j DROP",
		"w2 22 -I INPUT 1 ! -i lo -m statistic --mode random --probability 0.25 -m comment --comment selfheal:packet-loss:t1 -j DROP",
	}
	if fmt.Sprint(node.Calls()) != fmt.Sprint(want) {
		t.Fatalf("inject\n got %q\nwant %q", node.Calls(), want)
	}
	if len(m.injected) != 2 || !strings.Contains(m.injected[0], "25% of the packets") || m.undos[0].Kind != RepairKind || m.undos[0].Params["pod"] != "wp-a" {
		t.Fatalf("injected %q undos %+v", m.injected, m.undos)
	}
	node.ResetCalls()
	if err := f.Revert(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	want = []string{
		"w1 11 -S",
		"w1 11 -D INPUT ! -i lo -m statistic --mode random --probability 0.25000000000 -m comment --comment selfheal:packet-loss:t1 -j DROP",
		"w2 22 -S",
		"w2 22 -D INPUT ! -i lo -m statistic --mode random --probability 0.25000000000 -m comment --comment selfheal:packet-loss:t1 -j DROP",
	}
	if fmt.Sprint(node.Calls()) != fmt.Sprint(want) {
		t.Fatalf("revert\n got %q\nwant %q", node.Calls(), want)
	}
}

// wp-a done, wp-b failed at its rule: the revert cleans wp-a and
// finds nothing in wp-b.
func TestRevertAfterPartialInject(t *testing.T) {
	f, node := setup()
	node.FailAdd(22, 1)
	m := &marks{}
	if err := f.Inject(context.Background(), m); err == nil || len(m.injected) != 1 {
		t.Fatalf("err %v injected %q", err, m.injected)
	}
	node.ResetCalls()
	if err := f.Revert(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if got := node.Calls(); len(got) != 3 || got[2] != "w2 22 -S" || len(node.Rules(11)) != 0 || len(m.reverted) != 1 {
		t.Fatalf("calls %q rules %q reverted %q", got, node.Rules(11), m.reverted)
	}
}

func TestNothingBrokenWithoutRecordOrContainer(t *testing.T) {
	f, node := setup()
	if err := f.Inject(context.Background(), &marks{breakErr: errors.New("no record")}); err == nil || len(node.Calls()) != 0 {
		t.Fatalf("err %v calls %q", err, node.Calls())
	}
	f, node = setup()
	node.RemoveSandbox("w2", "uid-wp-b")
	m := &marks{}
	if err := f.Inject(context.Background(), m); err == nil || !strings.Contains(err.Error(), "wp-b") || len(node.Calls()) != 0 || len(m.undos) != 0 {
		t.Fatalf("err %v calls %q undos %v", err, node.Calls(), m.undos)
	}
}

func TestBadProbabilityRefused(t *testing.T) {
	for _, p := range []float64{0, 1, -0.1, 1.5} {
		f, node := setup(WithProbability(p))
		m := &marks{}
		if err := f.Inject(context.Background(), m); err == nil || !strings.Contains(err.Error(), "probability") || len(m.undos)+len(node.Calls()) != 0 {
			t.Errorf("probability %v: err %v", p, err)
		}
	}
}

func TestRepairer(t *testing.T) {
	f, node := setup()
	m := &marks{}
	if err := f.Inject(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	r := NewRepairer(node.Docker, time.Minute)
	if r.Kind() != RepairKind {
		t.Fatalf("kind %q", r.Kind())
	}
	for _, u := range m.undos {
		if did, err := r.Repair(context.Background(), u); err != nil || !strings.Contains(did, "removed 1 rule(s)") {
			t.Fatalf("did %q err %v", did, err)
		}
		if did, err := r.Repair(context.Background(), u); err != nil || did != "" {
			t.Fatalf("repaired twice: did %q err %v", did, err)
		}
	}
	if len(node.Rules(11))+len(node.Rules(22)) != 0 {
		t.Fatalf("rules left %q %q", node.Rules(11), node.Rules(22))
	}
}
