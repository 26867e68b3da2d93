package view

import (
	"fmt"
	"strings"
	"time"

	"github.com/selfheal/selfheal/chaos/result"
)

// VantageRow is one vantage point in the report's table: the outside
// first (the top-level figures), then the others.
type VantageRow struct {
	Name, Label, From            string
	Requests, Failed             string
	Downtime, Longest            string
	Outages                      string
	Recovery                     string
	Error                        string `json:",omitempty"`
	Top                          bool   `json:",omitempty"`
	Server5xx, TransportErrors   string
	AchievedRate, RequestedRate  string
	LoaderCount, LoadersReported int `json:",omitempty"`
}

// LoaderRow is one loader pod of an inside vantage point.
type LoaderRow struct {
	Vantage, Pod, Node string
	Rate, Achieved     string
	Samples            string
	// Clock is the offset its send times were corrected by, ± its
	// uncertainty, and the readings it came from.
	Clock, Readings string
	Ended           bool
	Lost            string `json:",omitempty"`
}

// VantagesView is a result's vantage points, in words and numbers.
type VantagesView struct {
	Rows    []VantageRow
	Loaders []LoaderRow `json:",omitempty"`
	// Charge says how much outside downtime was charged to the app.
	Charge string `json:",omitempty"`
}

// Vantages is r's vantage points; nil when r was measured from the
// outside alone.
func Vantages(r *result.Result) *VantagesView {
	if len(r.Vantages) == 0 {
		return nil
	}
	top := r.TopVantage()
	v := &VantagesView{Charge: ChargeText(r.Charged)}
	v.Rows = append(v.Rows, VantageRow{
		Name: top.Name, Label: top.Label(), From: top.From, Top: true,
		Requests: Count(r.Requests.Total), Failed: Count(r.Requests.Failed),
		Downtime: Duration(r.DowntimeMS), Longest: Duration(r.LongestOutageMS), Outages: Count(len(r.Outages)),
		Recovery: vantageRecovery(r.Recovery(), r.RecoveryMS), Server5xx: Count(r.Server5xx), TransportErrors: Count(r.TransportErrors()),
		AchievedRate: Number(round1(r.Load.Achieved)), RequestedRate: Number(r.Load.Rate),
	})
	for _, x := range r.Vantages {
		row := VantageRow{
			Name: x.Name, Label: x.Label(), From: x.From, Error: x.Error,
			Requests: Count(x.Requests.Total), Failed: Count(x.Requests.Failed),
			Downtime: Duration(x.DowntimeMS), Longest: Duration(x.LongestOutageMS), Outages: Count(len(x.Outages)),
			Recovery: vantageRecovery(x.RecoveryState, x.RecoveryMS), Server5xx: Count(x.Server5xx), TransportErrors: Count(sum(x.Errors)),
			AchievedRate: Number(round1(x.Load.Achieved)), RequestedRate: Number(x.Load.Rate), LoaderCount: len(x.Loaders),
		}
		for _, l := range x.Loaders {
			if l.Ended {
				row.LoadersReported++
			}
			v.Loaders = append(v.Loaders, loaderRow(x.Name, l))
		}
		v.Rows = append(v.Rows, row)
	}
	return v
}

func loaderRow(vantage string, l result.Loader) LoaderRow {
	var readings []string
	for _, c := range l.Clock {
		readings = append(readings, fmt.Sprintf("%+.1f ± %.1f ms", c.OffsetMS, c.UncertaintyMS))
	}
	clock := "not read"
	if len(l.Clock) > 0 {
		clock = fmt.Sprintf("%+.1f ± %.1f ms", l.AppliedMS, l.UncertaintyMS)
	}
	return LoaderRow{Vantage: vantage, Pod: l.Pod, Node: l.Node, Rate: Number(l.Rate), Achieved: Number(l.Achieved),
		Samples: Count(l.Samples), Clock: clock, Readings: strings.Join(readings, ", "), Ended: l.Ended, Lost: l.Lost}
}

func vantageRecovery(state result.RecoveryState, ms *float64) string {
	if state == result.RecoveryRecovered && ms != nil {
		return Duration(*ms)
	}
	if state == "" {
		return "—"
	}
	return state.Words()
}

// ChargeText says in a sentence how the control probe split the outside
// downtime: what was charged to the app, what the path failed through;
// "" without a control probe.
func ChargeText(c *result.Charge) string {
	if c == nil {
		return ""
	}
	if c.ExcusedMS == 0 {
		return fmt.Sprintf("Downtime charged to the app: %s, all of the outside downtime (the control probe never failed during it; its own downtime %s).",
			Duration(c.DowntimeMS), Duration(c.ControlDowntimeMS))
	}
	return fmt.Sprintf("Downtime charged to the app: %s. For %s of the outside downtime the control probe failed too (its own downtime %s): the harness's path failed there, not the app, so that is not charged.",
		Duration(c.DowntimeMS), Duration(c.ExcusedMS), Duration(c.ControlDowntimeMS))
}

// vantageSentence tells what the other vantage points saw, for the
// story; the table has where each one measured from.
func vantageSentence(r *result.Result) string {
	if len(r.Vantages) == 0 {
		return ""
	}
	var parts []string
	for _, v := range r.Vantages {
		p := fmt.Sprintf("%s saw %s of downtime in %s", v.Name, Duration(v.DowntimeMS), plural(len(v.Outages), "outage", "outages"))
		if v.Error != "" {
			p += " (" + v.Error + ")"
		}
		parts = append(parts, p)
	}
	s := fmt.Sprintf("From the other vantage points: %s.", strings.Join(parts, "; "))
	if c := ChargeText(r.Charged); c != "" {
		s += " " + c
	}
	return s
}

// VantageLane is one vantage point's outages on the chart's time axis.
type VantageLane struct {
	Name, Label string
	Outages     []Span
	// Excused are the stretches of the outside's outages the control
	// probe failed through too (on the top lane only).
	Excused []Span `json:",omitempty"`
	Title   string
}

// vantageLanes puts every vantage point's outages on the chart's axis,
// the outside's first. Outages closer together than 1/400 of the run are
// drawn as one stretch (a partial outage at 200 requests a second is
// thousands of them), whose title counts them; the tables keep them all.
func vantageLanes(r *result.Result, loc *time.Location) []VantageLane {
	if len(r.Vantages) == 0 {
		return nil
	}
	gap := r.Ended.Sub(r.Started) / 400
	top := r.TopVantage()
	lane := VantageLane{Name: top.Name, Label: top.Name, Outages: laneSpans(r, top.Name, r.Outages, gap, loc),
		Title: fmt.Sprintf("%s (%s): %s down in %s", top.Label(), top.From, Duration(r.DowntimeMS), plural(len(r.Outages), "outage", "outages"))}
	if c := r.Charged; c != nil {
		for _, e := range c.Excused {
			lane.Excused = append(lane.Excused, Span{From: at(r, e.Start), To: at(r, e.End),
				Title: fmt.Sprintf("%s – %s not charged to the app: the control probe failed too", clock(e.Start, loc), clock(e.End, loc))})
		}
	}
	lanes := []VantageLane{lane}
	for _, v := range r.Vantages {
		lanes = append(lanes, VantageLane{Name: v.Name, Label: v.Name, Outages: laneSpans(r, v.Name, v.Outages, gap, loc),
			Title: fmt.Sprintf("%s (%s): %s down in %s", v.Label(), v.From, Duration(v.DowntimeMS), plural(len(v.Outages), "outage", "outages"))})
	}
	return lanes
}

// laneSpans groups outages less than gap apart into stretches.
func laneSpans(r *result.Result, name string, os []result.Outage, gap time.Duration, loc *time.Location) []Span {
	var out []Span
	for i := 0; i < len(os); {
		j := i + 1
		for j < len(os) && os[j].Start.Sub(os[j-1].End) < gap {
			j++
		}
		g := os[i:j]
		first, last := g[0], g[len(g)-1]
		var down float64
		failed := 0
		for _, o := range g {
			down += o.DurationMS
			failed += o.Requests
		}
		title := fmt.Sprintf("%s: outage %s – %s, %s, %s failed, %s", name, clock(first.Start, loc), clock(last.End, loc), Duration(down), Count(failed), causeText(first.Cause))
		if len(g) > 1 {
			title = fmt.Sprintf("%s: %d outages %s – %s, %s down in all, %s failed", name, len(g), clock(first.Start, loc), clock(last.End, loc), Duration(down), Count(failed))
		}
		out = append(out, Span{From: at(r, first.Start), To: at(r, last.End), Open: last.Open, Title: title})
		i = j
	}
	return out
}
