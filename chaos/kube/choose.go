package kube

import (
	"context"
	"fmt"
	"sort"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ChooseNode picks, among candidates, the first node by name that runs a
// pod matching victim and none matching avoid ("" avoids nothing), both
// in namespace; it returns the victim pods on it. Terminating pods count
// for neither. The node faults choose their node this way: a node that
// hosts what the scenario watches and nothing it must not lose.
func (c *Client) ChooseNode(ctx context.Context, candidates []string, namespace, victim, avoid string) (string, []string, error) {
	victims, err := c.PodsByNode(ctx, namespace, victim)
	if err != nil {
		return "", nil, err
	}
	avoided := map[string][]string{}
	if avoid != "" {
		if avoided, err = c.PodsByNode(ctx, namespace, avoid); err != nil {
			return "", nil, err
		}
	}
	sorted := append([]string(nil), candidates...)
	sort.Strings(sorted)
	for _, n := range sorted {
		if len(victims[n]) > 0 && len(avoided[n]) == 0 {
			return n, victims[n], nil
		}
	}
	return "", nil, fmt.Errorf("none of %v runs a pod matching %q without one matching %q (%q on %v; %q on %v)",
		sorted, victim, avoid, victim, nodeNames(victims), avoid, nodeNames(avoided))
}

// PodsByNode maps each node to the pods matching selector in namespace
// that are scheduled there and not terminating.
func (c *Client) PodsByNode(ctx context.Context, namespace, selector string) (map[string][]string, error) {
	pods, err := c.Kubernetes.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		return nil, fmt.Errorf("listing pods %q in %s: %w", selector, namespace, err)
	}
	out := map[string][]string{}
	for _, p := range pods.Items {
		if p.Spec.NodeName != "" && p.DeletionTimestamp == nil {
			out[p.Spec.NodeName] = append(out[p.Spec.NodeName], p.Name)
		}
	}
	return out, nil
}

func nodeNames(m map[string][]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// ReadyPod is the first Ready pod by name that matches selector in
// namespace and is not terminating: the pod a fault or a check acts on
// when the workload's pods have no fixed name (a Deployment's).
func (c *Client) ReadyPod(ctx context.Context, namespace, selector string) (string, error) {
	pods, err := c.Kubernetes.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		return "", fmt.Errorf("listing pods %q in %s: %w", selector, namespace, err)
	}
	sort.Slice(pods.Items, func(i, j int) bool { return pods.Items[i].Name < pods.Items[j].Name })
	for i := range pods.Items {
		if p := &pods.Items[i]; p.DeletionTimestamp == nil && PodReady(p) {
			return p.Name, nil
		}
	}
	return "", fmt.Errorf("no Ready pod matches %q in namespace %s", selector, namespace)
}
