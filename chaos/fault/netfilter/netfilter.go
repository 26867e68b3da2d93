// Package netfilter adds and removes packet filter rules inside pods'
// network namespaces on the kind nodes: the network faults (db-partition,
// packet-loss) are built on it.
//
// A rule is added from the node container, in the namespace of the pod's
// sandbox (`docker exec NODE nsenter -t PID -n iptables ...`), so nothing
// outside that one pod sees it: not the node's own rules (kube-proxy's),
// not the other pods. Every rule carries an iptables comment naming the
// fault that added it (`-m comment --comment selfheal:...`); removing
// lists the namespace's rules (`iptables -S`) and deletes exactly those
// that carry it, so a revert or a repair never touches a rule selfheal
// did not add, and running it twice is harmless.
//
// The namespace belongs to the pod's sandbox, not to its containers: a
// container restarted by its liveness probe keeps it (and the rules),
// while a pod created anew has a new one, without them.
package netfilter

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/selfheal/selfheal/internal/kindnode"
)

// Target is one pod's network namespace.
type Target struct {
	Node      string
	Namespace string
	Pod       string
	// UID tells the pod that got the rules from a pod created later under
	// the same name (a StatefulSet's), which has a fresh namespace.
	UID string
}

func (t Target) String() string {
	return fmt.Sprintf("pod %s/%s (uid %s) on node %s", t.Namespace, t.Pod, t.UID, t.Node)
}

func (t Target) validate() error {
	var missing []string
	for name, v := range map[string]string{"node": t.Node, "namespace": t.Namespace, "pod": t.Pod, "uid": t.UID} {
		if v == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return fmt.Errorf("target %+v lacks %s", t, strings.Join(missing, ", "))
	}
	return nil
}

// Rule is one iptables rule of the filter table, without its comment.
type Rule struct {
	// Chain is INPUT or OUTPUT (FORWARD sees nothing in a pod).
	Chain string
	// Match is the rule's matches ("-p", "tcp", "--dport", "3306").
	Match []string
	// Jump is the target: DROP.
	Jump string
}

func (r Rule) String() string {
	return strings.Join(append(append([]string{r.Chain}, r.Match...), "-j", r.Jump), " ")
}

// args is the rule as iptables takes it: inserted first in its chain, so
// no rule already there can accept the packet before it, with the comment.
func (r Rule) args(comment string) []string {
	args := append([]string{"-I", r.Chain, "1"}, r.Match...)
	return append(args, "-m", "comment", "--comment", comment, "-j", r.Jump)
}

// commentRE is what a comment may be: it goes into iptables' argument list
// and comes back out of `iptables -S`, so no spaces or quotes; iptables
// takes at most 256 characters.
var commentRE = regexp.MustCompile(`^selfheal:[A-Za-z0-9._:-]{1,200}$`)

// CheckComment refuses a comment the rules could not be found by again.
func CheckComment(comment string) error {
	if !commentRE.MatchString(comment) {
		return fmt.Errorf("iptables comment %q: want selfheal: followed by up to 200 of A-Z a-z 0-9 . _ : -", comment)
	}
	return nil
}

// Netns runs iptables in pods' network namespaces through the docker CLI.
type Netns struct {
	Docker kindnode.Docker
}

// pid is the process whose network namespace is the pod's;
// kindnode.ErrNoSandbox when the pod no longer runs there.
func (n Netns) pid(ctx context.Context, t Target) (int, error) {
	return kindnode.SandboxPID(ctx, n.Docker, t.Node, t.UID)
}

func (n Netns) iptables(ctx context.Context, t Target, pid int, args ...string) (string, error) {
	cmd := append([]string{"nsenter", "-t", fmt.Sprint(pid), "-n", "iptables"}, args...)
	return kindnode.Exec(ctx, n.Docker, t.Node, cmd...)
}

// Resolve checks that the pod's namespace can be entered: its sandbox
// runs on the node. A fault calls it for every pod before it breaks any.
func (n Netns) Resolve(ctx context.Context, t Target) error {
	if err := t.validate(); err != nil {
		return err
	}
	if _, err := n.pid(ctx, t); err != nil {
		return fmt.Errorf("finding the network namespace of %s: %w", t, err)
	}
	return nil
}

// Add inserts rules, each with comment, into the pod's namespace. It stops
// at the first failure: what it added is found again by the comment.
func (n Netns) Add(ctx context.Context, t Target, comment string, rules ...Rule) error {
	if err := CheckComment(comment); err != nil {
		return err
	}
	if err := t.validate(); err != nil {
		return err
	}
	pid, err := n.pid(ctx, t)
	if err != nil {
		return fmt.Errorf("finding the network namespace of %s: %w", t, err)
	}
	for _, r := range rules {
		if _, err := n.iptables(ctx, t, pid, r.args(comment)...); err != nil {
			return fmt.Errorf("adding rule %s to %s: %w", r, t, err)
		}
	}
	return nil
}

// ErrGone is returned by Remove when the pod's sandbox no longer runs: its
// namespace, and any rule in it, went with it.
var ErrGone = errors.New("the pod's network namespace is gone, and its rules with it: nothing to remove")

// Remove deletes every rule carrying comment from the pod's namespace and
// returns them as `iptables -S` printed them; none left is no error.
// ErrGone (wrapped) says the pod was deleted or created anew.
func (n Netns) Remove(ctx context.Context, t Target, comment string) ([]string, error) {
	pid, err := n.enter(ctx, t, comment)
	if err != nil {
		return nil, err
	}
	list, err := n.iptables(ctx, t, pid, "-S")
	if err != nil {
		return nil, fmt.Errorf("listing the rules of %s: %w", t, err)
	}
	var removed []string
	for _, line := range Tagged(list, comment) {
		if err := n.delete(ctx, t, pid, line); err != nil {
			return removed, err
		}
		removed = append(removed, line)
	}
	return removed, nil
}

// enter checks comment and t and finds the PID whose namespace is the
// pod's; ErrGone (wrapped) when the pod's sandbox no longer runs.
func (n Netns) enter(ctx context.Context, t Target, comment string) (int, error) {
	if err := CheckComment(comment); err != nil {
		return 0, err
	}
	if err := t.validate(); err != nil {
		return 0, err
	}
	pid, err := n.pid(ctx, t)
	if errors.Is(err, kindnode.ErrNoSandbox) {
		return 0, fmt.Errorf("%s: %w", t, ErrGone)
	}
	if err != nil {
		return 0, fmt.Errorf("finding the network namespace of %s: %w", t, err)
	}
	return pid, nil
}

// Listed is one rule as `iptables -v -S` lists it: its specification as
// -S prints it, and the packets and bytes it matched since it was added.
type Listed struct {
	Line           string
	Chain          string
	Packets, Bytes uint64
}

// List returns the rules carrying comment in the pod's namespace, with
// their counters (`iptables -v -S`, which prints them as "-c PACKETS
// BYTES" before the target): what is read back after Add, whose exit
// status alone proves nothing, and before Remove, for what the rules
// matched. ErrGone (wrapped) as for Remove.
func (n Netns) List(ctx context.Context, t Target, comment string) ([]Listed, error) {
	pid, err := n.enter(ctx, t, comment)
	if err != nil {
		return nil, err
	}
	list, err := n.iptables(ctx, t, pid, "-v", "-S")
	if err != nil {
		return nil, fmt.Errorf("listing the rules of %s: %w", t, err)
	}
	var out []Listed
	for _, line := range strings.Split(list, "\n") {
		l, ok := counted(strings.TrimSpace(line))
		if ok && strings.HasPrefix(l.Line, "-A ") && hasComment(l.Line, comment) {
			out = append(out, l)
		}
	}
	return out, nil
}

// counted splits the counters ("-c PACKETS BYTES") off a rule listed by
// iptables -v -S; false when the line carries none.
func counted(line string) (Listed, bool) {
	f := strings.Fields(line)
	for i := 0; i+2 < len(f); i++ {
		if f[i] != "-c" {
			continue
		}
		p, perr := strconv.ParseUint(f[i+1], 10, 64)
		b, berr := strconv.ParseUint(f[i+2], 10, 64)
		if perr != nil || berr != nil {
			return Listed{}, false
		}
		spec := strings.Join(append(append([]string(nil), f[:i]...), f[i+3:]...), " ")
		chain := ""
		if len(f) > 1 {
			chain = f[1]
		}
		return Listed{Line: spec, Chain: chain, Packets: p, Bytes: b}, true
	}
	return Listed{}, false
}

// delete removes one listed rule by its specification, which matches that
// rule and no other wherever it is. Should iptables not match the
// specification it printed itself (a match whose options do not read back
// the same), it deletes the rule by its position in a fresh listing of
// its chain instead: nothing else changes a pod's filter table meanwhile.
func (n Netns) delete(ctx context.Context, t Target, pid int, line string) error {
	args := deleteArgs(line)
	_, specErr := n.iptables(ctx, t, pid, args...)
	if specErr == nil {
		return nil
	}
	chain := args[1]
	list, err := n.iptables(ctx, t, pid, "-S", chain)
	if err != nil {
		return fmt.Errorf("deleting rule %q from %s: %w; then listing chain %s: %v", line, t, specErr, chain, err)
	}
	pos := 0
	for _, l := range strings.Split(list, "\n") {
		l = strings.TrimSpace(l)
		if !strings.HasPrefix(l, "-A ") {
			continue
		}
		pos++
		if l == line {
			if _, err := n.iptables(ctx, t, pid, "-D", chain, strconv.Itoa(pos)); err != nil {
				return fmt.Errorf("deleting rule %q from %s: %w; then by its position %d: %v", line, t, specErr, pos, err)
			}
			return nil
		}
	}
	return nil // gone meanwhile
}

// Tagged returns the rules of an `iptables -S` listing that carry comment.
func Tagged(list, comment string) []string {
	var out []string
	for _, line := range strings.Split(list, "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "-A ") && hasComment(line, comment) {
			out = append(out, line)
		}
	}
	return out
}

// hasComment says whether a listed rule carries comment. iptables prints a
// comment with a colon in double quotes, one made only of letters, digits,
// - and _ bare; both are recognised.
func hasComment(line, comment string) bool {
	f := strings.Fields(line)
	for i := 0; i+1 < len(f); i++ {
		if f[i] == "--comment" && unquote(f[i+1]) == comment {
			return true
		}
	}
	return false
}

// deleteArgs turns a listed rule ("-A CHAIN spec...") into its deletion
// by specification ("-D CHAIN spec..."), which removes that rule whatever
// its position. Only rules with selfheal's comment get here; they hold no
// spaces inside a quoted word.
func deleteArgs(line string) []string {
	f := strings.Fields(line)
	f[0] = "-D"
	for i := range f {
		f[i] = unquote(f[i])
	}
	return f
}

func unquote(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return s[1 : len(s)-1]
	}
	return s
}
