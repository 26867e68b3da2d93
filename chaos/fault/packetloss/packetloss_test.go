package packetloss

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
	return New(c, "selfheal", "app=wordpress", append([]Option{netfilter.WithDocker(node.Docker), netfilter.WithComment("selfheal:packet-loss:t1")}, opts...)...), node
}

func TestLikeEveryNetworkFault(t *testing.T) {
	netfiltertest.Shared{Setup: setup, Rules: 1, Kind: RepairKind, Repairer: NewRepairer}.Run(t)
}

// The exact commands: one rule per WordPress pod, listed back with its
// counters, then on revert the counters read, a listing and a deletion by
// specification, as -S printed it.
func TestLossCommands(t *testing.T) {
	f, node := setup(WithProbability(0.25))
	m := &faulttest.Marks{}
	if err := f.Inject(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"w1 11 -I INPUT 1 ! -i lo -m statistic --mode random --probability 0.25 -m comment --comment selfheal:packet-loss:t1 -j DROP",
		"w1 11 -v -S",
		"w2 22 -I INPUT 1 ! -i lo -m statistic --mode random --probability 0.25 -m comment --comment selfheal:packet-loss:t1 -j DROP",
		"w2 22 -v -S",
	}
	if fmt.Sprint(node.Calls()) != fmt.Sprint(want) {
		t.Fatalf("inject\n got %q\nwant %q", node.Calls(), want)
	}
	if len(m.Injections) != 2 || !strings.Contains(m.Injections[0], "25% of the packets") || m.Undos[0].Kind != RepairKind || m.Undos[0].Params["pod"] != "wp-a" {
		t.Fatalf("injected %q undos %+v", m.Injections, m.Undos)
	}
	node.ResetCalls()
	if err := f.Revert(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	want = []string{
		"w1 11 -v -S",
		"w1 11 -S",
		"w1 11 -D INPUT ! -i lo -m statistic --mode random --probability 0.25000000000 -m comment --comment selfheal:packet-loss:t1 -j DROP",
		"w2 22 -v -S",
		"w2 22 -S",
		"w2 22 -D INPUT ! -i lo -m statistic --mode random --probability 0.25000000000 -m comment --comment selfheal:packet-loss:t1 -j DROP",
	}
	if fmt.Sprint(node.Calls()) != fmt.Sprint(want) {
		t.Fatalf("revert\n got %q\nwant %q", node.Calls(), want)
	}
}

func TestBadProbabilityRefused(t *testing.T) {
	for _, p := range []float64{0, 1, -0.1, 1.5} {
		f, node := setup(WithProbability(p))
		m := &faulttest.Marks{}
		if err := f.Inject(context.Background(), m); err == nil || !strings.Contains(err.Error(), "probability") || len(m.Undos)+len(node.Calls()) != 0 {
			t.Errorf("probability %v: err %v", p, err)
		}
	}
}
