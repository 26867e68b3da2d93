// Package openmetrics writes selfheal results as metrics, for the
// Prometheus and Grafana a team already has: one series per figure of
// each scenario run, labelled by run, scenario, variant and repetition.
//
// The figures are the metric table (chaos/result.Metrics), named from it
// with OpenMetrics' unit suffixes: a duration in milliseconds becomes
// selfheal_<key>_seconds (a gauge in seconds), a count a counter
// selfheal_<key>_total, a yes/no a gauge of 0 or 1. A figure a result has
// none of is absent, never 0; when it is absent because the event it times
// never came (not recovered, not healed) or could not be seen,
// selfheal_missing{metric="selfheal_recovery_seconds",why="not recovered"}
// says so.
//
// Two writers share those families; the encoding is expfmt's, the
// Prometheus project's own:
//   - WriteText: the Prometheus text format (0.0.4), without timestamps,
//     which is what node_exporter's textfile collector and the Pushgateway
//     read (both refuse timestamps);
//   - WriteOpenMetrics: OpenMetrics 1.0, each sample stamped with the end
//     of its scenario run, ending in "# EOF", which
//     `promtool tsdb create-blocks-from openmetrics` backfills into
//     Prometheus at the time the run happened.
//
// One file cannot be both: OpenMetrics declares a counter without its
// _total suffix, which the text format's parsers read as an empty family
// and an untyped series without help (promtool check metrics refuses it).
package openmetrics

import (
	"bytes"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"google.golang.org/protobuf/proto"

	"github.com/selfheal/selfheal/chaos/result"
)

// Prefix begins every metric name.
const Prefix = "selfheal_"

// Labels of every series.
const (
	LabelRun        = "run"
	LabelScenario   = "scenario"
	LabelVariant    = "variant"
	LabelRepetition = "repetition"
)

// WriteText writes results in the Prometheus text format, for a textfile
// collector or a Pushgateway.
func WriteText(w io.Writer, results []*result.Result) error {
	return write(w, results, expfmt.NewFormat(expfmt.TypeTextPlain), false)
}

// WriteOpenMetrics writes results as OpenMetrics 1.0 text with timestamps,
// for backfilling (promtool tsdb create-blocks-from openmetrics).
func WriteOpenMetrics(w io.Writer, results []*result.Result) error {
	return write(w, results, expfmt.NewFormat(expfmt.TypeOpenMetrics), true)
}

func write(w io.Writer, results []*result.Result, format expfmt.Format, stamped bool) error {
	fams, err := Families(results, stamped)
	if err != nil {
		return err
	}
	// Encoded whole before anything is written: a half-written metrics
	// file would be read by a collector as the whole run.
	var buf bytes.Buffer
	enc := expfmt.NewEncoder(&buf, format)
	for _, f := range fams {
		if err := enc.Encode(f); err != nil {
			return fmt.Errorf("encoding metric %s: %w", f.GetName(), err)
		}
	}
	if c, ok := enc.(expfmt.Closer); ok {
		if err := c.Close(); err != nil { // "# EOF" for OpenMetrics
			return fmt.Errorf("finishing the metrics: %w", err)
		}
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("writing the metrics: %w", err)
	}
	return nil
}

// family is one metric family being filled.
type family struct {
	mf *dto.MetricFamily
}

func (f *family) add(labels []*dto.LabelPair, v float64, stamp *int64) {
	m := &dto.Metric{Label: labels, TimestampMs: stamp}
	switch f.mf.GetType() {
	case dto.MetricType_COUNTER:
		m.Counter = &dto.Counter{Value: proto.Float64(v)}
	default:
		m.Gauge = &dto.Gauge{Value: proto.Float64(v)}
	}
	f.mf.Metric = append(f.mf.Metric, m)
}

// Families builds the metric families of results, in a fixed order; with
// stamped, each sample carries its scenario run's end. Two results with
// the same labels (one run's scenario and repetition twice) are refused:
// Prometheus would keep one and drop the other.
func Families(results []*result.Result, stamped bool) ([]*dto.MetricFamily, error) {
	if len(results) == 0 {
		return nil, fmt.Errorf("writing metrics: %w", result.ErrNoResults)
	}
	rs := sorted(results)
	if err := unique(rs); err != nil {
		return nil, err
	}
	var fams []*family
	byName := map[string]*family{}
	get := func(d desc) *family {
		if f, ok := byName[d.name]; ok {
			return f
		}
		f := &family{mf: &dto.MetricFamily{Name: proto.String(d.name), Help: proto.String(d.help), Type: d.typ.Enum()}}
		if d.unit != "" {
			f.mf.Unit = proto.String(d.unit)
		}
		byName[d.name] = f
		fams = append(fams, f)
		return f
	}
	for _, d := range tableDescs() { // every table metric first, in its order
		if d.err != nil {
			return nil, d.err
		}
		get(d)
	}
	for _, r := range rs {
		var stamp *int64
		if stamped {
			stamp = proto.Int64(r.Ended.UnixMilli())
		}
		for _, s := range series(r) {
			get(s.desc).add(append(labelsOf(r), s.labels...), s.value, stamp)
		}
	}
	out := make([]*dto.MetricFamily, 0, len(fams))
	for _, f := range fams {
		if len(f.mf.Metric) > 0 { // a family without samples says nothing
			out = append(out, f.mf)
		}
	}
	return out, nil
}

// labelsOf are the labels that tell r's series from every other result's.
func labelsOf(r *result.Result) []*dto.LabelPair {
	run := ""
	if r.Run != nil {
		run = r.Run.ID
	}
	return []*dto.LabelPair{
		label(LabelRun, run),
		label(LabelScenario, r.Scenario),
		label(LabelVariant, r.VariantName()),
		label(LabelRepetition, strconv.Itoa(repetition(r))),
	}
}

// repetition is r's repetition, 1 in a run that did not repeat it (its
// only one).
func repetition(r *result.Result) int {
	if r.Repetition == 0 {
		return 1
	}
	return r.Repetition
}

func label(name, value string) *dto.LabelPair {
	return &dto.LabelPair{Name: proto.String(name), Value: proto.String(value)}
}

// sorted orders results by run, scenario, variant and repetition.
func sorted(results []*result.Result) []*result.Result {
	rs := make([]*result.Result, len(results))
	copy(rs, results)
	key := func(r *result.Result) string {
		var b strings.Builder
		for _, l := range labelsOf(r) {
			if l.GetName() == LabelRepetition {
				fmt.Fprintf(&b, "%06s\x00", l.GetValue())
				continue
			}
			b.WriteString(l.GetValue() + "\x00")
		}
		return b.String()
	}
	sort.SliceStable(rs, func(i, j int) bool { return key(rs[i]) < key(rs[j]) })
	return rs
}

func unique(rs []*result.Result) error {
	seen := map[string]bool{}
	for _, r := range rs {
		var parts []string
		for _, l := range labelsOf(r) {
			parts = append(parts, l.GetName()+"="+strconv.Quote(l.GetValue()))
		}
		k := strings.Join(parts, ",")
		if seen[k] {
			return fmt.Errorf("writing metrics: two results with the same labels {%s}: each run's scenario and repetition can be one series only", k)
		}
		seen[k] = true
	}
	return nil
}
