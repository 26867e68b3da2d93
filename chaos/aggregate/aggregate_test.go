package aggregate

import (
	"math"
	"testing"
	"time"

	"github.com/selfheal/selfheal/chaos/result"
)

// rep is a repetition with the figures the tests set; everything else is
// zero.
type rep struct {
	downtime float64
	recovery float64 // < 0: not recovered
	healing  float64 // < 0: not healed; 0: no healing check
	verdict  result.Verdict
	errorsN  int
	// unobserved: no request after the injection (recovery not observed)
	unobserved bool
}

func results(reps ...rep) []*result.Result {
	t0 := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	var out []*result.Result
	for i, r := range reps {
		res := &result.Result{Scenario: "s", Started: t0.Add(time.Duration(i) * time.Minute), Repetition: i + 1, Repetitions: len(reps),
			Requests: result.Requests{Total: 600, OK: 600}, DowntimeMS: r.downtime, LongestOutageMS: r.downtime, Verdict: r.verdict, Errors: map[string]int{"timeout": r.errorsN},
			Injections: []result.Injection{{At: t0.Add(time.Duration(i)*time.Minute + 15*time.Second), Fault: "f"}}, RecoveryFrom: result.FromInjection}
		if res.Verdict == "" {
			res.Verdict = result.VerdictPass
		}
		if res.Verdict == result.VerdictError {
			res.Error = "boom"
		}
		if r.recovery >= 0 {
			v := r.recovery
			res.RecoveryMS, res.Recovered = &v, true
		}
		if r.unobserved {
			res.RecoveryState = result.RecoveryNotObserved
		}
		switch {
		case r.healing > 0:
			v := r.healing
			res.Healing = &result.Healing{Healed: true, MS: &v}
		case r.healing < 0:
			res.Healing = &result.Healing{}
		}
		out = append(out, res)
	}
	return out
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-6 }

// The expectations are computed by hand: the median of the sorted values;
// quartiles by Hyndman & Fan's definition 8, h = (n + 1/3)p + 1/3, then
// x(⌊h⌋) + (h − ⌊h⌋)(x(⌊h⌋+1) − x(⌊h⌋)), clamped to the extremes.
func TestDowntimeSummary(t *testing.T) {
	tests := []struct {
		name                     string
		downtime                 []float64
		median, min, max, q1, q3 float64
		hasCI                    bool
		lo, hi                   float64
	}{
		// n = 1: everything is the one value, and no interval.
		{"n=1", []float64{1500}, 1500, 1500, 1500, 1500, 1500, false, 0, 0},
		// n = 2: median 2000; h(Q1) = 0.917 → x(1); h(Q3) = 2.083 → x(2).
		{"n=2", []float64{3000, 1000}, 2000, 1000, 3000, 1000, 3000, false, 0, 0},
		{"all equal", []float64{700, 700, 700}, 700, 700, 700, 700, 700, false, 0, 0},
		// Ties, n = 4: 1000 2000 2000 5000. Median (2000+2000)/2.
		// h(Q1) = 1.4167 → 1000 + 0.4167·1000; h(Q3) = 3.5833 → 2000 +
		// 0.5833·3000.
		{"ties", []float64{2000, 5000, 1000, 2000}, 2000, 1000, 5000, 1000 + 1000*(5.0/12), 2000 + 3000*(7.0/12), false, 0, 0},
		// n = 9, 1..9 s: the exact order-statistic interval of the median
		// at 95 % is [x(2), x(8)]: P(2 ≤ B ≤ 7) for B ~ Bin(9, ½) is
		// 1 − 2·(1 + 9)/512 = 0.961, while [x(3), x(7)] covers only
		// 1 − 2·(1 + 9 + 36)/512 = 0.820. h(Q1) = 9.333·0.25 + 0.333 =
		// 2.667 → 2666.7, h(Q3) = 7.333 → 7333.3.
		{"n=9", []float64{5000, 1000, 9000, 2000, 8000, 3000, 7000, 4000, 6000}, 5000, 1000, 9000, 2000 + 1000*(2.0/3), 7000 + 1000*(1.0/3), true, 2000, 8000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var reps []rep
			for _, d := range tt.downtime {
				reps = append(reps, rep{downtime: d, recovery: 1})
			}
			s := Summarize(results(reps...))
			m, ok := s.Metric(result.KeyDowntime)
			if !ok {
				t.Fatal("no downtime")
			}
			sum := m.Summary
			if sum.N != len(tt.downtime) || !near(sum.Median, tt.median) || !near(sum.Min, tt.min) || !near(sum.Max, tt.max) || !near(sum.Q1, tt.q1) || !near(sum.Q3, tt.q3) {
				t.Errorf("summary %+v, want median %v min %v max %v q1 %v q3 %v", sum, tt.median, tt.min, tt.max, tt.q1, tt.q3)
			}
			if sum.HasCI != tt.hasCI || tt.hasCI && (!near(sum.Lo, tt.lo) || !near(sum.Hi, tt.hi)) {
				t.Errorf("interval %v [%v, %v], want %v [%v, %v]", sum.HasCI, sum.Lo, sum.Hi, tt.hasCI, tt.lo, tt.hi)
			}
			if tt.hasCI && !near(sum.Confidence, 1-20.0/512) { // n = 9, see above
				t.Errorf("confidence %v, want %v", sum.Confidence, 1-20.0/512)
			}
			if !tt.hasCI && len(sum.Warnings) == 0 {
				t.Error("no interval and no warning saying why")
			}
		})
	}
}

func TestNeverAndErroredCountedApart(t *testing.T) {
	s := Summarize(results(
		rep{downtime: 4000, recovery: 30000, healing: 60000},
		rep{downtime: 90000, recovery: -1, healing: -1, verdict: result.VerdictFail},
		rep{downtime: 6000, recovery: 50000},
		rep{downtime: 1, recovery: -1, verdict: result.VerdictError},
	))
	rec, _ := s.Metric(result.KeyRecovery)
	if rec.Never != 1 || rec.Excluded != 1 || rec.Absent != 0 || rec.Summary.N != 2 || rec.Summary.Median != 40000 {
		t.Errorf("recovery: never %d excluded %d absent %d n %d median %v; want 1 1 0 2 40000 (the not-recovered one is not a number)", rec.Never, rec.Excluded, rec.Absent, rec.Summary.N, rec.Summary.Median)
	}
	if !rec.Values[1].Never || !rec.Values[3].Excluded || rec.Values[2].V != 50000 || rec.Values[2].Repetition != 3 {
		t.Errorf("values %+v", rec.Values)
	}
	heal, _ := s.Metric(result.KeyHealing)
	if heal.Never != 1 || heal.Absent != 1 || heal.Excluded != 1 || heal.Summary.N != 1 {
		t.Errorf("healing: never %d absent %d excluded %d n %d; want 1 1 1 1", heal.Never, heal.Absent, heal.Excluded, heal.Summary.N)
	}
	down, _ := s.Metric(result.KeyDowntime)
	if down.Summary.N != 3 || down.Summary.Median != 6000 {
		t.Errorf("downtime n %d median %v, want 3 and 6000 (the errored repetition left out)", down.Summary.N, down.Summary.Median)
	}
	if got := s.PassText(); got != "2/4 passed, 1 failed, 1 could not run" {
		t.Errorf("pass text %q", got)
	}
	if s.Verdict() != result.VerdictFail {
		t.Errorf("verdict %s, want fail", s.Verdict())
	}
	if _, ok := s.Metric(result.KeyRecovered); ok {
		t.Error("recovered is a yes/no: counted in recovery's Never, not summarised")
	}
}

func TestAggregateBudgets(t *testing.T) {
	p50 := func(key result.MetricKey, limit float64) result.AggregateBudget {
		return result.AggregateBudget{Metric: key, Stat: result.StatMedian, Limit: limit}
	}
	rate := func(limit float64) result.AggregateBudget {
		return result.AggregateBudget{Stat: result.StatPassRate, Limit: limit}
	}
	tests := []struct {
		name    string
		reps    []rep
		budget  result.AggregateBudget
		pass    bool
		missing bool
		value   float64
		message string
	}{
		{"median within", []rep{{recovery: 30000}, {recovery: 70000}, {recovery: 50000}}, p50(result.KeyRecovery, 60000), true, false, 50000,
			"recovery p50 50s within budget 1m0s (over 3 of 3 repetitions)"},
		{"median over", []rep{{recovery: 30000}, {recovery: 70000}, {recovery: 65000}}, p50(result.KeyRecovery, 60000), false, false, 65000,
			"recovery p50 1m5s exceeds budget 1m0s (over 3 of 3 repetitions)"},
		// 30 s, 50 s, never: the median is the middle one, 50 s.
		{"one never", []rep{{recovery: 30000}, {recovery: -1, verdict: result.VerdictFail}, {recovery: 50000}}, p50(result.KeyRecovery, 60000), true, false, 50000,
			"recovery p50 50s within budget 1m0s (over 3 of 3 repetitions; 1 not recovered, counted as longer than any time)"},
		{"two never", []rep{{recovery: 30000}, {recovery: -1, verdict: result.VerdictFail}, {recovery: -1, verdict: result.VerdictFail}}, p50(result.KeyRecovery, 60000), false, true, 0,
			"recovery p50: no figure in 2 of 3 repetitions (2 not recovered), so the median is never; budget 1m0s"},
		// n = 2 with one never: the two middle values are 30 s and never.
		{"even with never", []rep{{recovery: 30000}, {recovery: -1, verdict: result.VerdictFail}}, p50(result.KeyRecovery, 60000), false, true, 0, ""},
		// A repetition that could not run has no figure: counted as never,
		// so the budget is not met on the two that ran.
		{"errored counted as never", []rep{{downtime: 1000, recovery: 1}, {downtime: 9000, recovery: 1, verdict: result.VerdictError}, {downtime: 3000, recovery: 1}}, p50(result.KeyDowntime, 2500), false, false, 3000,
			"downtime p50 3s exceeds budget 2.5s (over 3 of 3 repetitions; 1 could not run, counted as longer than any time)"},
		// Not observed (a result from before unobserved results were
		// errors): no figure, counted as never. Before, the median was
		// over the one observed repetition, and passed.
		{"two not observed", []rep{{recovery: 30000}, {recovery: -1, unobserved: true}, {recovery: -1, unobserved: true}}, p50(result.KeyRecovery, 60000), false, true, 0,
			"recovery p50: no figure in 2 of 3 repetitions (2 unknown (not observed: no request was sent after the injection)), so the median is never; budget 1m0s"},
		{"all errored", []rep{{verdict: result.VerdictError}, {verdict: result.VerdictError}}, p50(result.KeyDowntime, 2500), false, true, 0,
			"downtime p50: no figure in 2 of 2 repetitions (2 could not run), so the median is never; budget 2.5s"},
		{"5xx count", []rep{{errorsN: 3, recovery: 1}, {errorsN: 4, recovery: 1}}, p50(result.KeyTransportErrors, 3), false, false, 3.5,
			"transport errors p50 3.5 exceeds budget 3 (over 2 of 2 repetitions)"},
		{"pass rate all", []rep{{}, {}, {}}, rate(1), true, false, 1, "pass rate 100% (3/3 passed) meets the required 100%"},
		{"pass rate 2/3 meets 67%", []rep{{}, {verdict: result.VerdictFail}, {}}, rate(0.67), true, false, 2.0 / 3, "pass rate 67% (2/3 passed, 1 failed) meets the required 67%"},
		{"pass rate 2/3 misses 1", []rep{{}, {verdict: result.VerdictError}, {}}, rate(1), false, false, 2.0 / 3, "pass rate 67% (2/3 passed, 1 could not run) is below the required 100%"},
		{"pass rate 0 of 1", []rep{{verdict: result.VerdictFail}}, rate(0.5), false, false, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs := results(tt.reps...)
			for _, r := range rs {
				r.AggregateBudgets = []result.AggregateBudget{tt.budget}
			}
			s := Summarize(rs)
			if len(s.Budgets) != 1 {
				t.Fatalf("checks %+v", s.Budgets)
			}
			c := s.Budgets[0]
			if c.Pass != tt.pass || c.Missing != tt.missing || !near(c.Value, tt.value) {
				t.Errorf("check %+v, want pass %v missing %v value %v", c, tt.pass, tt.missing, tt.value)
			}
			if tt.message != "" && c.Message != tt.message {
				t.Errorf("message\n%q, want\n%q", c.Message, tt.message)
			}
			want := result.VerdictPass
			if !tt.pass {
				want = result.VerdictFail
			}
			if s.Errored == s.N() {
				want = result.VerdictError
			}
			if s.Verdict() != want {
				t.Errorf("verdict %s, want %s", s.Verdict(), want)
			}
		})
	}
}

func TestOfGroupsByScenarioInOrder(t *testing.T) {
	a := results(rep{downtime: 1}, rep{downtime: 2})
	b := results(rep{downtime: 3})
	b[0].Scenario = "b"
	a[0].Repetition, a[1].Repetition = 2, 1 // written out of order
	got := Of([]*result.Result{a[0], b[0], a[1]})
	if len(got) != 2 || got[0].Scenario != "s" || got[1].Scenario != "b" || got[0].N() != 2 {
		t.Fatalf("groups %+v", got)
	}
	if got[0].Results[0].DowntimeMS != 2 {
		t.Error("repetitions must come in repetition order")
	}
	if s := got[1].PassText(); s != "1/1 passed" {
		t.Errorf("pass text %q", s)
	}
}

// Variants are kept apart; a result that names no variant ran against
// the baseline (result.BaselineVariant), and is taken with those that
// name it.
func TestOfKeepsVariantsApart(t *testing.T) {
	rs := results(rep{downtime: 1}, rep{downtime: 2}, rep{downtime: 3}, rep{downtime: 4})
	rs[1].Run = &result.RunInfo{Variant: "no-pdb"}
	rs[3].Run = &result.RunInfo{Variant: result.BaselineVariant}
	got := Of(rs)
	if len(got) != 2 || got[0].N() != 3 || got[0].Variant != result.BaselineVariant || got[1].N() != 1 || got[1].Variant != "no-pdb" {
		t.Fatalf("groups %+v", got)
	}
	if got[0].Label() != got[0].Scenario || got[1].Label() != got[1].Scenario+"@no-pdb" {
		t.Errorf("labels %q %q", got[0].Label(), got[1].Label())
	}
}
