package session

import (
	"context"
	"strings"

	"github.com/selfheal/selfheal/chaos/history"
	"github.com/selfheal/selfheal/chaos/result"
)

// loadHistory reads every earlier result in the report directory, the
// history each new result is judged against (chaos/history). Without
// readable history the static budgets judge alone; a run is never stopped
// for it.
func (s *Session) loadHistory(ctx context.Context) {
	if s.cfg.History.Off {
		return
	}
	h, err := history.Load(ctx, s.cfg.ReportDir)
	switch {
	case err != nil:
		s.cfg.Console.Logf("warning: history: %v; the static budgets judge alone", err)
		return
	case len(h) == 0:
		s.cfg.Console.Logf("history: no earlier results in %s yet; the static budgets judge alone", s.cfg.ReportDir)
		return
	}
	s.history = h
	s.cfg.Console.Logf("history: %d earlier results in %s (%s)", len(s.history), s.cfg.ReportDir, s.cfg.History)
}

// judgeHistory adds res's history budgets before its verdict is final.
func (s *Session) judgeHistory(res *result.Result) {
	if s.cfg.History.Off {
		return
	}
	o := history.Judge(res, s.history, s.cfg.History)
	history.Apply(res, o)
	if o.Note.Fallback != "" {
		s.cfg.Console.Logf("[%s] history: %s", res.Scenario, o.Note.Fallback)
	}
	var missed []string
	for _, c := range o.Checks {
		if !c.Pass {
			missed = append(missed, c.Message)
		}
	}
	if len(missed) > 0 {
		s.cfg.Console.Logf("[%s] history budget missed: %s", res.Scenario, strings.Join(missed, "; "))
	}
}
