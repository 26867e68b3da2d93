package stats

import (
	"math"
	"sort"
)

// Adjust corrects the comparisons made together for their number, with the
// Benjamini-Hochberg step-up procedure at alpha (DefaultAlpha when outside
// (0, 1)), and sets each one's PAdjusted, FamilySize, Correction, Alpha and
// Verdict. Why this procedure and not Holm: see the package doc.
//
// Only comparisons that were tested make up the family: a side with one
// value, or two sides that are all one value, can never give a small P,
// and leaving them out depends on nothing but the pooled values (not on
// which side they came from), so it does not bias the others.
//
// For the m tested, sorted by P as p(1) ≤ … ≤ p(m), the adjusted value is
// p̃(i) = min over j ≥ i of min(1, m·p(j)/j), and a comparison shows a clear
// difference when p̃ ≤ alpha.
func Adjust(cs []Comparison, alpha float64) {
	if alpha <= 0 || alpha >= 1 {
		alpha = DefaultAlpha
	}
	var idx []int
	for i := range cs {
		cs[i].Alpha = alpha
		cs[i].PAdjusted = cs[i].P
		if cs[i].Tested {
			idx = append(idx, i)
		}
	}
	m := len(idx)
	sort.SliceStable(idx, func(a, b int) bool { return cs[idx[a]].P < cs[idx[b]].P })
	running := 1.0
	for r := m; r >= 1; r-- {
		c := &cs[idx[r-1]]
		running = math.Min(running, math.Min(1, float64(m)*c.P/float64(r)))
		c.PAdjusted = running
	}
	for i := range cs {
		cs[i].FamilySize = m
		cs[i].Correction = CorrectionBH
		cs[i].decide()
	}
}
