package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/selfheal/selfheal/chaos/guard"
	"github.com/selfheal/selfheal/chaos/session"
	"github.com/selfheal/selfheal/fixtures"
	"github.com/selfheal/selfheal/fixtures/cluster"
	"github.com/selfheal/selfheal/internal/console"
)

// runCluster is `selfheal cluster up|down|status`: the kind cluster the
// scenarios run on (see fixtures/cluster).
func runCluster(ctx context.Context, env *cliEnv, args []string) error {
	if len(args) == 0 {
		return usagef("missing action: want up, down or status")
	}
	action, rest := args[0], args[1:]
	switch action {
	case "up":
		return clusterUp(ctx, env, rest)
	case "down":
		return clusterDown(ctx, env, rest)
	case "status":
		return clusterStatus(ctx, env, rest)
	case "-h", "--help", "help":
		fmt.Fprintln(env.stderr, "Usage: selfheal cluster up|down|status [flags]\n\nRun 'selfheal cluster <action> -h' for an action's flags.")
		return flag.ErrHelp
	default:
		return usagef("unknown action %q: want up, down or status", action)
	}
}

// clusterFlags are the flags every action shares.
type clusterFlags struct {
	name, kubeconfig, kindPath string
}

func (f *clusterFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.name, "name", cluster.DefaultName, "cluster name")
	fs.StringVar(&f.kubeconfig, "kubeconfig", "", "kubeconfig file to write/remove (default _out/<name>.kubeconfig)")
	fs.StringVar(&f.kindPath, "kind", "", "kind binary (default bin/kind, installed at the pinned version when missing)")
}

func (f *clusterFlags) options(env *cliEnv) ([]cluster.Option, error) {
	if err := cluster.CheckName(f.name); err != nil {
		return nil, usagef("-name: %v", err)
	}
	opts := []cluster.Option{cluster.WithLog(env.stderr)}
	if f.kubeconfig != "" {
		opts = append(opts, cluster.WithKubeconfig(f.kubeconfig))
	}
	if f.kindPath != "" {
		opts = append(opts, cluster.WithKindPath(f.kindPath))
	}
	return opts, nil
}

func clusterUp(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "cluster up", "[flags]")
	var cf clusterFlags
	cf.register(fs)
	mode := fs.String("mode", "", "image mode: auto (= offline), offline, or online: stock images, never run here (default $"+cluster.ModeEnv+", else auto)")
	registry := fs.String("registry", "", "pull the node and app images from this registry, HOST[:PORT][/PATH] (selfheal images push); default $"+cluster.RegistryEnv)
	endpoint := fs.String("registry-endpoint", "", "the URL the nodes reach that registry at (needed for one on localhost); default $"+cluster.RegistryEndpointEnv)
	reuse := fs.Bool("reuse", false, "keep an existing healthy cluster with the wanted node image instead of replacing it")
	noBuild := fs.Bool("no-build", false, "offline: do not run the image recipes; fail unless the current images are in Docker")
	timeout := fs.Duration("ready-timeout", 5*time.Minute, "how long to wait for Ready nodes and Running kube-system pods")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected arguments %q", fs.Args())
	}
	if *timeout <= 0 {
		return usagef("-ready-timeout must be positive, got %s", *timeout)
	}
	opts, err := cf.options(env)
	if err != nil {
		return err
	}
	opts = append(opts, cluster.WithName(cf.name), cluster.WithReuse(*reuse),
		cluster.WithImageBuild(!*noBuild), cluster.WithReadyTimeout(*timeout))
	if *mode != "" {
		m, err := fixtures.ParseMode(*mode)
		if err != nil {
			return usagef("-mode: %v", err)
		}
		opts = append(opts, cluster.WithMode(m))
	}
	if *registry != "" || *endpoint != "" {
		r, err := cluster.ParseRegistry(*registry, *endpoint)
		if err != nil {
			return usagef("-registry %q, -registry-endpoint %q: %v", *registry, *endpoint, err)
		}
		opts = append(opts, cluster.WithRegistry(r))
	}
	if *reuse {
		if err := repairBeforeReuse(ctx, env, cf); err != nil {
			return err
		}
	}
	cl, err := cluster.Up(ctx, opts...)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "cluster %s is up (%s images, node image %s)\nexport KUBECONFIG=%s\n",
		cl.Name, cl.Images.Mode, cl.Images.Node, cl.Kubeconfig)
	if cl.Images.Registry != "" {
		fmt.Fprintf(env.stdout, "its nodes pull the app images from %s\n", cl.Images.Registry)
	}
	return nil
}

// repairBeforeReuse repairs what the active-fault record of an existing
// cluster names (a run killed mid-fault left it), before Up decides
// whether the cluster is healthy enough to reuse. A cluster that cannot be
// reached is left to Up; one that another run is using is not touched.
func repairBeforeReuse(ctx context.Context, env *cliEnv, cf clusterFlags) error {
	st, err := cluster.Status(ctx, cf.name, clusterOptions(cf)...)
	if err != nil || !st.Exists {
		return nil
	}
	// kind's kubeconfig, not this checkout's file: another checkout may
	// have created the cluster.
	kubeconfig, err := cluster.ExportKubeconfig(ctx, cf.name, append(clusterOptions(cf), cluster.WithLog(env.stderr))...)
	if err != nil {
		fmt.Fprintf(env.stderr, "cluster: warning: %s exists but its kubeconfig cannot be exported (%v); leaving it to cluster up\n", cf.name, err)
		return nil
	}
	con := console.New(env.stderr, false)
	err = session.Repair(ctx, session.Config{Kubeconfig: kubeconfig, Cluster: cf.name, Command: "selfheal cluster up -reuse", Console: con, Tracker: env.faults})
	if errors.Is(err, guard.ErrBusy) {
		return err
	}
	if err != nil {
		fmt.Fprintf(env.stderr, "cluster: warning: repairing %s before reusing it: %v\n", cf.name, err)
	}
	return nil
}

// clusterOptions are the options Status needs to find the cluster's files.
func clusterOptions(cf clusterFlags) []cluster.Option {
	var opts []cluster.Option
	if cf.kubeconfig != "" {
		opts = append(opts, cluster.WithKubeconfig(cf.kubeconfig))
	}
	if cf.kindPath != "" {
		opts = append(opts, cluster.WithKindPath(cf.kindPath))
	}
	return opts
}

func clusterDown(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "cluster down", "[flags]")
	var cf clusterFlags
	cf.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected arguments %q", fs.Args())
	}
	opts, err := cf.options(env)
	if err != nil {
		return err
	}
	return cluster.Down(ctx, cf.name, opts...)
}

func clusterStatus(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "cluster status", "[flags]")
	var cf clusterFlags
	cf.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected arguments %q", fs.Args())
	}
	opts, err := cf.options(env)
	if err != nil {
		return err
	}
	st, err := cluster.Status(ctx, cf.name, opts...)
	if err != nil {
		return err
	}
	if !st.Exists {
		return fmt.Errorf("cluster %s does not exist (selfheal cluster up, or make cluster)", cf.name)
	}
	from := ""
	if st.Images.Registry != "" {
		from = ", images from registry " + st.Images.Registry
	}
	fmt.Fprintf(env.stdout, "cluster %s (mode %s%s, kubeconfig %s)\n", st.Name, orDash(string(st.Mode)), from, st.Kubeconfig)
	tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NODE\tROLE\tCONTAINER\tREADY\tIMAGE")
	for _, n := range st.Nodes {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%v\t%s\n", n.Name, n.Role, map[bool]string{true: "running", false: "stopped"}[n.Running], n.Ready, n.Image)
	}
	tw.Flush()
	if st.APIError != "" {
		fmt.Fprintf(env.stdout, "API: %s\n", st.APIError)
	}
	if !st.Healthy() {
		return fmt.Errorf("cluster %s is not healthy", cf.name)
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
