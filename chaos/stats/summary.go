package stats

import (
	"fmt"
	"math"
	"slices"

	"golang.org/x/perf/benchmath"
)

// DefaultConfidence is the confidence level of intervals unless told.
const DefaultConfidence = 0.95

// Summary describes one sample: n, median, range, quartiles and the
// confidence interval of the median (see the package doc for the methods).
type Summary struct {
	N      int     `json:"n"`
	Median float64 `json:"median"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
	Q1     float64 `json:"q1"` // Hyndman & Fan definition 8
	Q3     float64 `json:"q3"`
	// Lo and Hi bound the median with probability Confidence (at least the
	// level asked for); both 0 when HasCI is false.
	Lo         float64 `json:"lo,omitempty"`
	Hi         float64 `json:"hi,omitempty"`
	Confidence float64 `json:"confidence,omitempty"`
	// HasCI is false when the sample is too small for an interval at the
	// level asked for; Warnings then says how many values it needs.
	HasCI    bool     `json:"has_ci"`
	Method   string   `json:"method"`
	Warnings []string `json:"warnings,omitempty"`
}

// MethodOrderStatistic names Summary's interval.
const MethodOrderStatistic = "median, exact order-statistic interval (binomial)"

// IQR is Q3 − Q1.
func (s Summary) IQR() float64 { return s.Q3 - s.Q1 }

// Summarize describes xs (not modified) at the given confidence level
// (DefaultConfidence when ≤ 0 or ≥ 1).
func Summarize(xs []float64, confidence float64) Summary {
	if confidence <= 0 || confidence >= 1 {
		confidence = DefaultConfidence
	}
	s := Summary{N: len(xs), Method: MethodOrderStatistic}
	if len(xs) == 0 {
		s.Warnings = []string{"no values"}
		return s
	}
	sorted := sortedCopy(xs)
	s.Min, s.Max = sorted[0], sorted[len(sorted)-1]
	s.Q1, s.Q3 = quantileSorted(sorted, 0.25), quantileSorted(sorted, 0.75)

	// benchmath sorts the slice it is given; it gets its own copy.
	bs := benchmath.AssumeNothing.Summary(benchmath.NewSample(slices.Clone(sorted), &benchmath.DefaultThresholds), confidence)
	s.Median = bs.Center
	for _, w := range bs.Warnings {
		s.Warnings = append(s.Warnings, w.Error())
	}
	if !math.IsInf(bs.Lo, 0) && !math.IsInf(bs.Hi, 0) {
		s.Lo, s.Hi, s.Confidence, s.HasCI = bs.Lo, bs.Hi, bs.Confidence, true
	} else if len(bs.Warnings) == 0 {
		s.Warnings = append(s.Warnings, fmt.Sprintf("too few values for a %g%% interval", 100*confidence))
	}
	return s
}

// Median is the median of xs (not modified): the middle value, or the
// mean of the middle two; NaN for none. +Inf ("never happened") sorts
// last, and a median that reaches one is +Inf: the cautious reading of a
// scenario that did not recover. The one median every package uses
// (Summarize's comes with its interval, from benchmath).
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := sortedCopy(xs)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	a, b := s[n/2-1], s[n/2]
	if math.IsInf(b, 1) {
		return b
	}
	return (a + b) / 2
}

// Quantile is the p-quantile of xs (not modified) by Hyndman & Fan's
// definition 8, the one Summary's quartiles use; NaN for no values.
func Quantile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	return quantileSorted(sortedCopy(xs), p)
}

func quantileSorted(x []float64, p float64) float64 {
	n := float64(len(x))
	h := (n+1.0/3)*p + 1.0/3 // 1-based position
	switch {
	case h <= 1:
		return x[0]
	case h >= n:
		return x[len(x)-1]
	}
	k := math.Floor(h)
	i := int(k) - 1 // 0-based index of x(⌊h⌋)
	return x[i] + (h-k)*(x[i+1]-x[i])
}

func sortedCopy(xs []float64) []float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s
}
