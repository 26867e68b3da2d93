package text

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/reports/view"
)

// Repeats prints a scenario's repetitions taken together: per figure n,
// the median, its interval, the range and the IQR, what was not counted,
// and the aggregate budgets.
func Repeats(w io.Writer, r view.Repeats) {
	fmt.Fprintf(w, "\n%s: %d repetitions, %s\n", r.Label, r.N, r.PassText)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  figure\tn\tmedian\t95% interval of the median\trange\tIQR\tnot counted")
	for _, row := range r.Rows {
		fmt.Fprintf(tw, "  %s\t%d\t%s\t%s\t%s\t%s\t%s\n", row.Metric, row.N, row.Median, row.Interval, row.Range, row.IQR, orNone(row.Apart))
	}
	tw.Flush()
	for _, b := range r.Budgets {
		word := result.VerdictPass
		if !b.Pass {
			word = result.VerdictFail
		}
		fmt.Fprintf(w, "  budget %s: %s (%s)\n", b.Key, word.Words(), b.Message)
	}
	for _, line := range r.Decision {
		fmt.Fprintf(w, "  %s\n", line)
	}
}

func orNone(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
