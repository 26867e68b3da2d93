// Package packetloss drops a share of the packets that reach the
// WordPress pods, at random, for as long as the fault is in place: an
// iptables rule with the statistic match on INPUT inside each WordPress
// pod's network namespace (chaos/fault/netfilter).
//
// Everything that enters the pod from the network is subject to it: the
// users' requests (through kube-proxy), MySQL's answers, DNS answers and
// the kubelet's probes; loopback is not. TCP retransmits what is lost,
// so users mostly see slower answers; a request fails when its losses add
// up past the load's timeout.
//
// There is no latency counterpart: delaying packets takes the netem
// queueing discipline (kernel module sch_netem), which this machine's
// kernel lacks (docs/measurement.md).
package packetloss

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
const Name = "packet-loss"

// RepairKind is the Undo kind of a pod losing packets: Params (node,
// namespace, pod, uid, comment) say where the rule is and which one.
const RepairKind = "packet-loss-rules"

// DefaultProbability is the share of packets dropped: 10%. TCP hides a
// loss as a retransmission after at least 200 ms (1 s for a lost SYN),
// but a WordPress page waits on some twenty MySQL answers, each subject
// to the loss: on the 2-core machine a third of the requests outlasted
// the load's 2 s timeout, and once readiness took both pods out for 10 s
// (docs/runs/20261201). A higher share would only be a slower
// db-partition. 10% is far worse than any network a site should run on.
const DefaultProbability = 0.1

// Option configures the fault: WithProbability, or netfilter's options
// (netfilter.WithDocker, netfilter.WithComment: tests).
type Option = netfilter.Option

// WithProbability sets the share of packets dropped, above 0 and below 1.
func WithProbability(p float64) Option {
	return netfilter.WithSpec(func(s *netfilter.Spec) { lose(s, p) })
}

// New drops a share of the packets to every running pod matching selector
// in namespace.
func New(c *kube.Client, namespace, selector string, opts ...Option) *netfilter.Fault {
	spec := netfilter.Spec{Name: Name, Kind: RepairKind, Namespace: namespace, Selector: selector}
	lose(&spec, DefaultProbability)
	return netfilter.New(c, spec, opts...)
}

// lose sets the rule and words that drop the share p, and refuses a
// share that is not one, before anything is changed: 0 would test
// nothing, 1 is a partition.
func lose(s *netfilter.Spec, p float64) {
	s.Rules = []netfilter.Rule{{Chain: "INPUT",
		Match: []string{"!", "-i", "lo", "-m", "statistic", "--mode", "random", "--probability", strconv.FormatFloat(p, 'f', -1, 64)},
		Jump:  "DROP"}}
	s.What = fmt.Sprintf("%.4g%% of the packets arriving dropped at random", p*100)
	s.Invalid = nil
	if !(p > 0 && p < 1) {
		s.Invalid = fmt.Errorf("%s: probability %v must be above 0 and below 1", Name, p)
	}
}

// NewRepairer removes the loss rules a dead run left behind.
func NewRepairer(docker kindnode.Docker, timeout time.Duration) fault.Repairer {
	return netfilter.NewRepairer(RepairKind, docker, timeout)
}
