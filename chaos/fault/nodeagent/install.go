package nodeagent

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/selfheal/selfheal/chaos/kube"
)

// Refused is why the agent cannot run on this cluster, found before
// anything was changed: a scenario that needs it is refused by name with
// it, and the others still run.
type Refused struct{ Why string }

func (r *Refused) Error() string { return r.Why }

// podSecurityEnforce is the Pod Security admission label a namespace's
// enforced level is read from.
const podSecurityEnforce = "pod-security.kubernetes.io/enforce"

// Preflight says whether the agent may run here, changing nothing: a
// *Refused when the namespace exists and is not selfheal's, or enforces a
// Pod Security level that forbids a privileged pod with the node's PID
// and network namespaces (baseline and restricted both do), or when the
// API refuses the agent's pod in a dry run (Pod Security, an admission
// webhook); another error when the API could not be asked. A namespace
// that does not exist yet is created privileged by Install.
func (a *Agent) Preflight(ctx context.Context) error {
	ns, err := a.cs.CoreV1().Namespaces().Get(ctx, Namespace, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading namespace %s: %w", Namespace, err)
	}
	if ns.Labels[PartOfLabel] != Name {
		return &Refused{Why: fmt.Sprintf("namespace %s exists and selfheal did not create it (it lacks the label %s): the node agent is not deployed into a namespace of someone else's",
			Namespace, Selector)}
	}
	switch level := ns.Labels[podSecurityEnforce]; level {
	case "baseline", "restricted":
		return &Refused{Why: fmt.Sprintf("namespace %s enforces Pod Security %q, which forbids hostPID, hostNetwork and privileged containers: the node agent cannot run there (label it %s=privileged to allow it)",
			Namespace, level, podSecurityEnforce)}
	}
	return a.dryRun(ctx)
}

// dryRun asks the API to admit the agent's pod without creating it: what
// Pod Security and admission webhooks would say to the DaemonSet's pods.
func (a *Agent) dryRun(ctx context.Context) error {
	o, err := a.Objects()
	if err != nil {
		return err
	}
	tmpl := o.DaemonSet.Spec.Template
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{GenerateName: Name + "-preflight-", Namespace: Namespace, Labels: tmpl.Labels}, Spec: tmpl.Spec}
	_, err = a.cs.CoreV1().Pods(Namespace).Create(ctx, pod, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
	switch {
	case err == nil:
		return nil
	case apierrors.IsForbidden(err) || apierrors.IsInvalid(err):
		return &Refused{Why: fmt.Sprintf("the API refuses the node agent's pod in namespace %s: %v", Namespace, err)}
	case apierrors.IsNotFound(err):
		return nil // the namespace went meanwhile: Install creates it
	}
	return fmt.Errorf("asking the API to admit the node agent's pod (dry run): %w", err)
}

// Install checks the cluster (Preflight), applies the agent's objects and
// waits until the agent runs, ready, on every node it belongs on. It says
// which nodes. An agent that does not come up is a *Refused naming why
// (the DaemonSet's FailedCreate events, the pods' waiting reasons).
func (a *Agent) Install(ctx context.Context) ([]string, error) {
	if err := a.Preflight(ctx); err != nil {
		return nil, err
	}
	o, err := a.Objects()
	if err != nil {
		return nil, err
	}
	if err := a.apply(ctx, o); err != nil {
		return nil, err
	}
	a.logf("node agent: applied namespace %s (ServiceAccount, Role, RoleBinding, DaemonSet %s, image %s); waiting up to %s for it on every worker",
		Namespace, Name, o.DaemonSet.Spec.Template.Spec.Containers[0].Image, a.wait)
	var nodes []string
	ready := func(ctx context.Context) (bool, string, error) {
		ds, err := a.cs.AppsV1().DaemonSets(Namespace).Get(ctx, Name, metav1.GetOptions{})
		if err != nil {
			return false, "", err
		}
		if !kube.DaemonSetRolloutComplete(ds) || ds.Status.DesiredNumberScheduled == 0 {
			return false, a.whyNotReady(ctx, ds), nil
		}
		nodes, err = a.readyNodes(ctx)
		return err == nil, "", err
	}
	if err := kube.WaitFor(ctx, ready, a.poll, a.wait); err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		return nil, &Refused{Why: fmt.Sprintf("the node agent did not come up in namespace %s within %s: %v", Namespace, a.wait, err)}
	}
	return nodes, nil
}

// readyNodes are the nodes a ready agent pod runs on.
func (a *Agent) readyNodes(ctx context.Context) ([]string, error) {
	pods, err := a.cs.CoreV1().Pods(Namespace).List(ctx, metav1.ListOptions{LabelSelector: podLabel})
	if err != nil {
		return nil, err
	}
	var nodes []string
	for _, p := range pods.Items {
		if p.DeletionTimestamp == nil && kube.PodReady(&p) {
			nodes = append(nodes, p.Spec.NodeName)
		}
	}
	sort.Strings(nodes)
	return nodes, nil
}

// whyNotReady says what keeps the DaemonSet from being ready: the
// controller's FailedCreate events (Pod Security, webhooks, quota) and
// the pods' states (an image the nodes cannot pull).
func (a *Agent) whyNotReady(ctx context.Context, ds *appsv1.DaemonSet) string {
	st := ds.Status
	why := []string{fmt.Sprintf("DaemonSet %s/%s: %d of %d pods ready, %d up to date", Namespace, Name, st.NumberReady, st.DesiredNumberScheduled, st.UpdatedNumberScheduled)}
	if st.DesiredNumberScheduled == 0 && ds.Generation <= st.ObservedGeneration {
		why = append(why, "no node to run on: the agent runs on every node but the control plane's")
	}
	if evs, err := a.cs.CoreV1().Events(Namespace).List(ctx, metav1.ListOptions{}); err == nil {
		seen := map[string]bool{}
		for _, e := range evs.Items {
			if e.InvolvedObject.Kind == "DaemonSet" && e.Reason == "FailedCreate" && !seen[e.Message] {
				seen[e.Message] = true
				why = append(why, "FailedCreate: "+e.Message)
			}
		}
	}
	if pods, err := a.cs.CoreV1().Pods(Namespace).List(ctx, metav1.ListOptions{LabelSelector: podLabel}); err == nil {
		for _, p := range pods.Items {
			if !kube.PodReady(&p) {
				why = append(why, fmt.Sprintf("pod %s on %s: %s", p.Name, p.Spec.NodeName, podState(&p)))
			}
		}
	}
	return strings.Join(why, "; ")
}

// Removal is what Remove did, per node and in the API.
type Removal struct {
	// Nodes maps each node an agent pod ran on to what its uninstall said
	// (faults reverted, rules and units removed).
	Nodes map[string]string
	// Deleted says what was deleted through the API.
	Deleted []string
}

// Remove removes every trace of the agent: first each agent puts back
// whatever fault is in place on its node and removes its rules, timers
// and files there (uninstall), then the namespace goes, with everything
// in it. A node whose agent cannot be reached (its kubelet stopped, its
// network isolated) is waited for up to the Install bound: deleting the
// renewal lease first makes every agent revert its fault within the grace
// period, after which exec reaches it again. A node still unreachable then
// is an error naming it, and the namespace is kept so that its agent goes
// on watching and Remove can be run again.
func (a *Agent) Remove(ctx context.Context) (Removal, error) {
	r := Removal{Nodes: map[string]string{}}
	if _, err := a.cs.CoreV1().Namespaces().Get(ctx, Namespace, metav1.GetOptions{}); apierrors.IsNotFound(err) {
		return r, nil
	} else if err != nil {
		return r, fmt.Errorf("reading namespace %s: %w", Namespace, err)
	}
	if err := a.deleteRenewal(ctx, ""); err != nil {
		return r, err
	}
	pods, err := a.cs.CoreV1().Pods(Namespace).List(ctx, metav1.ListOptions{LabelSelector: podLabel})
	if err != nil {
		return r, fmt.Errorf("listing the node agent's pods: %w", err)
	}
	var failed []string
	for _, node := range podNodes(pods.Items) {
		out, err := a.untilReachable(ctx, a.wait, node, "uninstall")
		if err != nil {
			failed = append(failed, fmt.Sprintf("%s: %v", node, err))
			continue
		}
		r.Nodes[node] = strings.TrimSpace(out)
	}
	if len(failed) > 0 {
		return r, fmt.Errorf("the node agent could not clean up on every node, so namespace %s is kept (its agents go on watching; run this again): %s",
			Namespace, strings.Join(failed, "; "))
	}
	if err := a.deleteNamespace(ctx); err != nil {
		return r, err
	}
	r.Deleted = append(r.Deleted, fmt.Sprintf("namespace %s (its ServiceAccount, Role, RoleBinding, DaemonSet, pods and lease with it)", Namespace))
	return r, nil
}

func podNodes(pods []corev1.Pod) []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range pods {
		if p.Spec.NodeName != "" && !seen[p.Spec.NodeName] {
			seen[p.Spec.NodeName] = true
			out = append(out, p.Spec.NodeName)
		}
	}
	sort.Strings(out)
	return out
}

// untilReachable runs the agent's command on node, trying again while no
// exec reaches the agent (its kubelet stopped), for up to bound.
func (a *Agent) untilReachable(ctx context.Context, bound time.Duration, node string, args ...string) (string, error) {
	var out string
	var last error
	try := func(ctx context.Context) (bool, string, error) {
		out, last = a.Run(ctx, node, args...)
		if last != nil {
			return false, last.Error(), nil
		}
		return true, "", nil
	}
	if err := kube.WaitFor(ctx, try, a.poll, bound); err != nil {
		return "", fmt.Errorf("no exec reached its agent within %s: %w", bound, errors.Join(last, ctx.Err()))
	}
	return out, nil
}

// deleteNamespace deletes the agent's namespace and waits until it is
// gone: the namespace controller deletes what is in it.
func (a *Agent) deleteNamespace(ctx context.Context) error {
	err := a.cs.CoreV1().Namespaces().Delete(ctx, Namespace, metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("deleting namespace %s: %w", Namespace, err)
	}
	gone := func(ctx context.Context) (bool, string, error) {
		_, err := a.cs.CoreV1().Namespaces().Get(ctx, Namespace, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return true, "", nil
		}
		return false, "namespace " + Namespace + " is still terminating", err
	}
	return kube.WaitFor(ctx, gone, a.poll, a.wait)
}

// Status is what the agent is doing, per node.
type Status struct {
	// Installed says the agent's namespace exists.
	Installed bool
	// Nodes maps each node an agent pod is on to its faults ("ID STATE"
	// lines, or "no fault") or why its pod is not ready.
	Nodes map[string]string
	// Lease says which fault the renewal lease holds and when it was last
	// renewed ("" when there is none).
	Lease string
}

// Status reads the agent's pods, asks each ready one for its faults, and
// reads the renewal lease.
func (a *Agent) Status(ctx context.Context) (Status, error) {
	st := Status{Nodes: map[string]string{}}
	if _, err := a.cs.CoreV1().Namespaces().Get(ctx, Namespace, metav1.GetOptions{}); apierrors.IsNotFound(err) {
		return st, nil
	} else if err != nil {
		return st, fmt.Errorf("reading namespace %s: %w", Namespace, err)
	}
	st.Installed = true
	pods, err := a.cs.CoreV1().Pods(Namespace).List(ctx, metav1.ListOptions{LabelSelector: podLabel})
	if err != nil {
		return st, fmt.Errorf("listing the node agent's pods: %w", err)
	}
	for _, p := range pods.Items {
		state := "ready"
		if !kube.PodReady(&p) {
			state = podState(&p)
		}
		if p.DeletionTimestamp != nil || p.Status.Phase != corev1.PodRunning {
			st.Nodes[p.Spec.NodeName] = fmt.Sprintf("pod %s: %s", p.Name, state)
			continue
		}
		out, err := a.Run(ctx, p.Spec.NodeName, "list")
		switch {
		case err != nil:
			st.Nodes[p.Spec.NodeName] = fmt.Sprintf("pod %s %s; listing its faults: %v", p.Name, state, err)
		case strings.TrimSpace(out) == "":
			st.Nodes[p.Spec.NodeName] = fmt.Sprintf("pod %s %s; no fault", p.Name, state)
		default:
			st.Nodes[p.Spec.NodeName] = fmt.Sprintf("pod %s %s; faults: %s", p.Name, state, strings.ReplaceAll(strings.TrimSpace(out), "\n", "; "))
		}
	}
	l, err := a.cs.CoordinationV1().Leases(Namespace).Get(ctx, RenewLease, metav1.GetOptions{})
	if err == nil {
		st.Lease = "held for fault " + holderOf(l)
		if l.Spec.RenewTime != nil {
			st.Lease += fmt.Sprintf(", renewed %s ago", time.Since(l.Spec.RenewTime.Time).Round(time.Second))
		}
	}
	return st, nil
}
