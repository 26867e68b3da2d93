package compare

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/chaos/stats"
)

var t0 = time.Date(2026, 11, 1, 2, 0, 0, 0, time.UTC)

// mk makes one result of scenario in run with the given downtime and
// recovery in seconds (recovery < 0: not recovered).
func mk(run, scenario string, i int, downtimeS, recoveryS float64) *result.Result {
	r := &result.Result{
		Schema: result.Schema, Scenario: scenario, Started: t0.Add(time.Duration(i) * time.Hour),
		Run:  &result.RunInfo{ID: run, ImageMode: "offline"},
		Load: result.Load{Rate: 10, Timeout: "2s"}, Requests: result.Requests{Total: 600, OK: 600},
		Injections: []result.Injection{{At: t0, Fault: "f"}},
		DowntimeMS: downtimeS * 1000, LongestOutageMS: downtimeS * 1000,
		Verdict: result.VerdictPass,
	}
	if recoveryS >= 0 {
		ms := recoveryS * 1000
		r.Recovered, r.RecoveryMS = true, &ms
	}
	return r
}

func side(run, scenario string, downtimes, recoveries []float64) Side {
	s := Side{Label: run}
	for i := range downtimes {
		s.Results = append(s.Results, mk(run, scenario, i, downtimes[i], recoveries[i]))
	}
	return s
}

func row(t *testing.T, rep *Report, scenario string, k result.MetricKey) Row {
	t.Helper()
	for _, s := range rep.Scenarios {
		if s.Name != scenario {
			continue
		}
		for _, r := range s.Rows {
			if r.Metric.Key == k {
				return r
			}
		}
	}
	t.Fatalf("no row %s/%s", scenario, k)
	return Row{}
}

// NEW's downtime and longest outage are all above BASE's (5 a side, exact
// two-sided p = 2/252 each); recovery is the same. The family: downtime,
// longest outage and recovery are tested (5xx, errors and recovered are all
// equal on both sides, so they are not): m = 3. BH: both p = 0.00794 ≤
// 0.05·2/3.
func TestCompareWorse(t *testing.T) {
	base := side("base", "pod-eviction", []float64{1, 1.2, 0.9, 1.1, 1.0}, []float64{10, 11, 12, 13, 14})
	new := side("new", "pod-eviction", []float64{3, 3.2, 2.9, 3.1, 3.3}, []float64{10.5, 11.5, 12.5, 13.5, 14.5})
	rep, err := Compare(base, new)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Family != 3 {
		t.Errorf("family %d, want 3", rep.Family)
	}
	d := row(t, rep, "pod-eviction", result.KeyDowntime)
	if d.Verdict != stats.Worse || !near(d.P, 2.0/252) || !near(d.PAdjusted, 3*(2.0/252)/2) || !near(d.Diff, 2100) {
		t.Errorf("downtime: %q p %v adjusted %v diff %v", d.Verdict, d.P, d.PAdjusted, d.Diff)
	}
	if d.Base.N != 5 || d.New.N != 5 || !near(d.Base.Median, 1000) || !near(d.New.Median, 3100) {
		t.Errorf("downtime medians %v (n %d) → %v (n %d)", d.Base.Median, d.Base.N, d.New.Median, d.New.N)
	}
	if r := row(t, rep, "pod-eviction", result.KeyRecovery); r.Verdict != stats.NoClearDifference {
		t.Errorf("recovery shifted by 0.5 s within a 4 s spread: %q (p %v)", r.Verdict, r.P)
	}
	var worse []result.MetricKey
	for _, f := range rep.Worse() {
		worse = append(worse, f.Row.Metric.Key)
	}
	if want := []result.MetricKey{result.KeyDowntime, result.KeyLongestOutage}; !reflect.DeepEqual(worse, want) {
		t.Errorf("worse %v, want %v", worse, want)
	}

	// Gating on recovery only: the downtime is still shown worse, but does
	// not fail the compare.
	rep, _ = Compare(base, new, WithGates(result.KeyRecovery))
	if len(rep.Worse()) != 0 || len(rep.Changed()) != 2 {
		t.Errorf("gating on recovery: worse %v, changed %v", rep.Worse(), rep.Changed())
	}
	// The other way round, NEW is better.
	rep, _ = Compare(new, base)
	if len(rep.Worse()) != 0 || row(t, rep, "pod-eviction", result.KeyDowntime).Verdict != stats.Better {
		t.Errorf("reversed: worse %v", rep.Worse())
	}
}

func TestCompareOneRunASide(t *testing.T) {
	rep, err := Compare(side("a", "s", []float64{0}, []float64{1}), side("b", "s", []float64{500}, []float64{900}))
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Changed()) != 0 || rep.Family != 0 {
		t.Errorf("one run a side: changed %v, family %d", rep.Changed(), rep.Family)
	}
}

// Not recovered runs are counted apart, not averaged into recovery; the
// recovered metric (higher is better) shows them.
func TestCompareNotRecovered(t *testing.T) {
	base := side("a", "s", []float64{1, 1, 1, 1, 1}, []float64{5, 6, 7, 8, 9})
	new := side("b", "s", []float64{1, 1, 1, 1, 1}, []float64{-1, -1, -1, -1, 6})
	rep, _ := Compare(base, new)
	rec := row(t, rep, "s", result.KeyRecovery)
	if rec.NewNever != 4 || rec.New.N != 1 || rec.BaseNever != 0 {
		t.Errorf("recovery: never %d/%d, n %d", rec.BaseNever, rec.NewNever, rec.New.N)
	}
	if r := row(t, rep, "s", result.KeyRecovered); r.Base.N != 5 || r.New.N != 5 || r.Diff != -1 {
		t.Errorf("recovered: %+v", r.Comparison)
	}
}

func TestCompareSidesAndLeftOut(t *testing.T) {
	base := side("a", "s", []float64{1, 1, 1}, []float64{5, 6, 7})
	base.Results = append(base.Results, mk("a", "only-base", 5, 1, 1))
	broken := mk("a", "s", 6, 0, 0)
	broken.Verdict, broken.Error = result.VerdictError, "warm-up failed"
	base.Results = append(base.Results, broken)
	new := side("b", "s", []float64{1, 1, 1}, []float64{5, 6, 7})
	for _, r := range new.Results {
		r.Load.Rate, r.Load.KeepAlive = 20, true
	}
	new.Results = append(new.Results, mk("b", "only-new", 5, 1, 1))
	starved := mk("b", "s", 7, 9, 9)
	new.Results = append(new.Results, starved)
	rep, err := Compare(base, new, WithLeaveOut(func(r *result.Result) string {
		if r == starved {
			return "host starved"
		}
		return ""
	}))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(rep.OnlyBase, []string{"only-base"}) || !reflect.DeepEqual(rep.OnlyNew, []string{"only-new"}) {
		t.Errorf("only %v / %v", rep.OnlyBase, rep.OnlyNew)
	}
	if !reflect.DeepEqual(rep.Base.Left, []Left{{"could not run to the end", 1}}) || !reflect.DeepEqual(rep.New.Left, []Left{{"host starved", 1}}) {
		t.Errorf("left out %+v / %+v", rep.Base.Left, rep.New.Left)
	}
	want := []string{"rate: BASE 10/s, NEW 20/s", "connections: BASE a new connection per request, NEW kept-alive connections"}
	if !reflect.DeepEqual(rep.Differences, want) {
		t.Errorf("differences %q, want %q", rep.Differences, want)
	}
	if rep.Base.Results != 4 || rep.New.Results != 4 {
		t.Errorf("results used %d / %d", rep.Base.Results, rep.New.Results)
	}
}

func TestCompareNothingInCommon(t *testing.T) {
	_, err := Compare(side("a", "x", []float64{1}, []float64{1}), side("b", "y", []float64{1}, []float64{1}))
	if !errors.Is(err, ErrNothingInCommon) {
		t.Errorf("err %v, want ErrNothingInCommon", err)
	}
}

// Two samples of the same service, five scenarios, every metric: the
// compare calls something different in no more than about α of the
// trials. (Downtime and recovery are drawn independently from the same
// skewed distributions on both sides.)
func TestCompareSameServiceRarelyDiffers(t *testing.T) {
	const trials = 200
	alarms := 0
	seed := uint64(1)
	next := func() float64 { // xorshift, deterministic
		seed ^= seed << 13
		seed ^= seed >> 7
		seed ^= seed << 17
		return float64(seed%10000) / 1000
	}
	for trial := 0; trial < trials; trial++ {
		var base, new Side
		for s := 0; s < 5; s++ {
			name := fmt.Sprintf("s%d", s)
			for i := 0; i < 5; i++ {
				base.Results = append(base.Results, mk("a", name, i, next()*next(), 10+next()))
				new.Results = append(new.Results, mk("b", name, i, next()*next(), 10+next()))
			}
		}
		rep, err := Compare(base, new)
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Changed()) > 0 {
			alarms++
		}
	}
	if rate := float64(alarms) / trials; rate > 0.08 {
		t.Errorf("same service: %d of %d compares called something different (%.3f), want about α = 0.05 at most", alarms, trials, rate)
	}
}

func near(a, b float64) bool { d := a - b; return d < 1e-9 && d > -1e-9 }

func TestWithoutHost(t *testing.T) {
	base := side("a", "s", []float64{1, 1, 1, 1}, []float64{5, 6, 7, 8})
	new := side("b", "s", []float64{1, 1, 1, 1}, []float64{5, 6, 7, 8})
	base.Results[0].Conditions = &result.Conditions{Verdict: result.HostContended}
	base.Results[1].Conditions = &result.Conditions{Verdict: result.HostStarved}
	new.Results[0].Conditions = &result.Conditions{Verdict: result.HostClean}
	new.Results[1].Conditions = &result.Conditions{Verdict: result.HostStarved}
	for _, tt := range []struct {
		level     result.HostVerdict
		base, new []Left
	}{
		{result.HostStarved, []Left{{"measured on a starved machine", 1}}, []Left{{"measured on a starved machine", 1}}},
		{result.HostContended, []Left{{"measured on a contended machine", 1}, {"measured on a starved machine", 1}}, []Left{{"measured on a starved machine", 1}}},
	} {
		rep, err := Compare(base, new, WithoutHost(tt.level))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(rep.Base.Left, tt.base) || !reflect.DeepEqual(rep.New.Left, tt.new) {
			t.Errorf("without %s hosts: left out %+v / %+v, want %+v / %+v", tt.level, rep.Base.Left, rep.New.Left, tt.base, tt.new)
		}
	}
}

// Results of different variants are never pooled; a scenario each side
// ran against one variant only is compared across them.
func TestCompareVariants(t *testing.T) {
	withVariant := func(s Side, v string) Side {
		for _, r := range s.Results {
			r.Run.Variant = v
		}
		return s
	}
	names := func(rep *Report) []string {
		var out []string
		for _, s := range rep.Scenarios {
			out = append(out, fmt.Sprintf("%s n=%d", s.Name, s.Rows[0].Base.N))
		}
		return out
	}
	base := withVariant(side("a", "image-roll", []float64{1, 1, 1}, []float64{5, 6, 7}), "baseline")
	base.Results = append(base.Results, withVariant(side("a", "image-roll", []float64{9, 9}, []float64{5, 6}), "no-prestop").Results...)
	new := withVariant(side("b", "image-roll", []float64{1, 1, 1}, []float64{5, 6, 7}), "")
	new.Results = append(new.Results, withVariant(side("b", "image-roll", []float64{9, 9}, []float64{5, 6}), "no-prestop").Results...)
	rep, err := Compare(base, new)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := names(rep), []string{"image-roll n=3", "image-roll@no-prestop n=2"}; !reflect.DeepEqual(got, want) {
		t.Errorf("cells %v, want %v", got, want)
	}

	one := withVariant(side("a", "image-roll", []float64{1, 1, 1}, []float64{5, 6, 7}), "baseline")
	other := withVariant(side("b", "image-roll", []float64{9, 9}, []float64{5, 6}), "no-prestop")
	rep, err = Compare(one, other)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := names(rep), []string{"image-roll (baseline → no-prestop) n=3"}; !reflect.DeepEqual(got, want) {
		t.Errorf("cells %v, want %v", got, want)
	}
	if !reflect.DeepEqual(rep.Differences, []string{"variant: BASE baseline, NEW no-prestop"}) {
		t.Errorf("differences %q", rep.Differences)
	}
}
