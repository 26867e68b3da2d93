// Package expect holds what the write-ups behind selfheal observed by hand
// (a one-replica StatefulSet drops requests on a roll, a tcpSocket
// liveness probe never restarts a broken pod, ...) as expectations checked
// against measured results, so a user sees each claim hold or break on
// their own cluster. An expectation that does not hold is a finding,
// reported with its evidence: the checks are written from the claim and
// the fixture's settings, never tuned to what a run gave.
//
// Expectations read only results (chaos/result): the variant of a result
// is its RunInfo.Variant (empty is baseline).
package expect

import (
	"fmt"
	"strings"
	"time"

	"github.com/selfheal/selfheal/chaos/result"
)

// Status is what a check of an expectation concluded.
type Status string

// The statuses of an expectation.
const (
	Held    Status = "held"
	NotHeld Status = "did not hold"
	// NotRun: no result of its scenario and variant could be judged.
	NotRun Status = "not run"
)

// Quantifier says over how many runs a claim must hold.
type Quantifier string

// The quantifiers.
const (
	// Every run must show it ("never", "does not").
	Every Quantifier = "every run"
	// Some run must show it ("can").
	Some Quantifier = "some run"
)

// Expectation is one claim, checked on each result of its scenario and
// variant.
type Expectation struct {
	ID string
	// Claim is the write-up's observation, with the measurable form the
	// check uses.
	Claim    string
	Scenario string
	Variant  string
	Over     Quantifier
	// Check says whether one run shows the claim, and the figures that
	// say so either way.
	Check func(r *result.Result) (bool, string)
}

// Finding is an expectation checked against results.
type Finding struct {
	ID       string     `json:"id"`
	Claim    string     `json:"claim"`
	Scenario string     `json:"scenario"`
	Variant  string     `json:"variant"`
	Over     Quantifier `json:"over"`
	Status   Status     `json:"status"`
	// Runs judged, and how many of them showed the claim.
	Runs  int `json:"runs"`
	Shown int `json:"shown"`
	// Evidence has a line per run (and one per run left out).
	Evidence []string `json:"evidence"`
}

// String is the finding in one line, then its evidence indented.
func (f Finding) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-12s %s@%s: %s", strings.ToUpper(string(f.Status)), f.Scenario, f.Variant, f.Claim)
	if f.Runs > 0 {
		fmt.Fprintf(&b, " [%d of %d runs, needed: %s]", f.Shown, f.Runs, f.Over)
	}
	for _, e := range f.Evidence {
		b.WriteString("\n             " + e)
	}
	return b.String()
}

// Evaluate checks every expectation against the results of its scenario
// and variant. A result whose run ended in error is left out (its figures
// cover only part of the fault) and said so; so is one that observed
// nothing of the fault (no request, or too few in the fault window:
// result.Result.Unobserved), which is no evidence for any claim.
func Evaluate(exps []Expectation, results []*result.Result) []Finding {
	var out []Finding
	for _, x := range exps {
		f := Finding{ID: x.ID, Claim: x.Claim, Scenario: x.Scenario, Variant: x.Variant, Over: x.Over, Status: NotRun}
		for _, r := range results {
			if r.Scenario != x.Scenario || r.VariantName() != x.Variant {
				continue
			}
			if r.Verdict == result.VerdictError {
				f.Evidence = append(f.Evidence, fmt.Sprintf("%s: left out, the run ended in error (%s)", runName(r), r.Error))
				continue
			}
			if why := r.Unobserved(); why != "" {
				f.Evidence = append(f.Evidence, fmt.Sprintf("%s: left out, %s", runName(r), why))
				continue
			}
			shown, why := x.Check(r)
			f.Runs++
			mark := "no: "
			if shown {
				f.Shown++
				mark = "yes: "
			}
			f.Evidence = append(f.Evidence, runName(r)+": "+mark+why)
		}
		if f.Runs > 0 {
			held := f.Shown > 0
			if x.Over == Every {
				held = f.Shown == f.Runs
			}
			f.Status = map[bool]Status{true: Held, false: NotHeld}[held]
		}
		out = append(out, f)
	}
	return out
}

func runName(r *result.Result) string {
	name := "run"
	if r.Run != nil && r.Run.ID != "" {
		name += " " + r.Run.ID
	}
	return name + " started " + r.Started.UTC().Format(time.TimeOnly)
}

// Cells are the scenario@variant pairs the expectations need, for a
// matrix that must check all of them.
func Cells(exps []Expectation) [][2]string {
	var out [][2]string
	seen := map[[2]string]bool{}
	for _, x := range exps {
		c := [2]string{x.Scenario, x.Variant}
		if !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	return out
}
