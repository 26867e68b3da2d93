package stats

import (
	"math"
	"sort"
)

// PredictionBound is the distribution-free upper prediction bound at
// level p for one new value from the population xs came from: the k-th
// smallest of the n values, with k = ⌈p·(n+1)⌉. For exchangeable values
// without ties a new one exceeds it with probability (n+1−k)/(n+1) ≤ 1−p,
// whatever the distribution (with ties, less). This is what makes a
// "P95 of the history" budget fail a healthy service at most 5 % of the
// time per figure; the plain empirical P95 of 6 values is their maximum,
// which a 7th value from the same service exceeds 1 time in 7.
//
// ok is false when n is too small for p (k > n): no order statistic of n
// values bounds a new one at that level; MinForPrediction says how many
// are needed.
func PredictionBound(xs []float64, p float64) (bound float64, k int, ok bool) {
	n := len(xs)
	k = predictionRank(n, p)
	if n == 0 || k > n || k < 1 {
		return 0, k, false
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s[k-1], k, true
}

// MinForPrediction is the least number of values for which
// PredictionBound exists at level p: ⌈p/(1−p)⌉ (19 for 0.95, 9 for 0.9).
func MinForPrediction(p float64) int {
	if !(p > 0 && p < 1) {
		return 0
	}
	n := 1
	for predictionRank(n, p) > n {
		n++
	}
	return n
}

// predictionRank is ⌈p·(n+1)⌉, with a tolerance for the binary
// representation of p (0.95·20 must be 19, not 19.000000000000004).
func predictionRank(n int, p float64) int {
	return int(math.Ceil(p*float64(n+1) - 1e-9))
}
