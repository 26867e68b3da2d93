// Package nodehalt stops the container of a kind worker node (docker stop,
// or docker kill for a power cut), so the pods on it are lost and must be
// replaced elsewhere; Revert starts it again.
//
// The victim is chosen from the pods it hosts: by default a worker that
// runs a pod the scenario watches (WordPress) and none it must not lose
// (MySQL, whose local-path volume cannot follow it). The control-plane
// node is never a candidate: the load enters through it and the API server
// runs there.
//
// Neither kind's library nor client-go can stop a node container, so this
// uses the docker CLI, as kind itself does (e2e-framework's node operations
// work for k3d only).
package nodehalt

import (
	"context"
	"fmt"
	"os/exec"
	"sort"
	"strings"
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kindcluster "sigs.k8s.io/kind/pkg/cluster"
	"sigs.k8s.io/kind/pkg/cluster/constants"

	"github.com/selfheal/selfheal/chaos/fault"
	"github.com/selfheal/selfheal/chaos/kube"
)

// Node is a kind node: its container (and Kubernetes node) name and role.
type Node struct{ Name, Role string }

// Docker runs a docker CLI command and returns its output.
type Docker func(ctx context.Context, args ...string) (string, error)

// Fault is the node halt.
type Fault struct {
	client    *kube.Client
	cluster   string
	namespace string
	victim    string // label selector: the node must run such a pod
	avoid     string // label selector: the node must not run such a pod
	kill      bool
	docker    Docker
	nodes     func(ctx context.Context) ([]Node, error)

	mu      sync.Mutex
	stopped string
}

// Option configures the fault.
type Option func(*Fault)

// WithVictim chooses a worker running a pod that matches selector.
func WithVictim(selector string) Option { return func(f *Fault) { f.victim = selector } }

// WithAvoid skips workers running a pod that matches selector ("" to allow any).
func WithAvoid(selector string) Option { return func(f *Fault) { f.avoid = selector } }

// WithKill uses docker kill (no shutdown at all) instead of docker stop.
func WithKill(kill bool) Option { return func(f *Fault) { f.kill = kill } }

// WithDocker replaces the docker CLI (tests).
func WithDocker(d Docker) Option { return func(f *Fault) { f.docker = d } }

// WithNodes replaces the kind node listing (tests).
func WithNodes(list func(ctx context.Context) ([]Node, error)) Option {
	return func(f *Fault) { f.nodes = list }
}

// New halts a worker of kind cluster `cluster`, choosing it by the pods it
// runs in namespace.
func New(c *kube.Client, cluster, namespace string, opts ...Option) *Fault {
	f := &Fault{client: c, cluster: cluster, namespace: namespace, docker: dockerCLI}
	f.nodes = func(ctx context.Context) ([]Node, error) { return KindNodes(cluster) }
	for _, o := range opts {
		o(f)
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

// KindNodes lists the node containers of a kind cluster with their roles.
func KindNodes(cluster string) ([]Node, error) {
	list, err := kindcluster.NewProvider().ListNodes(cluster)
	if err != nil {
		return nil, fmt.Errorf("listing the nodes of kind cluster %s: %w", cluster, err)
	}
	var out []Node
	for _, n := range list {
		role, err := n.Role()
		if err != nil {
			return nil, fmt.Errorf("reading the role of node %s: %w", n.String(), err)
		}
		out = append(out, Node{Name: n.String(), Role: role})
	}
	return out, nil
}

// Inject stops the chosen worker's container.
func (f *Fault) Inject(ctx context.Context, m fault.Marker) error {
	node, hosted, err := f.choose(ctx)
	if err != nil {
		return err
	}
	verb := "stop"
	if f.kill {
		verb = "kill"
	}
	m.Logf("%s node %s (it runs %s)", verb, node, strings.Join(hosted, ", "))
	f.mu.Lock()
	f.stopped = node // before the call: a stop cut short must still be reverted
	f.mu.Unlock()
	if _, err := f.docker(ctx, verb, node); err != nil {
		return fmt.Errorf("halting node %s: %w", node, err)
	}
	m.Injected(fmt.Sprintf("node %s halted (docker %s); it ran %s", node, verb, strings.Join(hosted, ", ")))
	return nil
}

// choose picks the first worker, by name, that runs a victim pod and no
// pod to avoid.
func (f *Fault) choose(ctx context.Context) (string, []string, error) {
	nodes, err := f.nodes(ctx)
	if err != nil {
		return "", nil, err
	}
	victims, err := f.podsByNode(ctx, f.victim)
	if err != nil {
		return "", nil, err
	}
	avoid := map[string][]string{}
	if f.avoid != "" {
		if avoid, err = f.podsByNode(ctx, f.avoid); err != nil {
			return "", nil, err
		}
	}
	var workers []string
	for _, n := range nodes {
		if n.Role == constants.WorkerNodeRoleValue {
			workers = append(workers, n.Name)
		}
	}
	sort.Strings(workers)
	for _, w := range workers {
		if len(victims[w]) > 0 && len(avoid[w]) == 0 {
			return w, victims[w], nil
		}
	}
	return "", nil, fmt.Errorf("no worker of cluster %s runs a pod matching %q without one matching %q (workers %v; %q on %v; %q on %v)",
		f.cluster, f.victim, f.avoid, workers, f.victim, keys(victims), f.avoid, keys(avoid))
}

func (f *Fault) podsByNode(ctx context.Context, selector string) (map[string][]string, error) {
	pods, err := f.client.Kubernetes.CoreV1().Pods(f.namespace).List(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		return nil, fmt.Errorf("listing pods %q in %s: %w", selector, f.namespace, err)
	}
	out := map[string][]string{}
	for _, p := range pods.Items {
		if p.Spec.NodeName != "" && p.DeletionTimestamp == nil {
			out[p.Spec.NodeName] = append(out[p.Spec.NodeName], p.Name)
		}
	}
	return out, nil
}

// Revert starts the halted node's container again. Waiting for the node
// to be Ready is the scenario's restored check.
func (f *Fault) Revert(ctx context.Context, m fault.Marker) error {
	f.mu.Lock()
	node := f.stopped
	f.mu.Unlock()
	if node == "" {
		return nil
	}
	if _, err := f.docker(ctx, "start", node); err != nil {
		return fmt.Errorf("starting node %s again: %w (start it by hand: docker start %s)", node, err, node)
	}
	f.mu.Lock()
	f.stopped = ""
	f.mu.Unlock()
	m.Reverted(fmt.Sprintf("node %s started (docker start)", node))
	return nil
}

// RestoreAll starts every stopped node container of a kind cluster: the
// safety net at the start of a run for a run that was killed before it
// could revert (a SIGKILL runs no clean-up).
func RestoreAll(ctx context.Context, cluster string, docker Docker) ([]string, error) {
	if docker == nil {
		docker = dockerCLI
	}
	out, err := docker(ctx, "ps", "-a", "--filter", "label=io.x-k8s.kind.cluster="+cluster,
		"--filter", "status=exited", "--filter", "status=paused", "--filter", "status=created", "--format", "{{.Names}} {{.State}}")
	if err != nil {
		return nil, fmt.Errorf("listing stopped nodes of cluster %s: %w", cluster, err)
	}
	var started []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		name, state, ok := strings.Cut(strings.TrimSpace(line), " ")
		if !ok {
			continue
		}
		verb := "start"
		if state == "paused" {
			verb = "unpause"
		}
		if _, err := docker(ctx, verb, name); err != nil {
			return started, fmt.Errorf("restoring node %s: %w", name, err)
		}
		started = append(started, name)
	}
	return started, nil
}

func dockerCLI(ctx context.Context, args ...string) (string, error) {
	out, err := exec.CommandContext(ctx, "docker", args...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("docker %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}

func keys(m map[string][]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
