package html

import (
	"github.com/selfheal/selfheal/reports/view"
)

// A strip is one metric of a repeated scenario in a 260x30 box: the axis
// from 0, the history band behind, the interval of the median as a bar,
// the median as a tick and every repetition as a dot. Dots that share a
// value are stacked upwards so that ties stay countable; a repetition
// that never recovered is a hollow triangle past the axis' end.
const (
	stripW     = 260.0
	stripH     = 36.0
	stripPad   = 6.0
	stripNever = 12.0 // room right of the axis for never marks
	stripAxisY = 22.0
	stripDotR  = 3.2
	stripStack = 5.0
)

type strip struct {
	W, H           float64
	AxisX0, AxisX1 float64
	AxisY          float64
	Band           *svgRect
	CI             *svgRect
	Median         *svgRect
	Dots           []stripDot
	Never          []stripNeverMark
	// LabelY is where the axis' end labels sit.
	LabelY float64
}

type stripDot struct {
	X, Y  float64
	R     float64
	Title string
}

type stripNeverMark struct {
	Path  string
	Title string
}

func stripOf(row view.RepeatRow) *strip {
	x0, x1 := stripPad, stripW-stripPad-stripNever
	x := func(f float64) float64 { return r2(x0 + f*(x1-x0)) }
	s := &strip{W: stripW, H: stripH, AxisX0: x0, AxisX1: x1, AxisY: stripAxisY, LabelY: stripH - 2}
	if b := row.History; b != nil {
		s.Band = &svgRect{X: x(b.LoX), Y: 2, W: r2(x(b.HiX) - x(b.LoX)), H: stripAxisY - 2, Title: b.Text}
	}
	if row.HasCI {
		s.CI = &svgRect{X: x(row.LoX), Y: stripAxisY - 4, W: r2(max(x(row.HiX)-x(row.LoX), 1)), H: 8, Title: "interval of the median: " + row.Interval}
	}
	if row.HasMedian {
		s.Median = &svgRect{X: r2(x(row.MedianX) - 1), Y: 3, W: 2, H: stripAxisY + 3 - 3, Title: "median " + row.Median}
	}
	for _, d := range row.Dots {
		y := r2(stripAxisY - 1 - stripDotR - float64(d.Stack)*stripStack)
		if d.Never {
			nx := stripW - stripPad - stripNever/2
			s.Never = append(s.Never, stripNeverMark{Title: d.Title,
				Path: "M" + f(nx) + " " + f(y-stripDotR) + "L" + f(nx+stripDotR) + " " + f(y+stripDotR) + "L" + f(nx-stripDotR) + " " + f(y+stripDotR) + "Z"})
			continue
		}
		s.Dots = append(s.Dots, stripDot{X: x(d.X), Y: y, R: stripDotR, Title: d.Title})
	}
	return s
}
