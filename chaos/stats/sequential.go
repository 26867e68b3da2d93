package stats

import (
	"fmt"
	"math"
	"slices"
)

// CorrectionSequential names the correction of a look of a Sequential
// design: Holm's step-down across the family, at the share of α the
// design gives that look.
const CorrectionSequential = "Holm within a look, Pocock-type α spending across looks"

// ExactTiesLimit is the most values a side for which the test's p is
// exact when values tie (go-moremath's MannWhitneyTiesExactLimit, which
// benchmath uses); above it the p comes from the normal approximation. A
// fixed reference side is kept to it, so that every look's p is exact.
const ExactTiesLimit = 25

// NeedLimit is how far Need looks: the most repetitions a side it names.
const NeedLimit = 50

// Sequential is a group-sequential design that decides, one repetition
// at a time, whether two sides differ in any figure of a small family,
// holding the chance of any false "clear" across every look and every
// figure at Alpha (see the package doc, "Repetitions until clear").
//
// Looks are at Start, Start+1, ..., Max repetitions a side. Both sides
// grow together (n a side) unless Reference is set: then one side is a
// fixed set of Reference earlier values and only the other grows.
type Sequential struct {
	Alpha float64 `json:"alpha"`
	// Max is the repetitions a side at the last look.
	Max int `json:"max"`
	// Family is the number of figures tested at each look (m).
	Family int `json:"family"`
	// Reference is the size of a fixed reference side; 0 when both grow.
	Reference int `json:"reference,omitempty"`
	// Start is the first look.
	Start int `json:"start"`
}

// SequentialLook is one look of a design.
type SequentialLook struct {
	// N is the repetitions a side (of the growing side, with a fixed
	// reference).
	N int `json:"n"`
	// Level is the share of α this look may spend: what the spending
	// function allows by N/Max, less what the looks before spent.
	Level float64 `json:"level"`
	// Threshold is the p a figure needs to be called at this look (Holm's
	// first step, Level/Family).
	Threshold float64 `json:"threshold"`
	// MinP is the smallest two-sided p the exact test can give at this
	// size (MinP).
	MinP float64 `json:"min_p"`
	// CanCall is false when MinP is above Threshold: nothing can be
	// called here, so the look spends nothing and its share carries on
	// to the next.
	CanCall bool `json:"can_call"`
}

// Spending is the share of alpha a Pocock-type spending function (Lan &
// DeMets 1983) allows by information fraction t in [0, 1]:
// α·ln(1 + (e−1)·t). It spends about evenly across looks, so that a large
// difference can be called at the first look the exact test allows.
func Spending(alpha, t float64) float64 {
	t = math.Min(math.Max(t, 0), 1)
	return alpha * math.Log(1+(math.E-1)*t)
}

// MinP is the smallest two-sided p the exact Mann-Whitney test can give
// with n1 and n2 values, every value of one side beyond every value of
// the other: 2/C(n1+n2, n1), at most 1. Ties cannot make it smaller: the
// exact test conditional on ties counts the observed arrangement among
// C(n1+n2, n1) equally likely ones, and doubles the smaller tail.
func MinP(n1, n2 int) float64 {
	if n1 < 1 || n2 < 1 {
		return 1
	}
	c := 1.0 // C(n1+n2, n1), built as a product of ratios
	for i := 1; i <= n1; i++ {
		c = c * float64(n2+i) / float64(i)
	}
	return math.Min(1, 2/c)
}

// Check says what is wrong with d, if anything.
func (d Sequential) Check() error {
	switch {
	case !(d.Alpha > 0 && d.Alpha < 1):
		return fmt.Errorf("α must be between 0 and 1 (got %v)", d.Alpha)
	case d.Family < 1:
		return fmt.Errorf("the family needs at least one figure (got %d)", d.Family)
	case d.Start < 2:
		return fmt.Errorf("the first look needs at least 2 repetitions a side (got %d)", d.Start)
	case d.Max < d.Start:
		return fmt.Errorf("the maximum, %d repetitions a side, is below the first look, %d", d.Max, d.Start)
	case d.Reference < 0 || d.Reference > ExactTiesLimit:
		return fmt.Errorf("a fixed reference side holds 0 to %d values (got %d)", ExactTiesLimit, d.Reference)
	}
	return nil
}

// FirstLook is the first number of repetitions a side at which a design
// with both sides growing can call anything, for α across a family of
// family figures and at most max repetitions a side: the size of the
// first batch, since looking earlier cannot end anything. An error says
// when no look up to max can, and how large max must be.
func FirstLook(alpha float64, max, family int) (int, error) {
	d := Sequential{Alpha: alpha, Max: max, Family: family, Start: 2}
	if err := d.Check(); err != nil {
		return 0, err
	}
	if n, ok := d.FirstCall(); ok {
		return n, nil
	}
	for m := max + 1; m <= NeedLimit; m++ {
		if _, ok := (Sequential{Alpha: alpha, Max: m, Family: family, Start: 2}).FirstCall(); ok {
			return 0, fmt.Errorf("with at most %d repetitions a side no difference can be called at α = %g across %d figure(s) (the exact test's smallest p at %d a side is %.2g): allow at least %d", max, alpha, family, max, MinP(max, max), m)
		}
	}
	return 0, fmt.Errorf("with at most %d repetitions a side no difference can be called at α = %g across %d figure(s)", max, alpha, family)
}

// FirstCall is the first look of d that can call anything; false when
// none can.
func (d Sequential) FirstCall() (int, bool) {
	for _, l := range d.Looks() {
		if l.CanCall {
			return l.N, true
		}
	}
	return 0, false
}

// reference is the size of the side compared with n repetitions.
func (d Sequential) reference(n int) int {
	if d.Reference > 0 {
		return d.Reference
	}
	return n
}

// Looks are the design's looks, Start to Max. It depends on nothing but
// the design, so it is fixed before any value is seen.
func (d Sequential) Looks() []SequentialLook {
	var out []SequentialLook
	spent := 0.0
	for n := d.Start; n <= d.Max; n++ {
		avail := Spending(d.Alpha, float64(n)/float64(d.Max)) - spent
		l := SequentialLook{N: n, Level: avail, Threshold: avail / float64(d.Family), MinP: MinP(d.reference(n), n)}
		// The exact p-values are fractions computed in floating point.
		l.CanCall = l.MinP <= l.Threshold*(1+1e-9)
		if l.CanCall {
			spent += avail
		}
		out = append(out, l)
	}
	return out
}

// Look is the look at n repetitions a side; false when the design has
// none there.
func (d Sequential) Look(n int) (SequentialLook, bool) {
	for _, l := range d.Looks() {
		if l.N == n {
			return l, true
		}
	}
	return SequentialLook{}, false
}

// Decide applies the rule of the look at n to the family's comparisons
// made there (Compare of each figure's first n values a side; fewer when
// some repetitions could not run). It is Holm's step-down procedure at
// the look's Level: sorted p(1) ≤ … ≤ p(m), the adjusted value is
// max over j ≤ i of min(1, (m−j+1)·p(j)), with m the design's Family
// (a figure not compared, or not testable, counts as p = 1). It sets each
// comparison's PAdjusted, Alpha (the look's Level), FamilySize,
// Correction and Verdict, and says whether any figure is clear. A look
// that cannot call anything calls nothing, whatever the values.
func (d Sequential) Decide(n int, cs []Comparison) (SequentialLook, bool, error) {
	if err := d.Check(); err != nil {
		return SequentialLook{}, false, err
	}
	l, ok := d.Look(n)
	if !ok {
		return l, false, fmt.Errorf("the design has no look at %d repetitions a side (looks at %d to %d)", n, d.Start, d.Max)
	}
	if len(cs) > d.Family {
		return l, false, fmt.Errorf("%d figures compared, but the design's family has %d", len(cs), d.Family)
	}
	var idx []int
	for i := range cs {
		cs[i].Alpha, cs[i].PAdjusted = l.Level, 1
		cs[i].FamilySize, cs[i].Correction = d.Family, CorrectionSequential
		if cs[i].Tested {
			idx = append(idx, i)
		}
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmpFloat(cs[a].P, cs[b].P) })
	running := 0.0
	for r, i := range idx {
		running = math.Max(running, math.Min(1, float64(d.Family-r)*cs[i].P))
		cs[i].PAdjusted = running
	}
	clear := false
	for i := range cs {
		cs[i].decide()
		if !l.CanCall {
			cs[i].Verdict = NoClearDifference
		}
		clear = clear || cs[i].Verdict != NoClearDifference
	}
	return l, clear, nil
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Need is the smallest number of repetitions a side, from from up to
// limit (at most NeedLimit), at which a separation like c's could be
// called: the same share of pairs won by the side that wins more (c.Above
// or 1 − c.Above), counted on the exact distribution of U without ties,
// against the threshold of the look at that size, of this design up to
// Max and, beyond it, of the last look of the same design ending there
// (what --repeat-max would have to be). 0 when none up to limit, or when
// the sides do not separate at all.
func (d Sequential) Need(c Comparison, from, limit int) int {
	share := math.Min(c.Above, 1-c.Above)
	if !c.Tested || share >= 0.5-1e-9 {
		return 0
	}
	limit = min(limit, NeedLimit)
	for n := max(from, d.Start); n <= limit; n++ {
		design := d
		if n > d.Max {
			design.Max = n
		}
		l, ok := design.Look(n)
		if !ok || !l.CanCall {
			continue
		}
		n1 := d.reference(n)
		u := int(math.Floor(share*float64(n1*n) + 1e-9))
		if exactTail(n1, n, u) <= l.Threshold*(1+1e-9) {
			return n
		}
	}
	return 0
}

// exactTail is the two-sided p of U = u (u below the middle) with n1 and
// n2 values and no ties: 2·P(U ≤ u), at most 1.
func exactTail(n1, n2, u int) float64 {
	pmf := uDistribution(n1, n2)
	cdf := 0.0
	for i := 0; i <= u && i < len(pmf); i++ {
		cdf += pmf[i]
	}
	return math.Min(1, 2*cdf)
}

// Bound is the false-alarm rate the design holds for values without
// ties, counting the exact test's discreteness: the sum over the looks
// that can call of Family × the largest two-sided p the test can give at
// or below the look's threshold (Bonferroni across figures and looks).
// It is at most Alpha; correlation between figures and between looks
// (each look holds the values of the one before) make the real rate
// lower still (see the simulation in sequential_test.go).
func (d Sequential) Bound() float64 {
	total := 0.0
	for _, l := range d.Looks() {
		if !l.CanCall {
			continue
		}
		n1, n2 := d.reference(l.N), l.N
		pmf := uDistribution(n1, n2)
		cdf, attained := 0.0, 0.0
		for u := 0; u < len(pmf); u++ {
			cdf += pmf[u]
			if p := 2 * cdf; p <= l.Threshold*(1+1e-9) {
				attained = p
				continue
			}
			break
		}
		total += float64(d.Family) * attained
	}
	return total
}

// String says the design in words.
func (d Sequential) String() string {
	sides := "a side"
	if d.Reference > 0 {
		sides = fmt.Sprintf("against %d earlier", d.Reference)
	}
	return fmt.Sprintf("looks at %d to %d repetitions %s; Pocock-type α spending across looks, Holm across %d figure(s) within a look; α = %g", d.Start, d.Max, sides, d.Family, d.Alpha)
}
