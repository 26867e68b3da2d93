package kindnode

import (
	"context"
	"errors"
	"fmt"
)

// ErrNoSandbox is returned by SandboxPID when no sandbox of the pod runs
// on the node: the pod is gone (or was never there), and its network
// namespace with it.
var ErrNoSandbox = errors.New("no running sandbox")

// SandboxPID returns the PID, as the node container sees it, of the
// sandbox (pause) process of the pod with UID uid: the process that holds
// the pod's network namespace, for nsenter -t PID -n. Unlike a
// container's process it lives as long as the pod: a container restarted
// by its liveness probe joins the same namespace again, while a pod
// created anew, even under the same name, has another UID and a new
// namespace. The UID, not the name, is what tells the two apart.
func SandboxPID(ctx context.Context, docker Docker, node, uid string) (int, error) {
	what := fmt.Sprintf("the sandbox of pod UID %s on node %s", uid, node)
	filter := fmt.Sprintf(`labels."io.kubernetes.pod.uid"==%s,labels."io.cri-containerd.kind"==sandbox`, uid)
	found, ids, err := tasksOf(ctx, docker, node, filter, what)
	if err != nil {
		return 0, err
	}
	if len(ids) == 0 {
		return 0, fmt.Errorf("%s: %w (no sandbox container)", what, ErrNoSandbox)
	}
	switch len(found) {
	case 1:
		return found[0].PID, nil
	case 0:
		// A sandbox that died (its node restarted) is replaced by a new one
		// with a new namespace: the old one's rules are gone with it.
		return 0, fmt.Errorf("%s: %w (sandboxes: %q)", what, ErrNoSandbox, ids)
	default:
		var pids []int
		for _, t := range found {
			pids = append(pids, t.PID)
		}
		return 0, fmt.Errorf("%s: %d running sandboxes %v, expected one", what, len(pids), pids)
	}
}
