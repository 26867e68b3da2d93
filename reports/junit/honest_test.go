package junit

import (
	"strings"
	"testing"
	"time"

	"github.com/selfheal/selfheal/chaos/measure"
	"github.com/selfheal/selfheal/chaos/result"
)

// A scenario that failed before its load started is a JUnit error naming
// its reason, with no figure claiming anything was measured.
func TestErrorBeforeTheLoad(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	r, err := measure.Analyze(measure.Input{Scenario: "node-halt", Epoch: now, End: now})
	if err != nil {
		t.Fatal(err)
	}
	r.Verdict, r.Error = result.VerdictError, "scenario node-halt: preparing: no second worker to spread WordPress to"
	doc := Build([]*result.Result{r})
	c := doc.Suites[0].Cases[0]
	if doc.Errors != 1 || c.Error == nil || !strings.Contains(c.Error.Message, "no second worker") {
		t.Fatalf("errors %d, case %+v; want an error naming the reason", doc.Errors, c)
	}
	if out := c.SystemOut.Text; !strings.Contains(out, "recovery: not observed") || !strings.Contains(out, "No request was sent") {
		t.Errorf("system-out:\n%s", out)
	}
}

// The recovery after the revert is a figure and, with its budget, a case.
func TestRecoveryAfterRevertCase(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	var s []measure.Sample
	for i := range 80 { // 503 from 1 s to 5 s
		sent := time.Duration(i) * 100 * time.Millisecond
		code := uint16(200)
		if sent >= time.Second && sent < 5*time.Second {
			code = 503
		}
		s = append(s, measure.Sample{Sent: sent, LatencyUS: 1000, Code: code})
	}
	r, err := measure.Analyze(measure.Input{Scenario: "mysql-node-halt", Epoch: at, Samples: s,
		Injections: []measure.Mark{{At: at.Add(time.Second)}}, Reverts: []measure.Mark{{At: at.Add(3 * time.Second)}},
		Params: measure.Params{ConfirmationWindow: time.Second, Deadline: 1500 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	r.Budgets = []result.BudgetCheck{{Metric: result.KeyRecoveryAfterRevert, Limit: 1000, Value: 2000, Message: "recovery_after_revert_ms 2s exceeds budget 1s"}}
	r.Verdict = result.VerdictFail
	doc := Build([]*result.Result{r})
	cases := doc.Suites[0].Cases
	if out := cases[0].SystemOut.Text; !strings.Contains(out, "recovery after the revert: 2.0 s") {
		t.Errorf("system-out lacks the recovery after the revert:\n%s", out)
	}
	if len(cases) != 2 || cases[1].Failure == nil || !strings.Contains(cases[1].Name, string(result.KeyRecoveryAfterRevert)) {
		t.Errorf("cases %+v; want a failing budget case for %s", cases, result.KeyRecoveryAfterRevert)
	}
}

// A scenario whose fault did not take effect is an error of that type,
// and its system-out lists each piece of evidence.
func TestFaultThatDidNotTakeEffect(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	r, err := measure.Analyze(measure.Input{Scenario: "packet-loss", Epoch: now, End: now.Add(time.Minute),
		Injections: []measure.Mark{{At: now.Add(time.Second), Fault: "packet-loss"}}})
	if err != nil {
		t.Fatal(err)
	}
	r.Evidence = []result.Evidence{
		{At: now.Add(time.Second), Check: "iptables -v -S after the injection", Observed: "1 rule(s) in place", Held: true},
		{At: now.Add(40 * time.Second), Check: "iptables -v -S at the revert", Observed: "the rule(s) matched 0 packet(s) in 31s (INPUT 0): they dropped nothing", Held: false},
	}
	r.Verdict, r.Error = result.VerdictError, "scenario packet-loss: "+r.Unproven()
	c := Build([]*result.Result{r}).Suites[0].Cases[0]
	if c.Error == nil || c.Error.Type != "fault did not take effect" || !strings.Contains(c.Error.Message, "the fault did not take effect: iptables -v -S at the revert: the rule(s) matched 0 packet(s)") {
		t.Fatalf("error %+v", c.Error)
	}
	out := c.SystemOut.Text
	for _, w := range []string{"evidence: held: iptables -v -S after the injection: 1 rule(s) in place", "evidence: DID NOT HOLD: iptables -v -S at the revert: the rule(s) matched 0 packet(s)"} {
		if !strings.Contains(out, w) {
			t.Errorf("system-out lacks %q:\n%s", w, out)
		}
	}
}
