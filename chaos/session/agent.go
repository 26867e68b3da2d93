package session

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/selfheal/selfheal/chaos/catalog"
	"github.com/selfheal/selfheal/chaos/fault/nodeagent"
	"github.com/selfheal/selfheal/chaos/plan"
	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/fixtures/cluster"
)

// agentSetup is the node agent of a session whose node faults go through
// it: deployed once, the first time a scenario needs it, or refused.
type agentSetup struct {
	tried bool
	agent *nodeagent.Agent
	// err is why the agent cannot be used here: each scenario that needs
	// it is refused with it, by name, and the others run.
	err error
}

// needsAgent says whether entry e halts a node through the agent in this
// session.
func (s *Session) needsAgent(e catalog.Entry) bool {
	return e.NodeAgent && s.cfg.NodeFaults == catalog.NodeFaultsAgent
}

// preflight sets the node agent up when the plan has scenarios that need
// it, and says which scenarios it refuses, before any of them runs.
func (s *Session) preflight(ctx context.Context) {
	var need []string
	for _, c := range s.cfg.Plan {
		if s.needsAgent(c.Entry) && !slices.Contains(need, c.Entry.Name) {
			need = append(need, c.Entry.Name)
		}
	}
	if len(need) == 0 {
		return
	}
	if err := s.setUpAgent(ctx); err != nil {
		for _, name := range need {
			s.cfg.Console.Logf("pre-flight: refused: %s via the agent: %v", name, err)
		}
		s.cfg.Console.Logf("pre-flight: the other scenarios still run")
	}
}

// setUpAgent deploys the node agent (once): on the kind cluster its image
// is built and loaded into the nodes first. The agent stays deployed
// after the run; `selfheal agent remove` removes every trace of it.
func (s *Session) setUpAgent(ctx context.Context) error {
	if s.agent.tried {
		return s.agent.err
	}
	s.agent.tried = true
	con := s.cfg.Console
	image := cmp.Or(s.cfg.AgentImage, s.cfg.Images.Agent)
	opts := []nodeagent.Option{nodeagent.WithImage(image), nodeagent.WithLog(con.Logf)}
	if s.kind {
		id, err := cluster.LoadAgent(ctx, s.cfg.Cluster, image, cluster.WithLog(logWriter{con}))
		if err != nil {
			s.agent.err = fmt.Errorf("loading the node agent's image into kind cluster %s: %w", s.cfg.Cluster, err)
			return s.agent.err
		}
		opts = append(opts, nodeagent.WithImageID(id))
	}
	a := nodeagent.New(s.client.Kubernetes, s.client, opts...)
	start := time.Now()
	nodes, err := a.Install(ctx)
	if err != nil {
		s.agent.err = err
		return err
	}
	s.agent.agent = a
	con.Logf("node agent ready on %s in %s (namespace %s; it stays until `selfheal agent remove`)",
		strings.Join(nodes, ", "), time.Since(start).Round(100*time.Millisecond), nodeagent.Namespace)
	return nil
}

// refusal is why entry e cannot run in this session (nil when it can):
// the node agent it needs is refused here. The agent is set up when the
// plan did not announce e.
func (s *Session) refusal(ctx context.Context, e catalog.Entry) error {
	if !s.needsAgent(e) {
		return nil
	}
	if err := e.Preflight(ctx, catalog.Env{NodeFaults: s.cfg.NodeFaults, Agent: cmp.Or(s.agent.agent, nodeagent.New(s.client.Kubernetes, s.client))}); err != nil {
		return err
	}
	if err := s.setUpAgent(ctx); err != nil {
		return fmt.Errorf("%s via the agent: %w", e.Name, err)
	}
	return nil
}

// refuse records cell c as refused by the pre-flight: an error result
// naming why, nothing run.
func (s *Session) refuse(c plan.Cell, why error) (*result.Result, error) {
	sc, err := s.Scenario(c.Entry)
	if err != nil {
		return nil, errors.Join(why, err)
	}
	res := errorResult(sc, s.info, time.Now(), fmt.Errorf("refused by the pre-flight: %w", why))
	res.Notes = []string{"The pre-flight refused this scenario on this cluster: nothing was injected, nothing measured."}
	err = fmt.Errorf("%s refused by the pre-flight: %w", c.Name(), why)
	return res, errors.Join(err, s.record(c, res))
}

// stampDoor records on a result of a node fault through the agent that it
// went that way: history compares it only with its own kind.
func (s *Session) stampDoor(e catalog.Entry, res *result.Result) {
	if !s.needsAgent(e) || res.Run == nil {
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
