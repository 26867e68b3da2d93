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
	"context"
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

// Fault is the partition.
type Fault struct {
	*netfilter.Fault
	port int
}

type config struct {
	port int
	opts []netfilter.Option
}

// Option configures the fault.
type Option func(*config)

// WithPort sets the database port whose traffic is dropped.
func WithPort(p int) Option { return func(c *config) { c.port = p } }

// WithDocker replaces the docker CLI (tests).
func WithDocker(d kindnode.Docker) Option {
	return func(c *config) { c.opts = append(c.opts, netfilter.WithDocker(d)) }
}

// WithComment sets the iptables comment of the rules (tests).
func WithComment(s string) Option {
	return func(c *config) { c.opts = append(c.opts, netfilter.WithComment(s)) }
}

// New partitions every running pod matching clientSelector in namespace
// (the WordPress pods) from the database port.
func New(c *kube.Client, namespace, clientSelector string, opts ...Option) *Fault {
	cfg := config{port: DefaultPort}
	for _, o := range opts {
		o(&cfg)
	}
	port := strconv.Itoa(cfg.port)
	spec := netfilter.Spec{
		Name: Name, Kind: RepairKind, Namespace: namespace, Selector: clientSelector,
		Rules: []netfilter.Rule{
			{Chain: "OUTPUT", Match: []string{"-p", "tcp", "--dport", port}, Jump: "DROP"},
			{Chain: "INPUT", Match: []string{"-p", "tcp", "--sport", port}, Jump: "DROP"},
		},
		What: fmt.Sprintf("TCP to and from the database port %d dropped", cfg.port),
	}
	return &Fault{Fault: netfilter.New(c, spec, cfg.opts...), port: cfg.port}
}

// Check refuses a port that is not one, before anything is changed.
func (f *Fault) Check() error {
	if f.port < 1 || f.port > 65535 {
		return fmt.Errorf("%s: database port %d is not a TCP port (1-65535)", Name, f.port)
	}
	return f.Fault.Check()
}

// Inject implements fault.Fault.
func (f *Fault) Inject(ctx context.Context, m fault.Marker) error {
	if err := f.Check(); err != nil {
		return err
	}
	return f.Fault.Inject(ctx, m)
}

// NewRepairer removes the partition's rules a dead run left behind.
func NewRepairer(docker kindnode.Docker, timeout time.Duration) fault.Repairer {
	return netfilter.NewRepairer(RepairKind, docker, timeout)
}
