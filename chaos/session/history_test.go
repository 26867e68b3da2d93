package session

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/selfheal/selfheal/chaos/history"
	"github.com/selfheal/selfheal/chaos/result"
)

type logConsole struct{ lines []string }

func (c *logConsole) Logf(f string, a ...any) { c.lines = append(c.lines, fmt.Sprintf(f, a...)) }
func (c *logConsole) Progress(string)         {}
func (c *logConsole) Done()                   {}

func nightly(day int, recoveryS float64) *result.Result {
	at := time.Date(2026, 11, day, 2, 0, 0, 0, time.UTC)
	ms := recoveryS * 1000
	return &result.Result{
		Schema: result.Schema, Scenario: "node-halt", Started: at, Ended: at.Add(3 * time.Minute),
		Run:  &result.RunInfo{ID: fmt.Sprintf("night-%02d", day), ImageMode: "offline", Fixture: "f"},
		Load: result.Load{Rate: 10, Timeout: "2s"}, Requests: result.Requests{Total: 600, OK: 600},
		Injections: []result.Injection{{At: at.Add(15 * time.Second), Fault: "node-halt"}},
		Recovered:  true, RecoveryMS: &ms,
		Timeline: []result.Bucket{{Start: at, OK2xx: 10}},
		Budgets:  []result.BudgetCheck{{Metric: result.KeyRecovery, Limit: 90000, Value: ms, Pass: true}},
		Verdict:  result.VerdictPass,
	}
}

// The session reads the report directory's earlier results and makes a
// result that exceeds their P95 fail before it is written.
func TestSessionJudgesAgainstTheReportDirectory(t *testing.T) {
	dir := t.TempDir()
	for d := 1; d <= 20; d++ {
		if err := result.WriteFile(filepath.Join(dir, fmt.Sprintf("night-%02d", d), "node-halt.json"), nightly(d, 50+float64(d)/2)); err != nil {
			t.Fatal(err)
		}
	}
	con := &logConsole{}
	s := &Session{cfg: withDefaults(Config{ReportDir: dir, Console: con})}
	s.loadHistory(context.Background())
	if len(s.history) != 20 || s.history[0].Timeline != nil {
		t.Fatalf("history: %d results (timeline kept: %v)", len(s.history), len(s.history) > 0 && s.history[0].Timeline != nil)
	}

	res := nightly(21, 71.2)
	s.judgeHistory(res)
	if res.Verdict != result.VerdictFail || !res.FailedHistory() {
		t.Fatalf("verdict %q, budgets %+v", res.Verdict, res.Budgets)
	}
	// Recoveries 50.5 .. 60 s: the P95 bound is the ⌈0.95·21⌉ = 20th, 60 s.
	want := "recovery 1m11.2s > P95 1m0s (the 20th of the last 20 runs of the same kind)"
	var missed []string
	for _, c := range res.HistoryChecks() {
		if !c.Pass {
			missed = append(missed, c.Message)
		}
	}
	if len(missed) != 1 || missed[0] != want {
		t.Errorf("history budgets missed: %q, want one saying %q", missed, want)
	}
	if !strings.Contains(strings.Join(con.lines, "\n"), "history budget missed: "+want) {
		t.Errorf("console did not say it:\n%s", strings.Join(con.lines, "\n"))
	}

	ok := nightly(21, 52)
	s.judgeHistory(ok)
	if ok.Verdict != result.VerdictPass || ok.History == nil || len(ok.History.Runs) != 20 {
		t.Errorf("a run within its history: verdict %q, note %+v", ok.Verdict, ok.History)
	}
}

func TestSessionWithoutHistory(t *testing.T) {
	con := &logConsole{}
	s := &Session{cfg: withDefaults(Config{ReportDir: filepath.Join(t.TempDir(), "none"), Console: con})}
	s.loadHistory(context.Background())
	res := nightly(21, 71.2)
	s.judgeHistory(res)
	if res.Verdict != result.VerdictPass || res.History == nil || res.History.Fallback == "" {
		t.Errorf("no history: verdict %q, note %+v", res.Verdict, res.History)
	}

	off := &Session{cfg: withDefaults(Config{ReportDir: t.TempDir(), History: history.Settings{Off: true}})}
	res = nightly(15, 71.2)
	off.judgeHistory(res)
	if res.History != nil {
		t.Error("history judged while off")
	}
}
