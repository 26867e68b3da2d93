package result

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// Conditions is what the host was doing while a result was measured:
// CPU steal, iowait, pressure (PSI), load and selfheal's own CPU, sampled
// every IntervalMS, summarised per phase, and judged. docs/measurement.md
// "Host conditions" defines each signal and the thresholds.
type Conditions struct {
	IntervalMS float64 `json:"interval_ms"`
	CPUs       int     `json:"cpus"`
	Samples    int     `json:"samples"`
	// Phases are warm-up (before the first injection, or the whole run
	// when nothing was injected or failed), the fault window and after.
	// A phase with no sample is left out.
	Phases []PhaseConditions `json:"phases"`
	// Missing names each signal this host could not give, and why (a
	// kernel without PSI has no pressure). A missing signal is not judged.
	Missing map[string]string `json:"missing,omitempty"`
	// Thresholds are the ones Verdict was judged with.
	Thresholds []HostThreshold `json:"thresholds"`
	// Verdict is the worst of the warm-up's and the fault window's;
	// unknown when neither had a sample.
	Verdict HostVerdict `json:"verdict"` // contract
	// Reasons say which signal crossed which threshold in which phase.
	Reasons []string `json:"reasons,omitempty"`
	// Excused is set when the machine was starved and the run was told
	// not to fail for a budget missed under it (SELFHEAL_FAIL_STARVED=false).
	// Read it through Result.Excused, which asks for the miss too: the
	// verdict stays "fail", the test does not.
	Excused bool `json:"excused,omitempty"`
	// Timeline is every sample, for the report's lane.
	Timeline []HostPoint `json:"timeline,omitempty"`
}

// HostPhase names a stretch of a run.
type HostPhase string

// Phases of a run, in order.
const (
	PhaseWarmup HostPhase = "warmup" // before the first injection
	PhaseFault  HostPhase = "fault"  // the fault window (docs/measurement.md)
	PhaseAfter  HostPhase = "after"  // after the fault window
)

// Words names the phase for readers.
func (p HostPhase) Words() string {
	switch p {
	case PhaseWarmup:
		return "warm-up"
	case PhaseFault:
		return "fault window"
	}
	return string(p)
}

// PhaseConditions summarises one phase's samples.
type PhaseConditions struct {
	Phase   HostPhase `json:"phase"`
	From    time.Time `json:"from"`
	To      time.Time `json:"to"`
	Samples int       `json:"samples"`
	// Signals holds the median and maximum of each signal by its key
	// (HostSignals); a missing signal is absent.
	Signals map[string]SignalStat `json:"signals"`
	Verdict HostVerdict           `json:"verdict"`
}

// SignalStat is a signal's median and maximum over a phase.
type SignalStat struct {
	Median float64 `json:"median"`
	Max    float64 `json:"max"`
}

// HostPoint is one sample: its verdict and every signal it had.
type HostPoint struct {
	At      time.Time          `json:"t"`
	Verdict HostVerdict        `json:"verdict"`
	Values  map[string]float64 `json:"values"`
}

// HostThreshold is where a signal's phase median makes the machine
// contended or starved. OnlyWithout names a signal that, when present,
// makes this one not judged (load stands in for CPU pressure only on a
// kernel without PSI).
type HostThreshold struct {
	Signal      string  `json:"signal"`
	Contended   float64 `json:"contended"`
	Starved     float64 `json:"starved"`
	OnlyWithout string  `json:"only_without,omitempty"`
}

// Judge returns the verdict of value for this threshold.
func (t HostThreshold) Judge(value float64) HostVerdict {
	switch {
	case t.Starved > 0 && value >= t.Starved:
		return HostStarved
	case t.Contended > 0 && value >= t.Contended:
		return HostContended
	}
	return HostClean
}

// Host signal keys.
const (
	SignalSteal          = "steal_pct"
	SignalIOWait         = "iowait_pct"
	SignalCPUPressure    = "cpu_pressure_pct"
	SignalMemoryPressure = "memory_pressure_pct"
	SignalIOPressure     = "io_pressure_pct"
	SignalLoad           = "load1_per_cpu"
	SignalSelfCPU        = "self_cpu_pct"
	// The CPU's attribution (docs/measurement.md "Host conditions"):
	// the system under test's share of all CPUs (the kind node
	// containers' cgroups), everything else's, and CPU pressure split
	// between them in proportion to the CPU time each used. Only the
	// pressure from outside is judged by default.
	SignalClusterCPU      = "cluster_cpu_pct"
	SignalOtherCPU        = "other_cpu_pct"
	SignalOutsidePressure = "outside_cpu_pressure_pct"
	SignalClusterPressure = "cluster_cpu_pressure_pct"
)

// HostSignal is one host signal, named once for the sampler, the
// thresholds and the renderers.
type HostSignal struct {
	Key   string // in results and thresholds: "steal_pct"
	Short string // in threshold overrides: "steal"
	Name  string // in words: "CPU steal"
	// Percent is true for shares in percent; else a plain number.
	Percent bool
}

// Format writes v for people: "42 %", "1.3".
func (s HostSignal) Format(v float64) string {
	if s.Percent {
		return fmt.Sprintf("%.0f %%", math.Round(v))
	}
	return fmt.Sprintf("%.1f", v)
}

// HostSignals lists every host signal, in the order reports show them.
func HostSignals() []HostSignal {
	return []HostSignal{
		{SignalSteal, "steal", "CPU steal", true},
		{SignalOutsidePressure, "outside_pressure", "CPU pressure from outside", true},
		{SignalCPUPressure, "cpu_pressure", "CPU pressure", true},
		{SignalClusterPressure, "cluster_pressure", "CPU pressure from the cluster", true},
		{SignalClusterCPU, "cluster_cpu", "the cluster's CPU (of all CPUs)", true},
		{SignalOtherCPU, "other_cpu", "others' CPU (of all CPUs)", true},
		{SignalMemoryPressure, "memory_pressure", "memory pressure", true},
		{SignalIOPressure, "io_pressure", "IO pressure", true},
		{SignalIOWait, "iowait", "iowait", true},
		{SignalLoad, "load", "load per CPU", false},
		{SignalSelfCPU, "self_cpu", "selfheal's CPU (of one core)", true},
	}
}

// HostSignalByKey finds a host signal by its Key or Short name.
func HostSignalByKey(key string) (HostSignal, bool) {
	for _, s := range HostSignals() {
		if s.Key == key || s.Short == key {
			return s, true
		}
	}
	return HostSignal{}, false
}

// Phase returns the summary of phase p, nil when it had no sample.
func (c *Conditions) Phase(p HostPhase) *PhaseConditions {
	for i := range c.Phases {
		if c.Phases[i].Phase == p {
			return &c.Phases[i]
		}
	}
	return nil
}

// Figures says the figures behind the verdict: the worst judged phase
// median of CPU steal and CPU pressure from outside (always, when the
// host has them) and of every other signal that crossed a threshold,
// e.g. "CPU steal 50 %, CPU pressure from outside 42 %".
func (c *Conditions) Figures() string {
	if c == nil {
		return ""
	}
	crossed := map[string]bool{SignalSteal: true, SignalOutsidePressure: true}
	for _, t := range c.Thresholds {
		if v, ok := c.worstMedian(t.Signal); ok && t.Judge(v) != HostClean && c.judged(t) {
			crossed[t.Signal] = true
		}
	}
	var parts []string
	for _, s := range HostSignals() {
		if !crossed[s.Key] {
			continue
		}
		if v, ok := c.worstMedian(s.Key); ok {
			parts = append(parts, s.Name+" "+s.Format(v))
		}
	}
	return strings.Join(parts, ", ")
}

// judged reports whether t applies to this host (see OnlyWithout).
func (c *Conditions) judged(t HostThreshold) bool {
	if t.OnlyWithout == "" {
		return true
	}
	_, gone := c.Missing[t.OnlyWithout]
	return gone
}

// worstMedian is the highest median of signal over the judged phases.
func (c *Conditions) worstMedian(signal string) (float64, bool) {
	best, ok := 0.0, false
	for _, p := range c.Phases {
		if p.Phase == PhaseAfter {
			continue
		}
		if st, has := p.Signals[signal]; has && (!ok || st.Median > best) {
			best, ok = st.Median, true
		}
	}
	return best, ok
}

// Judge sets every phase's verdict, Verdict and Reasons from the phase
// medians and Thresholds. Warm-up and the fault window are judged; after
// is reported but does not count, since no figure is measured there.
// Without a sample in either, the verdict is unknown, never clean.
func (c *Conditions) Judge() {
	c.Verdict, c.Reasons = HostUnknown, nil
	for _, p := range c.Phases { // a phase is listed only with samples
		if p.Phase != PhaseAfter {
			c.Verdict = HostClean
		}
	}
	if c.Verdict == HostUnknown {
		c.Reasons = []string{"no sample of the host was taken while it measured: its load is unknown"}
	}
	for i := range c.Phases {
		p := &c.Phases[i]
		p.Verdict = HostClean
		for _, t := range c.Thresholds {
			st, ok := p.Signals[t.Signal]
			if !ok || !c.judged(t) {
				continue
			}
			v := t.Judge(st.Median)
			if v.Worse(p.Verdict) {
				p.Verdict = v
			}
			if v == HostClean || p.Phase == PhaseAfter {
				continue
			}
			limit := t.Contended
			if v == HostStarved {
				limit = t.Starved
			}
			s, _ := HostSignalByKey(t.Signal)
			c.Reasons = append(c.Reasons, fmt.Sprintf("%s %s (median of the %s; %s from %s)", s.Name, s.Format(st.Median), p.Phase.Words(), v, s.Format(limit)))
		}
		if p.Phase != PhaseAfter && c.Verdict != HostUnknown && p.Verdict.Worse(c.Verdict) {
			c.Verdict = p.Verdict
		}
	}
}

// Excused says that r missed a budget (its own or its history's) on a
// starved machine and the run was told not to fail for it
// (SELFHEAL_FAIL_STARVED=false): its verdict stays fail, and the run, the
// suite's test and JUnit do not fail for it. The one place that rule is
// written.
func (r *Result) Excused() bool {
	return r.Outcome() == VerdictFail && r.Conditions != nil && r.Conditions.Excused
}

// FailsRun says whether r fails the run it is part of (selfheal run's
// exit status, the suite): any outcome but pass, unless it was excused.
func (r *Result) FailsRun() bool {
	return r.Outcome() != VerdictPass && !r.Excused()
}
