// Package netfiltertest is a fake kind node for the network faults'
// tests: a kindnode.Docker that answers containerd's sandbox listing and
// keeps an iptables filter table per pod namespace, printing rules as
// iptables -S does (`-m tcp` after `-p tcp`, a comment with a colon in
// double quotes, a probability with 11 decimals) and, with -v, each rule's
// counters as "-c PACKETS BYTES" before its target, so a deletion built
// from the listing is checked against what the real command prints. That
// format, the deletions by specification and by position, were checked
// against the kind node image's iptables v1.8.9 (nf_tables) in a
// throwaway container with no network, on this machine's kernel; the
// counters against the same version in a network namespace of its own
// (unshare -n), where a refused connection to port 3306 counted 3 packets,
// 180 bytes.
//
// Cluster puts pods on a fake API server beside such a node; WordPress is
// the scene the network fault packages are tested on, and Shared the
// checks every fault built on chaos/fault/netfilter must pass there.
package netfiltertest

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// Node is the fake: pod sandboxes on nodes, and their rules.
type Node struct {
	mu        sync.Mutex
	sandboxes map[string]map[string]int // node → pod UID → PID
	rules     map[int][]string          // PID → rules as -S prints them
	packets   map[int]map[string]uint64 // PID → rule → packets it matched
	failAdd   map[int]int               // PID → the add (1-based) that fails
	swallow   map[int]bool              // PID → adds exit 0 and add nothing
	adds      map[int]int
	calls     []string
	// specDeleteBroken refuses every deletion by specification, as an
	// iptables that cannot match a rule it printed would.
	specDeleteBroken bool
}

// BreakSpecDelete makes every deletion by specification fail.
func (n *Node) BreakSpecDelete() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.specDeleteBroken = true
}

func isNumber(s string) bool {
	_, err := strconv.Atoi(s)
	return err == nil
}

// New is a node set with no pod.
func New() *Node {
	return &Node{sandboxes: map[string]map[string]int{}, rules: map[int][]string{}, packets: map[int]map[string]uint64{}, failAdd: map[int]int{}, swallow: map[int]bool{}, adds: map[int]int{}}
}

// AddSandbox runs the sandbox of pod uid on node as process pid.
func (n *Node) AddSandbox(node, uid string, pid int) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.sandboxes[node] == nil {
		n.sandboxes[node] = map[string]int{}
	}
	n.sandboxes[node][uid] = pid
}

// RemoveSandbox deletes the pod: its namespace and rules go with it.
func (n *Node) RemoveSandbox(node, uid string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	delete(n.rules, n.sandboxes[node][uid])
	delete(n.sandboxes[node], uid)
}

// FailAdd makes the k-th rule added in pid's namespace (1-based) fail.
func (n *Node) FailAdd(pid, k int) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.failAdd[pid] = k
}

// SwallowAdds makes every rule added in pid's namespace exit 0 and add
// nothing: an exit status that proves nothing.
func (n *Node) SwallowAdds(pid int) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.swallow[pid] = true
}

// SetRules replaces pid's rules (a rule selfheal did not add, say).
func (n *Node) SetRules(pid int, rules ...string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.rules[pid] = append([]string(nil), rules...)
}

// Match counts n packets matched by every rule of chain in pid's
// namespace: the traffic the rules met.
func (n *Node) Match(pid int, chain string, packets uint64) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.packets[pid] == nil {
		n.packets[pid] = map[string]uint64{}
	}
	for _, r := range n.rules[pid] {
		if strings.HasPrefix(r, "-A "+chain+" ") {
			n.packets[pid][r] += packets
		}
	}
}

// Rules are pid's rules as iptables -S prints them.
func (n *Node) Rules(pid int) []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.rules[pid]...)
}

// Calls are the iptables commands run so far, as "NODE PID args...".
func (n *Node) Calls() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.calls...)
}

// ResetCalls forgets the commands run so far.
func (n *Node) ResetCalls() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.calls = nil
}

var uidRE = regexp.MustCompile(`"io\.kubernetes\.pod\.uid"==([^,]+)`)

// Docker is the fake docker CLI.
func (n *Node) Docker(_ context.Context, args ...string) (string, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(args) < 3 || args[0] != "exec" {
		return "", fmt.Errorf("fake docker: unexpected %q", args)
	}
	node, cmd := args[1], args[2:]
	sandboxes, ok := n.sandboxes[node]
	if !ok {
		return "", fmt.Errorf("Error response from daemon: No such container: %s", node)
	}
	line := strings.Join(cmd, " ")
	switch {
	case strings.HasPrefix(line, "ctr -n k8s.io containers ls -q "):
		m := uidRE.FindStringSubmatch(cmd[len(cmd)-1])
		if m == nil || !strings.Contains(cmd[len(cmd)-1], `"io.cri-containerd.kind"==sandbox`) {
			return "", fmt.Errorf("fake docker: filter %q is not a sandbox by uid", cmd[len(cmd)-1])
		}
		if _, ok := sandboxes[m[1]]; ok {
			return "sb-" + m[1] + "\n", nil
		}
		return "", nil
	case line == "ctr -n k8s.io task ls":
		out := "TASK PID STATUS\n"
		for uid, pid := range sandboxes {
			out += fmt.Sprintf("sb-%s %d RUNNING\n", uid, pid)
		}
		return out, nil
	case len(cmd) > 5 && cmd[0] == "nsenter" && cmd[1] == "-t" && cmd[3] == "-n" && cmd[4] == "iptables":
		pid, _ := strconv.Atoi(cmd[2])
		found := false
		for _, p := range sandboxes {
			found = found || p == pid
		}
		if !found {
			return "", fmt.Errorf("nsenter: cannot open /proc/%d/ns/net: No such file or directory", pid)
		}
		n.calls = append(n.calls, fmt.Sprintf("%s %d %s", node, pid, strings.Join(cmd[5:], " ")))
		return n.iptables(pid, cmd[5:])
	}
	return "", fmt.Errorf("fake docker: unexpected command %q", cmd)
}

func (n *Node) iptables(pid int, args []string) (string, error) {
	switch {
	case len(args) == 1 && args[0] == "-S":
		out := "-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n"
		for _, r := range n.rules[pid] {
			out += r + "\n"
		}
		return out, nil
	case len(args) == 2 && args[0] == "-v" && args[1] == "-S":
		out := "-P INPUT ACCEPT -c 0 0\n-P FORWARD ACCEPT -c 0 0\n-P OUTPUT ACCEPT -c 0 0\n"
		for _, r := range n.rules[pid] {
			p := n.packets[pid][r]
			spec, target, _ := strings.Cut(r, " -j ")
			out += fmt.Sprintf("%s -c %d %d -j %s\n", spec, p, 60*p, target)
		}
		return out, nil
	case len(args) > 3 && args[0] == "-I" && args[2] == "1":
		n.adds[pid]++
		if n.adds[pid] == n.failAdd[pid] {
			return "", fmt.Errorf("iptables: add %d in %d failed (fake)", n.adds[pid], pid)
		}
		if n.swallow[pid] {
			return "", nil
		}
		r := print(args[1], args[3:])
		n.rules[pid] = append([]string{r}, n.rules[pid]...)
		if n.packets[pid] != nil {
			delete(n.packets[pid], r) // a new rule has matched nothing yet
		}
		return "", nil
	case len(args) == 2 && args[0] == "-S":
		out := "-P " + args[1] + " ACCEPT\n"
		for _, r := range n.rules[pid] {
			if strings.HasPrefix(r, "-A "+args[1]+" ") {
				out += r + "\n"
			}
		}
		return out, nil
	case len(args) == 3 && args[0] == "-D" && isNumber(args[2]):
		pos, _ := strconv.Atoi(args[2])
		for i, r := range n.rules[pid] {
			if strings.HasPrefix(r, "-A "+args[1]+" ") {
				if pos--; pos == 0 {
					n.rules[pid] = append(n.rules[pid][:i:i], n.rules[pid][i+1:]...)
					return "", nil
				}
			}
		}
		return "", fmt.Errorf("iptables: Index of deletion too big.")
	case len(args) > 2 && args[0] == "-D":
		if n.specDeleteBroken {
			return "", fmt.Errorf("iptables: Bad rule (does a matching rule exist in that chain?). (fake: deletion by specification broken)")
		}
		want := print(args[1], args[2:])
		for i, r := range n.rules[pid] {
			if r == want {
				n.rules[pid] = append(n.rules[pid][:i:i], n.rules[pid][i+1:]...)
				return "", nil
			}
		}
		return "", fmt.Errorf("iptables: Bad rule (does a matching rule exist in that chain?). (%s)", want)
	}
	return "", fmt.Errorf("fake iptables: unexpected %q", args)
}

// bare are the characters iptables prints a comment with unquoted.
const bare = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-"

// print renders a rule as iptables -S does.
func print(chain string, spec []string) string {
	out := []string{"-A", chain}
	for i := 0; i < len(spec); i++ {
		a := spec[i]
		switch {
		case a == "-p" && i+1 < len(spec):
			out = append(out, a, spec[i+1])
			if (spec[i+1] == "tcp" || spec[i+1] == "udp") && !(i+3 < len(spec) && spec[i+2] == "-m" && spec[i+3] == spec[i+1]) {
				out = append(out, "-m", spec[i+1])
			}
			i++
		case a == "--comment" && i+1 < len(spec):
			c := spec[i+1] // taken as given: a quoted word keeps its quotes, as with the real command
			if strings.ContainsFunc(c, func(r rune) bool { return !strings.ContainsRune(bare, r) }) {
				c = `"` + c + `"`
			}
			out = append(out, a, c)
			i++
		case a == "--probability" && i+1 < len(spec):
			p, err := strconv.ParseFloat(spec[i+1], 64)
			if err != nil {
				return "unparsable probability " + spec[i+1]
			}
			// iptables keeps the probability as a 31-bit fraction.
			q := float64(int64(p*0x80000000+0.5)) / 0x80000000
			out = append(out, a, fmt.Sprintf("%.11f", q))
			i++
		default:
			out = append(out, a)
		}
	}
	return strings.Join(out, " ")
}
