package nodeagent

import (
	"context"
	"fmt"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/selfheal/selfheal/chaos/fault"
	"github.com/selfheal/selfheal/chaos/kube"
)

// Repairer puts back an agent fault a dead run left in the record. The
// agent has most likely put it back already (the dead run stopped renewing
// its lease); the repair deletes the lease in case it has not, asks the
// agent on the node to revert it (idempotent: the answer says who did it
// and when, the dead-man or the deadline timer), and waits for the node to
// be Ready.
type Repairer struct {
	agent   *Agent
	timeout time.Duration
}

// NewRepairer repairs through agent a, waiting up to timeout for the
// agent to be reachable and then for the node to be Ready.
func NewRepairer(a *Agent, timeout time.Duration) *Repairer {
	return &Repairer{agent: a, timeout: timeout}
}

// Kind implements fault.Repairer.
func (r *Repairer) Kind() string { return RepairKind }

// Repair implements fault.Repairer.
func (r *Repairer) Repair(ctx context.Context, u fault.Undo) (string, error) {
	node, id := u.Params["node"], u.Params["id"]
	if node == "" || id == "" {
		return "", fmt.Errorf("the record names no node or fault id: %v", u.Params)
	}
	if _, err := r.agent.cs.CoreV1().Namespaces().Get(ctx, Namespace, metav1.GetOptions{}); apierrors.IsNotFound(err) {
		return "", fmt.Errorf("the node agent's namespace %s is gone, so nothing can confirm that fault %s on node %s was put back "+
			"(`selfheal agent remove` reverts every fault first; a namespace deleted by hand leaves the node's deadline timer to do it). "+
			"Check the node (systemctl is-active kubelet containerd; iptables -S | grep %s%s), then delete this entry from the record", Namespace, id, node, tagPrefix, id)
	} else if err != nil {
		return "", fmt.Errorf("reading namespace %s: %w", Namespace, err)
	}
	start := time.Now()
	if err := r.agent.deleteRenewal(ctx, id); err != nil {
		return "", err
	}
	out, err := r.agent.untilReachable(ctx, r.timeout, node, "revert", id, "repaired by the next selfheal run")
	if err != nil {
		return "", fmt.Errorf("node %s, fault %s: %w", node, id, err)
	}
	did := fmt.Sprintf("node %s: %s", node, strings.TrimSpace(out))
	if strings.HasPrefix(strings.TrimSpace(out), "no fault ") {
		return "", nil // the run died before the agent armed it: nothing was broken
	}
	ready := func(ctx context.Context) (bool, string, error) {
		n, err := r.agent.cs.CoreV1().Nodes().Get(ctx, node, metav1.GetOptions{})
		if err != nil {
			return false, "", err
		}
		return kube.NodeReady(n), "node " + node + " is not Ready", nil
	}
	if err := kube.WaitFor(ctx, ready, r.agent.poll, r.timeout); err != nil {
		return did, fmt.Errorf("after %s: %w", did, err)
	}
	return fmt.Sprintf("%s; Ready (checked in %s)", did, time.Since(start).Round(100*time.Millisecond)), nil
}
