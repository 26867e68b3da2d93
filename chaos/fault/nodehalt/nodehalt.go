// Package nodehalt stops the container of a kind worker node (docker stop,
// or docker kill for a power cut), so the pods on it are lost and must be
// replaced elsewhere; Revert starts it again.
//
// The victim is chosen from the pods it hosts: by default a worker that
// runs a pod the scenario watches (WordPress) and none it must not lose
// (MySQL, whose local-path volume cannot follow it). The control-plane
// node is never a candidate: the load enters through it and the API server
// runs there (which also keeps the active-fault record readable while a
// worker is down).
//
// The node containers are listed and started through internal/kindnode.
// A Door (WithDoor) halts the node another way instead: chaos/fault/
// nodeagent's stops its kubelet and container runtime and isolates its
// network, on any cluster.
package nodehalt

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/selfheal/selfheal/chaos/fault"
	"github.com/selfheal/selfheal/chaos/kube"
	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/internal/kindnode"
)

// RepairKind is the Undo kind of a halted node: Params["container"] is
// the node container to start again.
const RepairKind = "node-container"

// Fault is the node halt.
type Fault struct {
	client    *kube.Client
	cluster   string
	namespace string
	victim    string // label selector: the node must run such a pod
	avoid     string // label selector: the node must not run such a pod
	kill      bool
	keepOne   bool // a victim pod must keep running on another node
	docker    kindnode.Docker
	nodes     func(ctx context.Context) ([]kindnode.Node, error)
	door      Door
	// every is how often the node's Ready condition is read while the
	// fault holds; exitWithin bounds the wait for docker to show the
	// container exited.
	every, exitWithin time.Duration

	mu      sync.Mutex
	stopped string
	// notReady watches for the node seen NotReady from the API.
	notReady *fault.Watcher
}

// Door halts a node and starts it again by another way than docker (the
// node agent, chaos/fault/nodeagent).
type Door interface {
	// Workers are the nodes that may be halted, by name.
	Workers(ctx context.Context) ([]string, error)
	// Halt halts node. It calls m.Breaking with its own Undo before it
	// breaks anything, and breaks nothing when that fails; it returns
	// once the node is halted, saying how.
	Halt(ctx context.Context, m fault.Marker, node string) (string, error)
	// Start puts node back, saying what it did ("" when nothing was
	// halted). It is idempotent, and safe after a Halt cut short.
	Start(ctx context.Context, m fault.Marker, node string) (string, error)
}

// WithDoor halts the node through door instead of docker.
func WithDoor(door Door) Option { return func(f *Fault) { f.door = door } }

// Option configures the fault.
type Option func(*Fault)

// WithVictim chooses a worker running a pod that matches selector.
func WithVictim(selector string) Option { return func(f *Fault) { f.victim = selector } }

// WithAvoid skips workers running a pod that matches selector ("" to allow any).
func WithAvoid(selector string) Option { return func(f *Fault) { f.avoid = selector } }

// WithSurvivor refuses to halt a node unless a pod matching the victim
// selector keeps running on another one: the scenario measures a replica
// taking over, and a halt of every replica would measure something else
// under its name.
func WithSurvivor(on bool) Option { return func(f *Fault) { f.keepOne = on } }

// WithKill uses docker kill (no shutdown at all) instead of docker stop.
func WithKill(kill bool) Option { return func(f *Fault) { f.kill = kill } }

// WithDocker replaces the docker CLI (tests).
func WithDocker(d kindnode.Docker) Option { return func(f *Fault) { f.docker = d } }

// WithNodes replaces the kind node listing (tests).
func WithNodes(list func(ctx context.Context) ([]kindnode.Node, error)) Option {
	return func(f *Fault) { f.nodes = list }
}

// New halts a worker of kind cluster `cluster`, choosing it by the pods it
// runs in namespace.
func New(c *kube.Client, cluster, namespace string, opts ...Option) *Fault {
	f := &Fault{client: c, cluster: cluster, namespace: namespace, docker: kindnode.CLI, every: time.Second, exitWithin: 10 * time.Second}
	for _, o := range opts {
		o(f)
	}
	if f.nodes == nil {
		f.nodes = func(ctx context.Context) ([]kindnode.Node, error) { return kindnode.List(ctx, f.docker, cluster) }
	}
	return f
}

// Name implements fault.Fault.
func (f *Fault) Name() string {
	if f.kill {
		return "node-kill"
	}
	return "node-halt"
}

// Inject stops the chosen worker's container.
func (f *Fault) Inject(ctx context.Context, m fault.Marker) error {
	node, hosted, err := f.choose(ctx)
	if err != nil {
		return err
	}
	if f.door != nil {
		return f.injectThroughDoor(ctx, m, node, hosted)
	}
	verb := "stop"
	if f.kill {
		verb = "kill"
	}
	m.Logf("%s node %s (it runs %s)", verb, node, strings.Join(hosted, ", "))
	if err := m.Breaking(ctx, fault.Undo{Kind: RepairKind, Detail: fmt.Sprintf("node %s halted (docker %s)", node, verb),
		Params: map[string]string{"container": node}}); err != nil {
		return err
	}
	f.mu.Lock()
	f.stopped = node // before the call: a stop cut short must still be reverted
	f.mu.Unlock()
	if _, err := f.docker(ctx, verb, node); err != nil {
		return fmt.Errorf("halting node %s: %w", node, err)
	}
	detail := fmt.Sprintf("node %s halted (docker %s); it ran %s", node, verb, strings.Join(hosted, ", "))
	m.Injected(detail + f.clusterDNSOn(ctx, node))
	f.proveHalted(ctx, m, node, verb)
	f.watchNotReady(ctx, m, node)
	return nil
}

// injectThroughDoor halts node through the door, which records its own
// Undo and proves what it did on the node; the node seen NotReady from
// the API is proved here, as for docker.
func (f *Fault) injectThroughDoor(ctx context.Context, m fault.Marker, node string, hosted []string) error {
	m.Logf("halt node %s (it runs %s)", node, strings.Join(hosted, ", "))
	f.mu.Lock()
	f.stopped = node // before the call: a halt cut short must still be reverted
	f.mu.Unlock()
	how, err := f.door.Halt(ctx, m, node)
	if err != nil {
		return fmt.Errorf("halting node %s: %w", node, err)
	}
	m.Injected(fmt.Sprintf("node %s halted: %s; it ran %s", node, how, strings.Join(hosted, ", ")) + f.clusterDNSOn(ctx, node))
	f.watchNotReady(ctx, m, node)
	return nil
}

// watchNotReady proves the halt from the API while it holds: the node's
// Ready condition turns Unknown once the node controller stops hearing
// from the kubelet (Revert stops the watch).
func (f *Fault) watchNotReady(ctx context.Context, m fault.Marker, node string) {
	w := fault.Watch(ctx, m, fmt.Sprintf("the Ready condition of node %s, read from the API", node), f.every, f.nodeNotReady(node))
	f.mu.Lock()
	f.notReady = w
	f.mu.Unlock()
}

// proveHalted reads the node container's state back from docker until it
// is exited, within 10 s: the exit status of docker kill says nothing about
// the container, which docker marks exited a moment after the signal.
func (f *Fault) proveHalted(ctx context.Context, m fault.Marker, node, verb string) {
	e := result.Evidence{Check: fmt.Sprintf("docker inspect of node container %s, after docker %s", node, verb)}
	var state string
	exited := func(ctx context.Context) (bool, string, error) {
		s, err := kindnode.State(ctx, f.docker, node)
		if err != nil {
			return false, "", err
		}
		state = s
		return s == "exited", "", nil
	}
	err := kube.WaitFor(ctx, exited, f.exitWithin/50, f.exitWithin)
	switch {
	case err == nil:
		e.Held, e.Observed = true, "the container is exited"
	case state == "":
		e.Observed = "its state could not be read: " + err.Error()
	default:
		e.Observed = "the container is " + state + ", not exited"
	}
	m.Proved(e)
}

// nodeNotReady sees the node NotReady: its Ready condition other than True
// (Unknown once the node controller stops hearing from the kubelet, about
// 40 s after the halt).
func (f *Fault) nodeNotReady(node string) fault.Look {
	return func(ctx context.Context) (bool, string, error) {
		n, err := f.client.Kubernetes.CoreV1().Nodes().Get(ctx, node, metav1.GetOptions{})
		if err != nil {
			return false, "", fmt.Errorf("reading node %s: %w", node, err)
		}
		ready, c := kube.NodeReadyCondition(n)
		if c == nil {
			return false, "no Ready condition", nil
		}
		words := fmt.Sprintf("Ready=%s", c.Status)
		if c.Reason != "" {
			words += " (" + c.Reason + ")"
		}
		if !ready {
			words = "NotReady: " + words
		}
		return !ready, words, nil
	}
}

// clusterDNSSelector finds the cluster DNS pods (CoreDNS, as kubeadm
// labels them).
const clusterDNSSelector = "k8s-app=kube-dns"

// clusterDNSOn names the cluster DNS replicas the halted node ran, for the
// timeline: until the node is NotReady their endpoints stay in the DNS
// Service, so lookups sent to them time out, and WordPress, which resolves
// its database host on every request, stalls on the surviving nodes too (a
// real run: a 44 s full outage with a replica left, once dns-outage had
// rescheduled CoreDNS onto the workers).
func (f *Fault) clusterDNSOn(ctx context.Context, node string) string {
	on, err := f.client.PodsByNode(ctx, metav1.NamespaceSystem, clusterDNSSelector)
	if err != nil || len(on[node]) == 0 {
		return ""
	}
	return fmt.Sprintf("; also cluster DNS replica(s) %s, whose endpoints stay in the DNS Service until the node is NotReady", strings.Join(on[node], ", "))
}

// choose picks the first worker, by name, that runs a victim pod and no
// pod to avoid.
func (f *Fault) choose(ctx context.Context) (string, []string, error) {
	workers, err := f.workers(ctx)
	if err != nil {
		return "", nil, err
	}
	node, hosted, err := f.client.ChooseNode(ctx, workers, f.namespace, f.victim, f.avoid)
	if err != nil {
		return "", nil, fmt.Errorf("no worker of cluster %s to halt: %w", f.cluster, err)
	}
	if f.keepOne {
		if err := f.survivorBesides(ctx, node); err != nil {
			return "", nil, err
		}
	}
	return node, hosted, nil
}

// workers are the nodes the fault may halt: the door's, or the kind
// cluster's worker containers.
func (f *Fault) workers(ctx context.Context) ([]string, error) {
	if f.door != nil {
		return f.door.Workers(ctx)
	}
	nodes, err := f.nodes(ctx)
	if err != nil {
		return nil, err
	}
	var workers []string
	for _, n := range nodes {
		if n.Role == kindnode.RoleWorker {
			workers = append(workers, n.Name)
		}
	}
	return workers, nil
}

// survivorBesides checks that a victim pod runs on a node other than node.
func (f *Fault) survivorBesides(ctx context.Context, node string) error {
	on, err := f.client.PodsByNode(ctx, f.namespace, f.victim)
	if err != nil {
		return err
	}
	for n, pods := range on {
		if n != node && len(pods) > 0 {
			return nil
		}
	}
	return fmt.Errorf("every pod matching %q runs on %s (%s): halting it would leave none serving, not the take-over this scenario measures; nothing was halted",
		f.victim, node, strings.Join(on[node], ", "))
}

// Revert starts the halted node's container again. Waiting for the node
// to be Ready is the scenario's restored check.
func (f *Fault) Revert(ctx context.Context, m fault.Marker) error {
	f.mu.Lock()
	node, w := f.stopped, f.notReady
	f.mu.Unlock()
	w.Stop() // before the node starts: it must be seen NotReady while halted
	if node == "" {
		return nil
	}
	if f.door != nil {
		did, err := f.door.Start(ctx, m, node)
		if err != nil {
			return err
		}
		f.mu.Lock()
		f.stopped = ""
		f.mu.Unlock()
		if did != "" {
			m.Reverted(did)
		}
		return nil
	}
	did, err := kindnode.Start(ctx, f.docker, node)
	if err != nil {
		return err
	}
	f.mu.Lock()
	f.stopped = ""
	f.mu.Unlock()
	if did != "" {
		m.Reverted(fmt.Sprintf("node %s started (%s)", node, did))
	}
	return nil
}

// NewRepairer starts a node a dead run left halted, with docker, and
// waits through c for it to be Ready again; all within timeout.
func NewRepairer(c *kube.Client, docker kindnode.Docker, timeout time.Duration) fault.Repairer {
	r := repairer{client: c, docker: docker, timeout: timeout}
	return fault.RepairFunc(RepairKind, timeout, r.repair)
}

type repairer struct {
	client  *kube.Client
	docker  kindnode.Docker
	timeout time.Duration
}

func (r repairer) repair(ctx context.Context, u fault.Undo) (string, error) {
	node := u.Params["container"]
	if node == "" {
		return "", fmt.Errorf("the record names no node container: %v", u.Params)
	}
	start := time.Now()
	did, err := kindnode.Start(ctx, r.docker, node)
	if err != nil || did == "" {
		return did, err
	}
	// A node halted for less than the node monitor's grace period still
	// reads Ready: only a heartbeat from the restarted kubelet says it is.
	since := metav1.NewTime(start.Truncate(time.Second))
	ready := func(ctx context.Context) (bool, string, error) {
		n, err := r.client.Kubernetes.CoreV1().Nodes().Get(ctx, node, metav1.GetOptions{})
		if err != nil {
			return false, "", err
		}
		ok, cond := kube.NodeReadyCondition(n)
		return ok && !cond.LastHeartbeatTime.Before(&since), "node " + node + " has not reported Ready since it was started", nil
	}
	if err := kube.WaitFor(ctx, ready, time.Second, r.timeout); err != nil {
		return did, fmt.Errorf("after %s: %w", did, err)
	}
	return fmt.Sprintf("%s; Ready after %s", did, time.Since(start).Round(100*time.Millisecond)), nil
}
