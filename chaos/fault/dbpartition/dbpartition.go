// Package dbpartition cuts the network between the WordPress pods and
// their database for as long as the fault is in place: packets to and
// from the database port are dropped inside each WordPress pod's network
// namespace (chaos/fault/netfilter).
//
// Why there, and why by port: the MySQL Service's address (a ClusterIP,
// or with the fixture's headless Service the pod IP from DNS) is only
// translated to a pod address on the node, by kube-proxy, after the packet
// has left the pod; inside the pod's namespace the OUTPUT chain still sees
// the address WordPress dialled, and port 3306 (the Service port and the
// target port are the same). Dropping by destination port there catches
// every way WordPress reaches the database, whatever the address, without
// touching the node's rules, MySQL (its own probes, its other clients,
// the check of acknowledged writes that reads it from inside its pod) or
// DNS: a partition, not a database or DNS failure. The rules carry no
// conntrack state match, so they drop the packets of connections already
// established as well as new ones; the INPUT rule also drops what MySQL
// still sends on them, so the cut is clean both ways.
//
// A WordPress pod created while the partition holds is not partitioned
// (the injections name the pods that are); a container restarted by its
// liveness probe is, since the namespace belongs to the pod.
package dbpartition

import (
	"fmt"
	"strconv"
	"time"

	"github.com/selfheal/selfheal/chaos/fault"
	"github.com/selfheal/selfheal/chaos/fault/netfilter"
	"github.com/selfheal/selfheal/chaos/kube"
	"github.com/selfheal/selfheal/internal/kindnode"
)

// Name is the fault's name in results.
const Name = "db-partition"

// RepairKind is the Undo kind of a partitioned pod: Params (node,
// namespace, pod, uid, comment) say where the rules are and which ones.
const RepairKind = "db-partition-rules"

// DefaultPort is MySQL's port, the fixture's Service port and target port.
const DefaultPort = 3306

// Option configures the fault: WithPort, or netfilter's options
// (netfilter.WithDocker, netfilter.WithComment: tests).
type Option = netfilter.Option

// WithPort sets the database port whose traffic is dropped.
func WithPort(p int) Option {
	return netfilter.WithSpec(func(s *netfilter.Spec) { partition(s, p) })
}

// New partitions every running pod matching clientSelector in namespace
// (the WordPress pods) from the database port.
func New(c *kube.Client, namespace, clientSelector string, opts ...Option) *netfilter.Fault {
	spec := netfilter.Spec{Name: Name, Kind: RepairKind, Namespace: namespace, Selector: clientSelector}
	partition(&spec, DefaultPort)
	return netfilter.New(c, spec, opts...)
}

// partition sets the rules and words that cut port, and refuses a port
// that is not one, before anything is changed.
func partition(s *netfilter.Spec, port int) {
	p := strconv.Itoa(port)
	s.Rules = []netfilter.Rule{
		{Chain: "OUTPUT", Match: []string{"-p", "tcp", "--dport", p}, Jump: "DROP"},
		{Chain: "INPUT", Match: []string{"-p", "tcp", "--sport", p}, Jump: "DROP"},
	}
	s.What = fmt.Sprintf("TCP to and from the database port %d dropped", port)
	s.Invalid = nil
	if port < 1 || port > 65535 {
		s.Invalid = fmt.Errorf("%s: database port %d is not a TCP port (1-65535)", Name, port)
	}
}

// NewRepairer removes the partition's rules a dead run left behind.
func NewRepairer(docker kindnode.Docker, timeout time.Duration) fault.Repairer {
	return netfilter.NewRepairer(RepairKind, docker, timeout)
}
