package dbpartition

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/selfheal/selfheal/chaos/fault/faulttest"
	"github.com/selfheal/selfheal/chaos/fault/netfilter"
	"github.com/selfheal/selfheal/chaos/fault/netfilter/netfiltertest"
)

func setup(opts ...Option) (*netfilter.Fault, *netfiltertest.Node) {
	c, node := netfiltertest.WordPress()
	return New(c, "selfheal", "app=wordpress", append([]Option{netfilter.WithDocker(node.Docker), netfilter.WithComment("selfheal:db-partition:t1")}, opts...)...), node
}

func TestLikeEveryNetworkFault(t *testing.T) {
	netfiltertest.Shared{Setup: setup, Rules: 2, Kind: RepairKind, Repairer: NewRepairer}.Run(t)
}

// The exact commands: two rules per WordPress pod, each pod's listed back
// with counters, then on revert the counters read, a listing and a
// deletion by specification of each rule with the comment.
func TestPartitionCommands(t *testing.T) {
	f, node := setup()
	m := &faulttest.Marks{}
	if err := f.Inject(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	add := func(n string) []string {
		return []string{
			n + " -I OUTPUT 1 -p tcp --dport 3306 -m comment --comment selfheal:db-partition:t1 -j DROP",
			n + " -I INPUT 1 -p tcp --sport 3306 -m comment --comment selfheal:db-partition:t1 -j DROP",
			n + " -v -S",
		}
	}
	if want := append(add("w1 11"), add("w2 22")...); fmt.Sprint(node.Calls()) != fmt.Sprint(want) {
		t.Fatalf("inject\n got %q\nwant %q", node.Calls(), want)
	}
	if len(m.Injections) != 2 || len(m.Undos) != 2 || m.Undos[1].Kind != RepairKind || m.Undos[1].Params["uid"] != "uid-wp-b" || m.Undos[1].Params["node"] != "w2" {
		t.Fatalf("injected %q undos %+v", m.Injections, m.Undos)
	}
	node.ResetCalls()
	if err := f.Revert(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	del := func(n string) []string {
		return []string{
			n + " -v -S",
			n + " -S",
			n + " -D INPUT -p tcp -m tcp --sport 3306 -m comment --comment selfheal:db-partition:t1 -j DROP",
			n + " -D OUTPUT -p tcp -m tcp --dport 3306 -m comment --comment selfheal:db-partition:t1 -j DROP",
		}
	}
	if want := append(del("w1 11"), del("w2 22")...); fmt.Sprint(node.Calls()) != fmt.Sprint(want) {
		t.Fatalf("revert\n got %q\nwant %q", node.Calls(), want)
	}
}

func TestBadPortRefused(t *testing.T) {
	for _, p := range []int{0, -1, 70000} {
		f, node := setup(WithPort(p))
		m := &faulttest.Marks{}
		if err := f.Inject(context.Background(), m); err == nil || !strings.Contains(err.Error(), "port") || len(m.Undos)+len(node.Calls()) != 0 {
			t.Errorf("port %d: err %v", p, err)
		}
	}
}
