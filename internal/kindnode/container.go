package kindnode

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// Exec runs a command inside a node container (docker exec) and returns
// its standard output. Faults that act below the API (a signal to a
// container's process, a packet filter in a pod's network namespace) run
// their commands through it.
func Exec(ctx context.Context, docker Docker, node string, command ...string) (string, error) {
	return docker(ctx, append([]string{"exec", node}, command...)...)
}

// ContainerPID returns the PID, as the node container sees it, of the
// main process of a pod's container: what kill and nsenter on that node
// take. See ContainerTask.
func ContainerPID(ctx context.Context, docker Docker, node, namespace, pod, container string) (int, error) {
	t, err := ContainerTask(ctx, docker, node, namespace, pod, container)
	return t.PID, err
}

// Task is the running task of a pod's container on a node: containerd's
// container id (the one in the pod's status, and in the cgroup path of
// every process of the container) and the PID of its main process as the
// node container sees it.
type Task struct {
	ID  string
	PID int
}

// ContainerTask returns the running task of a pod's container. It asks
// containerd with ctr: the node image's crictl is a stand-in. A container
// that restarted leaves its old, stopped container beside the new one, so
// only a running task counts; none or several is an error.
func ContainerTask(ctx context.Context, docker Docker, node, namespace, pod, container string) (Task, error) {
	what := fmt.Sprintf("container %s of pod %s/%s on node %s", container, namespace, pod, node)
	filter := fmt.Sprintf(`labels."io.kubernetes.pod.namespace"==%s,labels."io.kubernetes.pod.name"==%s,labels."io.kubernetes.container.name"==%s`, namespace, pod, container)
	found, ids, err := tasksOf(ctx, docker, node, filter, what)
	if err != nil {
		return Task{}, err
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return Task{}, fmt.Errorf("%s: no running task (containers: %q)", what, ids)
	default:
		var pids []int
		for _, t := range found {
			pids = append(pids, t.PID)
		}
		return Task{}, fmt.Errorf("%s: %d running tasks %v, expected one", what, len(pids), pids)
	}
}

// tasksOf lists the containers matching the ctr label filter on node
// and returns the running tasks among them, with every matching
// container's id; what names them in errors.
func tasksOf(ctx context.Context, docker Docker, node, filter, what string) ([]Task, []string, error) {
	out, err := Exec(ctx, docker, node, "ctr", "-n", "k8s.io", "containers", "ls", "-q", filter)
	if err != nil {
		return nil, nil, fmt.Errorf("listing %s: %w", what, err)
	}
	ids := strings.Fields(out)
	if len(ids) == 0 {
		return nil, ids, nil
	}
	tasks, err := Exec(ctx, docker, node, "ctr", "-n", "k8s.io", "task", "ls")
	if err != nil {
		return nil, nil, fmt.Errorf("listing the tasks on node %s: %w", node, err)
	}
	running := runningTasks(tasks)
	var found []Task
	for _, id := range ids {
		if pid, ok := running[id]; ok {
			found = append(found, Task{ID: id, PID: pid})
		}
	}
	return found, ids, nil
}

// runningTasks parses `ctr task ls` (TASK PID STATUS) into the PIDs of the
// running tasks by container id.
func runningTasks(out string) map[string]int {
	tasks := map[string]int{}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) != 3 || f[2] != "RUNNING" {
			continue
		}
		if pid, err := strconv.Atoi(f[1]); err == nil && pid > 0 {
			tasks[f[0]] = pid
		}
	}
	return tasks
}

// Images lists the image references a node's containerd holds in the
// k8s.io namespace, the one the kubelet uses (what `crictl images` shows).
func Images(ctx context.Context, docker Docker, node string) ([]string, error) {
	out, err := Exec(ctx, docker, node, "ctr", "--namespace=k8s.io", "images", "list", "--quiet")
	if err != nil {
		return nil, fmt.Errorf("listing the images of node %s: %w", node, err)
	}
	return strings.Fields(out), nil
}

// ShortID is a containerd container id cut to the 12 characters docker
// and crictl print, for messages.
func ShortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
