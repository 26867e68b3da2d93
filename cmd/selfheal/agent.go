package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"sort"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/selfheal/selfheal/chaos/catalog"
	"github.com/selfheal/selfheal/chaos/fault/nodeagent"
	"github.com/selfheal/selfheal/chaos/guard"
	"github.com/selfheal/selfheal/chaos/kube"
	"github.com/selfheal/selfheal/chaos/session"
	"github.com/selfheal/selfheal/fixtures"
	"github.com/selfheal/selfheal/fixtures/cluster"
	"github.com/selfheal/selfheal/internal/kindnode"
)

const agentSynopsis = "install|status|remove [--kubeconfig FILE] [--context NAME] [--cluster NAME] [--agent-image REF] [--wait 2m]\n\n" +
	"install deploys selfheal's node agent (namespace " + nodeagent.Namespace + ": a privileged DaemonSet with hostPID and hostNetwork on every worker, " +
	"its ServiceAccount, a Role that may get one Lease); on the kind cluster its image is built and loaded into the nodes first. " +
	"status lists its pods and the faults on each node. remove puts back any fault in place, removes its rules, timers and files on every node, " +
	"then deletes the namespace: nothing labelled " + nodeagent.Selector + " is left."

// runAgent is `selfheal agent install|status|remove`.
func runAgent(ctx context.Context, env *cliEnv, args []string) error {
	if len(args) == 0 {
		return usagef("missing action: want install, status or remove")
	}
	action := args[0]
	switch action {
	case "install", "status", "remove":
	case "-h", "--help", "help":
		fmt.Fprintf(env.stderr, "Usage: selfheal agent %s\n", agentSynopsis)
		return flag.ErrHelp
	default:
		return usagef("unknown action %q: want install, status or remove", action)
	}
	fs := newFlagSet(env, "agent "+action, "[flags]")
	var kubeconfig, kubeContext, clusterName, image string
	fs.StringVar(&kubeconfig, "kubeconfig", "", "kubeconfig `file` of the cluster (default: $KUBECONFIG, else _out/<cluster>.kubeconfig)")
	fs.StringVar(&kubeContext, "context", "", "kubeconfig context (default: current)")
	fs.StringVar(&clusterName, "cluster", cmp.Or(env.env("SELFHEAL_CLUSTER"), cluster.DefaultName), "the kind cluster's name, when it is one ($SELFHEAL_CLUSTER)")
	fs.StringVar(&image, "agent-image", env.env("SELFHEAL_AGENT_IMAGE"), "the agent's image, where the nodes can pull it (default: built here and loaded into the kind nodes; $SELFHEAL_AGENT_IMAGE)")
	wait := fs.Duration("wait", 2*time.Minute, "how long to wait for the agent on every node (install), or for an unreachable node's agent (remove)")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	if err := cluster.CheckName(clusterName); err != nil {
		return usagef("--cluster: %v", err)
	}
	if *wait <= 0 {
		return usagef("--wait must be positive, got %s", *wait)
	}
	path, err := runKubeconfig(env, runOptions{kubeconfig: kubeconfig, settings: withCluster(clusterName)})
	if err != nil {
		return err
	}
	rc, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(&clientcmd.ClientConfigLoadingRules{ExplicitPath: path},
		&clientcmd.ConfigOverrides{CurrentContext: kubeContext}).ClientConfig()
	if err != nil {
		return fmt.Errorf("reading kubeconfig %s: %w", path, err)
	}
	client, err := kube.NewClient(rc)
	if err != nil {
		return err
	}
	logf := func(format string, a ...any) { fmt.Fprintf(env.stdout, format+"\n", a...) }
	opts := []nodeagent.Option{nodeagent.WithWait(*wait), nodeagent.WithLog(logf)}
	switch action {
	case "install":
		return agentInstall(ctx, env, client, rc.Host, clusterName, image, opts)
	case "status":
		return agentStatus(ctx, env, nodeagent.New(client.Kubernetes, client, opts...))
	default:
		return agentRemove(ctx, env, client, nodeagent.New(client.Kubernetes, client, opts...))
	}
}

func agentInstall(ctx context.Context, env *cliEnv, client *kube.Client, server, clusterName, image string, opts []nodeagent.Option) error {
	if image == "" {
		set, err := fixtures.Images(fixtures.ModeOffline)
		if err != nil {
			return err
		}
		image = set.Agent
	}
	// What the cluster refuses is found before any image is built.
	if err := nodeagent.New(client.Kubernetes, client, opts...).Preflight(ctx); err != nil {
		return err
	}
	// On the kind cluster the image is built here and loaded into the
	// nodes; elsewhere the nodes must be able to pull it.
	if kindnode.Verify(ctx, client.Kubernetes, server, kindnode.CLI, clusterName) == nil {
		id, err := cluster.LoadAgent(ctx, clusterName, image, cluster.WithLog(env.stderr))
		if err != nil {
			return err
		}
		opts = append(opts, nodeagent.WithImageID(id))
	}
	a := nodeagent.New(client.Kubernetes, client, append(opts, nodeagent.WithImage(image))...)
	nodes, err := a.Install(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "node agent ready on %s (namespace %s); remove every trace with: selfheal agent remove\n", strings.Join(nodes, ", "), nodeagent.Namespace)
	return nil
}

func agentStatus(ctx context.Context, env *cliEnv, a *nodeagent.Agent) error {
	st, err := a.Status(ctx)
	if err != nil {
		return err
	}
	if !st.Installed {
		fmt.Fprintf(env.stdout, "the node agent is not installed (no namespace %s)\n", nodeagent.Namespace)
		return nil
	}
	nodes := make([]string, 0, len(st.Nodes))
	for n := range st.Nodes {
		nodes = append(nodes, n)
	}
	sort.Strings(nodes)
	for _, n := range nodes {
		fmt.Fprintf(env.stdout, "%s: %s\n", n, st.Nodes[n])
	}
	if st.Lease != "" {
		fmt.Fprintf(env.stdout, "lease %s/%s: %s\n", nodeagent.Namespace, nodeagent.RenewLease, st.Lease)
	}
	return nil
}

// agentRemove takes the run lease (a run mid-fault finishes first), puts
// back the agent faults the active-fault record names and clears them,
// then removes the agent from every node and the cluster.
func agentRemove(ctx context.Context, env *cliEnv, client *kube.Client, a *nodeagent.Agent) error {
	me := guard.Me("selfheal agent remove", "agent-remove-"+time.Now().UTC().Format("20060102-150405"))
	lease, err := guard.Acquire(ctx, client.Kubernetes, me, guard.WithLog(func(f string, a ...any) { fmt.Fprintf(env.stderr, f+"\n", a...) }))
	if err != nil {
		return err
	}
	defer func() { _ = lease.Release(context.WithoutCancel(ctx)) }()
	rec := guard.NewRecord(client.Kubernetes, me.Run, me.String())
	entries, err := rec.List(ctx)
	if err != nil {
		return err
	}
	repairer := nodeagent.NewRepairer(a, catalog.RepairTimeout)
	for _, e := range entries {
		if e.Undo.Kind != nodeagent.RepairKind {
			continue
		}
		did, err := repairer.Repair(ctx, e.Undo)
		if err != nil {
			return fmt.Errorf("repairing %s before removing the agent: %w", e, err)
		}
		if err := rec.End(ctx, e.ID); err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "active-fault record: repaired %s: %s\n", e, cmp.Or(did, "nothing was left to put back"))
	}
	r, err := a.Remove(ctx)
	for _, n := range sortedNodes(r.Nodes) {
		fmt.Fprintf(env.stdout, "%s: %s\n", n, r.Nodes[n])
	}
	if err != nil {
		return err
	}
	for _, d := range r.Deleted {
		fmt.Fprintf(env.stdout, "deleted %s\n", d)
	}
	left, err := client.Kubernetes.CoreV1().Namespaces().List(ctx, metav1.ListOptions{LabelSelector: nodeagent.Selector})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("checking that nothing is left: %w", err)
	}
	if left != nil && len(left.Items) > 0 {
		return errors.New("a namespace labelled " + nodeagent.Selector + " is still there")
	}
	fmt.Fprintf(env.stdout, "nothing labelled %s is left\n", nodeagent.Selector)
	return nil
}

// withCluster is the default settings with cluster name, for finding its
// kubeconfig as `selfheal run` does.
func withCluster(name string) session.Settings {
	s := session.DefaultSettings()
	s.Cluster = name
	return s
}

func sortedNodes(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
