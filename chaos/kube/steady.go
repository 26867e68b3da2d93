package kube

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
)

// Check says whether something is at its desired state, and if not, why
// (in words a reader of the report understands).
type Check func(ctx context.Context) (ok bool, why string, err error)

// All holds when every check holds; why names the first that does not.
func All(checks ...Check) Check {
	return func(ctx context.Context) (bool, string, error) {
		for _, c := range checks {
			ok, why, err := c(ctx)
			if err != nil || !ok {
				return ok, why, err
			}
		}
		return true, "", nil
	}
}

// DeploymentSteady holds when the Deployment's rollout is complete, every
// replica is Ready, and the Service lists exactly those replicas as ready
// endpoints with none terminating.
func (c *Client) DeploymentSteady(namespace, name, service string) Check {
	return func(ctx context.Context) (bool, string, error) {
		d, err := c.Kubernetes.AppsV1().Deployments(namespace).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, "", fmt.Errorf("reading Deployment %s/%s: %w", namespace, name, err)
		}
		want := int32(1)
		if d.Spec.Replicas != nil {
			want = *d.Spec.Replicas
		}
		switch {
		case !RolloutComplete(d):
			return false, fmt.Sprintf("deployment %s: rollout in progress (%d updated, %d available of %d)", name, d.Status.UpdatedReplicas, d.Status.AvailableReplicas, want), nil
		case d.Status.ReadyReplicas < want:
			return false, fmt.Sprintf("deployment %s: %d of %d replicas ready", name, d.Status.ReadyReplicas, want), nil
		}
		return c.endpointsComplete(ctx, namespace, service, int(want))
	}
}

// Workload kinds WorkloadSteady knows (the Kind of the object).
const (
	KindDeployment  = "Deployment"
	KindStatefulSet = "StatefulSet"
	KindDaemonSet   = "DaemonSet"
)

// WorkloadSteady is the desired state of a workload of any kind it knows,
// served by service: its rollout complete, every pod Ready, and the
// Service listing exactly those pods as ready endpoints.
func (c *Client) WorkloadSteady(namespace, kind, name, service string) Check {
	switch kind {
	case KindDeployment:
		return c.DeploymentSteady(namespace, name, service)
	case KindStatefulSet:
		return c.statefulSetServing(namespace, name, service)
	case KindDaemonSet:
		return c.daemonSetSteady(namespace, name, service)
	}
	return func(context.Context) (bool, string, error) {
		return false, "", fmt.Errorf("no steady-state check for a %s (%s/%s)", kind, namespace, name)
	}
}

// statefulSetServing holds when the StatefulSet's rolling update is
// complete, every replica Ready, and the Service's endpoints complete.
func (c *Client) statefulSetServing(namespace, name, service string) Check {
	return func(ctx context.Context) (bool, string, error) {
		s, err := c.Kubernetes.AppsV1().StatefulSets(namespace).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, "", fmt.Errorf("reading StatefulSet %s/%s: %w", namespace, name, err)
		}
		want := int32(1)
		if s.Spec.Replicas != nil {
			want = *s.Spec.Replicas
		}
		if !StatefulSetRolloutComplete(s) {
			return false, fmt.Sprintf("statefulset %s: %d updated, %d ready of %d", name, s.Status.UpdatedReplicas, s.Status.ReadyReplicas, want), nil
		}
		return c.endpointsComplete(ctx, namespace, service, int(want))
	}
}

// daemonSetSteady holds when the DaemonSet runs an updated, available pod
// on every node it should, and the Service lists exactly those.
func (c *Client) daemonSetSteady(namespace, name, service string) Check {
	return func(ctx context.Context) (bool, string, error) {
		d, err := c.Kubernetes.AppsV1().DaemonSets(namespace).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, "", fmt.Errorf("reading DaemonSet %s/%s: %w", namespace, name, err)
		}
		want := d.Status.DesiredNumberScheduled
		switch {
		case want == 0:
			return false, fmt.Sprintf("daemonset %s: no node to run on yet", name), nil
		case !DaemonSetRolloutComplete(d):
			return false, fmt.Sprintf("daemonset %s: %d updated, %d available of %d", name, d.Status.UpdatedNumberScheduled, d.Status.NumberAvailable, want), nil
		}
		return c.endpointsComplete(ctx, namespace, service, int(want))
	}
}

// StatefulSetSteady holds when every replica of the StatefulSet is Ready
// and updated.
func (c *Client) StatefulSetSteady(namespace, name string) Check {
	return func(ctx context.Context) (bool, string, error) {
		s, err := c.Kubernetes.AppsV1().StatefulSets(namespace).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, "", fmt.Errorf("reading StatefulSet %s/%s: %w", namespace, name, err)
		}
		if !StatefulSetRolloutComplete(s) {
			return false, fmt.Sprintf("statefulset %s: %d ready, %d updated of %d replicas", name, s.Status.ReadyReplicas, s.Status.UpdatedReplicas, s.Status.Replicas), nil
		}
		return true, "", nil
	}
}

// endpointsComplete holds when the Service has exactly want ready endpoints
// and no other. A terminating endpoint on a node that is not Ready does not
// count against it: its pod cannot finish terminating until the node comes
// back, and it serves nothing meanwhile (a node halt's replaced pod).
func (c *Client) endpointsComplete(ctx context.Context, namespace, service string, want int) (bool, string, error) {
	list, err := c.endpointSlices(ctx, namespace, service)
	if err != nil {
		return false, "", err
	}
	var lost []string // read once, and only when a terminating endpoint needs it
	ready, other := 0, 0
	for _, s := range list.Items {
		for _, ep := range s.Endpoints {
			switch {
			case endpointReady(ep):
				ready++
			case ep.Conditions.Terminating != nil && *ep.Conditions.Terminating && ep.NodeName != nil:
				if lost == nil {
					if lost, err = c.notReadyNodes(ctx); err != nil {
						return false, "", err
					}
				}
				if !slices.Contains(lost, *ep.NodeName) {
					other++
				}
			default:
				other++
			}
		}
	}
	if ready != want || other > 0 {
		return false, fmt.Sprintf("service %s: %d ready endpoints (want %d), %d not ready or terminating", service, ready, want, other), nil
	}
	return true, "", nil
}

// ServiceEndpoints counts the endpoints the Service's EndpointSlices list:
// ready ones (what kube-proxy sends traffic to) and the others (not
// ready, terminating).
func (c *Client) ServiceEndpoints(ctx context.Context, namespace, service string) (ready, other int, err error) {
	list, err := c.endpointSlices(ctx, namespace, service)
	if err != nil {
		return 0, 0, err
	}
	for _, s := range list.Items {
		for _, ep := range s.Endpoints {
			if endpointReady(ep) {
				ready++
			} else {
				other++
			}
		}
	}
	return ready, other, nil
}

func (c *Client) endpointSlices(ctx context.Context, namespace, service string) (*discoveryv1.EndpointSliceList, error) {
	list, err := c.Kubernetes.DiscoveryV1().EndpointSlices(namespace).List(ctx, metav1.ListOptions{
		LabelSelector: discoveryv1.LabelServiceName + "=" + service,
	})
	if err != nil {
		return nil, fmt.Errorf("reading endpoints of Service %s/%s: %w", namespace, service, err)
	}
	return list, nil
}

// endpointReady is the EndpointSlice API's rule: a nil Ready condition
// means ready.
func endpointReady(ep discoveryv1.Endpoint) bool {
	return ep.Conditions.Ready == nil || *ep.Conditions.Ready
}

// notReadyNodes names the nodes that are not Ready; never nil.
func (c *Client) notReadyNodes(ctx context.Context) ([]string, error) {
	nodes, err := c.Kubernetes.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("listing nodes: %w", err)
	}
	notReady := []string{}
	for _, n := range nodes.Items {
		if !NodeReady(&n) {
			notReady = append(notReady, n.Name)
		}
	}
	return notReady, nil
}

// NodesReady holds when every node of the cluster is Ready.
func (c *Client) NodesReady() Check {
	return func(ctx context.Context) (bool, string, error) {
		notReady, err := c.notReadyNodes(ctx)
		if err != nil {
			return false, "", err
		}
		if len(notReady) > 0 {
			return false, "nodes not Ready: " + strings.Join(notReady, ", "), nil
		}
		return true, "", nil
	}
}

// ErrNotSteady is wrapped by WaitFor when the check did not hold in time.
var ErrNotSteady = errors.New("not at the desired state")

// WaitFor polls check until it holds, the timeout passes or ctx ends.
// Transient API errors are retried (a restarting node must not abort a
// wait, as e2e-framework's PodReady and the like do on a Get error); the
// last reason is in the error.
func WaitFor(ctx context.Context, check Check, interval, timeout time.Duration) error {
	var why string
	var lastErr error
	err := wait.PollUntilContextTimeout(ctx, interval, timeout, true, func(ctx context.Context) (bool, error) {
		ok, w, err := check(ctx)
		why, lastErr = w, err
		return ok && err == nil, nil
	})
	if err == nil {
		return nil
	}
	if lastErr != nil {
		why = lastErr.Error()
	}
	return fmt.Errorf("%w after %s: %s", ErrNotSteady, timeout, why)
}

// WorkloadReady is the desired state of a workload that serves no
// Service the load goes through (an app's database): its rollout
// complete and every pod Ready.
func (c *Client) WorkloadReady(namespace, kind, name string) Check {
	return func(ctx context.Context) (bool, string, error) {
		apps := c.Kubernetes.AppsV1()
		switch kind {
		case KindStatefulSet:
			return c.StatefulSetSteady(namespace, name)(ctx)
		case KindDeployment:
			d, err := apps.Deployments(namespace).Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return false, "", fmt.Errorf("reading Deployment %s/%s: %w", namespace, name, err)
			}
			if !RolloutComplete(d) || d.Status.ReadyReplicas < d.Status.UpdatedReplicas {
				return false, fmt.Sprintf("deployment %s: %d updated, %d ready of %d", name, d.Status.UpdatedReplicas, d.Status.ReadyReplicas, d.Status.Replicas), nil
			}
			return true, "", nil
		case KindDaemonSet:
			d, err := apps.DaemonSets(namespace).Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return false, "", fmt.Errorf("reading DaemonSet %s/%s: %w", namespace, name, err)
			}
			if d.Status.DesiredNumberScheduled == 0 || !DaemonSetRolloutComplete(d) {
				return false, fmt.Sprintf("daemonset %s: %d updated, %d available of %d", name, d.Status.UpdatedNumberScheduled, d.Status.NumberAvailable, d.Status.DesiredNumberScheduled), nil
			}
			return true, "", nil
		}
		return false, "", fmt.Errorf("no readiness check for a %s (%s/%s)", kind, namespace, name)
	}
}
