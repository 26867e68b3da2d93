// Package kindnode is what selfheal knows about the node containers of a
// kind cluster: how to list them (by kind's docker labels), how to start a
// halted one, and how to tell that a Kubernetes API is the one those
// containers run. The node faults, the session's kind check, the repair of
// a halted node and fixtures/cluster all go through it.
//
// Neither kind's library nor client-go can stop or start a node container,
// so this uses the docker CLI, as kind itself does.
package kindnode

import (
	"context"
	"fmt"
	"os/exec"
	"sort"
	"strconv"
	"strings"

	"sigs.k8s.io/kind/pkg/cluster/constants"
)

// kind's labels on its node containers and its roles.
const (
	ClusterLabel     = "io.x-k8s.kind.cluster"
	RoleLabel        = "io.x-k8s.kind.role"
	RoleControlPlane = constants.ControlPlaneNodeRoleValue
	RoleWorker       = constants.WorkerNodeRoleValue
	// APIServerPort is where the API server listens inside the
	// control-plane container; kind publishes it on a host port.
	APIServerPort = 6443
)

// Docker runs a docker CLI command and returns its standard output.
type Docker func(ctx context.Context, args ...string) (string, error)

// CLI is the docker CLI on this machine.
func CLI(ctx context.Context, args ...string) (string, error) {
	var stderr strings.Builder
	cmd := exec.CommandContext(ctx, "docker", args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return string(out), fmt.Errorf("docker %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return string(out), nil
}

// Node is one node container of a kind cluster.
type Node struct {
	// Name is both the container's and the Kubernetes node's name.
	Name string
	Role string // RoleControlPlane, RoleWorker, ...
	// Image is the image name the container was created from, ImageID the
	// image it runs (the name may since point to a newer build).
	Image, ImageID string
	// State is docker's: running, exited, paused, created...
	State string
}

// Running reports whether the container runs (and is not paused).
func (n Node) Running() bool { return n.State == "running" }

// List returns the node containers of kind cluster `cluster`, by name; none
// (no such cluster) is not an error. It uses docker inspect, not docker
// ps: ps shows an image ID instead of the name once the tag has moved to a
// newer build, inspect keeps both.
func List(ctx context.Context, docker Docker, cluster string) ([]Node, error) {
	ids, err := docker(ctx, "ps", "-aq", "--filter", "label="+ClusterLabel+"="+cluster)
	if err != nil {
		return nil, fmt.Errorf("listing the node containers of kind cluster %s: %w", cluster, err)
	}
	if strings.TrimSpace(ids) == "" {
		return nil, nil
	}
	args := append([]string{"inspect", "--format",
		`{{.Name}}	{{.Config.Image}}	{{.Image}}	{{.State.Status}}	{{index .Config.Labels "` + RoleLabel + `"}}`},
		strings.Fields(ids)...)
	out, err := docker(ctx, args...)
	if err != nil {
		return nil, fmt.Errorf("inspecting the node containers of kind cluster %s: %w", cluster, err)
	}
	return parse(out), nil
}

// PIDs are the host PIDs of the first processes of the running node
// containers of kind cluster `cluster`: what chaos/host reads their
// cgroups from, to tell the cluster's own CPU from a neighbour's. None
// (no such cluster, every node halted) is not an error.
func PIDs(ctx context.Context, docker Docker, cluster string) ([]int, error) {
	ids, err := docker(ctx, "ps", "-q", "--filter", "label="+ClusterLabel+"="+cluster)
	if err != nil {
		return nil, fmt.Errorf("listing the node containers of kind cluster %s: %w", cluster, err)
	}
	if strings.TrimSpace(ids) == "" {
		return nil, nil
	}
	out, err := docker(ctx, append([]string{"inspect", "--format", "{{.State.Pid}}"}, strings.Fields(ids)...)...)
	if err != nil {
		return nil, fmt.Errorf("the PIDs of the node containers of kind cluster %s: %w", cluster, err)
	}
	var pids []int
	for _, f := range strings.Fields(out) {
		if pid, err := strconv.Atoi(f); err == nil && pid > 0 {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}

func parse(out string) []Node {
	var nodes []Node
	for line := range strings.Lines(out) {
		f := strings.Split(strings.TrimRight(line, "\r\n"), "\t")
		if len(f) != 5 {
			continue
		}
		nodes = append(nodes, Node{Name: strings.TrimPrefix(f[0], "/"), Image: f[1], ImageID: f[2], State: f[3], Role: f[4]})
	}
	sort.Slice(nodes, func(i, j int) bool { return nodes[i].Name < nodes[j].Name })
	return nodes
}

// State is the docker state of container name ("" with an error when it
// does not exist).
func State(ctx context.Context, docker Docker, name string) (string, error) {
	out, err := docker(ctx, "inspect", "--format", "{{.State.Status}}", name)
	if err != nil {
		return "", fmt.Errorf("reading the state of node container %s: %w", name, err)
	}
	return strings.TrimSpace(out), nil
}

// Start makes a halted node container run again: docker start for a
// stopped one, docker unpause for a paused one. It says what it did ("" when
// the container was already running).
func Start(ctx context.Context, docker Docker, name string) (string, error) {
	state, err := State(ctx, docker, name)
	if err != nil {
		return "", err
	}
	verb := "start"
	switch state {
	case "running":
		return "", nil
	case "paused":
		verb = "unpause"
	}
	if _, err := docker(ctx, verb, name); err != nil {
		return "", fmt.Errorf("starting node %s again: %w (by hand: docker %s %s)", name, err, verb, name)
	}
	return fmt.Sprintf("node %s was %s: docker %s", name, state, verb), nil
}

// StartHalted starts every halted node container of cluster and says what
// it did, one line per node.
func StartHalted(ctx context.Context, docker Docker, cluster string) ([]string, error) {
	nodes, err := List(ctx, docker, cluster)
	if err != nil {
		return nil, err
	}
	var did []string
	for _, n := range nodes {
		if n.Running() {
			continue
		}
		d, err := Start(ctx, docker, n.Name)
		if err != nil {
			return did, err
		}
		if d != "" {
			did = append(did, d)
		}
	}
	return did, nil
}
