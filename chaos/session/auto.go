package session

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/selfheal/selfheal/chaos/compare"
	"github.com/selfheal/selfheal/chaos/history"
	"github.com/selfheal/selfheal/chaos/plan"
	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/chaos/stats"
	"github.com/selfheal/selfheal/chaos/variant"
)

// Looker takes the looks of a --repeat auto run after each round and
// plans the next (Session.Look).
type Looker interface {
	Look() (next plan.Plan, finished []plan.Cell)
}

// Rounds runs first cell by cell with run (Session.RunCell in a real
// run), then, with --repeat auto, each further round the looks ask for,
// until none does or ctx ends. finished is called for each cell once its
// repetitions are over: after its last one with a fixed count, after the
// look that closed it with --repeat auto.
func Rounds(ctx context.Context, l Looker, first plan.Plan, run func(context.Context, plan.Cell), finished func(plan.Cell)) {
	for batch := first; len(batch) > 0; {
		for i, c := range batch {
			if ctx.Err() != nil {
				return
			}
			run(ctx, c)
			if !c.Auto && c.Repeated() && batch.Last(i) && ctx.Err() == nil {
				finished(c)
			}
		}
		if ctx.Err() != nil {
			return
		}
		var done []plan.Cell
		batch, done = l.Look()
		for _, c := range done {
			finished(c)
		}
	}
}

// Look takes, after a round of a --repeat auto run, the look of every
// comparison still open (chaos/compare.Look under chaos/stats.Sequential):
// it records the look in the compared cell's newest result (and rewrites
// its file), says it on the console, closes the comparisons that are
// clear, at their maximum or cannot go on, and plans the next round. It
// returns that round (added to the plan the status line follows) and the
// cells whose repetitions are over, whose results then say how many
// there were. Without --repeat auto there is nothing to look at.
func (s *Session) Look() (plan.Plan, []plan.Cell) {
	a := s.cfg.Auto
	if a == nil {
		return nil, nil
	}
	for _, c := range a.Open() {
		seq, res := s.look(c)
		if seq == nil {
			continue
		}
		if res != nil {
			if err := s.stamp(res, seq); err != nil {
				s.cfg.Console.Logf("[%s] warning: %v", c.Cell.Name(), err)
			}
		}
		s.cfg.Console.Logf("[%s] --repeat auto, against %s: %s", c.Cell.Name(), seq.Reference, seq.Decision())
		if seq.Stop != "" {
			a.Stop(c.Cell)
		}
	}
	finished := a.Finished()
	for _, f := range finished {
		if err := s.settle(f); err != nil {
			s.cfg.Console.Logf("[%s] warning: %v", f.Cell.Name(), err)
		}
	}
	next := a.Next()
	s.cfg.Plan = append(s.cfg.Plan, next...)
	s.progress.Extend(next)
	if len(next) > 0 {
		s.cfg.Console.Logf("--repeat auto: %d more cell(s) for the comparisons not yet clear: %s", len(next), cellNames(next))
	}
	return next, finished
}

// look takes the look of comparison c at the repetitions planned so far,
// and returns its record and the result that ended the look (nil when no
// result of the cell is there to carry it). A record is nil when there is
// no look to take at this size.
func (s *Session) look(c plan.Comparison) (*result.Sequential, *result.Result) {
	own := s.cellResults(c.Cell, c.Planned)
	var last *result.Result
	if len(own) > 0 {
		last = own[len(own)-1]
	}
	seq, ref := s.comparison(c, own)
	if seq.Stop != "" {
		return seq, last
	}
	if l, ok := seq.Last(); ok && l.N >= c.Planned {
		return nil, nil // looked at this size already
	}
	if _, ok := seq.Design.Look(c.Planned); !ok {
		return nil, nil // before the first look
	}
	for _, side := range []struct {
		name string
		rs   []*result.Result
	}{{c.Cell.Name(), own}, {seq.Reference, ref}} {
		if !anyRan(side.rs) {
			seq.Stop, seq.Why = result.StopNotRun, fmt.Sprintf("no repetition of %s ran to its end", side.name)
			return seq, last
		}
	}
	l, clear, err := compare.Look(seq.Design, seq.Metrics, ref, own, c.Planned)
	if err != nil {
		seq.Stop, seq.Why = result.StopNotRun, "the look could not be taken: "+err.Error()
		return seq, last
	}
	seq.Looks = append(seq.Looks, l)
	switch {
	case clear:
		seq.Stop = result.StopClear
	case c.Planned >= seq.Design.Max:
		seq.Stop = result.StopMax
	}
	return seq, last
}

// comparison is c's record so far (made at its first look: what it is
// compared with and the design) and the results of the side it is
// compared with at this look.
func (s *Session) comparison(c plan.Comparison, own []*result.Result) (*result.Sequential, []*result.Result) {
	name := c.Cell.Name()
	seq, ok := s.sequential[name]
	if !ok {
		seq = &result.Sequential{
			Design:  stats.Sequential{Alpha: stats.DefaultAlpha, Max: s.cfg.Auto.Max(), Family: len(s.cfg.AutoMetrics), Start: s.cfg.Auto.Start()},
			Metrics: slices.Clone(s.cfg.AutoMetrics),
		}
		if s.sequential == nil {
			s.sequential = map[string]*result.Sequential{}
		}
		s.sequential[name] = seq
		s.seqOrder = append(s.seqOrder, name)
		if c.Reference != nil {
			seq.Against, seq.Reference = result.AgainstBaseline, c.Reference.Variant.Name
		} else {
			seq.Against = result.AgainstHistory
			s.reference(name, seq, own)
		}
	}
	if c.Reference != nil {
		return seq, s.cellResults(*c.Reference, c.Planned)
	}
	return seq, s.earlier[name]
}

// reference fixes the earlier results a cell compared with history is
// held against, at its first look: those history budgets would use, the
// newest stats.ExactTiesLimit (so that every p is exact). Too few for any
// look to call anything stops the comparison there.
func (s *Session) reference(name string, seq *result.Sequential, own []*result.Result) {
	seq.Reference = "earlier runs"
	switch {
	case s.cfg.History.Off:
		seq.Stop, seq.Why = result.StopNoReference, "no baseline in this run and history is off (--history off): nothing to compare with"
		return
	case len(own) == 0:
		seq.Stop, seq.Why = result.StopNotRun, "no repetition ran"
		return
	}
	earlier, runs := history.Earlier(own[0], s.history, stats.ExactTiesLimit)
	if s.earlier == nil {
		s.earlier = map[string][]*result.Result{}
	}
	s.earlier[name] = earlier
	seq.Design.Reference = len(earlier)
	seq.Reference = fmt.Sprintf("%s of this kind in %s", plural(len(earlier), "earlier result", "earlier results"), s.cfg.ReportDir)
	if len(runs) > 0 {
		seq.Reference += fmt.Sprintf(" (runs %s)", strings.Join(runs, ", "))
	}
	if _, canCall := seq.Design.FirstCall(); len(earlier) < 2 || !canCall {
		seq.Stop = result.StopNoReference
		seq.Why = fmt.Sprintf("no baseline in this run and %s of this kind in %s, too few for any look up to %d repetitions to call a difference: nothing to compare with yet",
			plural(len(earlier), "earlier result", "earlier results"), s.cfg.ReportDir, seq.Design.Max)
	}
}

// cellResults are this run's results of cell c up to repetition n, in
// repetition order.
func (s *Session) cellResults(c variant.Cell, n int) []*result.Result {
	var out []*result.Result
	for _, r := range s.results {
		if r.Scenario == c.Entry.Name && r.VariantName() == c.Variant.Name && r.Repetition <= n {
			out = append(out, r)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Repetition < out[j].Repetition })
	return out
}

func anyRan(rs []*result.Result) bool {
	for _, r := range rs {
		if r.Outcome() != result.VerdictError {
			return true
		}
	}
	return false
}

// stamp records seq, as it stands, in res and rewrites its file.
func (s *Session) stamp(res *result.Result, seq *result.Sequential) error {
	c := *seq
	c.Looks = slices.Clone(seq.Looks)
	res.Sequential = &c
	return s.rewrite(res)
}

// settle writes into each result of a finished cell how many
// repetitions it took, now that it is known.
func (s *Session) settle(f plan.Cell) error {
	for _, r := range s.cellResults(f.Cell, f.Repetitions) {
		r.Repetitions = f.Repetitions
		if err := s.rewrite(r); err != nil {
			return err
		}
	}
	s.cfg.Console.Logf("[%s] %d repetitions, no more to come", f.Cell.Name(), f.Repetitions)
	return nil
}

// rewrite writes res again where record wrote it.
func (s *Session) rewrite(res *result.Result) error {
	path, ok := s.paths[res]
	if !ok {
		return fmt.Errorf("no file recorded for %s #%d", res.Label(), res.Repetition)
	}
	if err := result.WriteFile(path, res); err != nil {
		return fmt.Errorf("writing %s again: %w", path, err)
	}
	return nil
}

// Decisions says how many repetitions each --repeat auto comparison of
// this run took and why it stopped, one line each, in the order they
// were first looked at; empty without --repeat auto.
func (s *Session) Decisions() []string {
	var out []string
	for _, name := range s.seqOrder {
		seq := s.sequential[name]
		out = append(out, fmt.Sprintf("%s against %s: %s", name, seq.Reference, seq.Decision()))
	}
	return out
}

func cellNames(p plan.Plan) string {
	var out []string
	for _, c := range p {
		out = append(out, c.Name())
	}
	return strings.Join(out, ", ")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
