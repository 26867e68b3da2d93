// Package plan turns the cells a run asked for (scenario × fixture
// variant, chaos/variant) and how often to repeat them into the cells it
// runs: one cell is one run of one scenario against one variant, with its
// own warm-up, result file and verdict. The e2e suite makes a feature of
// each cell and `selfheal run` runs them in order, so a repetition is data
// that both front ends see, label and report, not a loop inside the
// runner.
package plan

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/selfheal/selfheal/chaos/variant"
)

// MaxRepeat bounds --repeat: a typo such as 300 for 3 would occupy the
// machine for a day.
const MaxRepeat = 100

// Cell is one run of one scenario against one variant.
type Cell struct {
	variant.Cell
	// Repetition counts from 1 up to Repetitions.
	Repetition, Repetitions int
	// Auto says the number of repetitions is decided as they run
	// (--repeat auto, Auto): Repetitions is then the most there can be.
	Auto bool
}

// Scenario is the cell's scenario name.
func (c Cell) Scenario() string { return c.Entry.Name }

// Repeated says whether the scenario runs more than once.
func (c Cell) Repeated() bool { return c.Repetitions > 1 }

// Name names the cell for people and test names: "node-halt",
// "node-halt@no-pdb", or with repetitions "node-halt#2".
func (c Cell) Name() string {
	if !c.Repeated() {
		return c.Cell.Name()
	}
	return fmt.Sprintf("%s#%d", c.Cell.Name(), c.Repetition)
}

// Labels are the variant cell's e2e-framework labels plus
// repetition=<i>, so `-labels repetition=1` runs the first repetition of
// each scenario.
func (c Cell) Labels() map[string]string {
	l := c.Cell.Labels()
	l["repetition"] = strconv.Itoa(c.Repetition)
	return l
}

// FileName is the cell's result file name: "node-halt.json", or
// "node-halt.r2.json" when repeated (the session puts it in the variant's
// directory when the run asked for variants).
func (c Cell) FileName() string {
	if !c.Repeated() {
		return c.Entry.Name + ".json"
	}
	return fmt.Sprintf("%s.r%d.json", c.Entry.Name, c.Repetition)
}

// Plan is the cells of a run, in the order they run.
type Plan []Cell

// New repeats each cell of m n times in a row (all repetitions of the
// first cell, then of the next...): back-to-back repetitions see the same
// cluster state, make a scenario's spread easy to read, and keep a
// variant's cells together so its fixture is deployed once.
func New(m variant.Matrix, n int) (Plan, error) {
	if err := CheckRepeat(n); err != nil {
		return nil, err
	}
	var p Plan
	for _, c := range m.Cells {
		for i := 1; i <= n; i++ {
			p = append(p, Cell{Cell: c, Repetition: i, Repetitions: n})
		}
	}
	return p, nil
}

// CheckRepeat validates a repetition count.
func CheckRepeat(n int) error {
	if n < 1 || n > MaxRepeat {
		return fmt.Errorf("repetitions must be between 1 and %d (got %d)", MaxRepeat, n)
	}
	return nil
}

// Repeat is how often each cell runs: N times, or, with Auto, until its
// comparison is clear or a maximum is reached (see Auto).
type Repeat struct {
	N    int
	Auto bool
}

// RepeatAuto is how a user asks for Repeat.Auto.
const RepeatAuto = "auto"

// String says r as a user writes it: "3" or "auto".
func (r Repeat) String() string {
	if r.Auto {
		return RepeatAuto
	}
	return strconv.Itoa(r.N)
}

// ParseRepeat reads a repetition count as a user writes it: "3", or
// "auto".
func ParseRepeat(s string) (Repeat, error) {
	if strings.TrimSpace(s) == RepeatAuto {
		return Repeat{Auto: true}, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return Repeat{}, fmt.Errorf("%q is not a whole number of repetitions (e.g. 3) nor %q", s, RepeatAuto)
	}
	return Repeat{N: n}, CheckRepeat(n)
}

// Index is the position of c in p, or -1.
func (p Plan) Index(c Cell) int {
	for i, x := range p {
		if x.Cell.Name() == c.Cell.Name() && x.Repetition == c.Repetition {
			return i
		}
	}
	return -1
}

// Last says whether cell i is the last repetition of its scenario and
// variant in the plan.
func (p Plan) Last(i int) bool {
	return i == len(p)-1 || p[i+1].Cell.Name() != p[i].Cell.Name()
}

// Filter is e2e-framework's feature selection (pkg/env, requireProcessing):
// -feature and -skip-features match the feature's name; every key of
// -labels must match one of its values; any -skip-labels match skips.
// The suite applies it to the plan before it starts, so that the time-left
// estimate counts only the cells that will run.
type Filter struct {
	Labels, SkipLabels   map[string][]string
	Feature, SkipFeature *regexp.Regexp
}

// Keep says whether the cell runs; name is its feature's name.
func (f Filter) Keep(name string, labels map[string]string) bool {
	if f.Feature != nil && !f.Feature.MatchString(name) {
		return false
	}
	if f.SkipFeature != nil && f.SkipFeature.MatchString(name) {
		return false
	}
	for key, vals := range f.Labels {
		if !contains(vals, labels[key]) {
			return false
		}
	}
	for key, vals := range f.SkipLabels {
		if _, ok := labels[key]; ok && contains(vals, labels[key]) {
			return false
		}
	}
	return true
}

func contains(vals []string, v string) bool {
	for _, x := range vals {
		if x == v {
			return true
		}
	}
	return false
}

// Select keeps the cells f keeps, naming each as name does.
func (p Plan) Select(f Filter, name func(Cell) string) Plan {
	var out Plan
	for _, c := range p {
		if f.Keep(name(c), c.Labels()) {
			out = append(out, c)
		}
	}
	return out
}
