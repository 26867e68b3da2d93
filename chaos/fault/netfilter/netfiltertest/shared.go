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
// nothing is broken that cannot be recorded or found, and the package's
// repairer removes the rules from the record alone.
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
	// wp-a: a listing and one deletion a rule; wp-b: a listing.
	if got := node.Calls(); len(got) != s.Rules+2 || got[s.Rules+1] != "w2 22 -S" || len(node.Rules(11)) != 0 || len(m.Reverts) != 1 {
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
