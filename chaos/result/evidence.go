package result

import (
	"fmt"
	"strings"
	"time"
)

// Evidence is what a fault read back from the system to show that it took
// effect: its iptables rule listed with the packets it matched, the
// process in state T, the node seen NotReady, the new ReplicaSet running
// the new image. A fault is only as good as the proof that it bit: a
// scenario whose fault proved nothing is an error, never a pass
// (Result.Unproven).
type Evidence struct {
	At    time.Time `json:"at"`
	Fault string    `json:"fault"`
	// Check says what was read, and how: "iptables -L INPUT -v in the
	// network namespace of pod selfheal/wordpress-x".
	Check string `json:"check"`
	// Observed says what it showed: "rule present, 412 packets matched".
	Observed string `json:"observed"`
	// Held is false for a check that showed the fault had not taken
	// effect (the rule matched no packet, the process was still running).
	Held bool `json:"held"`
}

// String is the evidence in one line.
func (e Evidence) String() string {
	state := "held"
	if !e.Held {
		state = "did not hold"
	}
	return fmt.Sprintf("%s: %s (%s)", e.Check, e.Observed, state)
}

// Unproven says why r's fault cannot count as having taken effect, "" when
// it can: a result with injections needs at least one piece of evidence
// that held and none that did not. A result without injections (a probe,
// a scenario stopped before its fault) has nothing to prove.
func (r *Result) Unproven() string {
	if len(r.Injections) == 0 {
		return ""
	}
	var failed []string
	held := 0
	for _, e := range r.Evidence {
		if e.Held {
			held++
			continue
		}
		failed = append(failed, e.Check+": "+e.Observed)
	}
	switch {
	case len(failed) > 0:
		return "the fault did not take effect: " + strings.Join(failed, "; ")
	case held == 0:
		return "the fault did not take effect: it recorded no evidence, read from the system, that it bit"
	}
	return ""
}

// FaultDidNotTakeEffect says whether r is an error because its fault did
// not take effect (Unproven): it ran, but measured a fault that was not
// there, rather than could not run.
func (r *Result) FaultDidNotTakeEffect() bool {
	why := r.Unproven()
	return r.Outcome() == VerdictError && why != "" && strings.Contains(r.Error, why)
}

// OutcomeWords says r's outcome as a reader would (Verdict.Words), with
// "no verdict: the fault did not take effect" for an error that is one.
func (r *Result) OutcomeWords() string {
	if r.FaultDidNotTakeEffect() {
		return "no verdict: the fault did not take effect"
	}
	return r.Outcome().Words()
}
