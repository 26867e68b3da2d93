package stats

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// The p-values are the exact two-sided Mann-Whitney values, counted by hand:
// with n₁ and n₂ values and no ties there are C(n₁+n₂, n₁) equally likely
// arrangements, the number with U = u is the number of partitions of u into
// at most n₁ parts of at most n₂ (the textbook tables list the same), and
// p = 2·P(U ≤ min(U₁, U₂)). With ties the arrangements are enumerated with
// mid-ranks in the comments.
func TestCompare(t *testing.T) {
	tests := []struct {
		name       string
		base, new  []float64
		dir        Direction
		opts       []Option
		tested     bool
		p          float64
		verdict    Verdict
		diff       float64
		shift      float64
		hasCI      bool
		lo, hi     float64
		confidence float64
	}{
		{
			// 3+3, fully apart: U = 0, P(U ≤ 0) = 1/20, p = 0.1: never below
			// 0.05 with three a side.
			name: "3+3 apart", base: []float64{1, 2, 3}, new: []float64{4, 5, 6},
			tested: true, p: 0.1, verdict: NoClearDifference, diff: 3, shift: 3,
		},
		{
			// The same at α = 0.1: now clear, and higher is worse.
			name: "3+3 apart at alpha 0.1", base: []float64{1, 2, 3}, new: []float64{4, 5, 6}, opts: []Option{WithAlpha(0.1)},
			tested: true, p: 0.1, verdict: Worse, diff: 3, shift: 3,
		},
		{
			// 4+4 apart: p = 2/70. The 16 differences new − base are
			// 1,2,2,3,3,3,4,4,4,4,5,5,5,6,6,7: median 4. P(U ≤ 0) = 1/70 ≤
			// 0.025 < P(U ≤ 1) = 2/70, so C = 1: [d(1), d(16)] = [1, 7]
			// at 1 − 2/70.
			name: "4+4 apart", base: []float64{4, 2, 3, 1}, new: []float64{5, 6, 7, 8},
			tested: true, p: 2.0 / 70, verdict: Worse, diff: 4, shift: 4,
			hasCI: true, lo: 1, hi: 7, confidence: 68.0 / 70,
		},
		{
			name: "4+4 apart, lower is better, new lower", base: []float64{5, 6, 7, 8}, new: []float64{4, 2, 3, 1},
			tested: true, p: 2.0 / 70, verdict: Better, diff: -4, shift: -4,
			hasCI: true, lo: -7, hi: -1, confidence: 68.0 / 70,
		},
		{
			// 5+5 with U = 2 (6 and 6.5 beat 5): counts for U = 0, 1, 2 are
			// 1, 1, 2 of 252, p = 2·4/252. Differences sorted: -1.5 -1 0.5
			// 1 1.5 2 2 2.5 3 3 3.5 4 4 4 5 5 6 6 6 7 7 7 8 8 9; d(13) = 4.
			// P(U ≤ 2) = 4/252 ≤ 0.025 < P(U ≤ 3) = 7/252: C = 3,
			// [d(3), d(23)] = [0.5, 8] at 1 − 8/252.
			name: "5+5 U=2", base: []float64{1, 2, 3, 6, 6.5}, new: []float64{5, 7, 8, 9, 10},
			tested: true, p: 8.0 / 252, verdict: Worse, diff: 5, shift: 4,
			hasCI: true, lo: 0.5, hi: 8, confidence: 244.0 / 252,
		},
		{
			// Ties: pooled 1 2 2 3 has mid-ranks 1, 2.5, 2.5, 4. The six ways
			// to place two base values give U₁ = 0.5, 0.5, 2, 2, 3.5, 3.5;
			// observed U₁ = 0.5: p = 2·2/6.
			name: "2+2 with a tie", base: []float64{1, 2}, new: []float64{2, 3},
			tested: true, p: 2.0 / 3, verdict: NoClearDifference, diff: 1, shift: 1,
		},
		{
			// Ties: pooled 1 1 2 2 3 3, mid-ranks 1.5 (×2), 3.5 (×2), 5.5 (×2).
			// Base takes a, b, c from the three groups (a+b+c = 3) in
			// C(2,a)C(2,b)C(2,c) ways with R₁ = 1.5a + 3.5b + 5.5c; only
			// (2,1,0), 2 ways, reaches R₁ ≤ 6.5 (observed, U₁ = 0.5):
			// p = 2·2/20.
			name: "3+3 with ties", base: []float64{1, 1, 2}, new: []float64{2, 3, 3},
			tested: true, p: 0.2, verdict: NoClearDifference, diff: 2, shift: 1,
		},
		{
			// recovered: 0 0 0 0 against 1 1 1 1, higher is better. With the
			// ties only how many base values sit in the 0 group matters:
			// all four in 1/70 ways, p = 2/70.
			name: "recovered, higher is better", base: []float64{0, 0, 0, 0}, new: []float64{1, 1, 1, 1}, dir: HigherIsBetter,
			tested: true, p: 2.0 / 70, verdict: Better, diff: 1, shift: 1,
			hasCI: true, lo: 1, hi: 1, confidence: 68.0 / 70,
		},
		{
			name: "one run a side, far apart", base: []float64{1}, new: []float64{1000},
			tested: false, p: 1, verdict: NoClearDifference, diff: 999, shift: 999,
		},
		{
			name: "one against ten", base: []float64{1}, new: []float64{100, 101, 102, 103, 104, 105, 106, 107, 108, 109},
			tested: false, p: 1, verdict: NoClearDifference, diff: 103.5, shift: 103.5,
		},
		{
			name: "all equal", base: []float64{0, 0, 0, 0, 0}, new: []float64{0, 0, 0, 0, 0},
			tested: false, p: 1, verdict: NoClearDifference,
			hasCI: true, lo: 0, hi: 0, confidence: 244.0 / 252,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, n := slices.Clone(tt.base), slices.Clone(tt.new)
			c := Compare(b, n, tt.dir, tt.opts...)
			if !slices.Equal(b, tt.base) || !slices.Equal(n, tt.new) {
				t.Error("Compare modified its input")
			}
			if c.Tested != tt.tested || !near(c.P, tt.p) || !near(c.PAdjusted, tt.p) || c.Verdict != tt.verdict {
				t.Errorf("tested %v p %v (adjusted %v) verdict %q; want tested %v p %v verdict %q (test %q, warnings %q)",
					c.Tested, c.P, c.PAdjusted, c.Verdict, tt.tested, tt.p, tt.verdict, c.Test, c.Warnings)
			}
			if !near(c.Diff, tt.diff) || !near(c.Shift, tt.shift) {
				t.Errorf("diff %v shift %v, want %v %v", c.Diff, c.Shift, tt.diff, tt.shift)
			}
			if c.HasCI != tt.hasCI || !near(c.Lo, tt.lo) || !near(c.Hi, tt.hi) || !near(c.Confidence, tt.confidence) {
				t.Errorf("interval %v [%v, %v] at %v, want %v [%v, %v] at %v", c.HasCI, c.Lo, c.Hi, c.Confidence, tt.hasCI, tt.lo, tt.hi, tt.confidence)
			}
			if c.Tested && c.Test != TestMannWhitneyExact {
				t.Errorf("test %q, want the exact one at these sizes", c.Test)
			}
			if !c.Tested && c.Test != "none" {
				t.Errorf("untested comparison names test %q", c.Test)
			}
		})
	}
}

func TestCompareNoValues(t *testing.T) {
	c := Compare(nil, []float64{1, 2}, LowerIsBetter)
	if c.Tested || c.Verdict != NoClearDifference || len(c.Warnings) == 0 {
		t.Errorf("Compare with an empty side: %+v", c)
	}
}

func TestVerdictWords(t *testing.T) {
	for v, want := range map[Verdict]string{
		Better: "better", Worse: "worse", NoClearDifference: "no clear difference at this sample size",
	} {
		if got := v.Words(); got != want {
			t.Errorf("%q.Words() = %q, want %q", v, got, want)
		}
	}
}

// The number of arrangements with U = u for 4+4 is the Gaussian binomial
// [8 choose 4]_q, tabulated (e.g. OEIS A008967 row 4,4).
func TestUDistribution(t *testing.T) {
	counts := []float64{1, 1, 2, 3, 5, 5, 7, 7, 8, 7, 7, 5, 5, 3, 2, 1, 1}
	got := uDistribution(4, 4)
	if len(got) != len(counts) {
		t.Fatalf("len %d, want %d", len(got), len(counts))
	}
	for u, c := range counts {
		if !near(got[u], c/70) {
			t.Errorf("P(U=%d) = %v, want %v/70", u, got[u], c)
		}
	}
	// 3+5 is not symmetric in its sizes: partitions of u into ≤ 3 parts ≤ 5.
	counts = []float64{1, 1, 2, 3, 4, 5, 6, 6, 6, 6, 5, 4, 3, 2, 1, 1} // C(8,3) = 56
	got = uDistribution(3, 5)
	for u, c := range counts {
		if !near(got[u], c/56) {
			t.Errorf("3+5: P(U=%d) = %v, want %v/56", u, got[u], c)
		}
	}
}

// Above exactShiftLimit the interval's rank comes from the normal
// approximation; it stays within a rank of the exact one.
func TestShiftRankApproximation(t *testing.T) {
	for _, n := range [][2]int{{51, 50}, {60, 60}, {100, 40}} {
		approx, _ := shiftRank(n[0], n[1], 0.95)
		pmf := uDistribution(n[0], n[1])
		cdf, exact := 0.0, 0
		for u := range pmf {
			if cdf+pmf[u] > 0.025 {
				break
			}
			cdf += pmf[u]
			exact = u + 1
		}
		if d := approx - exact; d < -1 || d > 1 {
			t.Errorf("%d+%d: approximate rank %d, exact %d", n[0], n[1], approx, exact)
		}
	}
}

// Two samples of the same service, seven metrics at a time: the share of
// compares that call anything better or worse stays near α with the
// correction, and is clearly above it without.
func TestAdjustHoldsFalseAlarmsOnSameService(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const families, metrics, n = 1500, 7, 6
	var alarmsAdjusted, alarmsRaw int
	for f := 0; f < families; f++ {
		cs := make([]Comparison, metrics)
		raw := false
		for m := range cs {
			base, new := make([]float64, n), make([]float64, n)
			for i := range base {
				base[i], new[i] = rng.ExpFloat64(), rng.ExpFloat64()
			}
			cs[m] = Compare(base, new, LowerIsBetter)
			raw = raw || cs[m].Verdict != NoClearDifference
		}
		Adjust(cs, DefaultAlpha)
		for _, c := range cs {
			if c.Verdict != NoClearDifference {
				alarmsAdjusted++
				break
			}
		}
		if raw {
			alarmsRaw++
		}
	}
	adjusted, rawRate := float64(alarmsAdjusted)/families, float64(alarmsRaw)/families
	// Binomial sd at 0.05 and 1500 families is 0.0056: 0.067 is 3 sd.
	if adjusted > 0.067 {
		t.Errorf("same service, corrected: %.3f of compares raised an alarm, want ≤ α", adjusted)
	}
	t.Logf("same service, %d families of %d metrics: %.3f corrected, %.3f uncorrected", families, metrics, adjusted, rawRate)
	if rawRate < 0.15 {
		t.Errorf("same service, uncorrected: %.3f of compares raised an alarm; expected well above α (the correction would be untested)", rawRate)
	}
}
