package openmetrics

import (
	"fmt"
	"math"
	"strings"

	dto "github.com/prometheus/client_model/go"

	"github.com/selfheal/selfheal/chaos/result"
)

// desc describes one metric family.
type desc struct {
	name string
	help string
	typ  dto.MetricType
	unit string // OpenMetrics' UNIT, "" for none
	// err says why a table metric has no family (a unit this package
	// does not know); checked before anything is written.
	err error
}

// sample is one value of a result in a family, with labels beside the
// result's own.
type sample struct {
	desc   desc
	labels []*dto.LabelPair
	value  float64
}

// Figures that are not metrics of the table: what the result counts
// besides its judged figures, for the panels beside them.
var (
	requestsDesc = desc{name: Prefix + "requests_total", typ: dto.MetricType_COUNTER,
		help: "Requests of the load in a scenario run, by outcome (ok, failed: 5xx and transport errors; docs/measurement.md)."}
	outagesDesc = desc{name: Prefix + "outages_total", typ: dto.MetricType_COUNTER,
		help: "Outages (maximal runs of failed requests) in a scenario run."}
	writesSentDesc = desc{name: Prefix + "writes_sent_total", typ: dto.MetricType_COUNTER,
		help: "Writes the acknowledged-writes stream sent in a scenario run; absent without a write stream."}
	writesAckedDesc = desc{name: Prefix + "writes_acknowledged_total", typ: dto.MetricType_COUNTER,
		help: "Writes answered with their id (committed, as the app says) in a scenario run; absent without a write stream."}
	verdictDesc = desc{name: Prefix + "verdict", typ: dto.MetricType_GAUGE,
		help: "The scenario run's verdict: 1 for the one it had (pass, fail, error; none for a run without budgets), 0 for the others."}
	startedDesc = desc{name: Prefix + "started_timestamp_seconds", typ: dto.MetricType_GAUGE, unit: "seconds",
		help: "When the scenario run's load began (first request sent), Unix time."}
	endedDesc = desc{name: Prefix + "ended_timestamp_seconds", typ: dto.MetricType_GAUGE, unit: "seconds",
		help: "When the scenario run's load stopped, Unix time."}
	missingDesc = desc{name: Prefix + "missing", typ: dto.MetricType_GAUGE,
		help: "1 where a figure of a scenario run is absent because the event it times never came or could not be seen: metric names the absent series, why says which (\"not recovered\", \"not healed\", \"not observed\")."}
)

// verdicts are the outcomes selfheal_verdict has a series for.
var verdicts = []result.Verdict{result.VerdictPass, result.VerdictFail, result.VerdictError, result.VerdictNone}

// whyNotObserved is selfheal_missing's why for a figure nothing could see.
const whyNotObserved = "not observed"

// tableDescs are the families of the metric table, in its order.
func tableDescs() []desc {
	ms := result.Metrics()
	out := make([]desc, len(ms))
	for i, m := range ms {
		out[i] = descOf(m)
	}
	return out
}

// descOf names metric m's family from its key and unit: "downtime_ms" is
// selfheal_downtime_seconds, "server_5xx" selfheal_server_5xx_total,
// "latency_ms.impact.p99" selfheal_latency_impact_p99_seconds.
func descOf(m result.Metric) desc {
	var words []string
	for _, w := range strings.FieldsFunc(string(m.Key), func(r rune) bool { return r == '_' || r == '.' }) {
		if w != "ms" { // the unit, said again by the suffix
			words = append(words, w)
		}
	}
	base := Prefix + strings.Join(words, "_")
	d := desc{help: m.Title() + " in a scenario run"}
	switch m.Unit {
	case result.UnitMS:
		d.name, d.typ, d.unit = base+"_seconds", dto.MetricType_GAUGE, "seconds"
		d.help += ", in seconds"
	case result.UnitCount:
		d.name, d.typ = base+"_total", dto.MetricType_COUNTER
	case result.UnitBool:
		d.name, d.typ = base, dto.MetricType_GAUGE
		d.help += ": 1 yes, 0 no"
	default:
		d.name = base
		d.err = fmt.Errorf("metric %s has unit %q, which has no OpenMetrics form here (reports/openmetrics)", m.Key, m.Unit)
	}
	if m.Never != nil {
		d.help += "; absent when " + m.Missed + " (see " + missingDesc.name + ")"
	}
	d.help += " (docs/measurement.md)."
	return d
}

// toUnit converts a table value into the family's unit: milliseconds to
// seconds, to the microsecond results keep (83300.492 ms is 83.300492 s,
// not 83.30049199999999).
func toUnit(m result.Metric, v float64) float64 {
	if m.Unit == result.UnitMS {
		return math.Round(v*1000) / 1e6
	}
	return v
}

// series are r's samples: every table figure it has, selfheal_missing for
// those it lacks for want of an event, and the figures beside the table.
func series(r *result.Result) []sample {
	var out []sample
	for _, m := range result.Metrics() {
		d := descOf(m)
		if v, ok := m.Value(r); ok {
			out = append(out, sample{desc: d, value: toUnit(m, v)})
			continue
		}
		switch {
		case m.Never != nil && m.Never(r):
			out = append(out, missing(d, m.Missed))
		case m.NotObserved(r):
			out = append(out, missing(d, whyNotObserved))
		}
	}
	out = append(out,
		sample{desc: requestsDesc, labels: []*dto.LabelPair{label("outcome", "ok")}, value: float64(r.Requests.OK)},
		sample{desc: requestsDesc, labels: []*dto.LabelPair{label("outcome", "failed")}, value: float64(r.Requests.Failed)},
		sample{desc: outagesDesc, value: float64(len(r.Outages))},
	)
	if w := r.Writes; w != nil {
		out = append(out,
			sample{desc: writesSentDesc, value: float64(w.Sent)},
			sample{desc: writesAckedDesc, value: float64(w.Acknowledged)})
	}
	outcome := r.Outcome()
	for _, v := range verdicts {
		s := sample{desc: verdictDesc, labels: []*dto.LabelPair{label("verdict", string(v))}}
		if v == outcome {
			s.value = 1
		}
		out = append(out, s)
	}
	return append(out,
		sample{desc: startedDesc, value: seconds(r.Started.UnixMilli())},
		sample{desc: endedDesc, value: seconds(r.Ended.UnixMilli())})
}

func missing(d desc, why string) sample {
	return sample{desc: missingDesc, labels: []*dto.LabelPair{label("metric", d.name), label("why", why)}, value: 1}
}

func seconds(ms int64) float64 { return float64(ms) / 1000 }
