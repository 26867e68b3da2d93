package netfiltertest

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
	"github.com/selfheal/selfheal/internal/kindnode"
)

// Shared checks what every fault built on chaos/fault/netfilter does over
// the WordPress scene, whatever its rules: a partial inject is reverted,
// nothing is broken that cannot be recorded or found, the package's
// repairer removes the rules from the record alone, and the fault proves
// from the listing and the counters that its rules were in place and
// matched packets, or records that they did not.
type Shared struct {
	// Setup builds the fault over WordPress(), on the Node's docker.
	Setup func(...netfilter.Option) (*netfilter.Fault, *Node)
	// Rules is how many rules the fault adds to each pod.
	Rules int
	// Kind is the package's RepairKind; Repairer its NewRepairer.
	Kind     string
	Repairer func(kindnode.Docker, time.Duration) fault.Repairer
}

// Run runs the checks, each as a subtest.
func (s Shared) Run(t *testing.T) {
	t.Run("revert after a partial inject", s.revertAfterPartialInject)
	t.Run("nothing broken without a record or a sandbox", s.nothingBroken)
	t.Run("repairer", s.repairer)
	t.Run("evidence", s.evidence)
}

// The rules are listed back after the injection and their counters read
// at the revert: wp-a's matched packets (held); wp-b's were removed by
// hand right after the injection (not held: what they matched is
// unknown), or matched nothing; an iptables whose adds exit 0 and add
// nothing is caught at the injection.
func (s Shared) evidence(t *testing.T) {
	tests := []struct {
		name string
		// between runs after the injection, before the revert.
		between func(*Node)
		// swallow makes wp-a's adds exit 0 and add nothing.
		swallow bool
		// want is what each piece of evidence says, in order (wp-a's
		// and wp-b's listings, then their counters), with a "+" first
		// for evidence that held.
		want []string
	}{
		{name: "both matched packets", between: func(n *Node) { n.Match(11, "INPUT", 40); n.Match(22, "OUTPUT", 7); n.Match(22, "INPUT", 5) },
			want: []string{"+in place", "+in place", "+matched 40 packet(s)", "+matched"}},
		{name: "wp-b's rules removed by hand", between: func(n *Node) { n.Match(11, "INPUT", 40); n.SetRules(22) },
			want: []string{"+in place", "+in place", "+matched 40 packet(s)", "no rule with comment " + comment(s) + " left"}},
		{name: "wp-b's rules matched nothing", between: func(n *Node) { n.Match(11, "INPUT", 40) },
			want: []string{"+in place", "+in place", "+matched 40", "matched 0 packet(s)"}},
		{name: "wp-a's iptables added nothing", swallow: true,
			want: []string{fmt.Sprintf("0 of the %d rule(s)", s.Rules), "+in place", "no rule with comment", "matched 0 packet(s)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, node := s.Setup()
			if tt.swallow {
				node.SwallowAdds(11)
			}
			m := &faulttest.Marks{}
			if err := f.Inject(context.Background(), m); err != nil {
				t.Fatal(err)
			}
			if tt.between != nil {
				tt.between(node)
			}
			if err := f.Revert(context.Background(), m); err != nil {
				t.Fatal(err)
			}
			if len(m.Evidence) != len(tt.want) {
				t.Fatalf("evidence %+v, want %d pieces", m.Evidence, len(tt.want))
			}
			for i, w := range tt.want {
				e := m.Evidence[i]
				held := strings.HasPrefix(w, "+")
				if e.Held != held || !strings.Contains(e.Observed, strings.TrimPrefix(w, "+")) || !strings.Contains(e.Check, "iptables -v -S in the network namespace of pod selfheal/wp-") {
					t.Errorf("evidence %d: %+v, want held %v saying %q", i, e, held, strings.TrimPrefix(w, "+"))
				}
			}
		})
	}
}

func comment(s Shared) string {
	f, _ := s.Setup()
	return f.Comment()
}

// wp-a done, wp-b failed at its first rule: the revert cleans wp-a and
// finds nothing in wp-b.
func (s Shared) revertAfterPartialInject(t *testing.T) {
	f, node := s.Setup()
	node.FailAdd(22, 1)
	m := &faulttest.Marks{}
	if err := f.Inject(context.Background(), m); err == nil || len(m.Injections) != 1 {
		t.Fatalf("err %v injected %q", err, m.Injections)
	}
	node.ResetCalls()
	if err := f.Revert(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	// wp-a: its counters, a listing and one deletion a rule; wp-b: a
	// listing.
	if got := node.Calls(); len(got) != s.Rules+3 || got[s.Rules+2] != "w2 22 -S" || len(node.Rules(11)) != 0 || len(m.Reverts) != 1 {
		t.Fatalf("calls %q rules %q reverted %q", got, node.Rules(11), m.Reverts)
	}
}

func (s Shared) nothingBroken(t *testing.T) {
	f, node := s.Setup()
	if err := f.Inject(context.Background(), &faulttest.Marks{BreakErr: errors.New("no record")}); err == nil || len(node.Calls()) != 0 {
		t.Fatalf("err %v calls %q", err, node.Calls())
	}
	f, node = s.Setup()
	node.RemoveSandbox("w2", "uid-wp-b")
	m := &faulttest.Marks{}
	if err := f.Inject(context.Background(), m); err == nil || !strings.Contains(err.Error(), "wp-b") || len(node.Calls()) != 0 || len(m.Undos) != 0 {
		t.Fatalf("err %v calls %q undos %v", err, node.Calls(), m.Undos)
	}
}

func (s Shared) repairer(t *testing.T) {
	f, node := s.Setup()
	m := &faulttest.Marks{}
	if err := f.Inject(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	r := s.Repairer(node.Docker, time.Minute)
	if r.Kind() != s.Kind {
		t.Fatalf("kind %q", r.Kind())
	}
	removed := fmt.Sprintf("removed %d rule(s)", s.Rules)
	for _, u := range m.Undos {
		if did, err := r.Repair(context.Background(), u); err != nil || !strings.Contains(did, removed) {
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
