package nodeagent

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The node script's rules as the real iptables takes, lists and deletes
// them, in a network namespace of the test's own (unshare -n: nothing of
// the machine's network is touched), with traffic that meets the DROP
// rules. systemctl stays fake. Needs root and unshare.
func TestIsolationWithTheRealIptables(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root for a network namespace of its own (unshare -n)")
	}
	for _, tool := range []string{"unshare", "iptables", "ip"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("needs %s: %v", tool, err)
		}
	}
	s := newSandbox(t)
	// Only the fakes the test needs: iptables is the real one.
	bin := filepath.Join(t.TempDir(), "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tool := range []string{"systemctl", "systemd-run"} {
		abs, _ := filepath.Abs(filepath.Join("testdata", "fakebin", tool))
		if err := os.Symlink(abs, filepath.Join(bin, tool)); err != nil {
			t.Fatal(err)
		}
	}
	fault := "id=f1\nactions=network,kubelet\nunits=kubelet containerd\napi=172.18.0.3\nsvc=10.96.0.1:443\nkubelet_port=10250\nlease=\ngrace=30\nmax=600\n"
	if err := os.WriteFile(filepath.Join(s.dir, "faults", "f1"), []byte(fault), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(s.dir, "faults", "f1.state"), []byte("armed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	script := `set -e
ip link add v0 type veth peer name v1
ip addr add 10.1.1.1/24 dev v0
ip link set v0 up; ip link set v1 up; ip link set lo up
iptables -A INPUT -m comment --comment kube-proxy-like -j ACCEPT
sh "$SELFHEAL_AGENT_DIR/node.sh" break f1 >/dev/null
echo "== broken"; iptables -S
for i in 1 2 3; do bash -c 'echo x >/dev/udp/10.1.1.2/9' 2>/dev/null || true; done
sh "$SELFHEAL_AGENT_DIR/node.sh" revert f1 test >/dev/null
echo "== reverted"; iptables -S
echo "== status"; sh "$SELFHEAL_AGENT_DIR/node.sh" status f1
`
	cmd := exec.Command("unshare", "-n", "bash", "-c", script)
	cmd.Env = append(slices.Clone(s.env), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	broken, rest, _ := strings.Cut(strings.SplitN(string(out), "== broken\n", 2)[1], "== reverted\n")
	reverted, status, _ := strings.Cut(rest, "== status\n")
	tag := "-m comment --comment selfheal-agent-f1"
	want := []string{
		"-A INPUT -i lo " + tag + " -j ACCEPT",
		"-A INPUT -p tcp -m conntrack --ctorigdst 10.96.0.1 --ctorigdstport 443 " + tag + " -j ACCEPT",
		"-A INPUT -s 172.18.0.3/32 -p tcp -m tcp --dport 10250 " + tag + " -j ACCEPT",
		"-A INPUT " + tag + " -j DROP",
		"-A INPUT -m comment --comment kube-proxy-like -j ACCEPT",
		"-A OUTPUT -o lo " + tag + " -j ACCEPT",
	}
	for _, w := range want {
		if !strings.Contains(broken, w+"\n") {
			t.Errorf("while broken, no rule %q in:\n%s", w, broken)
		}
	}
	if strings.Contains(reverted, "selfheal-agent") || !strings.Contains(reverted, "kube-proxy-like") {
		t.Errorf("after the revert:\n%s", reverted)
	}
	rep := parseReport(status)
	if rep.Rules != 8 || rep.Dropped["OUTPUT"] < 3 || rep.State != "reverted" {
		t.Errorf("report %+v from:\n%s", rep, status)
	}
}
