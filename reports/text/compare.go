package text

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/selfheal/selfheal/reports/view"
)

// Comparison prints a compare for a terminal: per scenario a table of
// both medians, the difference with its interval, the verdict and the
// test, then the verdict of the whole.
func Comparison(w io.Writer, c *view.Comparison) {
	for _, s := range []view.CompareSide{c.Base, c.New} {
		fmt.Fprintf(w, "%-4s %s: %s\n", s.Name, s.Label, s.Text)
		for _, l := range s.Left {
			fmt.Fprintf(w, "     %s\n", l)
		}
	}
	for _, d := range c.Differences {
		fmt.Fprintf(w, "settings differ: %s\n", d)
	}
	for _, o := range c.Only {
		fmt.Fprintln(w, o)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, s := range c.Scenarios {
		fmt.Fprintf(tw, "\n%s\tBASE\tNEW\tdifference\tinterval\tverdict\ttest\n", s.Name)
		for _, r := range s.Rows {
			name := "  " + r.Metric
			if !r.Gate {
				name += " (not gating)"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", name, r.Base, r.New, orDash(r.Diff), orDash(r.CI), r.Words, r.Test)
			for _, n := range r.Notes {
				fmt.Fprintf(tw, "\t\t\t\t\t\t%s\n", n)
			}
		}
	}
	tw.Flush()
	fmt.Fprintln(w)
	fmt.Fprintln(w, c.Headline)
	for _, x := range c.Worse {
		fmt.Fprintf(w, "  worse: %s\n", x)
	}
	fmt.Fprintln(w, c.Correction)
}

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}
