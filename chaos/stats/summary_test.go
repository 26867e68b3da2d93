package stats

import (
	"math"
	"slices"
	"testing"
)

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

// The expected figures are worked out by hand in the comments: quartiles by
// Hyndman & Fan definition 8, h = (n + 1/3)·p + 1/3; the median's interval
// [x(l), x(u)] from Binomial(n, 1/2), whose confidence is
// 1 − 2·P(B ≤ l−1) for the symmetric interval.
func TestSummarize(t *testing.T) {
	tests := []struct {
		name       string
		xs         []float64
		confidence float64
		want       Summary
	}{
		{
			name: "no values",
			want: Summary{Warnings: []string{"no values"}},
		},
		{
			// One value: everything is that value; no interval.
			name: "n=1",
			xs:   []float64{5},
			want: Summary{N: 1, Median: 5, Min: 5, Max: 5, Q1: 5, Q3: 5},
		},
		{
			// Q1: h = 7/3·1/4 + 1/3 = 11/12 ≤ 1 → x(1); Q3: h = 7/4 + 1/3 ≥ 2 → x(2).
			name: "n=2",
			xs:   []float64{3, 1},
			want: Summary{N: 2, Median: 2, Min: 1, Max: 3, Q1: 1, Q3: 3},
		},
		{
			// Q1: h = 16/3·1/4 + 1/3 = 5/3 → 1 + 2/3; Q3: h = 4 + 1/3 → 4 + 1/3.
			// 95 %: [x(1), x(5)] covers with 1 − 2/32 = 0.9375 only: no interval.
			name: "n=5 too few for 95%",
			xs:   []float64{5, 4, 3, 2, 1},
			want: Summary{N: 5, Median: 3, Min: 1, Max: 5, Q1: 5.0 / 3, Q3: 13.0 / 3},
		},
		{
			// At 90 % the same five values have [x(1), x(5)], 30/32.
			name:       "n=5 at 90%",
			xs:         []float64{5, 4, 3, 2, 1},
			confidence: 0.90,
			want:       Summary{N: 5, Median: 3, Min: 1, Max: 5, Q1: 5.0 / 3, Q3: 13.0 / 3, Lo: 1, Hi: 5, Confidence: 30.0 / 32, HasCI: true},
		},
		{
			// Sorted 1 2 2 3 7 9 (a tie). Median (2+3)/2. Q1: h = 19/3·1/4 + 1/3
			// = 23/12 → 1 + 11/12·(2−1); Q3: h = 19/4 + 1/3 = 61/12 → 7 + 1/12·(9−7).
			// 95 %: P(B ≤ 0) = 1/64, so [x(1), x(6)] at 62/64.
			name: "n=6 with ties",
			xs:   []float64{3, 1, 2, 2, 9, 7},
			want: Summary{N: 6, Median: 2.5, Min: 1, Max: 9, Q1: 1 + 11.0/12, Q3: 7 + 2.0/12, Lo: 1, Hi: 9, Confidence: 62.0 / 64, HasCI: true},
		},
		{
			// P(B ≤ 0) = 1/128 ≤ 0.025 < P(B ≤ 1) = 8/128: [x(1), x(7)] at 126/128.
			// Q1: h = 22/3·1/4 + 1/3 = 13/6 → 20 + 1/6·10; Q3: h = 11/2 + 1/3 = 35/6 → 50 + 5/6·10.
			name: "n=7",
			xs:   []float64{10, 20, 30, 40, 50, 60, 70},
			want: Summary{N: 7, Median: 40, Min: 10, Max: 70, Q1: 20 + 10.0/6, Q3: 50 + 50.0/6, Lo: 10, Hi: 70, Confidence: 126.0 / 128, HasCI: true},
		},
		{
			// P(B ≤ 1) = 11/1024 ≤ 0.025 < P(B ≤ 2) = 56/1024: [x(2), x(9)] at 1002/1024.
			// Q1: h = 31/3·1/4 + 1/3 = 35/12 → 2 + 11/12; Q3: h = 31/4 + 1/3 = 97/12 → 8 + 1/12.
			name: "n=10",
			xs:   []float64{10, 9, 8, 7, 6, 5, 4, 3, 2, 1},
			want: Summary{N: 10, Median: 5.5, Min: 1, Max: 10, Q1: 2 + 11.0/12, Q3: 8 + 1.0/12, Lo: 2, Hi: 9, Confidence: 1002.0 / 1024, HasCI: true},
		},
		{
			name: "all equal",
			xs:   []float64{4, 4, 4, 4, 4, 4},
			want: Summary{N: 6, Median: 4, Min: 4, Max: 4, Q1: 4, Q3: 4, Lo: 4, Hi: 4, Confidence: 62.0 / 64, HasCI: true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := slices.Clone(tt.xs)
			got := Summarize(in, tt.confidence)
			if !slices.Equal(in, tt.xs) {
				t.Errorf("Summarize modified its input: %v, was %v", in, tt.xs)
			}
			w := tt.want
			if got.N != w.N || !near(got.Median, w.Median) || !near(got.Min, w.Min) || !near(got.Max, w.Max) ||
				!near(got.Q1, w.Q1) || !near(got.Q3, w.Q3) || got.HasCI != w.HasCI ||
				!near(got.Lo, w.Lo) || !near(got.Hi, w.Hi) || !near(got.Confidence, w.Confidence) {
				t.Errorf("Summarize(%v, %v) =\n %+v\nwant\n %+v", tt.xs, tt.confidence, got, w)
			}
			if !got.HasCI && len(got.Warnings) == 0 {
				t.Errorf("no interval and no warning saying why: %+v", got)
			}
			if got.HasCI && len(got.Warnings) != 0 {
				t.Errorf("warnings with an interval: %v", got.Warnings)
			}
			if got.Method == "" {
				t.Error("no method named")
			}
		})
	}
}

func TestSummarizeTooFewSaysHowMany(t *testing.T) {
	s := Summarize([]float64{1, 2, 3}, 0.95)
	if s.HasCI || len(s.Warnings) != 1 || s.Warnings[0] != "need >= 6 samples for confidence interval at level 0.95" {
		t.Errorf("Summarize of 3 values at 95%%: HasCI %v, warnings %q", s.HasCI, s.Warnings)
	}
}

// The median Summary reports (benchmath's) and Quantile(0.5) are the same
// definition.
func TestQuantileHalfIsTheMedian(t *testing.T) {
	xs := []float64{7, 1, 3, 3, 12, 8, 2, 5, 9}
	for n := 1; n <= len(xs); n++ {
		if q, m := Quantile(xs[:n], 0.5), Summarize(xs[:n], 0).Median; !near(q, m) {
			t.Errorf("n=%d: Quantile(0.5) = %v, Summary median %v", n, q, m)
		}
	}
}

func TestQuantile(t *testing.T) {
	xs := []float64{40, 10, 30, 20} // sorted 10 20 30 40
	tests := []struct {
		p, want float64
	}{
		{0, 10},
		{1, 40},
		// h = 13/3·0.95 + 1/3 = 4.45 ≥ 4 → x(4).
		{0.95, 40},
		// h = 13/3·0.5 + 1/3 = 2.5 → 20 + 0.5·10.
		{0.5, 25},
		// h = 13/3·0.3 + 1/3 = 1.6333… → 10 + 0.6333…·10.
		{0.3, 10 + 10*(13.0/3*0.3+1.0/3-1)},
	}
	for _, tt := range tests {
		if got := Quantile(xs, tt.p); !near(got, tt.want) {
			t.Errorf("Quantile(%v, %v) = %v, want %v", xs, tt.p, got, tt.want)
		}
	}
	if !math.IsNaN(Quantile(nil, 0.5)) {
		t.Error("Quantile of no values is not NaN")
	}
	// 14 values 1..14: h = 43/3·0.95 + 1/3 = 13.95 → 13 + 0.95.
	var h []float64
	for i := 14; i >= 1; i-- {
		h = append(h, float64(i))
	}
	if got := Quantile(h, 0.95); !near(got, 13.95) {
		t.Errorf("P95 of 1..14 = %v, want 13.95", got)
	}
}

// Median is the one median: the middle value or the mean of the middle
// two, "never" (+Inf) sorting last, so that a median reaching one is
// never (chaos/aggregate's budgets, the trends, the host, the plan's
// estimates and the charts all read it).
func TestMedian(t *testing.T) {
	inf := math.Inf(1)
	for _, tt := range []struct {
		xs   []float64
		want float64
	}{
		{[]float64{5}, 5}, {[]float64{3, 1, 2}, 2}, {[]float64{4, 1, 3, 2}, 2.5},
		{[]float64{1, inf, 2}, 2}, {[]float64{1, inf}, inf}, {[]float64{inf, 1, inf}, inf}, {[]float64{inf, inf}, inf},
	} {
		xs := append([]float64(nil), tt.xs...)
		if got := Median(xs); got != tt.want {
			t.Errorf("Median(%v) = %v, want %v", tt.xs, got, tt.want)
		}
		if !slices.Equal(xs, tt.xs) {
			t.Errorf("Median sorted its argument: %v", xs)
		}
	}
	if !math.IsNaN(Median(nil)) {
		t.Error("the median of nothing is not a number")
	}
	if got := Median([]float64{1, 2, 3, 10}); got != Quantile([]float64{1, 2, 3, 10}, 0.5) {
		t.Errorf("Median %v differs from the 0.5-quantile %v", got, Quantile([]float64{1, 2, 3, 10}, 0.5))
	}
}
