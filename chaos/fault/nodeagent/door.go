package nodeagent

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/selfheal/selfheal/chaos/fault"
)

// What an agent fault does on its node.
const (
	// ActionKubelet stops the kubelet and the container runtime (the
	// units that are active of kubelet and containerd): the node goes
	// NotReady while its containers keep running.
	ActionKubelet = "kubelet"
	// ActionNetwork isolates the node: every packet in and out is
	// dropped but the loopback's, the agent's reads of its lease and the
	// API server's connections to the kubelet.
	ActionNetwork = "network"
)

// RepairKind is the Undo kind of an agent fault: Params["node"] is the
// node, Params["id"] the fault's id there.
const RepairKind = "node-agent"

// tagPrefix starts the comment on every rule the agent adds (node.sh).
const tagPrefix = "selfheal-agent-"

// Door halts a node through the agent: it is chaos/fault/nodehalt's Door
// for clusters without docker (and for kind, beside it).
type Door struct {
	agent   *Agent
	actions []string
	grace   time.Duration
	max     time.Duration
	delay   time.Duration
	back    time.Duration

	mu   sync.Mutex
	held map[string]*held
}

// held is one fault in place.
type held struct {
	id    string
	broke time.Time
	renew *renewal
}

// DoorOption configures a Door.
type DoorOption func(*Door)

// WithActions sets what a halt does (default both: ActionNetwork and
// ActionKubelet, the node gone from the data plane and the control plane).
func WithActions(actions ...string) DoorOption { return func(d *Door) { d.actions = actions } }

// WithGrace sets the dead-man's grace: the agent reverts a fault whose
// lease went this long without a renewal (default 30 s).
func WithGrace(g time.Duration) DoorOption { return func(d *Door) { d.grace = g } }

// WithDeadline sets the bound after which the node's own timer reverts a
// fault whatever happens (default 15 minutes: past any scenario's hold and
// revert).
func WithDeadline(max time.Duration) DoorOption { return func(d *Door) { d.max = max } }

// WithDelay sets how long after the exec that arms it a fault breaks
// (default 2 s: the exec's answer must be home before the kubelet stops).
func WithDelay(delay time.Duration) DoorOption { return func(d *Door) { d.delay = delay } }

// WithBack bounds how long a revert waits for exec to reach the agent
// again (the kubelet restarted) to confirm it (default 3 minutes).
func WithBack(back time.Duration) DoorOption { return func(d *Door) { d.back = back } }

// NewDoor halts nodes through agent a.
func NewDoor(a *Agent, opts ...DoorOption) *Door {
	d := &Door{agent: a, actions: []string{ActionNetwork, ActionKubelet}, grace: 30 * time.Second, max: 15 * time.Minute,
		delay: 2 * time.Second, back: 3 * time.Minute, held: map[string]*held{}}
	for _, o := range opts {
		o(d)
	}
	return d
}

// What says in words what a halt through the door does.
func (d *Door) What() string {
	var parts []string
	for _, a := range d.actions {
		switch a {
		case ActionKubelet:
			parts = append(parts, "kubelet and container runtime stopped")
		case ActionNetwork:
			parts = append(parts, "network isolated")
		}
	}
	return strings.Join(parts, ", ") + " by the node agent (its containers keep running)"
}

// Workers implements nodehalt.Door.
func (d *Door) Workers(ctx context.Context) ([]string, error) { return d.agent.Workers(ctx) }

func (d *Door) check() error {
	if len(d.actions) == 0 {
		return errors.New("node agent fault: no action")
	}
	for _, a := range d.actions {
		if a != ActionKubelet && a != ActionNetwork {
			return fmt.Errorf("node agent fault: unknown action %q (want %s or %s)", a, ActionKubelet, ActionNetwork)
		}
	}
	for name, v := range map[string]time.Duration{"grace": d.grace, "deadline": d.max, "delay": d.delay} {
		if v < time.Second || v%time.Second != 0 {
			return fmt.Errorf("node agent fault: %s %s: want whole seconds, at least 1", name, v)
		}
	}
	if d.max <= d.grace+d.delay {
		return fmt.Errorf("node agent fault: deadline %s must be longer than the grace %s and the delay %s", d.max, d.grace, d.delay)
	}
	return nil
}

// Halt implements nodehalt.Door: it checks that an agent runs on node,
// records the fault, takes the renewal lease, arms the fault through exec
// and waits for its break.
func (d *Door) Halt(ctx context.Context, m fault.Marker, node string) (string, error) {
	if err := d.check(); err != nil {
		return "", err
	}
	if _, err := d.agent.PodOn(ctx, node); err != nil {
		return "", fmt.Errorf("%w; nothing was broken", err)
	}
	var api []string
	if slices.Contains(d.actions, ActionNetwork) {
		var err error
		if api, err = d.agent.APIAddresses(ctx); err != nil {
			return "", fmt.Errorf("%w; nothing was broken", err)
		}
	}
	id := "f" + strconv.FormatInt(time.Now().UnixMilli(), 36)
	actions := strings.Join(d.actions, ",")
	if err := m.Breaking(ctx, fault.Undo{Kind: RepairKind,
		Detail: fmt.Sprintf("node %s: %s (fault %s)", node, d.What(), id),
		Params: map[string]string{"node": node, "id": id, "actions": actions}}); err != nil {
		return "", err
	}
	h := &held{id: id}
	d.mu.Lock()
	d.held[node] = h // before anything: a halt cut short must still be reverted
	d.mu.Unlock()
	renew, err := d.agent.startRenewal(ctx, id, d.grace, m.Logf)
	if err != nil {
		return "", err
	}
	h.renew = renew
	args := []string{"break", id, "--actions", actions, "--lease", RenewLease, "--grace", seconds(d.grace), "--max", seconds(d.max), "--delay", seconds(d.delay)}
	if len(api) > 0 {
		args = append(args, "--api", strings.Join(api, " "))
	}
	out, err := d.agent.Run(ctx, node, args...)
	if err != nil {
		return "", fmt.Errorf("arming fault %s on node %s: %w", id, node, err)
	}
	m.Logf("node agent on %s: %s", node, strings.TrimSpace(out))
	select {
	case <-ctx.Done():
		return "", ctx.Err()
	case <-time.After(d.delay):
	}
	d.mu.Lock()
	h.broke = time.Now()
	d.mu.Unlock()
	return fmt.Sprintf("%s (fault %s)", d.What(), id), nil
}

// Start implements nodehalt.Door: it stops the renewals, deletes the lease
// (the agent reverts within a second), then waits for an exec to reach the
// agent again, which confirms the revert (or does it, were the agent's
// loop gone) and reads the fault's log back as evidence.
func (d *Door) Start(ctx context.Context, m fault.Marker, node string) (string, error) {
	d.mu.Lock()
	h := d.held[node]
	d.mu.Unlock()
	if h == nil {
		return "", nil
	}
	h.renew.Stop()
	d.mu.Lock()
	broke := !h.broke.IsZero()
	d.mu.Unlock()
	if err := d.agent.deleteRenewal(ctx, h.id); err != nil {
		return "", err
	}
	out, err := d.agent.untilReachable(ctx, d.back, node, "revert", h.id, "selfheal reverted it")
	if err != nil {
		return "", fmt.Errorf("node %s: confirming the revert of fault %s: %w; the agent's dead-man reverts it within %s of the lease's deletion, "+
			"its deadline timer %s after it was armed; the next run repairs it", node, h.id, err, d.grace, d.max)
	}
	status, err := d.agent.Run(ctx, node, "status", h.id)
	if err != nil {
		return "", fmt.Errorf("node %s: reading fault %s back: %w", node, h.id, err)
	}
	rep := parseReport(status)
	if rep.State == "none" {
		d.mu.Lock()
		delete(d.held, node)
		d.mu.Unlock()
		return fmt.Sprintf("node %s: fault %s was never armed there: nothing to put back", node, h.id), nil
	}
	if rep.State != "reverted" {
		return "", fmt.Errorf("node %s: fault %s is %q after its revert: %s", node, h.id, rep.State, status)
	}
	if broke {
		for _, e := range rep.evidence(node, h.id, d.actions) {
			m.Proved(e)
		}
	}
	d.mu.Lock()
	delete(d.held, node)
	d.mu.Unlock()
	return fmt.Sprintf("node %s put back by the node agent: %s", node, strings.TrimSpace(out)), nil
}

func seconds(d time.Duration) string { return strconv.Itoa(int(d / time.Second)) }
