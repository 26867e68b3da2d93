// Package nodeagent is selfheal's node agent: node faults without docker,
// on any cluster. It is a privileged DaemonSet (hostPID, hostNetwork) in a
// namespace of its own (Namespace), with its own ServiceAccount, which may
// read one Lease and nothing else; selfheal deploys it on demand
// (Agent.Install) and removes every trace of it with one command
// (Agent.Remove, `selfheal agent remove`). Its image is built here
// (fixtures/images/agent); everything it runs is a shell script there.
//
// On its node the agent stops the kubelet and the container runtime (the
// node goes NotReady while its containers keep running, as in a kubelet
// crash) and isolates the node's network (iptables rules on the node,
// tagged for exact removal, keeping the agent's own reads of its lease and
// the API server's connections to the kubelet), and puts each back.
//
// selfheal speaks to it only through Kubernetes: each command is an exec
// into the agent pod (chaos/kube.Client.Exec), and its renewals are a Lease
// (RenewLease). Once the kubelet is stopped no exec reaches the pod, so the
// agent never waits for one: a fault is armed by one exec and breaks on a
// systemd timer on the node a moment later, and it is put back by
// whichever comes first of
//   - selfheal's revert: it deletes the lease, which the agent reads every
//     second, and confirms by exec once the kubelet is back;
//   - the dead-man: the lease is not renewed for its grace period (the
//     harness that renews it is gone, SIGKILLed or cut off), names another
//     fault, or cannot be read for that long;
//   - the deadline: a systemd timer on the node armed before anything is
//     broken, which fires even when the agent pod is gone;
//   - the agent pod being stopped.
//
// Every fault is written to the active-fault record first
// (fault.Marker.Breaking), and Repairer puts one back from the record in
// the next run. Door plugs the agent into the node-halt scenarios
// (chaos/fault/nodehalt.Door).
package nodeagent

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/selfheal/selfheal/chaos/kube"
)

// The agent's names. Every object carries PartOfLabel=Name, the one label
// that selects every trace (Selector).
const (
	Namespace   = "selfheal-agent"
	Name        = "selfheal-agent"
	PartOfLabel = "app.kubernetes.io/part-of"
	Selector    = PartOfLabel + "=" + Name
	// RenewLease is the Lease selfheal renews while an agent fault is in
	// place; its holder is the fault's id. The agent's Role may get it and
	// nothing else.
	RenewLease = "selfheal-agent-renew"
	// Container is the agent pod's container, Command its entrypoint.
	Container = "agent"
	Command   = "selfheal-agent"
	// podLabel selects the agent's pods (the DaemonSet's selector).
	podLabel = "app.kubernetes.io/name=" + Name
	// imageIDAnnotation on the pod template carries the image's ID: a
	// rebuilt image under the same tag rolls the pods.
	imageIDAnnotation = "selfheal.dev/image-id"
)

// Execer runs a command in a container: chaos/kube.Client in a run, a
// recording fake in tests.
type Execer interface {
	Exec(ctx context.Context, namespace, pod, container string, command ...string) (kube.ExecResult, error)
}

// Agent deploys, drives and removes the node agent of one cluster.
type Agent struct {
	cs      kubernetes.Interface
	exec    Execer
	image   string
	imageID string
	wait    time.Duration
	poll    time.Duration
	execFor time.Duration
	logf    func(format string, args ...any)
}

// Option configures an Agent.
type Option func(*Agent)

// WithImage sets the agent's image (default the manifests', AGENT_IMAGE of
// fixtures/images/versions.env).
func WithImage(ref string) Option { return func(a *Agent) { a.image = ref } }

// WithImageID records the image's ID on the pod template, so that an image
// rebuilt under the same tag (kind) rolls the agent's pods.
func WithImageID(id string) Option { return func(a *Agent) { a.imageID = id } }

// WithWait bounds how long Install waits for the agent to run on every
// node it belongs on (default 2 minutes).
func WithWait(d time.Duration) Option { return func(a *Agent) { a.wait = d } }

// WithPoll sets how often waits look again (default 2 s; tests).
func WithPoll(d time.Duration) Option { return func(a *Agent) { a.poll = d } }

// WithLog sets where progress goes.
func WithLog(logf func(format string, args ...any)) Option {
	return func(a *Agent) { a.logf = logf }
}

// New is the agent of the cluster cs talks to; exec runs its commands.
func New(cs kubernetes.Interface, exec Execer, opts ...Option) *Agent {
	a := &Agent{cs: cs, exec: exec, wait: 2 * time.Minute, poll: 2 * time.Second, execFor: 30 * time.Second,
		logf: func(string, ...any) {}}
	for _, o := range opts {
		o(a)
	}
	return a
}

// Image is the image the agent runs ("" for the manifests' own).
func (a *Agent) Image() string { return a.image }

// ErrNoAgent is wrapped when no agent pod runs, ready, on a node.
var ErrNoAgent = errors.New("no node agent ready there")

// PodOn is the name of the agent pod that runs, ready, on node.
func (a *Agent) PodOn(ctx context.Context, node string) (string, error) {
	return a.podOn(ctx, node, true)
}

// podOn finds the agent pod on node: a ready one, or with ready false any
// that runs. A node whose kubelet is stopped has its pods marked not
// ready, and they keep running: exec reaches them again as soon as the
// kubelet is back, before it reports them ready.
func (a *Agent) podOn(ctx context.Context, node string, ready bool) (string, error) {
	pods, err := a.cs.CoreV1().Pods(Namespace).List(ctx, metav1.ListOptions{LabelSelector: podLabel})
	if err != nil {
		return "", fmt.Errorf("listing the node agent's pods: %w", err)
	}
	var seen []string
	for _, p := range pods.Items {
		if p.Spec.NodeName != node {
			continue
		}
		if p.DeletionTimestamp == nil && p.Status.Phase == corev1.PodRunning && (!ready || kube.PodReady(&p)) {
			return p.Name, nil
		}
		seen = append(seen, fmt.Sprintf("%s (%s)", p.Name, podState(&p)))
	}
	if len(seen) > 0 {
		return "", fmt.Errorf("node %s: %w: %s", node, ErrNoAgent, strings.Join(seen, ", "))
	}
	return "", fmt.Errorf("node %s: %w (no pod of namespace %s; install it with `selfheal agent install`)", node, ErrNoAgent, Namespace)
}

// podState says in words why a pod is not a ready agent.
func podState(p *corev1.Pod) string {
	if p.DeletionTimestamp != nil {
		return "being deleted"
	}
	for _, c := range p.Status.ContainerStatuses {
		switch {
		case c.State.Waiting != nil:
			return strings.TrimSpace(c.State.Waiting.Reason + ": " + c.State.Waiting.Message)
		case c.State.Terminated != nil:
			return strings.TrimSpace("terminated " + c.State.Terminated.Reason + ": " + c.State.Terminated.Message)
		}
	}
	return string(p.Status.Phase) + ", not ready"
}

// Run runs the agent's command with args in its pod on node, bounded in
// time, and returns what it printed. The pod need only run: one on a node
// whose kubelet was just started again is not reported ready yet.
func (a *Agent) Run(ctx context.Context, node string, args ...string) (string, error) {
	pod, err := a.podOn(ctx, node, false)
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(ctx, a.execFor)
	defer cancel()
	res, err := a.exec.Exec(ctx, Namespace, pod, Container, append([]string{Command}, args...)...)
	if err != nil {
		return res.Stdout, fmt.Errorf("node agent on %s: %w", node, err)
	}
	return res.Stdout, nil
}

// Workers are the nodes the agent runs on and node faults may target:
// every node but the control plane's, by name.
func (a *Agent) Workers(ctx context.Context) ([]string, error) {
	nodes, err := a.cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("listing the nodes: %w", err)
	}
	var out []string
	for _, n := range nodes.Items {
		if !kube.ControlPlane(&n) { // the agent never runs there
			out = append(out, n.Name)
		}
	}
	sort.Strings(out)
	return out, nil
}

// APIAddresses are the API server's own addresses (the endpoints of the
// kubernetes Service): where the API server's connections to a kubelet
// come from, which an isolated node keeps accepting.
func (a *Agent) APIAddresses(ctx context.Context) ([]string, error) {
	slices, err := a.cs.DiscoveryV1().EndpointSlices(metav1.NamespaceDefault).List(ctx,
		metav1.ListOptions{LabelSelector: "kubernetes.io/service-name=kubernetes"})
	if err != nil {
		return nil, fmt.Errorf("reading the API server's addresses (EndpointSlices of default/kubernetes): %w", err)
	}
	seen := map[string]bool{}
	var out []string
	for _, s := range slices.Items {
		for _, e := range s.Endpoints {
			for _, addr := range e.Addresses {
				if !seen[addr] {
					seen[addr] = true
					out = append(out, addr)
				}
			}
		}
	}
	sort.Strings(out)
	if len(out) == 0 {
		return nil, errors.New("the kubernetes Service has no endpoint: the API server's addresses are unknown")
	}
	return out, nil
}
