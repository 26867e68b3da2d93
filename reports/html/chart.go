package html

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/selfheal/selfheal/reports/view"
)

// The timeline is drawn in a 1000-unit-wide viewBox that the page scales
// to its width; every size below is in those units.
const (
	chartW     = 1000.0
	padLeft    = 74.0
	padRight   = 16.0
	labelBand  = 46.0 // marker labels above the plot, three rows
	rateH      = 200.0
	gapH       = 22.0
	latH       = 96.0
	laneH      = 17.0
	hostLaneH  = 9.0 // the host's thin lane, under the event lanes
	axisH      = 30.0
	charW      = 6.9 // average bold glyph width at font-size 11, for label layout
	labelFont  = 11.0
	plotW      = chartW - padLeft - padRight
	rateTop    = labelBand
	latTop     = rateTop + rateH + gapH
	lanesTop   = latTop + latH + gapH
	markerSize = 5.0
)

// outcome is one stacked series, bottom to top.
type outcome struct {
	Key, Label string
	value      func(view.Column) float64
}

var outcomes = []outcome{
	{"2xx", "2xx", func(c view.Column) float64 { return c.OK2xx }},
	{"3xx", "3xx", func(c view.Column) float64 { return c.OK3xx }},
	{"4xx", "4xx", func(c view.Column) float64 { return c.C4xx }},
	{"5xx", "5xx", func(c view.Column) float64 { return c.S5xx }},
	{"err", "transport error", func(c view.Column) float64 { return c.Errors }},
}

// svgChart is a view.Chart in viewBox units, ready for the template.
type svgChart struct {
	ID        string
	W, H      float64
	PlotL     float64
	PlotR     float64
	RateTop   float64
	RateBot   float64
	LatTop    float64
	LatBot    float64
	LanesTop  float64
	AxisY     float64
	Areas     []svgArea
	P50, P99  string // polyline paths
	Hits      []svgRect
	Outages   []svgRect
	RateTicks []svgTick
	LatTicks  []svgTick
	TimeTicks []svgTick
	Markers   []svgMarker
	Lanes     []svgLane
	// Vantages are the vantage points' rows, under the latency.
	Vantages []svgVantage
	// Host is the host lane's stretches, at HostY.
	Host      []svgHostSpan
	HostY     float64
	TimeLabel string
	Alt       string
	Columns   int
	Events    int
	Title     string
	// Has says which marker kinds and event severities are drawn, so the
	// legend lists only those.
	Has map[string]bool
}

type svgArea struct {
	Key, Label string
	D          string
	Points     int // columns with a non-zero value
}

type svgRect struct {
	X, Y, W, H float64
	Title      string
	Open       bool
}

type svgTick struct {
	Pos    float64
	Label  string
	Minor  bool
	Anchor string
}

type svgMarker struct {
	X       float64
	Kind    string
	Label   string
	LabelX  float64
	LabelY  float64
	Anchor  string
	Title   string
	ShowLbl bool
}

// svgVantage is one vantage point's row: its outages, and on the
// outside's the stretches the control probe excused.
type svgVantage struct {
	// Label is the vantage point's kind, Sub the rest of its name
	// ("reused"), on a second line: the plot's left margin holds only
	// about ten characters.
	Label   string
	Sub     string
	Title   string
	Y       float64
	Outages []svgRect
	Excused []svgRect
}

type svgHostSpan struct {
	X, W    float64
	Verdict string
	Title   string
}

type svgLane struct {
	Label string
	Y     float64
	Marks []svgMark
}

type svgMark struct {
	X, Y     float64
	Shape    string // "tri", "dot", "sq"
	Severity string
	N        int
	ShowN    bool // the count fits before the next mark
	Title    string
	Path     string
}

func layout(id string, c *view.Chart, title string) *svgChart {
	s := &svgChart{
		ID: id, W: chartW, PlotL: padLeft, PlotR: chartW - padRight,
		RateTop: rateTop, RateBot: rateTop + rateH, LatTop: latTop, LatBot: latTop + latH,
		LanesTop: lanesTop, TimeLabel: c.TimeLabel, Alt: c.Alt, Columns: len(c.Columns), Title: title,
	}
	x := func(t float64) float64 { return padLeft + t/c.DurationS*plotW }
	s.Vantages = vantageRows(c, x)
	s.LanesTop = lanesTop
	if len(s.Vantages) > 0 {
		s.LanesTop += laneH*float64(len(s.Vantages)) + 8
	}
	s.AxisY = s.LanesTop + laneH*float64(len(c.Lanes))
	if len(c.Host) > 0 {
		s.HostY = s.AxisY + 2
		s.AxisY += hostLaneH + 4
		for _, h := range c.Host {
			s.Host = append(s.Host, svgHostSpan{X: r2(x(h.From)), W: r2(math.Max(x(h.To)-x(h.From), 0.5)), Verdict: string(h.Verdict), Title: h.Title})
		}
	}
	s.H = s.AxisY + axisH
	s.Areas = areas(c, x)
	s.P50, s.P99 = latencyPaths(c, x)
	for _, col := range c.Columns {
		x0, x1 := x(col.T), x(math.Min(col.T+c.ColumnS, c.DurationS))
		s.Hits = append(s.Hits, svgRect{X: r2(x0), Y: rateTop, W: r2(math.Max(x1-x0, 0.5)), H: latTop + latH - rateTop, Title: col.Title})
	}
	for _, o := range c.Outages {
		x0, x1 := x(o.From), x(o.To)
		// Outages shorter than a pixel still show: a 50 ms outage on a
		// one-hour chart is what the reader is looking for.
		w := math.Max(x1-x0, 1.2)
		s.Outages = append(s.Outages, svgRect{X: r2(x0), Y: rateTop, W: r2(w), H: latTop + latH - rateTop, Title: o.Title, Open: o.Open})
	}
	for _, t := range c.RateTicks {
		s.RateTicks = append(s.RateTicks, svgTick{Pos: r2(rateTop + rateH - t.At/c.RateMax*rateH), Label: t.Label})
	}
	ly := latencyY(c)
	for _, t := range c.LatTicks {
		s.LatTicks = append(s.LatTicks, svgTick{Pos: r2(ly(t.At)), Label: t.Label, Minor: t.Label == ""})
	}
	for _, t := range c.TimeTicks {
		tk := svgTick{Pos: r2(x(t.At)), Label: t.Label, Anchor: "middle"}
		// Labels at the plot's edges would be cut by the viewBox.
		half := float64(len(t.Label)) * charW / 2
		switch {
		case tk.Pos+half > chartW:
			tk.Anchor = "end"
		case tk.Pos-half < 0:
			tk.Anchor = "start"
		}
		s.TimeTicks = append(s.TimeTicks, tk)
	}
	s.Markers = markers(c, x)
	s.Lanes, s.Events = lanes(c, x, s.LanesTop)
	s.Has = map[string]bool{}
	for _, m := range s.Markers {
		s.Has[m.Kind] = true
	}
	for _, l := range s.Lanes {
		for _, m := range l.Marks {
			s.Has["ev-"+m.Shape] = true
		}
	}
	if len(s.Outages) > 0 {
		s.Has["outage"] = true
	}
	for _, v := range s.Vantages {
		if len(v.Excused) > 0 {
			s.Has["excused"] = true
		}
	}
	for _, h := range s.Host {
		s.Has["host-"+h.Verdict] = true
	}
	return s
}

func r2(v float64) float64 { return math.Round(v*100) / 100 }

func f(v float64) string { return strconv.FormatFloat(r2(v), 'f', -1, 64) }

// areas draws each outcome as a stepped band on top of the ones below it.
func areas(c *view.Chart, x func(float64) float64) []svgArea {
	y := func(rate float64) float64 { return rateTop + rateH - rate/c.RateMax*rateH }
	base := make([]float64, len(c.Columns))
	var out []svgArea
	for _, o := range outcomes {
		var top strings.Builder
		var bottom []string
		points := 0
		for i, col := range c.Columns {
			v := o.value(col)
			if v > 0 {
				points++
			}
			x0, x1 := x(col.T), x(math.Min(col.T+c.ColumnS, c.DurationS))
			b, t := base[i], base[i]+v
			if i == 0 {
				fmt.Fprintf(&top, "M%s %s", f(x0), f(y(t)))
			} else {
				fmt.Fprintf(&top, "L%s %s", f(x0), f(y(t)))
			}
			fmt.Fprintf(&top, "L%s %s", f(x1), f(y(t)))
			bottom = append(bottom, fmt.Sprintf("L%s %sL%s %s", f(x1), f(y(b)), f(x0), f(y(b))))
			base[i] = t
		}
		if points == 0 {
			continue
		}
		for i := len(bottom) - 1; i >= 0; i-- {
			top.WriteString(bottom[i])
		}
		top.WriteString("Z")
		out = append(out, svgArea{Key: o.Key, Label: o.Label, D: top.String(), Points: points})
	}
	return out
}

func latencyY(c *view.Chart) func(float64) float64 {
	lo, hi := math.Log10(c.LatMin), math.Log10(c.LatMax)
	return func(ms float64) float64 {
		v := math.Log10(math.Max(ms, c.LatMin))
		v = math.Min(v, hi)
		return latTop + latH - (v-lo)/(hi-lo)*latH
	}
}

// latencyPaths draws p50 and p99 as steps per column, with a gap where no
// request was sent (nothing to measure is not zero latency).
func latencyPaths(c *view.Chart, x func(float64) float64) (p50, p99 string) {
	y := latencyY(c)
	line := func(get func(view.Column) float64) string {
		var b strings.Builder
		pen := false
		for _, col := range c.Columns {
			v := get(col)
			if v <= 0 {
				pen = false
				continue
			}
			x0, x1 := x(col.T), x(math.Min(col.T+c.ColumnS, c.DurationS))
			cmd := "L"
			if !pen {
				cmd = "M"
			}
			fmt.Fprintf(&b, "%s%s %sL%s %s", cmd, f(x0), f(y(v)), f(x1), f(y(v)))
			pen = true
		}
		return b.String()
	}
	return line(func(c view.Column) float64 { return c.P50 }), line(func(c view.Column) float64 { return c.P99 })
}

// markers places vertical lines and their labels; a label that would
// overlap one on every label row is left to the line's tooltip.
func markers(c *view.Chart, x func(float64) float64) []svgMarker {
	rowEnd := [3]float64{-1, -1, -1}
	var out []svgMarker
	for _, m := range c.Markers {
		mx := r2(x(m.At))
		sm := svgMarker{X: mx, Kind: m.Kind, Label: m.Label, Title: m.Title, Anchor: "start"}
		w := float64(len([]rune(m.Label)))*charW + 4
		lx, l0 := mx+3, mx
		if mx+w > chartW-padRight {
			sm.Anchor, lx, l0 = "end", mx-3, mx-w
		}
		for row := range rowEnd {
			if l0 > rowEnd[row] {
				sm.ShowLbl = true
				sm.LabelX, sm.LabelY = r2(lx), float64(12+row*14)
				rowEnd[row] = l0 + w + 4
				break
			}
		}
		out = append(out, sm)
	}
	return out
}

// vantageRows lays the vantage points' outages out a row each, from
// lanesTop; an outage narrower than a pixel still shows.
func vantageRows(c *view.Chart, x func(float64) float64) []svgVantage {
	var out []svgVantage
	rect := func(sp view.Span, y float64) svgRect {
		x0, x1 := x(sp.From), x(sp.To)
		return svgRect{X: r2(x0), Y: r2(y - 5), W: r2(math.Max(x1-x0, 1.2)), H: 10, Title: sp.Title, Open: sp.Open}
	}
	for i, v := range c.Vantages {
		y := lanesTop + laneH*float64(i) + laneH/2
		label, sub, _ := strings.Cut(v.Label, "-")
		row := svgVantage{Label: label, Sub: sub, Title: v.Title, Y: r2(y)}
		for _, o := range v.Outages {
			row.Outages = append(row.Outages, rect(o, y))
		}
		for _, e := range v.Excused {
			row.Excused = append(row.Excused, rect(e, y))
		}
		out = append(out, row)
	}
	return out
}

func lanes(c *view.Chart, x func(float64) float64, top float64) ([]svgLane, int) {
	var out []svgLane
	n := 0
	for i, l := range c.Lanes {
		y := top + laneH*float64(i) + laneH/2
		lane := svgLane{Label: l.Label, Y: r2(y)}
		for _, m := range l.Marks {
			mx := r2(x(m.At))
			sm := svgMark{X: mx, Y: r2(y), Severity: m.Severity, N: m.N, Title: m.Title}
			sm.Shape, sm.Path = shape(m.Severity, mx, y)
			lane.Marks = append(lane.Marks, sm)
			n += m.N
		}
		for j := range lane.Marks {
			m := &lane.Marks[j]
			room := j == len(lane.Marks)-1 || lane.Marks[j+1].X-m.X > 16
			m.ShowN = m.N > 1 && room
		}
		out = append(out, lane)
	}
	return out, n
}

// shape gives each severity its own form, not only its own colour, so
// the marks read in grey print and for colour-blind readers.
func shape(sev string, x, y float64) (string, string) {
	s := markerSize
	switch sev {
	case "bad":
		return "tri", fmt.Sprintf("M%s %sL%s %sL%s %sZ", f(x), f(y-s), f(x+s), f(y+s*0.8), f(x-s), f(y+s*0.8))
	case "good":
		// A circle as two arcs, so every mark is one path.
		return "dot", fmt.Sprintf("M%s %sa%s %s 0 1 0 %s 0a%s %s 0 1 0 -%s 0", f(x-s*0.85), f(y), f(s*0.85), f(s*0.85), f(s*1.7), f(s*0.85), f(s*0.85), f(s*1.7))
	}
	return "sq", fmt.Sprintf("M%s %sh%sv%sh-%sZ", f(x-s*0.7), f(y-s*0.7), f(s*1.4), f(s*1.4), f(s*1.4))
}
