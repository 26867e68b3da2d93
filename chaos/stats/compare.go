package stats

import (
	"fmt"
	"math"
	"slices"

	"golang.org/x/perf/benchmath"
)

// Verdict says how NEW compares with BASE on one metric.
type Verdict string

// Verdicts. Anything short of a clear difference is NoClearDifference,
// never "same": a small sample cannot show two things are equal.
const (
	Better            Verdict = "better"
	Worse             Verdict = "worse"
	NoClearDifference Verdict = "no_clear_difference"
)

// Words says v as a reader would.
func (v Verdict) Words() string {
	if v == NoClearDifference {
		return "no clear difference at this sample size"
	}
	return string(v)
}

// Direction says which way a metric improves.
type Direction int

// Directions.
const (
	LowerIsBetter Direction = iota // downtime, recovery, 5xx...
	HigherIsBetter
)

// DefaultAlpha is the false-alarm rate a compare is held to unless told.
const DefaultAlpha = 0.05

// Method names.
const (
	TestMannWhitneyExact  = "Mann-Whitney U, exact"
	TestMannWhitneyNormal = "Mann-Whitney U, normal approximation"
	MethodHodgesLehmann   = "Hodges-Lehmann interval of the shift"
	CorrectionBH          = "Benjamini-Hochberg"
)

// Comparison is NEW against BASE on one metric.
type Comparison struct {
	Base, New Summary
	Direction Direction `json:"direction"`

	// Diff is New.Median − Base.Median.
	Diff float64 `json:"diff"`
	// Shift is the Hodges-Lehmann estimate of how far NEW is shifted from
	// BASE (the median of all pairwise differences new − base); Lo and Hi
	// are its confidence interval at Confidence, set when HasCI.
	Shift      float64 `json:"shift"`
	Lo         float64 `json:"lo,omitempty"`
	Hi         float64 `json:"hi,omitempty"`
	Confidence float64 `json:"confidence,omitempty"`
	HasCI      bool    `json:"has_ci"`
	Method     string  `json:"method"` // of the interval
	// Above is the share of the n₁·n₂ pairs (base, new) in which NEW is
	// above BASE, a tie counting half: U/(n₁·n₂), how far apart the two
	// sides are whatever their units (1 or 0: every value of one side
	// above every value of the other; ½: no separation).
	Above float64 `json:"above"`

	// Tested is false when no test could be made: fewer than two values on
	// a side, or every value on both sides the same. P is then 1.
	Tested bool    `json:"tested"`
	Test   string  `json:"test"`
	P      float64 `json:"p"` // two-sided, of the test alone
	// PAdjusted is P corrected for the other comparisons made with it
	// (Adjust); equal to P for a comparison made alone.
	PAdjusted  float64  `json:"p_adjusted"`
	Correction string   `json:"correction,omitempty"`
	FamilySize int      `json:"family_size"`
	Alpha      float64  `json:"alpha"`
	Verdict    Verdict  `json:"verdict"`
	Warnings   []string `json:"warnings,omitempty"`

	newHigher bool // more pairs with new > base than the reverse
}

// Option tunes Compare.
type Option func(*config)

type config struct{ alpha, confidence float64 }

// WithAlpha sets the false-alarm rate (default DefaultAlpha).
func WithAlpha(a float64) Option { return func(c *config) { c.alpha = a } }

// WithConfidence sets the level of the intervals (default DefaultConfidence).
func WithConfidence(l float64) Option { return func(c *config) { c.confidence = l } }

// Compare tests whether NEW differs from BASE, and which way is better
// (see the package doc for the test and the interval). Made alone, the
// verdict holds the false-alarm rate for this one comparison; use Adjust
// for many made at once.
func Compare(base, new []float64, dir Direction, opts ...Option) Comparison {
	cfg := config{alpha: DefaultAlpha, confidence: DefaultConfidence}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.alpha <= 0 || cfg.alpha >= 1 {
		cfg.alpha = DefaultAlpha
	}
	if cfg.confidence <= 0 || cfg.confidence >= 1 {
		cfg.confidence = DefaultConfidence
	}
	c := Comparison{
		Base:      Summarize(base, cfg.confidence),
		New:       Summarize(new, cfg.confidence),
		Direction: dir,
		Method:    MethodHodgesLehmann,
		Alpha:     cfg.alpha,
		P:         1,
		Verdict:   NoClearDifference,
	}
	if len(base) == 0 || len(new) == 0 {
		c.Test = "none"
		c.PAdjusted = 1
		c.Warnings = append(c.Warnings, "no values on one side")
		return c
	}
	c.Diff = c.New.Median - c.Base.Median
	c.shift(base, new, cfg.confidence)
	c.test(base, new)
	c.PAdjusted, c.FamilySize = c.P, 1
	c.decide()
	return c
}

// test runs the Mann-Whitney U test through benchmath.
func (c *Comparison) test(base, new []float64) {
	n1, n2 := len(base), len(new)
	if n1 < 2 || n2 < 2 {
		// One run a side can never show a difference, whatever the test
		// says; this is not left to the test's arithmetic.
		c.Test = "none"
		c.Warnings = append(c.Warnings, fmt.Sprintf("%d+%d values: a difference needs at least 2 on each side", n1, n2))
		return
	}
	th := benchmath.Thresholds{CompareAlpha: c.Alpha}
	s1 := benchmath.NewSample(slices.Clone(base), &th)
	s2 := benchmath.NewSample(slices.Clone(new), &th)
	res := benchmath.AssumeNothing.Compare(s1, s2)
	for _, w := range res.Warnings {
		c.Warnings = append(c.Warnings, w.Error())
	}
	if allEqual(s1.Values, s2.Values) {
		c.Test = "none"
		return
	}
	c.Tested, c.P = true, math.Min(res.P, 1)
	c.Test = TestMannWhitneyNormal
	if exactU(s1.Values, s2.Values) {
		c.Test = TestMannWhitneyExact
	}
}

// exactU mirrors go-moremath's choice between the exact U distribution and
// the normal approximation (MannWhitneyExactLimit, MannWhitneyTiesExactLimit).
func exactU(x1, x2 []float64) bool {
	limit := 50
	if hasTies(x1, x2) {
		limit = 25
	}
	return len(x1) <= limit && len(x2) <= limit
}

func hasTies(x1, x2 []float64) bool {
	all := append(slices.Clone(x1), x2...)
	slices.Sort(all)
	for i := 1; i < len(all); i++ {
		if all[i] == all[i-1] {
			return true
		}
	}
	return false
}

func allEqual(x1, x2 []float64) bool {
	v := x1[0]
	for _, xs := range [][]float64{x1, x2} {
		for _, x := range xs {
			if x != v {
				return false
			}
		}
	}
	return true
}

// decide sets the verdict from PAdjusted: a clear difference when it is
// at most Alpha, its direction from which side wins more pairs.
func (c *Comparison) decide() {
	c.Verdict = NoClearDifference
	// The exact p-values are fractions computed in floating point
	// (2/20 comes out as 0.10000000000000002); rounding must not decide.
	if !c.Tested || c.PAdjusted > c.Alpha*(1+1e-9) {
		return
	}
	if c.newHigher == (c.Direction == HigherIsBetter) {
		c.Verdict = Better
	} else {
		c.Verdict = Worse
	}
}

// shift computes the Hodges-Lehmann estimate and interval.
func (c *Comparison) shift(base, new []float64, confidence float64) {
	d := make([]float64, 0, len(base)*len(new))
	var above, below int
	for _, y := range new {
		for _, x := range base {
			d = append(d, y-x)
			switch {
			case y > x:
				above++
			case y < x:
				below++
			}
		}
	}
	slices.Sort(d)
	c.newHigher = above > below
	pairs := float64(len(d))
	c.Above = (float64(above) + (pairs-float64(above+below))/2) / pairs
	c.Shift = Median(d)
	k, conf := shiftRank(len(base), len(new), confidence)
	if k < 1 {
		c.Warnings = append(c.Warnings, fmt.Sprintf("%d+%d values: too few for a %g%% interval of the difference", len(base), len(new), 100*confidence))
		return
	}
	c.Lo, c.Hi, c.Confidence, c.HasCI = d[k-1], d[len(d)-k], conf, true
}

// shiftRank is C of the Hodges-Lehmann interval [d(C), d(n1·n2+1−C)]: the
// largest C with P(U ≤ C−1) ≤ (1−confidence)/2 under the null, and the
// interval's exact confidence 1 − 2·P(U ≤ C−1). C is 0 when no interval
// reaches the level (too few values).
func shiftRank(n1, n2 int, confidence float64) (int, float64) {
	tail := (1 - confidence) / 2
	if n1*n2 > exactShiftLimit {
		// Large samples: U is close to normal (Hollander & Wolfe 4.3).
		mu := float64(n1*n2) / 2
		sd := math.Sqrt(float64(n1*n2*(n1+n2+1)) / 12)
		z := -normalQuantile(tail)
		k := int(math.Round(mu - z*sd))
		return max(k, 0), confidence
	}
	cdf := 0.0
	pmf := uDistribution(n1, n2)
	k := 0
	for u := 0; u < len(pmf); u++ {
		if cdf+pmf[u] > tail {
			break
		}
		cdf += pmf[u]
		k = u + 1
	}
	return k, 1 - 2*cdf
}

// exactShiftLimit bounds n1·n2 for the exact distribution of U (the
// normal approximation is within a rank above it).
const exactShiftLimit = 2500

// uDistribution is the null distribution of the Mann-Whitney U without
// ties: P(U = u) for u = 0..n1·n2. The number of arrangements with U = u is
// the coefficient of q^u in the Gaussian binomial [n1+n2 choose n1]_q =
// ∏_{i=1..n1} (1 − q^(n2+i)) / (1 − q^i).
func uDistribution(n1, n2 int) []float64 {
	top := n1 * n2
	c := make([]float64, top+n1+n2+1)
	c[0] = 1
	deg := 0
	for i := 1; i <= n1; i++ {
		k := n2 + i
		for u := deg + k; u >= k; u-- { // × (1 − q^k)
			c[u] -= c[u-k]
		}
		deg += k
		for u := i; u <= deg; u++ { // ÷ (1 − q^i)
			c[u] += c[u-i]
		}
		deg -= i
	}
	total := 0.0
	for _, v := range c[:top+1] {
		total += v
	}
	p := make([]float64, top+1)
	for u := range p {
		p[u] = c[u] / total
	}
	return p
}

// normalQuantile is the standard normal's p-quantile.
func normalQuantile(p float64) float64 {
	return -math.Sqrt2 * math.Erfcinv(2*p)
}
