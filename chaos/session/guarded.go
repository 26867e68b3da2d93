package session

import (
	"context"
	"errors"
	"fmt"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/selfheal/selfheal/chaos/catalog"
	"github.com/selfheal/selfheal/chaos/guard"
	"github.com/selfheal/selfheal/chaos/kube"
	"github.com/selfheal/selfheal/internal/kindnode"
)

// guarded is a cluster an entry point may break things in: it is the kind
// cluster it was told about (or was allowed not to be), this process holds
// its run lease, and what earlier runs left behind is repaired.
type guarded struct {
	client *kube.Client
	rest   *rest.Config
	lease  *guard.Lease
	active *guard.Record
	// isKind says the cluster is the local kind cluster: the faults that
	// act through its node containers can run.
	isKind bool
}

// RestConfig is the client configuration of kubeconfig's context (its
// current one when context is ""). It reads the file and contacts no
// cluster, so an entry point checks a kubeconfig with it among its other
// inputs, before any work starts.
func RestConfig(kubeconfig, context string) (*rest.Config, error) {
	rc, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(
		&clientcmd.ClientConfigLoadingRules{ExplicitPath: kubeconfig},
		&clientcmd.ConfigOverrides{CurrentContext: context}).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("reading kubeconfig %s: %w", kubeconfig, err)
	}
	return rc, nil
}

// openGuarded connects and guards; on error nothing is held.
func openGuarded(ctx context.Context, cfg Config) (*guarded, error) {
	if cfg.Kubeconfig == "" {
		return nil, errors.New("no kubeconfig: create a cluster with `make cluster` (it writes _out/selfheal.kubeconfig) or pass one")
	}
	rc, err := RestConfig(cfg.Kubeconfig, cfg.Context)
	if err != nil {
		return nil, err
	}
	client, err := kube.NewClient(rc)
	if err != nil {
		return nil, err
	}
	g := &guarded{client: client, rest: rc}
	isKind, err := g.checkKind(ctx, cfg, kindnode.CLI)
	if err != nil {
		return nil, err
	}
	g.isKind = isKind
	me := guard.Me(cfg.Command, cfg.RunID)
	g.lease, err = guard.Acquire(ctx, client.Kubernetes, me, guard.WithWait(cfg.LeaseWait), guard.WithLog(cfg.Console.Logf))
	if err != nil {
		return nil, err
	}
	g.active = guard.NewRecord(client.Kubernetes, cfg.RunID, me.String())
	cfg.Tracker.Add(g.active)
	if err := g.repair(ctx, cfg, isKind); err != nil {
		g.release(cfg.Console)
		return nil, err
	}
	return g, nil
}

// checkKind refuses a cluster that is not kind cluster cfg.Cluster on this
// machine (internal/kindnode.Verify): faults are for throw-away clusters,
// and node faults halt local containers. With AllowNonKind it warns and
// says false.
func (g *guarded) checkKind(ctx context.Context, cfg Config, docker kindnode.Docker) (bool, error) {
	err := kindnode.Verify(ctx, g.client.Kubernetes, g.rest.Host, docker, cfg.Cluster)
	if err == nil {
		return true, nil
	}
	if cfg.AllowNonKind {
		cfg.Console.Logf("warning: %v; going on because non-kind clusters were allowed", err)
		return false, nil
	}
	return false, fmt.Errorf("refusing to inject faults: %w. selfheal breaks things on purpose; point it at the kind cluster it created (make cluster), name the kind cluster with SELFHEAL_CLUSTER (--cluster), or set SELFHEAL_ALLOW_NON_KIND=1 (--allow-non-kind) if you really mean it", err)
}

// repair repairs every fault the record names, saying what it did and how
// long it took; then (kind clusters only) it starts node containers that
// are down with no record naming them, as a killed run of an older
// selfheal leaves them.
func (g *guarded) repair(ctx context.Context, cfg Config, isKind bool) error {
	con := cfg.Console
	start := time.Now()
	done, err := guard.Repair(ctx, g.active, catalog.Repairers(g.client), func(r guard.Repaired) {
		con.Logf("active-fault record: %s", r)
	})
	if err != nil {
		return err
	}
	if len(done) > 0 {
		con.Logf("active-fault record: %d fault(s) left by an earlier run dealt with in %s", len(done), time.Since(start).Round(100*time.Millisecond))
	} else {
		con.Logf("active-fault record: no fault left by an earlier run")
	}
	if !isKind {
		return nil
	}
	started, err := kindnode.StartHalted(ctx, kindnode.CLI, cfg.Cluster)
	for _, s := range started {
		con.Logf("started a node no record names: %s", s)
	}
	return err
}

// release gives the run lease back.
func (g *guarded) release(con Console) {
	if g == nil || g.lease == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := g.lease.Release(ctx); err != nil {
		con.Logf("warning: %v", err)
	}
	g.lease = nil
}
