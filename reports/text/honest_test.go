package text_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/selfheal/selfheal/chaos/measure"
	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/reports/text"
)

var epoch = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func at(sec float64) time.Time { return epoch.Add(time.Duration(sec * float64(time.Second))) }

// requests is a request every 100 ms from 0: ok until okUntil, 503 from
// then until failUntil, ok after, n in all.
func requests(n int, okUntil, failUntil float64) []measure.Sample {
	var s []measure.Sample
	for i := range n {
		sent := time.Duration(i) * 100 * time.Millisecond
		code := uint16(200)
		if sec := sent.Seconds(); sec >= okUntil && sec < failUntil {
			code = 503
		}
		s = append(s, measure.Sample{Sent: sent, LatencyUS: 10000, Code: code})
	}
	return s
}

func mark(sec float64) measure.Mark {
	return measure.Mark{At: at(sec), Fault: "node-kill", Detail: "node halted"}
}

// analyze runs the real analysis, as a scenario or a probe does.
func analyze(t *testing.T, in measure.Input) *result.Result {
	t.Helper()
	in.Epoch = epoch
	in.Load.Rate = 10
	if in.Params.ConfirmationWindow == 0 {
		in.Params.ConfirmationWindow = time.Second
	}
	r, err := measure.Analyze(in)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestSummarySaysWhatIsTrue(t *testing.T) {
	// mysql-node-halt: injected at 1 s, failing until 5 s, reverted at
	// 3 s, a deadline of 1.5 s: not recovered within it, back 2 s after
	// the revert.
	halt := measure.Input{Samples: requests(80, 1, 5), Injections: []measure.Mark{mark(1)}, Reverts: []measure.Mark{mark(3)},
		Params: measure.Params{Deadline: 1500 * time.Millisecond}}
	never := measure.Input{Samples: requests(80, 1, 99), Injections: []measure.Mark{mark(1)}, Reverts: []measure.Mark{mark(3)},
		Params: measure.Params{Deadline: 1500 * time.Millisecond}}
	tests := []struct {
		name    string
		in      measure.Input
		want    []string
		notWant []string
	}{
		{"no request at all", measure.Input{End: at(3), Injections: []measure.Mark{mark(1)}},
			[]string{"NOT OBSERVED: no request was sent\n"}, []string{"nothing failed", "nothing to recover"}},
		{"injection after the last request", measure.Input{Samples: requests(20, 99, 99), Injections: []measure.Mark{mark(2.5)}},
			[]string{"NOT OBSERVED: no request was sent after the injection"}, []string{"Impact", "0 ms after"}},
		{"not recovered within the deadline, back after the revert", halt,
			[]string{"NOT RECOVERED within the deadline, 1.50 s after the injection", "back 2.00 s after the revert, 4.00 s after the injection"},
			[]string{"watched"}},
		{"never back", never,
			[]string{"NOT RECOVERED within the deadline", "NOT BACK: no 1.00 s without a failure in the 4.90 s watched after the revert"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			text.Summary(&buf, analyze(t, tt.in))
			out := buf.String()
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("summary lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(out, w) {
					t.Errorf("summary says %q:\n%s", w, out)
				}
			}
		})
	}
}

// The summary lists the evidence beside the injection, and says a
// scenario whose fault did not take effect has no verdict, not that it
// could not run.
func TestSummarySaysWhenTheFaultDidNotTakeEffect(t *testing.T) {
	r := analyze(t, measure.Input{Samples: requests(80, 99, 99), Injections: []measure.Mark{mark(1)}, Reverts: []measure.Mark{mark(3)}})
	r.Evidence = []result.Evidence{
		{At: at(1.2), Check: "docker inspect of node container w2, after docker kill", Observed: "the container is exited", Held: true},
		{At: at(3), Check: "the Ready condition of node w2, read from the API", Observed: "not seen in the 1.8s the fault held; last read: Ready=True (KubeletReady)", Held: false},
	}
	r.Verdict, r.Error = result.VerdictError, "scenario node-halt: "+r.Unproven()
	var buf bytes.Buffer
	text.Summary(&buf, r)
	out := buf.String()
	for _, w := range []string{
		"+1.20s  held: docker inspect of node container w2, after docker kill: the container is exited",
		"+3.00s  DID NOT HOLD: the Ready condition of node w2, read from the API: not seen",
		"Verdict  NO VERDICT: THE FAULT DID NOT TAKE EFFECT",
		"Error    scenario node-halt: the fault did not take effect: the Ready condition of node w2",
	} {
		if !strings.Contains(out, w) {
			t.Errorf("summary lacks %q:\n%s", w, out)
		}
	}
	if strings.Contains(out, "COULD NOT RUN") {
		t.Errorf("summary says the scenario could not run:\n%s", out)
	}
}
