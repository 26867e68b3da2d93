package scenario

import (
	"context"
	"fmt"

	"github.com/selfheal/selfheal/chaos/host"
	"github.com/selfheal/selfheal/chaos/result"
)

// HostPolicy is how the host's conditions are sampled and judged, and
// what a budget missed on a starved machine does (docs/measurement.md,
// "Host conditions").
type HostPolicy struct {
	// Thresholds judge the conditions; nil means host.DefaultThresholds.
	Thresholds []result.HostThreshold
	// ExcuseStarved keeps a budget missed on a starved machine from
	// failing the test (Conditions.Excused); the verdict stays "fail".
	// The default fails it, and the result says why the number may be
	// the machine's.
	ExcuseStarved bool
	// Sampling are the sampler's options (interval, proc root).
	Sampling []host.Option
}

// WithHost sets how the host is sampled and judged.
func WithHost(p HostPolicy) Option { return func(r *Runner) { r.host = p } }

func (p HostPolicy) thresholds() []result.HostThreshold {
	if p.Thresholds == nil {
		return host.DefaultThresholds()
	}
	return p.Thresholds
}

// sampleHost starts sampling the host for the scenario's duration.
func (x *run) sampleHost(ctx context.Context) (stop func()) {
	x.hostRec = host.Start(context.WithoutCancel(ctx), x.host.Sampling...)
	return x.hostRec.Stop
}

// addConditions judges the host over the run's phases, and excuses a
// budget miss on a starved machine when asked to: a miss now, or one
// that the history budgets add later (result.Result.Excused).
func (x *run) addConditions(res *result.Result) {
	if x.hostRec == nil {
		return
	}
	c := x.hostRec.Conditions(host.PhasesOf(res), x.host.thresholds())
	c.Excused = x.host.ExcuseStarved && c.Verdict == result.HostStarved
	res.Conditions = c
}

// warmupHost says how loaded the host was during the warm-up so far, ""
// when it was clean (or not sampled).
func (x *run) warmupHost() string {
	if x.hostRec == nil {
		return ""
	}
	c := x.hostRec.Conditions(host.Phases{}, x.host.thresholds())
	if c.Verdict != result.HostContended && c.Verdict != result.HostStarved {
		return "" // clean, or no sample yet
	}
	return fmt.Sprintf("the host was %s meanwhile (%s)", c.Verdict, c.Figures())
}
