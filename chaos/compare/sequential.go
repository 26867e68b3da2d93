package compare

import (
	"fmt"

	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/chaos/stats"
)

// Look takes the look at n repetitions a side of a --repeat auto
// comparison (chaos/stats.Sequential): each figure of the family is
// compared between base and new as Compare does (Mann-Whitney U, exact
// at these sizes), then the look's rule (Holm at its share of α) says
// which are clear. base and new are the results the look rests on: the
// first n repetitions of each side, or a fixed set of earlier results;
// those that could not run are left out, as are figures that never came
// (not recovered), which Compare counts apart too. For a figure not
// clear, the call says how many repetitions a side a separation of the
// size seen would need.
func Look(d stats.Sequential, family []result.MetricKey, base, new []*result.Result, n int) (result.Look, bool, error) {
	b, _ := filter(Side{Results: base}, nil)
	nw, _ := filter(Side{Results: new}, nil)
	cs := make([]stats.Comparison, 0, len(family))
	for _, key := range family {
		m, ok := result.MetricByKey(key)
		if !ok {
			return result.Look{}, false, fmt.Errorf("no figure named %q", key)
		}
		bv, _ := values(m, b)
		nv, _ := values(m, nw)
		dir := stats.LowerIsBetter
		if m.HigherIsBetter() {
			dir = stats.HigherIsBetter
		}
		cs = append(cs, stats.Compare(bv, nv, dir))
	}
	l, clear, err := d.Decide(n, cs)
	if err != nil {
		return result.Look{}, false, err
	}
	look := result.Look{SequentialLook: l}
	for i, c := range cs {
		call := result.Call{Metric: family[i], BaseN: c.Base.N, NewN: c.New.N, Tested: c.Tested,
			P: c.P, PAdjusted: c.PAdjusted, Verdict: c.Verdict, Above: c.Above}
		if c.Tested && c.Verdict == stats.NoClearDifference {
			call.Need = d.Need(c, n+1, stats.NeedLimit)
		}
		look.Calls = append(look.Calls, call)
	}
	return look, clear, nil
}
