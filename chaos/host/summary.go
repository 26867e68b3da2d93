package host

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/chaos/stats"
)

// DefaultThresholds are where a phase median makes the machine contended
// or starved (docs/measurement.md, "Host conditions"). CPU pressure is
// judged from outside the system under test only: the cluster's own load
// on its machine is reported, not judged. Load per CPU is judged only on
// a kernel without PSI, where it stands in for CPU pressure; iowait only
// without IO pressure. selfheal's own CPU is reported, not judged.
func DefaultThresholds() []result.HostThreshold {
	return []result.HostThreshold{
		{Signal: result.SignalSteal, Contended: 10, Starved: 30},
		{Signal: result.SignalOutsidePressure, Contended: 20, Starved: 40},
		{Signal: result.SignalMemoryPressure, Contended: 10, Starved: 30},
		{Signal: result.SignalIOPressure, Contended: 30, Starved: 60},
		{Signal: result.SignalIOWait, Contended: 20, Starved: 40, OnlyWithout: result.SignalIOPressure},
		{Signal: result.SignalLoad, Contended: 1.5, Starved: 3, OnlyWithout: result.SignalCPUPressure},
	}
}

// ParseThresholds overlays overrides on the defaults. The syntax is a
// comma-separated list of SIGNAL=CONTENDED/STARVED with the signals'
// short names, e.g. "steal=5/20,outside_pressure=30/60"; 0 turns a level off.
func ParseThresholds(s string) ([]result.HostThreshold, error) {
	th := DefaultThresholds()
	if strings.TrimSpace(s) == "" {
		return th, nil
	}
	for _, part := range strings.Split(s, ",") {
		name, levels, ok := strings.Cut(strings.TrimSpace(part), "=")
		sig, known := result.HostSignalByKey(name)
		if !ok || !known {
			return nil, fmt.Errorf("%q: want SIGNAL=CONTENDED/STARVED with SIGNAL one of %s", part, strings.Join(judgedShorts(), ", "))
		}
		cs, ss, ok := strings.Cut(levels, "/")
		c, err1 := strconv.ParseFloat(cs, 64)
		st, err2 := strconv.ParseFloat(ss, 64)
		if !ok || err1 != nil || err2 != nil || c < 0 || st < 0 || (c > 0 && st > 0 && st < c) {
			return nil, fmt.Errorf("%q: want two numbers CONTENDED/STARVED with starved not below contended, e.g. %s=10/30", part, sig.Short)
		}
		i := slices.IndexFunc(th, func(t result.HostThreshold) bool { return t.Signal == sig.Key })
		if i < 0 {
			th = append(th, result.HostThreshold{Signal: sig.Key})
			i = len(th) - 1
		}
		th[i].Contended, th[i].Starved = c, st
	}
	return th, nil
}

func judgedShorts() []string {
	var out []string
	for _, s := range result.HostSignals() {
		out = append(out, s.Short)
	}
	return out
}

// Phases are the instants a run's samples are split at: warm-up is
// before FaultFrom, the fault window FaultFrom to FaultTo, after is the
// rest. A zero FaultFrom makes the whole run warm-up.
type Phases struct {
	FaultFrom, FaultTo time.Time
}

// PhasesOf places the fault window of a result: from the first injection
// (or, with none, the first failure recovery is measured from) to the
// confirmation window after the later of recovery and the last injection;
// to the end when it did not recover.
func PhasesOf(r *result.Result) Phases {
	var p Phases
	switch {
	case len(r.Injections) > 0:
		p.FaultFrom = r.Injections[0].At
	case r.RecoveryFrom == result.FromFirstFailure && r.RecoveredAt != nil && r.RecoveryMS != nil:
		p.FaultFrom = r.RecoveredAt.Add(-time.Duration(*r.RecoveryMS * float64(time.Millisecond)))
	case r.RecoveryFrom == result.FromFirstFailure:
		if len(r.Outages) > 0 {
			p.FaultFrom = r.Outages[0].Start
		}
	default:
		return p
	}
	if !r.Recovered || r.RecoveredAt == nil {
		p.FaultTo = r.Ended
		return p
	}
	end := *r.RecoveredAt
	if n := len(r.Injections); n > 0 && r.Injections[n-1].At.After(end) {
		end = r.Injections[n-1].At
	}
	end = end.Add(time.Duration(r.Analysis.ConfirmationWindowMS * float64(time.Millisecond)))
	if end.After(r.Ended) {
		end = r.Ended
	}
	p.FaultTo = end
	return p
}

// Summarize turns samples into a result's conditions: per phase the
// median and maximum of each signal, judged with thresholds. A sample
// belongs to the phase its interval's middle falls in.
func Summarize(samples []Sample, p Phases, interval time.Duration, cpus int, missing map[string]string, th []result.HostThreshold) *result.Conditions {
	c := &result.Conditions{
		IntervalMS: float64(interval.Microseconds()) / 1000, CPUs: cpus, Samples: len(samples),
		Thresholds: th, Missing: cloneMissing(missing),
	}
	byPhase := map[result.HostPhase][]Sample{}
	for _, s := range samples {
		ph := phaseOf(s.At.Add(-interval/2), p)
		byPhase[ph] = append(byPhase[ph], s)
	}
	for _, ph := range []result.HostPhase{result.PhaseWarmup, result.PhaseFault, result.PhaseAfter} {
		if ss := byPhase[ph]; len(ss) > 0 {
			c.Phases = append(c.Phases, summarizePhase(ph, ss, interval))
		}
	}
	// A signal with no value in any sample is missing even if the last
	// reading had it (it came too late to count).
	for i, k := range keys {
		if _, gone := c.Missing[k]; gone {
			continue
		}
		if !slices.ContainsFunc(samples, func(s Sample) bool { return s.has&(1<<i) != 0 }) && len(samples) > 0 {
			if c.Missing == nil {
				c.Missing = map[string]string{}
			}
			c.Missing[k] = "no sample had it"
		}
	}
	c.Judge()
	for _, s := range samples {
		c.Timeline = append(c.Timeline, point(s, c))
	}
	return c
}

func phaseOf(t time.Time, p Phases) result.HostPhase {
	switch {
	case p.FaultFrom.IsZero() || t.Before(p.FaultFrom):
		return result.PhaseWarmup
	case !t.After(p.FaultTo):
		return result.PhaseFault
	}
	return result.PhaseAfter
}

func summarizePhase(ph result.HostPhase, ss []Sample, interval time.Duration) result.PhaseConditions {
	pc := result.PhaseConditions{Phase: ph, From: ss[0].At.Add(-interval), To: ss[len(ss)-1].At, Samples: len(ss), Signals: map[string]result.SignalStat{}}
	vals := make([]float64, 0, len(ss))
	for i, k := range keys {
		vals = vals[:0]
		for _, s := range ss {
			if s.has&(1<<i) != 0 {
				vals = append(vals, s.values[i])
			}
		}
		if len(vals) == 0 {
			continue
		}
		pc.Signals[k] = result.SignalStat{Median: round2(stats.Median(vals)), Max: round2(slices.Max(vals))}
	}
	return pc
}

func round2(v float64) float64 { return float64(int64(v*100+0.5)) / 100 }

// point is one sample for the timeline, judged on its own values.
func point(s Sample, c *result.Conditions) result.HostPoint {
	hp := result.HostPoint{At: s.At, Verdict: result.HostClean, Values: map[string]float64{}}
	for i, k := range keys {
		if s.has&(1<<i) != 0 {
			hp.Values[k] = round2(s.values[i])
		}
	}
	for _, t := range c.Thresholds {
		v, ok := hp.Values[t.Signal]
		if !ok {
			continue
		}
		if t.OnlyWithout != "" {
			if _, gone := c.Missing[t.OnlyWithout]; !gone {
				continue
			}
		}
		if j := t.Judge(v); j.Worse(hp.Verdict) {
			hp.Verdict = j
		}
	}
	return hp
}

// Conditions summarises the recording so far for a result.
func (r *Recording) Conditions(p Phases, th []result.HostThreshold) *result.Conditions {
	return Summarize(r.Samples(), p, r.interval, r.CPUs(), r.Missing(), th)
}
