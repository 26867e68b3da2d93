package netfilter

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/selfheal/selfheal/chaos/fault"
	"github.com/selfheal/selfheal/chaos/kube"
	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/internal/kindnode"
)

// Spec is a network fault: the same rules in the network namespace of
// every running pod that matches a selector.
type Spec struct {
	// Name is the fault's name in results ("db-partition").
	Name string
	// Kind is the Undo kind its package's Repairer reads.
	Kind      string
	Namespace string
	Selector  string
	Rules     []Rule
	// What says in words what the rules do ("TCP to and from port 3306
	// dropped").
	What string
	// Invalid, when set, is why the fault package's own setting (a port,
	// a share of packets) cannot be used: Check returns it first.
	Invalid error
}

func (s Spec) validate() error {
	var problems []string
	if s.Name == "" || s.Kind == "" {
		problems = append(problems, "no name or repair kind")
	}
	if s.Namespace == "" || s.Selector == "" {
		problems = append(problems, fmt.Sprintf("namespace %q and selector %q must both be set", s.Namespace, s.Selector))
	}
	if len(s.Rules) == 0 {
		problems = append(problems, "no rule")
	}
	for _, r := range s.Rules {
		if (r.Chain != "INPUT" && r.Chain != "OUTPUT") || r.Jump == "" {
			problems = append(problems, fmt.Sprintf("rule %q: chain must be INPUT or OUTPUT, with a target", r))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("fault %s: %s", s.Name, strings.Join(problems, "; "))
	}
	return nil
}

// Fault adds a Spec's rules to each matching pod's namespace, one pod at a
// time (one injection each), and removes them on Revert.
type Fault struct {
	spec    Spec
	client  *kube.Client
	netns   Netns
	comment string

	mu sync.Mutex
	// applied are the pods that may hold rules: each is added before its
	// first rule is, so a partial Inject is reverted too.
	applied []Target
	// added is when each pod's rules were added, by pod UID; counted
	// says whose counters were read at a revert already.
	added   map[string]time.Time
	counted map[string]bool
}

// Option configures a Fault.
type Option func(*Fault)

// WithDocker replaces the docker CLI (tests).
func WithDocker(d kindnode.Docker) Option { return func(f *Fault) { f.netns.Docker = d } }

// WithSpec lets a fault package's own options (a port, a share of
// packets) rewrite the spec New was given: its rules, its words and
// whether the setting is valid.
func WithSpec(edit func(*Spec)) Option { return func(f *Fault) { edit(&f.spec) } }

// WithComment sets the iptables comment the rules carry (tests; by default
// selfheal:<fault name>:<instant the fault was built, base 36 ms>).
func WithComment(c string) Option { return func(f *Fault) { f.comment = c } }

// New builds the fault; the spec and the comment are checked when it is
// injected, before anything is changed.
func New(c *kube.Client, spec Spec, opts ...Option) *Fault {
	f := &Fault{spec: spec, client: c, netns: Netns{Docker: kindnode.CLI}, added: map[string]time.Time{}, counted: map[string]bool{},
		comment: "selfheal:" + spec.Name + ":" + strconv.FormatInt(time.Now().UnixMilli(), 36)}
	for _, o := range opts {
		o(f)
	}
	return f
}

// Name implements fault.Fault.
func (f *Fault) Name() string { return f.spec.Name }

// Comment is the iptables comment the fault's rules carry.
func (f *Fault) Comment() string { return f.comment }

// Check refuses a fault that could not be injected or found again.
func (f *Fault) Check() error {
	if f.spec.Invalid != nil {
		return f.spec.Invalid
	}
	if err := f.spec.validate(); err != nil {
		return err
	}
	return CheckComment(f.comment)
}

// Inject finds every matching pod's namespace first, and breaks nothing
// when one cannot be entered; then adds the rules pod by pod, each after
// its Undo is recorded.
func (f *Fault) Inject(ctx context.Context, m fault.Marker) error {
	if err := f.Check(); err != nil {
		return err
	}
	targets, err := f.targets(ctx)
	if err != nil {
		return err
	}
	for _, t := range targets {
		if err := f.netns.Resolve(ctx, t); err != nil {
			return fmt.Errorf("%s: %w; nothing was changed", f.spec.Name, err)
		}
	}
	for _, t := range targets {
		m.Logf("%s: %s in the network namespace of %s", f.spec.Name, f.spec.What, t)
		if err := m.Breaking(ctx, f.undo(t)); err != nil {
			return err
		}
		f.mu.Lock()
		f.applied = append(f.applied, t)
		f.mu.Unlock()
		if err := f.netns.Add(ctx, t, f.comment, f.spec.Rules...); err != nil {
			return fmt.Errorf("%s: %w", f.spec.Name, err)
		}
		f.mu.Lock()
		f.added[t.UID] = time.Now()
		f.mu.Unlock()
		m.Injected(fmt.Sprintf("%s in the network namespace of pod %s on node %s", f.spec.What, t.Pod, t.Node))
		f.provePresent(ctx, m, t)
	}
	return nil
}

// provePresent lists the pod's rules back: iptables -I exiting 0 proves
// nothing, the listing shows the rules in place.
func (f *Fault) provePresent(ctx context.Context, m fault.Marker, t Target) {
	e := result.Evidence{Check: fmt.Sprintf("iptables -v -S in the network namespace of pod %s/%s on node %s, after the injection", t.Namespace, t.Pod, t.Node)}
	listed, err := f.netns.List(ctx, t, f.comment)
	if err != nil {
		e.Observed = "the rules could not be listed: " + err.Error()
		m.Proved(e)
		return
	}
	if missing := f.missing(listed); len(missing) > 0 {
		e.Observed = fmt.Sprintf("%d of the %d rule(s) with comment %s listed; missing: %s", len(listed), len(f.spec.Rules), f.comment, strings.Join(missing, "; "))
		m.Proved(e)
		return
	}
	var lines []string
	for _, l := range listed {
		lines = append(lines, l.Line)
	}
	e.Held, e.Observed = true, fmt.Sprintf("%d rule(s) with comment %s in place: %s", len(listed), f.comment, strings.Join(lines, "; "))
	m.Proved(e)
}

// missing names the spec's rules the listing lacks, chain by chain
// (iptables prints a rule's matches its own way, so only the chain and
// the target are compared).
func (f *Fault) missing(listed []Listed) []string {
	have := map[string]int{}
	for _, l := range listed {
		have[l.Chain]++
	}
	var out []string
	for _, r := range f.spec.Rules {
		if have[r.Chain] == 0 {
			out = append(out, r.String())
			continue
		}
		have[r.Chain]--
	}
	return out
}

// proveMatched reads, before the rules are removed, how many packets they
// matched in the pod's namespace: none means the fault dropped nothing (a
// rule that matched nothing, or one removed by someone else, whose
// packets are not known).
func (f *Fault) proveMatched(ctx context.Context, m fault.Marker, t Target) {
	f.mu.Lock()
	done, added := f.counted[t.UID], f.added[t.UID]
	f.counted[t.UID] = true
	f.mu.Unlock()
	if done || added.IsZero() {
		return // counted at an earlier revert, or never added
	}
	e := result.Evidence{Check: fmt.Sprintf("iptables -v -S in the network namespace of pod %s/%s on node %s, at the revert", t.Namespace, t.Pod, t.Node)}
	listed, err := f.netns.List(ctx, t, f.comment)
	held := time.Since(added).Round(100 * time.Millisecond)
	switch {
	case errors.Is(err, ErrGone):
		m.Logf("pod %s was deleted or created anew: its rules' counters went with its network namespace", t.Pod)
		return
	case err != nil:
		e.Observed = "the rules' counters could not be read: " + err.Error()
	case len(listed) == 0:
		e.Observed = fmt.Sprintf("no rule with comment %s left %s after the injection: it was removed by something else, and what it matched is unknown", f.comment, held)
	default:
		var total uint64
		var per []string
		for _, l := range listed {
			total += l.Packets
			per = append(per, fmt.Sprintf("%s %d", l.Chain, l.Packets))
		}
		e.Held = total > 0
		e.Observed = fmt.Sprintf("the rule(s) with comment %s matched %d packet(s) in %s (%s)", f.comment, total, held, strings.Join(per, ", "))
		if total == 0 {
			e.Observed += ": they dropped nothing"
		}
	}
	m.Proved(e)
}

// targets are the running pods that match, by name. A pod without a node
// or a UID, or already being deleted, has no namespace worth breaking.
func (f *Fault) targets(ctx context.Context) ([]Target, error) {
	pods, err := f.client.Kubernetes.CoreV1().Pods(f.spec.Namespace).List(ctx, metav1.ListOptions{LabelSelector: f.spec.Selector})
	if err != nil {
		return nil, fmt.Errorf("listing pods %q in %s: %w", f.spec.Selector, f.spec.Namespace, err)
	}
	var out []Target
	for _, p := range pods.Items {
		if p.Status.Phase != corev1.PodRunning || p.DeletionTimestamp != nil || p.Spec.NodeName == "" || p.UID == "" {
			continue
		}
		out = append(out, Target{Node: p.Spec.NodeName, Namespace: p.Namespace, Pod: p.Name, UID: string(p.UID)})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no running pod matches %q in %s (%d listed)", f.spec.Name, f.spec.Selector, f.spec.Namespace, len(pods.Items))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Pod < out[j].Pod })
	return out, nil
}

func (f *Fault) undo(t Target) fault.Undo {
	var rules []string
	for _, r := range f.spec.Rules {
		rules = append(rules, r.String())
	}
	return fault.Undo{
		Kind:   f.spec.Kind,
		Detail: fmt.Sprintf("%s: %s in the network namespace of %s (iptables rules with comment %s)", f.spec.Name, f.spec.What, t, f.comment),
		Params: Params(t, f.comment, strings.Join(rules, "; ")),
	}
}

// Revert removes the rules from every pod that may hold them. A pod that
// is gone took its namespace and rules with it. A pod it could not clean
// stays to be retried by the next Revert, and is named in the error.
func (f *Fault) Revert(ctx context.Context, m fault.Marker) error {
	f.mu.Lock()
	applied := append([]Target(nil), f.applied...)
	f.mu.Unlock()
	var left []Target
	var errs []error
	for _, t := range applied {
		f.proveMatched(ctx, m, t)
		removed, err := f.netns.Remove(ctx, t, f.comment)
		switch {
		case errors.Is(err, ErrGone):
			m.Reverted(fmt.Sprintf("pod %s on node %s was deleted or created anew: its network namespace went with the rules in it, nothing to remove", t.Pod, t.Node))
		case err != nil:
			left = append(left, t)
			errs = append(errs, err)
		case len(removed) > 0:
			m.Reverted(fmt.Sprintf("%d rule(s) %s removed from the network namespace of pod %s on node %s", len(removed), f.comment, t.Pod, t.Node))
		}
	}
	f.mu.Lock()
	f.applied = left
	f.mu.Unlock()
	if len(errs) > 0 {
		return fmt.Errorf("%s: %w", f.spec.Name, errors.Join(errs...))
	}
	return nil
}

// Params is what a Repairer needs to find the rules again.
func Params(t Target, comment, rules string) map[string]string {
	return map[string]string{"node": t.Node, "namespace": t.Namespace, "pod": t.Pod, "uid": t.UID, "comment": comment, "rules": rules}
}

// FromParams reads Params back.
func FromParams(p map[string]string) (Target, string, error) {
	t := Target{Node: p["node"], Namespace: p["namespace"], Pod: p["pod"], UID: p["uid"]}
	if err := t.validate(); err != nil {
		return t, "", fmt.Errorf("the record: %w", err)
	}
	if err := CheckComment(p["comment"]); err != nil {
		return t, "", fmt.Errorf("the record: %w", err)
	}
	return t, p["comment"], nil
}

// NewRepairer removes the rules a dead run left in a pod's namespace, from
// its Undo alone: Undos of kind, with docker, each within timeout.
func NewRepairer(kind string, docker kindnode.Docker, timeout time.Duration) fault.Repairer {
	netns := Netns{Docker: docker}
	return fault.RepairFunc(kind, timeout, func(ctx context.Context, u fault.Undo) (string, error) { return repair(ctx, netns, u) })
}

func repair(ctx context.Context, netns Netns, u fault.Undo) (string, error) {
	t, comment, err := FromParams(u.Params)
	if err != nil {
		return "", err
	}
	removed, err := netns.Remove(ctx, t, comment)
	switch {
	case errors.Is(err, ErrGone):
		return fmt.Sprintf("%s no longer runs (deleted or created anew): its network namespace went with the rules %s in it, nothing to remove", t, comment), nil
	case err != nil:
		return strings.Join(removed, "; "), fmt.Errorf("removing the rules %s from %s: %w (by hand: iptables -S in that namespace, then -D each rule with the comment)", comment, t, err)
	case len(removed) == 0:
		return "", nil
	}
	return fmt.Sprintf("removed %d rule(s) from the network namespace of %s: %s", len(removed), t, strings.Join(removed, "; ")), nil
}
