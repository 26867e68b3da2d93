package nodeagent

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/selfheal/selfheal/chaos/result"
)

// Report is a fault as the agent on its node tells it (`selfheal-agent
// status ID`, written by fixtures/images/agent/node.sh): its state, why it
// was reverted, and what its log read back from the node.
type Report struct {
	// State is armed (its break not run yet), broken or reverted; none
	// when the node has no such fault.
	State string
	// Reason is when and why it was reverted: selfheal's revert, the
	// dead-man, the deadline timer, the agent stopped.
	Reason string
	// Stopped are the units the break stopped; IsActive their state read
	// right after (systemctl is-active), IsActiveAfter after the revert
	// started them.
	Stopped                 []string
	IsActive, IsActiveAfter map[string]string
	// Rules is how many rules the isolation added; Dropped the packets its
	// DROP rules matched per chain, read just before they were removed.
	Rules   int
	Dropped map[string]int64
	// Log is the whole log, one line a step.
	Log []string
}

// parseReport reads the status output.
func parseReport(out string) Report {
	r := Report{Rules: -1, IsActive: map[string]string{}, IsActiveAfter: map[string]string{}, Dropped: map[string]int64{}}
	inLog := false
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case inLog:
			r.Log = append(r.Log, line)
			r.readLogLine(line)
		case strings.HasPrefix(line, "state "):
			r.State = strings.TrimPrefix(line, "state ")
		case strings.HasPrefix(line, "reason "):
			r.Reason = strings.TrimPrefix(line, "reason ")
		case line == "log":
			inLog = true
		}
	}
	return r
}

// readLogLine reads one "TIME @key value..." line of the log.
func (r *Report) readLogLine(line string) {
	_, rest, ok := strings.Cut(line, " @")
	if !ok {
		return
	}
	key, value, _ := strings.Cut(rest, " ")
	f := strings.Fields(value)
	switch key {
	case "stopped":
		r.Stopped = f
	case "is-active":
		readStates(r.IsActive, f)
	case "is-active-after":
		readStates(r.IsActiveAfter, f)
	case "rules":
		if len(f) == 1 {
			r.Rules, _ = strconv.Atoi(f[0])
		}
	case "dropped":
		if len(f) == 2 {
			n, _ := strconv.ParseInt(f[1], 10, 64)
			r.Dropped[f[0]] = n
		}
	}
}

func readStates(into map[string]string, words []string) {
	for _, w := range words {
		if unit, state, ok := strings.Cut(w, "="); ok {
			into[unit] = state
		}
	}
}

// evidence is what the report proves about a fault's actions on node.
func (r Report) evidence(node, id string, actions []string) []result.Evidence {
	var out []result.Evidence
	if slices.Contains(actions, ActionKubelet) {
		out = append(out, r.kubeletEvidence(node))
	}
	if slices.Contains(actions, ActionNetwork) {
		out = append(out, r.networkEvidence(node, id))
	}
	return out
}

func (r Report) kubeletEvidence(node string) result.Evidence {
	e := result.Evidence{Check: fmt.Sprintf("systemctl is-active on node %s right after the break (the node agent's log)", node)}
	if len(r.IsActive) == 0 {
		e.Observed = "the log has no is-active line: the break did not get as far as stopping the units"
		return e
	}
	var words []string
	inactive := 0
	for _, u := range sortedKeys(r.IsActive) {
		words = append(words, u+" "+r.IsActive[u])
		if r.IsActive[u] != "active" {
			inactive++
		}
	}
	e.Observed = strings.Join(words, ", ")
	e.Held = len(r.Stopped) > 0 && inactive == len(r.IsActive)
	if len(r.Stopped) == 0 {
		e.Observed += " (none was active to stop)"
	}
	return e
}

func (r Report) networkEvidence(node, id string) result.Evidence {
	e := result.Evidence{Check: fmt.Sprintf("iptables -L -v on node %s: the rules tagged %s%s, read before their removal (the node agent's log)", node, tagPrefix, id)}
	if r.Rules <= 0 {
		e.Observed = "no rule was added"
		return e
	}
	var total int64
	var per []string
	for _, c := range sortedKeys(r.Dropped) {
		total += r.Dropped[c]
		per = append(per, fmt.Sprintf("%s %d", c, r.Dropped[c]))
	}
	e.Observed = fmt.Sprintf("%d rules; their DROP rules matched %d packets (%s)", r.Rules, total, strings.Join(per, ", "))
	if total == 0 {
		e.Observed += ": nothing was cut off"
	}
	e.Held = total > 0
	return e
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
