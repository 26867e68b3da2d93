package host

import (
	"strings"
	"testing"
	"time"

	"github.com/selfheal/selfheal/chaos/result"
)

// sampleAt is a sample with CPU steal and CPU pressure from outside.
func sampleAt(at time.Time, steal, cpu float64) Sample {
	var s Sample
	s.At = at
	s.set(sigSteal, steal)
	s.set(sigOutsidePressure, cpu)
	return s
}

func TestSummarizePhases(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	sec := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Second) }
	p := Phases{FaultFrom: sec(3), FaultTo: sec(6)}
	tests := []struct {
		name        string
		cpu         []float64 // per second 1..9: warm-up 1-3, fault 4-6, after 7-9
		want        result.HostVerdict
		wantFault   result.SignalStat
		wantReasons string
	}{
		{"quiet", []float64{1, 2, 3, 2, 4, 3, 1, 1, 1}, result.HostClean, result.SignalStat{Median: 3, Max: 4}, ""},
		{"starved fault window", []float64{1, 2, 3, 45, 40, 90, 1, 1, 1}, result.HostStarved, result.SignalStat{Median: 45, Max: 90},
			"CPU pressure from outside 45 % (median of the fault window; starved from 40 %)"},
		// One bad second is not a contended window: the median judges.
		{"one spike", []float64{1, 2, 3, 2, 95, 3, 1, 1, 1}, result.HostClean, result.SignalStat{Median: 3, Max: 95}, ""},
		// After the fault window no figure is measured: not judged.
		{"loaded after", []float64{1, 2, 3, 2, 4, 3, 80, 80, 80}, result.HostClean, result.SignalStat{Median: 3, Max: 4}, ""},
		{"contended warm-up", []float64{25, 30, 20, 2, 4, 3, 1, 1, 1}, result.HostContended, result.SignalStat{Median: 3, Max: 4},
			"CPU pressure from outside 25 % (median of the warm-up; contended from 20 %)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ss []Sample
			for i, v := range tt.cpu {
				ss = append(ss, sampleAt(sec(i+1), 0, v))
			}
			c := Summarize(ss, p, time.Second, 2, nil, DefaultThresholds())
			if c.Verdict != tt.want {
				t.Errorf("verdict %s, want %s (%v)", c.Verdict, tt.want, c.Reasons)
			}
			if len(c.Phases) != 3 {
				t.Fatalf("phases %+v, want warm-up, fault, after", c.Phases)
			}
			for _, ph := range c.Phases {
				if ph.Samples != 3 {
					t.Errorf("%s has %d samples, want 3", ph.Phase, ph.Samples)
				}
			}
			if got := c.Phase(result.PhaseFault).Signals[result.SignalOutsidePressure]; got != tt.wantFault {
				t.Errorf("fault window CPU pressure %+v, want %+v", got, tt.wantFault)
			}
			if got := strings.Join(c.Reasons, "; "); got != tt.wantReasons {
				t.Errorf("reasons %q, want %q", got, tt.wantReasons)
			}
			if len(c.Timeline) != len(ss) {
				t.Errorf("timeline has %d points, want %d", len(c.Timeline), len(ss))
			}
			if _, ok := c.Missing[result.SignalIOPressure]; !ok {
				t.Errorf("IO pressure, in no sample, is not named missing: %v", c.Missing)
			}
		})
	}
}

func TestPhasesOf(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	ptr := func(v float64) *float64 { return &v }
	tp := func(t time.Time) *time.Time { return &t }
	base := func() *result.Result {
		return &result.Result{Started: t0, Ended: at(100), Analysis: result.AnalysisParams{ConfirmationWindowMS: 10000}}
	}
	tests := []struct {
		name     string
		edit     func(r *result.Result)
		from, to time.Time
	}{
		{"nothing injected or failed", func(r *result.Result) {}, time.Time{}, time.Time{}},
		{"recovered", func(r *result.Result) {
			r.Injections = []result.Injection{{At: at(15)}}
			r.Recovered, r.RecoveredAt, r.RecoveryFrom = true, tp(at(30)), result.FromInjection
		}, at(15), at(40)},
		{"injections after recovery", func(r *result.Result) {
			r.Injections = []result.Injection{{At: at(15)}, {At: at(50)}}
			r.Recovered, r.RecoveredAt, r.RecoveryFrom = true, tp(at(15)), result.FromInjection
		}, at(15), at(60)},
		{"not recovered", func(r *result.Result) {
			r.Injections = []result.Injection{{At: at(15)}}
			r.RecoveryFrom = result.FromInjection
		}, at(15), at(100)},
		{"probe without a mark", func(r *result.Result) {
			r.Recovered, r.RecoveredAt, r.RecoveryMS, r.RecoveryFrom = true, tp(at(20)), ptr(5000), result.FromFirstFailure
		}, at(15), at(30)},
		{"confirmation past the end", func(r *result.Result) {
			r.Injections = []result.Injection{{At: at(80)}}
			r.Recovered, r.RecoveredAt, r.RecoveryFrom = true, tp(at(95)), result.FromInjection
		}, at(80), at(100)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := base()
			tt.edit(r)
			p := PhasesOf(r)
			if !p.FaultFrom.Equal(tt.from) || !p.FaultTo.Equal(tt.to) {
				t.Errorf("fault window %s – %s, want %s – %s", p.FaultFrom, p.FaultTo, tt.from, tt.to)
			}
		})
	}
}

// No sample is no evidence that the machine was quiet: the verdict is
// unknown, said as such, never clean. Before, zero samples read clean.
func TestNoSampleIsUnknown(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	p := Phases{FaultFrom: t0.Add(3 * time.Second), FaultTo: t0.Add(6 * time.Second)}
	for _, tt := range []struct {
		name    string
		samples []Sample
	}{
		{"no sample at all", nil},
		// Samples after the fault window only: warm-up and fault window,
		// the phases judged, had none.
		{"only after the fault window", []Sample{sampleAt(t0.Add(9*time.Second), 0, 1)}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := Summarize(tt.samples, p, time.Second, 2, nil, DefaultThresholds())
			if c.Verdict != result.HostUnknown || c.Verdict == result.HostClean {
				t.Errorf("verdict %q; want unknown", c.Verdict)
			}
			if len(c.Reasons) != 1 || !strings.Contains(c.Reasons[0], "no sample of the host was taken") {
				t.Errorf("reasons %q; want them to say no sample was taken", c.Reasons)
			}
			if !result.HostUnknown.Worse(result.HostStarved) {
				t.Error("unknown must rank above starved: whatever leaves out a loaded machine leaves it out")
			}
		})
	}
}
