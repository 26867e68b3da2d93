package plan

import (
	"fmt"

	"github.com/selfheal/selfheal/chaos/variant"
)

// Auto plans a --repeat auto run round by round: first Start repetitions
// of every cell (the first look at which the sequential rule can call
// anything, chaos/stats.FirstLook); then, after each round's looks, one
// more repetition of every cell whose comparison is still open, and of
// the baseline cell it is compared with when that is behind, up to Max.
//
// A cell is compared with the baseline cell of its scenario when the
// matrix has one (a variant against baseline), otherwise with the earlier
// runs of its kind (history). A baseline cell that variants are compared
// with has no comparison of its own: it runs as long as one of them needs
// it. Which comparisons are clear is not decided here: the session takes
// each look (chaos/session) and calls Stop.
type Auto struct {
	cells      []variant.Cell
	start, max int
	planned    []int
	// ref is the index of the cell's reference cell, history for the
	// earlier runs, or reference when the cell is one.
	ref      []int
	open     []bool
	finished []bool
}

// Reference markers in Auto.ref.
const (
	history   = -1
	reference = -2
)

// Comparison is one open comparison of an Auto plan: a cell and what it
// is compared with.
type Comparison struct {
	Cell variant.Cell
	// Reference is the baseline cell it is compared with; nil when it is
	// compared with the earlier runs of its kind.
	Reference *variant.Cell
	// Planned is the repetitions planned so far of the cell (and, at
	// least, of its reference).
	Planned int
}

// NewAuto plans the cells of m with a first batch of start repetitions
// each and at most max.
func NewAuto(m variant.Matrix, start, max int) (*Auto, error) {
	if err := CheckRepeat(max); err != nil {
		return nil, fmt.Errorf("the most repetitions: %w", err)
	}
	if start < 2 || start > max {
		return nil, fmt.Errorf("the first batch must be 2 to %d repetitions (got %d)", max, start)
	}
	a := &Auto{cells: m.Cells, start: start, max: max, planned: make([]int, len(m.Cells)),
		ref: make([]int, len(m.Cells)), open: make([]bool, len(m.Cells)), finished: make([]bool, len(m.Cells))}
	base := map[string]int{}
	for i, c := range m.Cells {
		if c.Variant.Name == variant.Baseline {
			base[c.Entry.Name] = i
		}
	}
	for i, c := range m.Cells {
		a.ref[i], a.open[i] = history, true
		if b, ok := base[c.Entry.Name]; ok && c.Variant.Name != variant.Baseline {
			a.ref[i] = b
		}
	}
	for i := range m.Cells {
		if r := a.ref[i]; r >= 0 {
			a.ref[r], a.open[r] = reference, false
		}
	}
	return a, nil
}

// Max is the most repetitions a cell can take.
func (a *Auto) Max() int { return a.max }

// Start is the first batch's repetitions.
func (a *Auto) Start() int { return a.start }

// First is the first batch: Start repetitions of every cell, a cell's
// repetitions back to back, in the matrix's order.
func (a *Auto) First() Plan {
	var p Plan
	for i := range a.cells {
		for range a.start {
			p = append(p, a.add(i))
		}
	}
	return p
}

// add plans one more repetition of cell i.
func (a *Auto) add(i int) Cell {
	a.planned[i]++
	return Cell{Cell: a.cells[i], Repetition: a.planned[i], Repetitions: a.max, Auto: true}
}

// Open are the comparisons still open, in the matrix's order.
func (a *Auto) Open() []Comparison {
	var out []Comparison
	for i, c := range a.cells {
		if !a.open[i] {
			continue
		}
		cmp := Comparison{Cell: c, Planned: a.planned[i]}
		if r := a.ref[i]; r >= 0 {
			ref := a.cells[r]
			cmp.Reference = &ref
		}
		out = append(out, cmp)
	}
	return out
}

// Stop closes the comparison of c: it takes no more repetitions for it.
func (a *Auto) Stop(c variant.Cell) {
	for i, x := range a.cells {
		if x.Name() == c.Name() {
			a.open[i] = false
		}
	}
}

// Next plans the next round: one more repetition of each open comparison
// below Max, and of its reference when that is behind, in the matrix's
// order (a variant's cells stay together). A comparison at Max is closed.
// Empty when every comparison is closed.
func (a *Auto) Next() Plan {
	want := make([]int, len(a.cells))
	for i := range a.cells {
		if !a.open[i] {
			continue
		}
		if a.planned[i] >= a.max {
			a.open[i] = false
			continue
		}
		want[i] = a.planned[i] + 1
		if r := a.ref[i]; r >= 0 {
			want[r] = max(want[r], want[i])
		}
	}
	var p Plan
	for i := range a.cells {
		for a.planned[i] < want[i] {
			p = append(p, a.add(i))
		}
	}
	return p
}

// Finished are the cells that will take no more repetitions and were not
// named before, with how many they took: a compared cell once its
// comparison is closed, a reference once every cell compared with it is.
func (a *Auto) Finished() []Cell {
	var out []Cell
	for i, c := range a.cells {
		if a.finished[i] || a.planned[i] == 0 || !a.done(i) {
			continue
		}
		a.finished[i] = true
		out = append(out, Cell{Cell: c, Repetition: a.planned[i], Repetitions: a.planned[i], Auto: true})
	}
	return out
}

func (a *Auto) done(i int) bool {
	if a.ref[i] != reference {
		return !a.open[i] || a.planned[i] >= a.max
	}
	for j := range a.cells {
		if a.ref[j] == i && !a.done(j) {
			return false
		}
	}
	return true
}
