package stats

import "testing"

func TestPredictionBound(t *testing.T) {
	// Ranks worked by hand: k = ⌈p·(n+1)⌉.
	tests := []struct {
		name  string
		xs    []float64
		p     float64
		bound float64
		k     int
		ok    bool
	}{
		{"six values are too few for P95 (k = ⌈6.65⌉ = 7 > 6)", []float64{1, 2, 3, 4, 5, 6}, 0.95, 0, 7, false},
		{"19 values: the largest (k = ⌈19⌉ = 19)", seq(19), 0.95, 19, 19, true},
		{"20 values: the 20th (k = ⌈19.95⌉ = 20)", seq(20), 0.95, 20, 20, true},
		{"39 values: the 38th (k = ⌈38⌉ = 38)", seq(39), 0.95, 38, 38, true},
		{"P90 of 9: the 9th (k = ⌈9⌉ = 9)", seq(9), 0.9, 9, 9, true},
		{"P90 of 8: too few (k = ⌈8.1⌉ = 9)", seq(8), 0.9, 0, 9, false},
		{"P50 of 5 unsorted: the 3rd smallest (k = ⌈3⌉)", []float64{50, 10, 40, 20, 30}, 0.5, 30, 3, true},
		{"ties: all equal", []float64{7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7}, 0.95, 7, 19, true},
		{"empty", nil, 0.95, 0, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, k, ok := PredictionBound(tt.xs, tt.p)
			if b != tt.bound || k != tt.k || ok != tt.ok {
				t.Errorf("PredictionBound = %v, %d, %v; want %v, %d, %v", b, k, ok, tt.bound, tt.k, tt.ok)
			}
		})
	}
}

func TestMinForPrediction(t *testing.T) {
	// ⌈p/(1−p)⌉ by hand.
	for _, tt := range []struct {
		p    float64
		want int
	}{{0.95, 19}, {0.9, 9}, {0.99, 99}, {0.5, 1}, {0.8, 4}} {
		if got := MinForPrediction(tt.p); got != tt.want {
			t.Errorf("MinForPrediction(%v) = %d, want %d", tt.p, got, tt.want)
		}
	}
}

// TestPredictionBoundFalseAlarms checks the promise itself: for n values
// and one more from the same continuous population, the new one exceeds
// the bound in (n+1−k)/(n+1) of all orderings. Every ordering of n+1
// distinct values is equally likely, so counting the positions the new
// value can take among them gives the exact rate.
func TestPredictionBoundFalseAlarms(t *testing.T) {
	for _, n := range []int{19, 20, 25, 40} {
		all := seq(n + 1)
		exceed := 0
		for i := range all { // the new value is all[i]; the history the rest
			hist := append(append([]float64(nil), all[:i]...), all[i+1:]...)
			b, _, ok := PredictionBound(hist, 0.95)
			if !ok {
				t.Fatalf("n=%d: no bound", n)
			}
			if all[i] > b {
				exceed++
			}
		}
		if rate := float64(exceed) / float64(n+1); rate > 0.05 {
			t.Errorf("n=%d: a new value exceeds the P95 bound in %.3f of orderings, want ≤ 0.05", n, rate)
		}
	}
}

func seq(n int) []float64 {
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = float64(i + 1)
	}
	return xs
}
