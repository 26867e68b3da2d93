package stats

import "testing"

// Benjamini-Hochberg by hand. Sorted p: 0.005 0.01 0.03 0.04 (m = 4);
// m·p/j = 0.02 0.02 0.04 0.04; the running minimum from the top leaves
// them. All four are ≤ 0.05. (Holm would stop at the third: 0.03·2 > 0.05.)
//
// Second family: sorted 0.01 0.03 0.2 0.5; m·p/j = 0.04 0.06 0.2667 0.5:
// only the first is clear.
//
// An untested comparison is not in the family: m stays 4.
func TestAdjust(t *testing.T) {
	tests := []struct {
		name     string
		p        []float64
		tested   []bool
		adjusted []float64
		clear    []bool
		m        int
	}{
		{
			name:     "all clear",
			p:        []float64{0.01, 0.04, 0.03, 0.005},
			adjusted: []float64{0.02, 0.04, 0.04, 0.02},
			clear:    []bool{true, true, true, true},
			m:        4,
		},
		{
			name:     "one clear, one untested",
			p:        []float64{0.01, 0.2, 0.03, 0.5, 1},
			tested:   []bool{true, true, true, true, false},
			adjusted: []float64{0.04, 0.8 / 3, 0.06, 0.5, 1},
			clear:    []bool{true, false, false, false, false},
			m:        4,
		},
		{
			name:     "a tie in p",
			p:        []float64{0.02, 0.02, 0.9},
			adjusted: []float64{0.03, 0.03, 0.9},
			clear:    []bool{true, true, false},
			m:        3,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs := make([]Comparison, len(tt.p))
			for i, p := range tt.p {
				cs[i] = Comparison{P: p, Tested: tt.tested == nil || tt.tested[i], newHigher: true}
			}
			Adjust(cs, 0.05)
			for i, c := range cs {
				if !near(c.PAdjusted, tt.adjusted[i]) {
					t.Errorf("p %v: adjusted %v, want %v", c.P, c.PAdjusted, tt.adjusted[i])
				}
				if (c.Verdict == Worse) != tt.clear[i] {
					t.Errorf("p %v: verdict %q, want clear=%v", c.P, c.Verdict, tt.clear[i])
				}
				if c.FamilySize != tt.m || c.Correction != CorrectionBH || c.Alpha != 0.05 {
					t.Errorf("family %d %q alpha %v, want %d", c.FamilySize, c.Correction, c.Alpha, tt.m)
				}
			}
		})
	}
}
