// Package apiserver stops the Kubernetes API server: its container in the
// kind control-plane node gets SIGTERM, and the kubelet, which runs it as a
// static pod, starts it again. Nothing is left to undo: Revert waits,
// bounded, until a new API server container runs and answers /readyz.
//
// The app must not notice (the API server is not on the request path);
// what the fault tests is the rest of the cluster and the harness riding
// out a minute without an API (docs/measurement.md, "Cluster faults").
//
// The signal goes to the container's task through containerd's ctr in the
// node (kindnode.ContainerTask finds it; the node image's crictl is a
// stand-in), by container id, so no PID reused in between can be hit: the
// API cannot be used to stop itself, and a static pod cannot be deleted
// through it.
package apiserver

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/selfheal/selfheal/chaos/fault"
	"github.com/selfheal/selfheal/chaos/kube"
	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/internal/kindnode"
)

// RepairKind is the Undo kind of a stopped API server: Params "node" (the
// control-plane node container), "container" and "pid" (the containerd
// container and the process that were stopped).
const RepairKind = "apiserver-restart"

// The static pod's coordinates: kubeadm names a static pod
// <component>-<node name>.
const (
	podNamespace = "kube-system"
	container    = "kube-apiserver"
)

func podName(node string) string { return container + "-" + node }

// DefaultBound is how long Revert waits for the API server to be back:
// the kubelet restarts the container at once, or after a 10-20 s back-off
// when it restarted within the last minutes, and the API server starts in
// 10-30 s on a small machine. Two minutes means it is not coming back.
const DefaultBound = 2 * time.Minute

// probeTimeout bounds each /readyz: an answer slower than that is not one.
const probeTimeout = 2 * time.Second

// Fault is the API server restart.
type Fault struct {
	cluster string
	docker  kindnode.Docker
	nodes   func(ctx context.Context) ([]kindnode.Node, error)
	ready   func(ctx context.Context) error
	bound   time.Duration
	poll    time.Duration

	mu       sync.Mutex
	node     string // set from the record on: what Revert waits for
	task     kindnode.Task
	killed   bool // the signal was delivered
	killedAt time.Time
	// down watches for the API seen unreachable after the stop.
	down *fault.Watcher
}

// Option configures the fault.
type Option func(*Fault)

// WithDocker replaces the docker CLI (tests).
func WithDocker(d kindnode.Docker) Option { return func(f *Fault) { f.docker = d } }

// WithNodes replaces the kind node listing (tests).
func WithNodes(list func(ctx context.Context) ([]kindnode.Node, error)) Option {
	return func(f *Fault) { f.nodes = list }
}

// WithReady replaces the API server's /readyz probe (tests).
func WithReady(ready func(ctx context.Context) error) Option {
	return func(f *Fault) { f.ready = ready }
}

// WithBound bounds Revert's wait for the API server (default DefaultBound).
func WithBound(d time.Duration) Option { return func(f *Fault) { f.bound = d } }

// WithPoll sets how often Revert looks (default 1 s).
func WithPoll(d time.Duration) Option { return func(f *Fault) { f.poll = d } }

// New stops the API server of kind cluster `cluster`, which c talks to.
func New(c *kube.Client, cluster string, opts ...Option) *Fault {
	f := &Fault{cluster: cluster, docker: kindnode.CLI, bound: DefaultBound, poll: time.Second}
	if c != nil {
		f.ready = kube.Readyz(c.Kubernetes)
	}
	for _, o := range opts {
		o(f)
	}
	if f.nodes == nil {
		f.nodes = func(ctx context.Context) ([]kindnode.Node, error) { return kindnode.List(ctx, f.docker, cluster) }
	}
	return f
}

// Name implements fault.Fault.
func (f *Fault) Name() string { return "apiserver-restart" }

// Inject sends SIGTERM to the API server's process: it stops serving, and
// the kubelet restarts its container.
func (f *Fault) Inject(ctx context.Context, m fault.Marker) error {
	if f.ready == nil {
		return fmt.Errorf("no way to ask the API server of cluster %s for /readyz, so its return could not be awaited", f.cluster)
	}
	node, err := controlPlane(ctx, f.nodes, f.cluster)
	if err != nil {
		return err
	}
	task, err := kindnode.ContainerTask(ctx, f.docker, node, podNamespace, podName(node), container)
	if err != nil {
		return fmt.Errorf("finding the API server to stop: %w", err)
	}
	m.Logf("stop kube-apiserver on node %s (SIGTERM to PID %d); the kubelet restarts it", node, task.PID)
	if err := m.Breaking(ctx, fault.Undo{Kind: RepairKind, Detail: fmt.Sprintf("kube-apiserver on node %s stopped (SIGTERM to PID %d); the kubelet restarts it", node, task.PID),
		Params: map[string]string{"node": node, "container": task.ID, "pid": strconv.Itoa(task.PID)}}); err != nil {
		return err
	}
	f.mu.Lock()
	f.node, f.task, f.killed = node, task, false // before the call: Revert must wait even if it was cut short
	f.mu.Unlock()
	if _, err := kindnode.Exec(ctx, f.docker, node, "ctr", "-n", "k8s.io", "task", "kill", "-s", "SIGTERM", task.ID); err != nil {
		return fmt.Errorf("stopping kube-apiserver (PID %d) on node %s: %w", task.PID, node, err)
	}
	f.mu.Lock()
	f.killed, f.killedAt = true, time.Now()
	f.mu.Unlock()
	m.Injected(fmt.Sprintf("kube-apiserver on node %s stopped (SIGTERM to PID %d)", node, task.PID))
	w := fault.Watch(ctx, m, "GET /readyz of the API server, after the stop", f.poll, f.unreachable)
	f.mu.Lock()
	f.down = w
	f.mu.Unlock()
	return nil
}

// unreachable sees a /readyz that failed: the API server stopping
// (its readyz fails from the SIGTERM on) or gone.
func (f *Fault) unreachable(ctx context.Context) (bool, string, error) {
	if err := probe(ctx, f.ready); err != nil {
		return true, "a request failed: " + err.Error(), nil
	}
	return false, "answered ok", nil
}

// controlPlane is the one running control-plane node container of the
// cluster.
func controlPlane(ctx context.Context, list func(ctx context.Context) ([]kindnode.Node, error), cluster string) (string, error) {
	nodes, err := list(ctx)
	if err != nil {
		return "", err
	}
	var cps []kindnode.Node
	for _, n := range nodes {
		if n.Role == kindnode.RoleControlPlane {
			cps = append(cps, n)
		}
	}
	switch {
	case len(cps) == 0:
		return "", fmt.Errorf("control-plane node container of kind cluster %s not found (%d node containers)", cluster, len(nodes))
	case len(cps) > 1:
		// With several, the API stays up behind kind's load balancer: the
		// fault would test something else.
		return "", fmt.Errorf("kind cluster %s has %d control-plane nodes; this fault stops the API server of a cluster with one", cluster, len(cps))
	case !cps[0].Running():
		return "", fmt.Errorf("the control-plane node container %s of kind cluster %s is %s, not running", cps[0].Name, cluster, cps[0].State)
	}
	return cps[0].Name, nil
}

// Revert waits, bounded, until a new API server container runs and
// answers /readyz; the revert instant is when it first answered.
func (f *Fault) Revert(ctx context.Context, m fault.Marker) error {
	f.mu.Lock()
	node, old, killed, at, w := f.node, f.task, f.killed, f.killedAt, f.down
	f.mu.Unlock()
	// The watch goes on while the revert waits: the API may only be seen
	// down now. Its evidence is in once the wait is over.
	defer w.Stop()
	if node == "" {
		return nil
	}
	if at.IsZero() {
		at = time.Now()
	}
	var back kindnode.Task
	isBack := func(ctx context.Context) (bool, string, error) {
		t, err := kindnode.ContainerTask(ctx, f.docker, node, podNamespace, podName(node), container)
		if err != nil {
			return false, fmt.Sprintf("no running kube-apiserver container on node %s: %v", node, err), nil
		}
		// The stopping one may still answer while it drains: only a new
		// container counts.
		if killed && t.ID == old.ID {
			return false, fmt.Sprintf("the stopped kube-apiserver (PID %d) still runs", old.PID), nil
		}
		if err := probe(ctx, f.ready); err != nil {
			return false, fmt.Sprintf("kube-apiserver (PID %d) runs but does not answer: %v", t.PID, err), nil
		}
		back = t
		return true, "", nil
	}
	if err := kube.WaitFor(ctx, isBack, f.poll, f.bound); err != nil {
		return fmt.Errorf("the API server on node %s is not back %s after it was stopped: %w (look: docker exec %s ctr -n k8s.io task ls)",
			node, time.Since(at).Round(time.Second), err, node)
	}
	f.mu.Lock()
	f.node = ""
	f.mu.Unlock()
	m.Reverted(fmt.Sprintf("kube-apiserver on node %s answers /readyz again (PID %d), %s after it was stopped", node, back.PID, time.Since(at).Round(100*time.Millisecond)))
	if killed {
		m.Proved(result.Evidence{Check: fmt.Sprintf("the kube-apiserver container on node %s (ctr task ls), after the stop", node),
			Observed: fmt.Sprintf("a new container %s (PID %d) runs and answers /readyz; the stopped one was %s (PID %d)", kindnode.ShortID(back.ID), back.PID, kindnode.ShortID(old.ID), old.PID), Held: true})
	}
	return nil
}

// probe asks for /readyz, within probeTimeout.
func probe(ctx context.Context, ready func(ctx context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	return ready(ctx)
}

// NewRepairer waits up to timeout for an API server a dead run stopped
// (the one c talks to). There is nothing to put back (the kubelet restarts
// it); it says, when it does not come back in time, whether its container
// runs.
func NewRepairer(c *kube.Client, docker kindnode.Docker, timeout time.Duration) fault.Repairer {
	r := repairer{docker: docker, timeout: timeout, poll: time.Second}
	if c != nil {
		r.ready = kube.Readyz(c.Kubernetes)
	}
	return r.repairer()
}

type repairer struct {
	docker  kindnode.Docker
	ready   func(ctx context.Context) error
	timeout time.Duration
	poll    time.Duration
}

func (r repairer) repairer() fault.Repairer { return fault.RepairFunc(RepairKind, r.timeout, r.repair) }

func (r repairer) repair(ctx context.Context, u fault.Undo) (string, error) {
	node := u.Params["node"]
	if node == "" {
		return "", fmt.Errorf("the record names no control-plane node: %v", u.Params)
	}
	if r.ready == nil {
		return "", fmt.Errorf("no way to ask the API server for /readyz")
	}
	if probe(ctx, r.ready) == nil {
		return "", nil // it came back long ago: nothing to do
	}
	start := time.Now()
	answers := func(ctx context.Context) (bool, string, error) {
		if err := probe(ctx, r.ready); err != nil {
			return false, err.Error(), nil
		}
		return true, "", nil
	}
	if err := kube.WaitFor(ctx, answers, r.poll, r.timeout); err != nil {
		var state string
		if pid, perr := kindnode.ContainerPID(ctx, r.docker, node, podNamespace, podName(node), container); perr != nil {
			state = fmt.Sprintf("no kube-apiserver container runs on node %s (%v)", node, perr)
		} else {
			state = fmt.Sprintf("its container runs (PID %d) but does not answer", pid)
		}
		return "", fmt.Errorf("the API server on node %s: %s: %w", node, state, err)
	}
	return fmt.Sprintf("kube-apiserver on node %s answers /readyz again after %s", node, time.Since(start).Round(100*time.Millisecond)), nil
}
