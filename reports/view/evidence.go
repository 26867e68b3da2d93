package view

import (
	"time"

	"github.com/selfheal/selfheal/chaos/result"
)

// EvidenceRow is one piece of evidence the fault read back from the
// system to show that it took effect (result.Evidence).
type EvidenceRow struct {
	At, Offset, Fault, Check, Observed string
	// Result is "held" or "did not hold"; State colours it.
	Result string
	State  State
}

// Evidence words.
const (
	evidenceHeld    = "held"
	evidenceNotHeld = "did not hold"
	// noEvidence is said of a result with injections and no evidence
	// (one from before selfheal recorded any): nothing shows its fault bit.
	noEvidence = "The fault recorded no evidence, read from the system, that it took effect."
)

// Evidence lists r's evidence in time order, offsets from ref.
func Evidence(r *result.Result, ref time.Time, loc *time.Location) []EvidenceRow {
	var rows []EvidenceRow
	for _, e := range r.Evidence {
		row := EvidenceRow{At: clockMS(e.At, loc), Offset: offset(e.At, ref), Fault: e.Fault, Check: e.Check, Observed: e.Observed,
			Result: evidenceHeld, State: StateGood}
		if !e.Held {
			row.Result, row.State = evidenceNotHeld, StateBad
		}
		rows = append(rows, row)
	}
	return rows
}

// EvidenceNote says so when a result with injections has no evidence.
func EvidenceNote(r *result.Result) string {
	if len(r.Injections) > 0 && len(r.Evidence) == 0 {
		return noEvidence
	}
	return ""
}

// EvidenceLine is a piece of evidence in one line, for plain text: "held:
// CHECK: OBSERVED".
func EvidenceLine(e result.Evidence) string {
	word := evidenceHeld
	if !e.Held {
		word = "DID NOT HOLD"
	}
	return word + ": " + e.Check + ": " + e.Observed
}

// errorLead introduces a scenario's error: a fault that did not take
// effect is no failure to run.
func errorLead(r *result.Result) string {
	if r.FaultDidNotTakeEffect() {
		return "No verdict: the scenario ran, but its fault did not take effect, so nothing it measured shows how the app heals:"
	}
	return "The scenario could not run to its end:"
}
