package netfilter_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/selfheal/selfheal/chaos/fault"
	"github.com/selfheal/selfheal/chaos/fault/faulttest"
	"github.com/selfheal/selfheal/chaos/fault/netfilter"
	"github.com/selfheal/selfheal/chaos/fault/netfilter/netfiltertest"
	"github.com/selfheal/selfheal/chaos/kube"
)

const comment = "selfheal:test:1"

var (
	drop3306 = netfilter.Rule{Chain: "OUTPUT", Match: []string{"-p", "tcp", "--dport", "3306"}, Jump: "DROP"}
	wpA      = netfilter.Target{Node: "w1", Namespace: "ns", Pod: "wp-a", UID: "uid-a"}
)

func TestAddAndRemoveByComment(t *testing.T) {
	ctx := context.Background()
	node := netfiltertest.New()
	node.AddSandbox("w1", "uid-a", 101)
	// A rule selfheal did not add, and one of another run whose comment
	// starts like this one's: both must stay.
	foreign := []string{"-A INPUT -p udp -m udp --dport 53 -j ACCEPT", `-A OUTPUT -m comment --comment "selfheal:test:10" -j DROP`}
	node.SetRules(101, foreign...)
	n := netfilter.Netns{Docker: node.Docker}
	loss := netfilter.Rule{Chain: "INPUT", Match: []string{"!", "-i", "lo", "-m", "statistic", "--mode", "random", "--probability", "0.1"}, Jump: "DROP"}

	if err := n.Add(ctx, wpA, comment, drop3306, loss); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"w1 101 -I OUTPUT 1 -p tcp --dport 3306 -m comment --comment selfheal:test:1 -j DROP",
		"w1 101 -I INPUT 1 ! -i lo -m statistic --mode random --probability 0.1 -m comment --comment selfheal:test:1 -j DROP",
	}
	if got := node.Calls(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("add commands\n got %q\nwant %q", got, want)
	}
	node.ResetCalls()

	removed, err := n.Remove(ctx, wpA, comment)
	if err != nil || len(removed) != 2 {
		t.Fatalf("removed %q, err %v", removed, err)
	}
	// Deleted by specification, as -S printed them (quoted comment, -m tcp,
	// the probability as iptables keeps it), never by position.
	want = []string{
		"w1 101 -S",
		"w1 101 -D INPUT ! -i lo -m statistic --mode random --probability 0.10000000009 -m comment --comment selfheal:test:1 -j DROP",
		"w1 101 -D OUTPUT -p tcp -m tcp --dport 3306 -m comment --comment selfheal:test:1 -j DROP",
	}
	if got := node.Calls(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("remove commands\n got %q\nwant %q", got, want)
	}
	if got := node.Rules(101); fmt.Sprint(got) != fmt.Sprint(foreign) {
		t.Fatalf("rules left %q, want only the foreign ones %q", got, foreign)
	}
	node.ResetCalls()
	if removed, err := n.Remove(ctx, wpA, comment); err != nil || len(removed) != 0 || fmt.Sprint(node.Calls()) != "[w1 101 -S]" {
		t.Fatalf("second remove: removed %q err %v calls %q; want a listing and nothing else", removed, err, node.Calls())
	}
}

// An iptables that cannot match the specification it printed: the rules
// are deleted by their position instead, and the foreign ones stay.
func TestRemoveByPositionWhenTheSpecificationDoesNotMatch(t *testing.T) {
	ctx := context.Background()
	node := netfiltertest.New()
	node.AddSandbox("w1", "uid-a", 101)
	n := netfilter.Netns{Docker: node.Docker}
	if err := n.Add(ctx, wpA, comment, drop3306); err != nil {
		t.Fatal(err)
	}
	foreign := "-A OUTPUT -p udp -m udp --dport 53 -j ACCEPT"
	node.SetRules(101, append([]string{foreign}, node.Rules(101)...)...)
	node.BreakSpecDelete()
	node.ResetCalls()
	removed, err := n.Remove(ctx, wpA, comment)
	if err != nil || len(removed) != 1 {
		t.Fatalf("removed %q err %v", removed, err)
	}
	want := []string{
		"w1 101 -S",
		"w1 101 -D OUTPUT -p tcp -m tcp --dport 3306 -m comment --comment selfheal:test:1 -j DROP",
		"w1 101 -S OUTPUT",
		"w1 101 -D OUTPUT 2",
	}
	if fmt.Sprint(node.Calls()) != fmt.Sprint(want) || fmt.Sprint(node.Rules(101)) != fmt.Sprint([]string{foreign}) {
		t.Fatalf("calls\n got %q\nwant %q\nrules left %q", node.Calls(), want, node.Rules(101))
	}
}

func TestRemoveFromAPodThatIsGone(t *testing.T) {
	node := netfiltertest.New()
	node.AddSandbox("w1", "uid-other", 102) // the node runs, the pod does not
	_, err := netfilter.Netns{Docker: node.Docker}.Remove(context.Background(), wpA, comment)
	if !errors.Is(err, netfilter.ErrGone) || len(node.Calls()) != 0 {
		t.Fatalf("err %v calls %q; want ErrGone and no iptables call", err, node.Calls())
	}
	// A node that cannot be reached is an error, not "gone".
	_, err = netfilter.Netns{Docker: node.Docker}.Remove(context.Background(), netfilter.Target{Node: "w9", Namespace: "ns", Pod: "p", UID: "u"}, comment)
	if err == nil || errors.Is(err, netfilter.ErrGone) {
		t.Fatalf("unreachable node: err %v", err)
	}
}

func TestTagged(t *testing.T) {
	list := `-P INPUT ACCEPT
-A INPUT -p tcp -m tcp --sport 3306 -m comment --comment "selfheal:db:1" -j DROP
-A OUTPUT -m comment --comment "selfheal:db:10" -j DROP
-A OUTPUT -m comment --comment selfheal-bare -j DROP
-A OUTPUT -m comment --comment "kept: selfheal:db:1" -j ACCEPT
`
	cases := []struct {
		comment string
		want    int
	}{
		{"selfheal:db:1", 1},
		{"selfheal:db:10", 1},
		{"selfheal-bare", 1},
		{"selfheal:db", 0},
	}
	for _, tc := range cases {
		if got := netfilter.Tagged(list, tc.comment); len(got) != tc.want {
			t.Errorf("Tagged(%q) = %q, want %d rule(s)", tc.comment, got, tc.want)
		}
	}
}

func TestCheckComment(t *testing.T) {
	for c, ok := range map[string]bool{
		"selfheal:db-partition:m1x2":           true,
		"selfheal:":                            false,
		"other:db":                             false,
		"selfheal:a b":                         false,
		`selfheal:"x"`:                         false,
		"selfheal:" + strings.Repeat("x", 201): false,
	} {
		if err := netfilter.CheckComment(c); (err == nil) != ok {
			t.Errorf("CheckComment(%q) = %v, want ok=%v", c, err, ok)
		}
	}
}

// cluster is two WordPress pods (and a pending one, which is left alone)
// on two nodes.
func cluster() (*kube.Client, *netfiltertest.Node) {
	return netfiltertest.Cluster("ns", map[string]string{"app": "wp"},
		netfiltertest.Pod{Name: "a", Node: "w1", PID: 101}, netfiltertest.Pod{Name: "b", Node: "w2", PID: 202}, netfiltertest.Pod{Name: "c"})
}

var spec = netfilter.Spec{Name: "test-fault", Kind: "test-rules", Namespace: "ns", Selector: "app=wp", What: "port 3306 dropped",
	Rules: []netfilter.Rule{drop3306, {Chain: "INPUT", Match: []string{"-p", "tcp", "--sport", "3306"}, Jump: "DROP"}}}

// newFault is the spec's fault on the cluster's node, its rules carrying
// comment.
func newFault(c *kube.Client, node *netfiltertest.Node) *netfilter.Fault {
	return netfilter.New(c, spec, netfilter.WithDocker(node.Docker), netfilter.WithComment(comment))
}

func TestInjectRecordsEachPodBeforeBreakingIt(t *testing.T) {
	c, node := cluster()
	f := newFault(c, node)
	// The engine's side keeps the order of what happened, iptables
	// commands included (through the node's log).
	var order []string
	m := &faulttest.Marks{OnRecord: func(u fault.Undo) {
		order = append(order, fmt.Sprintf("record %s (after %d iptables calls)", u.Params["pod"], len(node.Calls())))
	}}
	if err := f.Inject(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	// Pod a: two rules added and listed back before b is recorded.
	if want := "[record a (after 0 iptables calls) record b (after 3 iptables calls)]"; fmt.Sprint(order) != want {
		t.Fatalf("order %q, want %s", order, want)
	}
	if len(m.Injections) != 2 || len(node.Rules(101)) != 2 || len(node.Rules(202)) != 2 {
		t.Fatalf("injected %q, rules %q %q", m.Injections, node.Rules(101), node.Rules(202))
	}
	u := m.Undos[0]
	if u.Kind != "test-rules" || u.Params["node"] != "w1" || u.Params["pod"] != "a" || u.Params["uid"] != "uid-a" || u.Params["comment"] != comment || u.Params["namespace"] != "ns" {
		t.Errorf("undo %+v", u)
	}
	for i := 0; i < 2; i++ { // idempotent
		if err := f.Revert(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	if len(node.Rules(101))+len(node.Rules(202)) != 0 || len(m.Reverts) != 2 {
		t.Fatalf("after revert: rules %q %q, reverted %q", node.Rules(101), node.Rules(202), m.Reverts)
	}
}

func TestNothingBrokenWhenItCannotBeRecordedOrFound(t *testing.T) {
	cases := []struct {
		name  string
		setup func(*netfiltertest.Node, *faulttest.Marks)
		err   string
	}{
		{"record unwritable", func(_ *netfiltertest.Node, m *faulttest.Marks) { m.BreakErr = errors.New("record unwritable") }, "record unwritable"},
		// The second pod's sandbox cannot be found: the first is not
		// touched either.
		{"a pod's namespace not found", func(n *netfiltertest.Node, _ *faulttest.Marks) { n.RemoveSandbox("w2", "uid-b") }, "nothing was changed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, node := cluster()
			m := &faulttest.Marks{}
			tc.setup(node, m)
			err := newFault(c, node).Inject(context.Background(), m)
			if err == nil || !strings.Contains(err.Error(), tc.err) || len(node.Calls()) != 0 || len(m.Injections) != 0 {
				t.Fatalf("err %v, iptables %q, injected %q; want %q and nothing changed", err, node.Calls(), m.Injections, tc.err)
			}
		})
	}
}

func TestBadInputRefusedBeforeAnything(t *testing.T) {
	cases := map[string]netfilter.Spec{
		"no selector":   {Name: "x", Kind: "k", Namespace: "ns", Rules: spec.Rules},
		"no rule":       {Name: "x", Kind: "k", Namespace: "ns", Selector: "app=wp"},
		"FORWARD chain": {Name: "x", Kind: "k", Namespace: "ns", Selector: "app=wp", Rules: []netfilter.Rule{{Chain: "FORWARD", Jump: "DROP"}}},
		"no such pods":  {Name: "x", Kind: "k", Namespace: "ns", Selector: "app=none", Rules: spec.Rules},
	}
	for name, s := range cases {
		t.Run(name, func(t *testing.T) {
			c, node := cluster()
			m := &faulttest.Marks{}
			if err := netfilter.New(c, s, netfilter.WithDocker(node.Docker)).Inject(context.Background(), m); err == nil || len(m.Undos) != 0 {
				t.Fatalf("err %v undos %v", err, m.Undos)
			}
		})
	}
	c, node := cluster()
	m := &faulttest.Marks{}
	if err := netfilter.New(c, spec, netfilter.WithDocker(node.Docker), netfilter.WithComment("selfheal:with space")).Inject(context.Background(), m); err == nil || len(m.Undos) != 0 {
		t.Fatalf("bad comment: err %v undos %v", err, m.Undos)
	}
}

// One pod done, the next failed halfway (its first rule in, its second
// refused): the revert removes all three rules and only them.
func TestRevertAfterPartialInject(t *testing.T) {
	c, node := cluster()
	node.FailAdd(202, 2)
	f := newFault(c, node)
	m := &faulttest.Marks{}
	if err := f.Inject(context.Background(), m); err == nil || len(m.Injections) != 1 || len(m.Undos) != 2 {
		t.Fatalf("err %v injected %q undos %d; want a failure after pod a, both recorded", err, m.Injections, len(m.Undos))
	}
	node.ResetCalls()
	if err := f.Revert(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	// Pod b's counters are not read: its rules were never all added, so
	// it never counted as injected.
	want := []string{
		"w1 101 -v -S",
		"w1 101 -S",
		"w1 101 -D INPUT -p tcp -m tcp --sport 3306 -m comment --comment selfheal:test:1 -j DROP",
		"w1 101 -D OUTPUT -p tcp -m tcp --dport 3306 -m comment --comment selfheal:test:1 -j DROP",
		"w2 202 -S",
		"w2 202 -D OUTPUT -p tcp -m tcp --dport 3306 -m comment --comment selfheal:test:1 -j DROP",
	}
	if got := node.Calls(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("revert commands\n got %q\nwant %q", got, want)
	}
	if len(node.Rules(101))+len(node.Rules(202)) != 0 {
		t.Fatalf("rules left %q %q", node.Rules(101), node.Rules(202))
	}
}

func TestRevertWithoutInjectDoesNothing(t *testing.T) {
	c, node := cluster()
	m := &faulttest.Marks{}
	if err := netfilter.New(c, spec, netfilter.WithDocker(node.Docker)).Revert(context.Background(), m); err != nil || len(node.Calls()) != 0 || len(m.Reverts) != 0 {
		t.Fatalf("err %v calls %q reverted %q", err, node.Calls(), m.Reverts)
	}
}

// A pod created anew during the fault has a fresh namespace: the revert
// says so and does not fail.
func TestRevertWhenAPodWasRecreated(t *testing.T) {
	c, node := cluster()
	f := newFault(c, node)
	m := &faulttest.Marks{}
	if err := f.Inject(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	node.RemoveSandbox("w1", "uid-a")
	node.AddSandbox("w1", "uid-a2", 103) // its replacement, same name
	if err := f.Revert(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if len(m.Reverts) != 2 || !strings.Contains(m.Reverts[0], "created anew") || !strings.Contains(m.Reverts[0], "nothing to remove") {
		t.Fatalf("reverted %q", m.Reverts)
	}
	for _, call := range node.Calls() {
		if strings.HasPrefix(call, "w1 103") {
			t.Errorf("the replacement's namespace was touched: %q", call)
		}
	}
}

func TestRevertRetriesWhatItCouldNotReach(t *testing.T) {
	c, node := cluster()
	down := false
	docker := func(ctx context.Context, args ...string) (string, error) {
		if down && args[1] == "w2" {
			return "", errors.New("node w2 unreachable")
		}
		return node.Docker(ctx, args...)
	}
	f := netfilter.New(c, spec, netfilter.WithDocker(docker), netfilter.WithComment(comment))
	m := &faulttest.Marks{}
	if err := f.Inject(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	down = true
	if err := f.Revert(context.Background(), m); err == nil || !strings.Contains(err.Error(), "w2") {
		t.Fatalf("err %v, want one naming w2", err)
	}
	if len(node.Rules(101)) != 0 || len(node.Rules(202)) != 2 {
		t.Fatalf("rules %q %q", node.Rules(101), node.Rules(202))
	}
	down = false
	node.ResetCalls()
	if err := f.Revert(context.Background(), m); err != nil || len(node.Rules(202)) != 0 {
		t.Fatalf("retry: err %v rules %q", err, node.Rules(202))
	}
	for _, call := range node.Calls() { // pod a was done: not listed again
		if strings.HasPrefix(call, "w1 ") {
			t.Errorf("retry touched w1 again: %q", call)
		}
	}
}

func TestRepairerFromTheUndoAlone(t *testing.T) {
	c, node := cluster()
	f := newFault(c, node)
	m := &faulttest.Marks{}
	if err := f.Inject(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	// A new process: only the records and the cluster.
	r := netfilter.NewRepairer("test-rules", node.Docker, time.Minute)
	did, err := r.Repair(context.Background(), m.Undos[0])
	if err != nil || !strings.Contains(did, "removed 2 rule(s)") || len(node.Rules(101)) != 0 || len(node.Rules(202)) != 2 {
		t.Fatalf("did %q err %v rules %q %q", did, err, node.Rules(101), node.Rules(202))
	}
	if did, err := r.Repair(context.Background(), m.Undos[0]); err != nil || did != "" {
		t.Fatalf("already repaired: did %q err %v", did, err)
	}
	node.RemoveSandbox("w2", "uid-b")
	did, err = r.Repair(context.Background(), m.Undos[1])
	if err != nil || !strings.Contains(did, "nothing to remove") {
		t.Fatalf("pod gone: did %q err %v", did, err)
	}
	if _, err := r.Repair(context.Background(), fault.Undo{Kind: "test-rules", Params: map[string]string{"node": "w1"}}); err == nil {
		t.Error("a record without pod, uid or comment was accepted")
	}
	down := netfilter.NewRepairer("test-rules", func(context.Context, ...string) (string, error) { return "", errors.New("docker down") }, time.Minute)
	if _, err := down.Repair(context.Background(), m.Undos[0]); err == nil {
		t.Error("a repair that could not reach the node reported success")
	}
}

// What iptables v1.8.9 (nf_tables), the kind node image's version, printed
// for `iptables -v -S` in a network namespace of its own (unshare -n) after
// a refused connection to port 3306: the counters come as "-c PACKETS
// BYTES" before the target.
const realVerboseListing = `-P INPUT ACCEPT -c 0 0
-P FORWARD ACCEPT -c 0 0
-P OUTPUT ACCEPT -c 0 0
-A INPUT -p udp -m udp --dport 53 -m comment --comment "kept: selfheal:db:1" -c 0 0 -j ACCEPT
-A INPUT -p tcp -m tcp --sport 3306 -m comment --comment "selfheal:db-partition:t1" -c 0 0 -j DROP
-A OUTPUT -o lo -m comment --comment selfheal-bare -c 9 540 -j DROP
-A OUTPUT -p tcp -m tcp --dport 3306 -m comment --comment "selfheal:db-partition:t1" -c 3 180 -j DROP
`

func TestListReadsTheCountersIptablesPrints(t *testing.T) {
	node := netfiltertest.New()
	node.AddSandbox("w1", "uid-a", 101)
	docker := func(ctx context.Context, args ...string) (string, error) {
		if strings.HasSuffix(strings.Join(args, " "), "iptables -v -S") {
			return realVerboseListing, nil
		}
		return node.Docker(ctx, args...)
	}
	got, err := netfilter.Netns{Docker: docker}.List(context.Background(), wpA, "selfheal:db-partition:t1")
	want := []netfilter.Listed{
		{Line: `-A INPUT -p tcp -m tcp --sport 3306 -m comment --comment "selfheal:db-partition:t1" -j DROP`, Chain: "INPUT"},
		{Line: `-A OUTPUT -p tcp -m tcp --dport 3306 -m comment --comment "selfheal:db-partition:t1" -j DROP`, Chain: "OUTPUT", Packets: 3, Bytes: 180},
	}
	if err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("List = %+v, %v\nwant %+v", got, err, want)
	}
	if got, err := (netfilter.Netns{Docker: docker}).List(context.Background(), wpA, "selfheal:db-partition"); err != nil || len(got) != 0 {
		t.Fatalf("a comment that only starts like theirs: %+v, %v", got, err)
	}
	node.RemoveSandbox("w1", "uid-a")
	if _, err := (netfilter.Netns{Docker: docker}).List(context.Background(), wpA, comment); !errors.Is(err, netfilter.ErrGone) {
		t.Fatalf("a pod that is gone: err %v, want ErrGone", err)
	}
}
