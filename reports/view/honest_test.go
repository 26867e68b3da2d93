package view

import (
	"strings"
	"testing"
	"time"

	"github.com/selfheal/selfheal/chaos/measure"
	"github.com/selfheal/selfheal/chaos/result"
)

var honestEpoch = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func honestAt(sec float64) time.Time {
	return honestEpoch.Add(time.Duration(sec * float64(time.Second)))
}

// honestRun is the real analysis of a request every 100 ms, 503 from
// failFrom to failUntil, injected at inj, reverted at rev (none when 0),
// with a deadline of 1.5 s.
func honestRun(t *testing.T, n int, failFrom, failUntil, inj, rev float64) *result.Result {
	t.Helper()
	var s []measure.Sample
	for i := range n {
		sent := time.Duration(i) * 100 * time.Millisecond
		code := uint16(200)
		if sec := sent.Seconds(); sec >= failFrom && sec < failUntil {
			code = 503
		}
		s = append(s, measure.Sample{Sent: sent, LatencyUS: 10000, Code: code})
	}
	in := measure.Input{Scenario: "mysql-node-halt", Epoch: honestEpoch, End: honestAt(float64(n) / 10), Samples: s,
		Injections: []measure.Mark{{At: honestAt(inj), Fault: "node-kill", Detail: "node halted"}},
		Load:       result.Load{Rate: 10},
		Params:     measure.Params{ConfirmationWindow: time.Second, Deadline: 1500 * time.Millisecond}}
	if rev > 0 {
		in.Reverts = []measure.Mark{{At: honestAt(rev), Fault: "node-kill", Detail: "node started"}}
	}
	r, err := measure.Analyze(in)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestViewSaysWhatIsTrue(t *testing.T) {
	tests := []struct {
		name     string
		r        func(t *testing.T) *result.Result
		story    []string
		figure   string // the Recovery figure, value and detail
		revert   string // the last revert row's figures
		notStory []string
	}{
		{"injection after the last request", func(t *testing.T) *result.Result { return honestRun(t, 20, 99, 99, 2.5, 0) },
			[]string{"Recovery was not observed: no request was sent after the injection."},
			"not observed: no request was sent after the injection", "", []string{"recovered"}},
		{"back after the revert", func(t *testing.T) *result.Result { return honestRun(t, 80, 1, 5, 1, 3) },
			[]string{"Service had not recovered within the deadline, 1.5 s after the injection.", "It came back at 12:00:05.0, 2.0 s after the revert"},
			"not recovered: within the deadline, 1.5 s after the injection; back 2.0 s after the revert", "back 2.0 s after the revert", []string{"when the run ended"}},
		{"never back", func(t *testing.T) *result.Result { return honestRun(t, 80, 1, 99, 1, 3) },
			[]string{"It had not come back when the run ended, 5.0 s after the revert."},
			"not recovered: within the deadline, 1.5 s after the injection; not back after the revert when the run ended", "not back after the revert when the run ended", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := Build([]*result.Result{tt.r(t)}, WithGenerated(generated))
			if err != nil {
				t.Fatal(err)
			}
			s := rep.Runs[0].Scenarios[0]
			story := strings.Join(s.Story, " ")
			for _, w := range tt.story {
				if !strings.Contains(story, w) {
					t.Errorf("story lacks %q:\n%s", w, strings.Join(s.Story, "\n"))
				}
			}
			for _, w := range tt.notStory {
				if strings.Contains(story, w) {
					t.Errorf("story says %q:\n%s", w, strings.Join(s.Story, "\n"))
				}
			}
			var fig string
			for _, f := range s.Figures {
				if f.Key == "recovery_ms" {
					fig = f.Value + ": " + f.Detail
				}
			}
			if fig != tt.figure {
				t.Errorf("recovery figure %q, want %q", fig, tt.figure)
			}
			var rev string
			for _, f := range s.Faults {
				if f.Action == "revert" {
					rev = f.Figures
				}
			}
			if rev != tt.revert {
				t.Errorf("revert row %q, want %q", rev, tt.revert)
			}
		})
	}
}

// A budget missed because nothing was observed says so, not "not
// recovered".
func TestBudgetTextNotObserved(t *testing.T) {
	for _, tt := range []struct {
		b    result.BudgetCheck
		want string
	}{
		{result.BudgetCheck{Metric: result.KeyRecovered, Limit: 1, Missing: true, NotObserved: true}, "must recover: not observed"},
		{result.BudgetCheck{Metric: result.KeyRecovered, Limit: 0, Missing: true, NotObserved: true}, "must not recover: not observed"},
		{result.BudgetCheck{Metric: result.KeyRecovery, Limit: 30000, Missing: true, NotObserved: true}, "recovery: not observed, its budget is 30.0 s"},
		{result.BudgetCheck{Metric: result.KeyRecoveryAfterRevert, Limit: 120000, Missing: true}, "recovery after the revert: not back after the revert, its budget is 2 min 00 s"},
		{result.BudgetCheck{Metric: result.KeyRecoveryAfterRevert, Limit: 120000, Value: 43000, Pass: true}, "recovery after the revert 43.0 s is within its budget of 2 min 00 s"},
	} {
		if got := BudgetText(tt.b); got != tt.want {
			t.Errorf("BudgetText(%+v) = %q, want %q", tt.b, got, tt.want)
		}
	}
}

// unproven is honestRun ended as the engine ends a scenario whose fault
// did not take effect: its rule was listed after the injection, and gone
// at the revert.
func unproven(t *testing.T) *result.Result {
	r := honestRun(t, 80, 99, 99, 1, 3)
	r.Evidence = []result.Evidence{
		{At: honestAt(1.1), Fault: "packet-loss", Check: "iptables -v -S in the network namespace of pod selfheal/wp-a on node w1, after the injection", Observed: "1 rule(s) with comment selfheal:packet-loss:x in place", Held: true},
		{At: honestAt(3), Fault: "packet-loss", Check: "iptables -v -S in the network namespace of pod selfheal/wp-a on node w1, at the revert", Observed: "no rule with comment selfheal:packet-loss:x left", Held: false},
	}
	r.Verdict, r.Error = result.VerdictError, "scenario mysql-node-halt: "+r.Unproven()
	return r
}

// A scenario whose fault did not take effect reads as such everywhere on
// the page: its verdict, its error box, the banner, and the evidence
// beside the injections, the piece that did not hold marked bad.
func TestViewSaysWhenTheFaultDidNotTakeEffect(t *testing.T) {
	rep, err := Build([]*result.Result{unproven(t)}, WithGenerated(generated))
	if err != nil {
		t.Fatal(err)
	}
	s := rep.Runs[0].Scenarios[0]
	if s.VerdictText != "no verdict: the fault did not take effect" || !strings.Contains(s.ErrorLead, "its fault did not take effect") {
		t.Errorf("verdict %q, error lead %q", s.VerdictText, s.ErrorLead)
	}
	if story := strings.Join(s.Story, " "); !strings.Contains(story, "No verdict: the fault did not take effect: ") || strings.Contains(story, "could not run") {
		t.Errorf("story:\n%s", strings.Join(s.Story, "\n"))
	}
	if len(rep.Problems) != 1 || !strings.HasPrefix(rep.Problems[0].Text, "the fault did not take effect: iptables -v -S") || strings.Contains(rep.Problems[0].Text, "could not run") {
		t.Errorf("banner %+v", rep.Problems)
	}
	if len(s.Evidence) != 2 || s.Evidence[0].State != StateGood || s.Evidence[1].State != StateBad || s.Evidence[1].Result != "did not hold" ||
		s.Evidence[1].Offset == "" || !strings.Contains(s.Evidence[1].Observed, "no rule") || s.EvidenceNote != "" {
		t.Errorf("evidence %+v note %q", s.Evidence, s.EvidenceNote)
	}
	// A result with injections and no evidence at all says so.
	bare, err := Build([]*result.Result{honestRun(t, 80, 1, 5, 1, 3)}, WithGenerated(generated))
	if err != nil {
		t.Fatal(err)
	}
	if sc := bare.Runs[0].Scenarios[0]; len(sc.Evidence) != 0 || !strings.Contains(sc.EvidenceNote, "no evidence") {
		t.Errorf("evidence %+v note %q", sc.Evidence, sc.EvidenceNote)
	}
}

// A write stream with nothing acknowledged has no figure of acknowledged
// writes missing, not a 0, and every renderer says what the verdict on
// writes rests on.
func TestWritesSayWhatTheVerdictRestsOn(t *testing.T) {
	n := func(x int) *int { return &x }
	r := &result.Result{Started: honestEpoch, Writes: &result.Writes{Rate: 1, Target: "http://x/", Sent: 15, Failed: 15,
		FailedBy: map[string]int{"404": 15}, Checked: true, Stored: n(0), AckedMissing: n(0), Duplicates: n(0), FailedStored: n(0)}}
	v := Writes(r, nil)
	if v.Basis != "no acknowledged write of 15 sent" || !strings.Contains(v.Text(), "the verdict rests on no acknowledged write of 15 sent") {
		t.Errorf("basis %q, text %q", v.Basis, v.Text())
	}
	for _, row := range v.Rows {
		if row.Label == "Acknowledged but missing" && (row.Value != "no figure" || !strings.Contains(row.Detail, "no write was acknowledged")) {
			t.Errorf("row %+v; want no figure, saying no write was acknowledged", row)
		}
	}
	r.Writes.Acknowledged, r.Writes.Failed = 14, 1
	if v := Writes(r, nil); v.Basis != "14 acknowledged writes of 15 sent" {
		t.Errorf("basis %q", v.Basis)
	}
}
