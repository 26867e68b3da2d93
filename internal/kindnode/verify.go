package kindnode

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// ProviderID is the spec.providerID kind's kubelet configuration gives
// node `node` of cluster `cluster` (docker provider).
func ProviderID(cluster, node string) string { return "kind://docker/" + cluster + "/" + node }

// Verify checks that the Kubernetes API cs talks to, at server (the REST
// config's Host), is the one the node containers of kind cluster `cluster`
// on this machine run. Node names alone prove nothing: another machine's
// kind cluster of the same name has the same ones, and a node fault would
// then halt a local container that is not in the cluster under test. So:
//   - the API's nodes and the local node containers are the same names;
//   - every node's spec.providerID is kind://docker/<cluster>/<node>;
//   - server is the control-plane container's API port as published on
//     this host (or the container itself, port 6443, from inside docker's
//     network).
//
// The error says every way in which it is not.
func Verify(ctx context.Context, cs kubernetes.Interface, server string, docker Docker, cluster string) error {
	list, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("listing the cluster's nodes: %w", err)
	}
	containers, err := List(ctx, docker, cluster)
	if err != nil {
		return err
	}
	var problems []string
	problems = append(problems, sameNodes(list.Items, containers, cluster)...)
	problems = append(problems, providerIDs(list.Items, cluster)...)
	if p := sameServer(ctx, docker, server, containers); p != "" {
		problems = append(problems, p)
	}
	if len(problems) > 0 {
		return fmt.Errorf("the cluster at %s is not kind cluster %q on this machine: %s", server, cluster, strings.Join(problems, "; "))
	}
	return nil
}

func sameNodes(api []corev1.Node, containers []Node, cluster string) []string {
	var names, local []string
	for _, n := range api {
		names = append(names, n.Name)
	}
	for _, c := range containers {
		if c.Role == RoleControlPlane || c.Role == RoleWorker {
			local = append(local, c.Name)
		}
	}
	slices.Sort(names)
	slices.Sort(local)
	if len(local) == 0 {
		return []string{fmt.Sprintf("this machine has no node container of kind cluster %q", cluster)}
	}
	if !slices.Equal(names, local) {
		return []string{fmt.Sprintf("its nodes %v are not the node containers %v", names, local)}
	}
	return nil
}

func providerIDs(api []corev1.Node, cluster string) []string {
	var out []string
	for _, n := range api {
		if want := ProviderID(cluster, n.Name); n.Spec.ProviderID != want {
			out = append(out, fmt.Sprintf("node %s has providerID %q, want %q", n.Name, n.Spec.ProviderID, want))
		}
	}
	return out
}

// sameServer says why server is not the control-plane container's API
// address, or "".
func sameServer(ctx context.Context, docker Docker, server string, containers []Node) string {
	u, err := url.Parse(server)
	if err != nil || u.Host == "" {
		return fmt.Sprintf("cannot read the API server address %q", server)
	}
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = "443"
	}
	var planes []string
	for _, c := range containers {
		if c.Role != RoleControlPlane {
			continue
		}
		planes = append(planes, c.Name)
		if host == c.Name && port == strconv.Itoa(APIServerPort) {
			return "" // from inside docker's network (kind get kubeconfig --internal)
		}
		out, err := docker(ctx, "port", c.Name, fmt.Sprintf("%d/tcp", APIServerPort))
		if err != nil {
			continue
		}
		for _, line := range strings.Fields(out) {
			h, p, err := net.SplitHostPort(line)
			if err == nil && p == port && sameHost(h, host) {
				return ""
			}
		}
	}
	if len(planes) == 0 {
		return "no control-plane container"
	}
	return fmt.Sprintf("the kubeconfig's server %s is not the API port that control-plane container %s publishes", u.Host, strings.Join(planes, ", "))
}

// sameHost: a published address and the kubeconfig's host name the same
// listener on this machine.
func sameHost(published, host string) bool {
	if published == host {
		return true
	}
	loop := func(h string) bool {
		if h == "localhost" {
			return true
		}
		ip := net.ParseIP(h)
		return ip != nil && ip.IsLoopback()
	}
	if published == "0.0.0.0" || published == "::" {
		return loop(host)
	}
	return loop(published) && loop(host)
}
