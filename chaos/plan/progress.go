package plan

import (
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/selfheal/selfheal/chaos/stats"
)

// Progress follows a plan as it runs and estimates how long the rest will
// take from the cells that finished.
//
// A cell not yet finished is expected to take the median time of the
// finished cells of its scenario and variant, or, when none of them has
// finished, the median of all finished cells; the running cell counts for
// what its estimate has left (never below zero). The median, not the mean,
// so that one cell that failed in seconds does not halve the estimate.
// Before any cell has finished there is nothing to estimate from.
type Progress struct {
	mu      sync.Mutex
	plan    Plan
	started []time.Time
	took    []time.Duration
	done    []bool
	current int
}

// NewProgress follows p.
func NewProgress(p Plan) *Progress {
	return &Progress{plan: p, started: make([]time.Time, len(p)), took: make([]time.Duration, len(p)), done: make([]bool, len(p)), current: -1}
}

// Extend adds the cells of a further round (--repeat auto) to the plan
// followed.
func (p *Progress) Extend(more Plan) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.plan = append(p.plan, more...)
	p.started = append(p.started, make([]time.Time, len(more))...)
	p.took = append(p.took, make([]time.Duration, len(more))...)
	p.done = append(p.done, make([]bool, len(more))...)
}

// Start marks cell i as running from at.
func (p *Progress) Start(i int, at time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if i < 0 || i >= len(p.plan) {
		return
	}
	p.started[i], p.current = at, i
}

// Finish marks cell i as ended at at.
func (p *Progress) Finish(i int, at time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if i < 0 || i >= len(p.plan) || p.started[i].IsZero() {
		return
	}
	p.took[i], p.done[i] = at.Sub(p.started[i]), true
	if p.current == i {
		p.current = -1
	}
}

// Left estimates the time until the last cell ends; false when no cell
// has finished yet.
func (p *Progress) Left(now time.Time) (time.Duration, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.left(now)
}

func (p *Progress) left(now time.Time) (time.Duration, bool) {
	var all []time.Duration
	byScenario := map[string][]time.Duration{}
	for i, c := range p.plan {
		if p.done[i] {
			all = append(all, p.took[i])
			byScenario[c.Cell.Name()] = append(byScenario[c.Cell.Name()], p.took[i])
		}
	}
	if len(all) == 0 {
		return 0, false
	}
	var left time.Duration
	for i, c := range p.plan {
		if p.done[i] {
			continue
		}
		est := median(all)
		if same := byScenario[c.Cell.Name()]; len(same) > 0 {
			est = median(same)
		}
		if i == p.current {
			est = max(est-now.Sub(p.started[i]), 0)
		}
		left += est
	}
	return left, true
}

// Line says where the plan is: "node-halt 2/3 · cell 5 of 15 · about
// 12 min left"; with --repeat auto, "node-halt 6/≤10 · cell 12 of 14 so
// far · ...": later rounds may add cells, and the time left is that of
// the cells planned so far.
func (p *Progress) Line(now time.Time) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	done := 0
	for _, d := range p.done {
		if d {
			done++
		}
	}
	var s string
	if p.current >= 0 {
		c := p.plan[p.current]
		s = c.Cell.Name()
		switch {
		case c.Auto:
			s += fmt.Sprintf(" %d/≤%d", c.Repetition, c.Repetitions)
		case c.Repeated():
			s += fmt.Sprintf(" %d/%d", c.Repetition, c.Repetitions)
		}
		s += fmt.Sprintf(" · cell %d of %d", p.current+1, len(p.plan))
		if c.Auto {
			s += " so far"
		}
	} else {
		s = fmt.Sprintf("%d of %d cells done", done, len(p.plan))
	}
	if left, ok := p.left(now); ok {
		s += " · about " + Approx(left) + " left"
	} else if done < len(p.plan) {
		s += " · time left known after the first cell"
	}
	return s
}

// Approx writes an estimate as a person says it: "40 s", "12 min",
// "1 h 05 min".
func Approx(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(math.Round(d.Seconds())))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(math.Round(d.Minutes())))
	}
	m := int(math.Round(d.Minutes()))
	return fmt.Sprintf("%d h %02d min", m/60, m%60)
}

// median is stats.Median of durations.
func median(ds []time.Duration) time.Duration {
	xs := make([]float64, len(ds))
	for i, d := range ds {
		xs[i] = float64(d)
	}
	return time.Duration(stats.Median(xs))
}
