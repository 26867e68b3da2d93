package session

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"github.com/selfheal/selfheal/chaos/catalog"
	"github.com/selfheal/selfheal/chaos/fault/nodeagent"
	"github.com/selfheal/selfheal/chaos/plan"
	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/fixtures"
	"github.com/selfheal/selfheal/fixtures/cluster"
)

// agentFacts adds to c the door node faults go through and, through the
// node agent, whether the agent runs here: it is set up (deployed once,
// on the kind cluster with its image built and loaded first) when the
// plan halts a node, and when it cannot run, c says why, so that the
// pre-flight refuses those scenarios by name and the others still run.
func (s *Session) agentFacts(ctx context.Context, c *catalog.Cluster) {
	c.NodeFaults = cmp.Or(s.cfg.NodeFaults, catalog.NodeFaultsDocker)
	if c.NodeFaults != catalog.NodeFaultsAgent {
		return
	}
	if !s.planHaltsNodes() {
		c.AgentRefused = "no scenario of this run's plan halts a node, so the node agent was not deployed"
		return
	}
	if err := s.setUpAgent(ctx); err != nil {
		c.AgentRefused = err.Error()
		s.cfg.Console.Logf("pre-flight: the node agent cannot run here: %v", err)
	}
}

// planHaltsNodes says whether a cell of the plan halts a node (an empty
// plan may run anything).
func (s *Session) planHaltsNodes() bool {
	return len(s.cfg.Plan) == 0 || slices.ContainsFunc(s.cfg.Plan, func(c plan.Cell) bool { return c.Entry.HaltsNodes() })
}

// setUpAgent deploys the node agent. It stays deployed after the run;
// `selfheal agent remove` removes every trace of it.
func (s *Session) setUpAgent(ctx context.Context) error {
	con := s.cfg.Console
	image := s.cfg.AgentImage
	if image == "" {
		set, err := fixtures.Images(fixtures.ModeOffline)
		if err != nil {
			return err
		}
		image = set.Agent
	}
	opts := []nodeagent.Option{nodeagent.WithImage(image), nodeagent.WithLog(con.Logf)}
	// What the cluster refuses is found before any image is built.
	if err := nodeagent.New(s.client.Kubernetes, s.client, opts...).Preflight(ctx); err != nil {
		return err
	}
	if s.isKind {
		id, err := cluster.LoadAgent(ctx, s.cfg.Cluster, image, cluster.WithLog(logWriter{con}))
		if err != nil {
			return err
		}
		opts = append(opts, nodeagent.WithImageID(id))
	}
	a := nodeagent.New(s.client.Kubernetes, s.client, opts...)
	start := time.Now()
	nodes, err := a.Install(ctx)
	if err != nil {
		return err
	}
	s.agent = a
	con.Logf("node agent ready on %s in %s (namespace %s; it stays until `selfheal agent remove`)",
		strings.Join(nodes, ", "), time.Since(start).Round(100*time.Millisecond), nodeagent.Namespace)
	return nil
}

// stampDoor records on a result of a node fault through the agent that it
// went that way: history compares it only with its own kind.
func (s *Session) stampDoor(e catalog.Entry, res *result.Result) {
	if !e.HaltsNodes() || s.cfg.NodeFaults != catalog.NodeFaultsAgent || res.Run == nil {
		return
	}
	run := *res.Run // shared with the session's other results
	run.NodeFaults = string(catalog.NodeFaultsAgent)
	res.Run = &run
}

// logWriter turns the lines cluster's helpers print into console lines.
type logWriter struct{ con Console }

func (w logWriter) Write(p []byte) (int, error) {
	for _, line := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		if line != "" {
			w.con.Logf("%s", line)
		}
	}
	return len(p), nil
}
