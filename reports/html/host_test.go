package html

import (
	"strings"
	"testing"
	"time"

	"github.com/selfheal/selfheal/chaos/result"
)

// A scenario measured on a starved machine gets a badge, a caveat and a
// host lane on its timeline, coloured by the verdict of each sample.
func TestHostLaneAndBadge(t *testing.T) {
	rs := loadSamples(t, "../testdata/probe")
	r := rs[0]
	c := &result.Conditions{IntervalMS: 1000, CPUs: 2,
		Thresholds: []result.HostThreshold{{Signal: result.SignalCPUPressure, Contended: 20, Starved: 40}},
		Phases: []result.PhaseConditions{{Phase: result.PhaseWarmup, Signals: map[string]result.SignalStat{
			result.SignalCPUPressure: {Median: 42, Max: 90}}}}}
	for at := r.Started.Add(time.Second); !at.After(r.Ended); at = at.Add(time.Second) {
		v := result.HostClean
		if at.Sub(r.Started) > r.Ended.Sub(r.Started)/2 {
			v = result.HostStarved
		}
		c.Timeline = append(c.Timeline, result.HostPoint{At: at, Verdict: v, Values: map[string]float64{result.SignalCPUPressure: 42}})
		c.Samples++
	}
	c.Judge()
	r.Conditions = c
	page := render(t, rs)
	for _, want := range []string{
		`<rect class="host h-clean" data-verdict="clean"`,
		`<rect class="host h-starved" data-verdict="starved"`,
		`>starved machine</span>`,
		`The figures were measured on a starved machine: CPU pressure 42 %; rerun before trusting it.`,
		`<caption>Host conditions: median (max), sampled every 1.0 s`,
		`host starved</li>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
}
