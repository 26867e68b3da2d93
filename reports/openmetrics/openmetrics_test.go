package openmetrics

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/selfheal/selfheal/chaos/result"
)

// corpora are the results the renderers are checked on, one set per
// directory that holds result files: the sample results made by the real
// analysis (reports/testdata, internal/sample) and the results of real
// runs (docs/runs).
func corpora(t *testing.T) map[string][]*result.Result {
	t.Helper()
	files := map[string][]string{}
	for _, root := range []string{"../testdata", "../../docs/runs"} {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(p, ".json") {
				files[filepath.Dir(p)] = append(files[filepath.Dir(p)], p)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	out := map[string][]*result.Result{}
	for dir, fs := range files {
		loaded, _, err := result.ReadPaths(context.Background(), fs...)
		if errors.Is(err, result.ErrNoResults) {
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", dir, err)
		}
		out[dir] = result.Results(loaded)
	}
	if len(out) < 20 {
		t.Fatalf("only %d result directories found; the corpus moved?", len(out))
	}
	return out
}

func render(t *testing.T, write func(io.Writer, []*result.Result) error, rs []*result.Result) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := write(&b, rs); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// parseText reads the text format as node_exporter's textfile collector
// and the Pushgateway do: expfmt's TextParser.
func parseText(t *testing.T, data []byte) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("the text format does not parse: %v\n%s", err, data)
	}
	return fams
}

// parseOpenMetrics reads OpenMetrics 1.0 with expfmt's strict decoder
// (the specification's grammar, "# EOF" required).
func parseOpenMetrics(t *testing.T, data []byte) map[string]*dto.MetricFamily {
	t.Helper()
	dec := expfmt.NewDecoder(bytes.NewReader(data), expfmt.NewFormat(expfmt.TypeOpenMetrics))
	fams := map[string]*dto.MetricFamily{}
	for {
		var f dto.MetricFamily
		err := dec.Decode(&f)
		if errors.Is(err, io.EOF) {
			return fams
		}
		if err != nil {
			t.Fatalf("OpenMetrics does not parse: %v\n%s", err, data)
		}
		fams[f.GetName()] = &f
	}
}

// point is one sample as both parsers must see it.
type point struct {
	family string
	typ    dto.MetricType
	labels string
	value  float64
	stamp  int64
}

// points flattens families; OpenMetrics names a counter's family without
// _total, the text format with it: both give the sample's name.
func points(fams map[string]*dto.MetricFamily) []point {
	var out []point
	for _, f := range fams {
		name := f.GetName()
		if f.GetType() == dto.MetricType_COUNTER && !strings.HasSuffix(name, "_total") {
			name += "_total"
		}
		for _, m := range f.GetMetric() {
			var ls []string
			for _, l := range m.GetLabel() {
				ls = append(ls, l.GetName()+"="+l.GetValue())
			}
			sort.Strings(ls)
			p := point{family: name, typ: f.GetType(), labels: strings.Join(ls, ","), stamp: m.GetTimestampMs()}
			if f.GetType() == dto.MetricType_COUNTER {
				p.value = m.GetCounter().GetValue()
			} else {
				p.value = m.GetGauge().GetValue()
			}
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].family != out[j].family {
			return out[i].family < out[j].family
		}
		return out[i].labels < out[j].labels
	})
	return out
}

// bothWays are the corpora rendered both ways: every kind of result the
// model has (each scenario of the full suite, variants, repetitions, a
// probe, writes, not recovered, not healed). Expfmt's OpenMetrics decoder
// checks each line against the specification's grammar, half a second a
// run, so not every corpus goes through it; the text format does
// (TestFiguresAsTheModelHasThem).
var bothWays = []string{
	"../../docs/runs/20261201/suite-full",
	"../../docs/runs/20261201/matrix-quiet/liveness-none",
	"../../docs/runs/20261201/hang-bare/mysql-probes-bare",
	"../testdata/repeated",
	"../testdata/probe",
	"../testdata/nightly/2025-06-04",
}

// TestPrometheusParsersReadBoth renders results both ways and reads each
// with the parser its consumers use; both must hold the same samples, the
// OpenMetrics ones stamped with their run's end.
func TestPrometheusParsersReadBoth(t *testing.T) {
	all := corpora(t)
	for _, dir := range bothWays {
		rs := all[filepath.Clean(dir)]
		if len(rs) == 0 {
			t.Fatalf("%s holds no results", dir)
		}
		t.Run(dir, func(t *testing.T) {
			text := render(t, WriteText, rs)
			om := render(t, WriteOpenMetrics, rs)
			if !bytes.HasSuffix(om, []byte("# EOF\n")) {
				t.Error("the OpenMetrics text does not end in # EOF")
			}
			if bytes.Contains(text, []byte("# EOF")) {
				t.Error("the text format carries OpenMetrics' # EOF")
			}
			tp, op := points(parseText(t, text)), points(parseOpenMetrics(t, om))
			if len(tp) != len(op) {
				t.Fatalf("text format has %d samples, OpenMetrics %d", len(tp), len(op))
			}
			ends := map[string]int64{}
			for _, r := range rs {
				ends[r.Scenario+"/"+r.VariantName()] = r.Ended.UnixMilli()
			}
			for i := range tp {
				if tp[i].stamp != 0 {
					t.Errorf("text format sample %s{%s} has a timestamp: collectors refuse it", tp[i].family, tp[i].labels)
				}
				if op[i].stamp == 0 {
					t.Errorf("OpenMetrics sample %s{%s} has no timestamp", op[i].family, op[i].labels)
				}
				o := op[i]
				o.stamp = 0
				if o != tp[i] {
					t.Errorf("the formats disagree:\n text %+v\n   om %+v", tp[i], o)
				}
			}
		})
	}
}

// TestFiguresAsTheModelHasThem reads the text format back and finds every
// figure of every result where the metric table says it is: its value in
// the family's unit when the result has one; else absent, and named by
// selfheal_missing when the event it times never came or was not seen.
func TestFiguresAsTheModelHasThem(t *testing.T) {
	checked, absent := 0, 0
	for dir, rs := range corpora(t) {
		fams := parseText(t, render(t, WriteText, rs))
		for _, r := range rs {
			for _, m := range result.Metrics() {
				d := descOf(m)
				got, found := find(fams, d.name, r, nil)
				why, isMissing := missingWhy(fams, d.name, r)
				v, ok := m.Value(r)
				switch {
				case ok:
					checked++
					want := v
					if m.Unit == result.UnitMS {
						want = v / 1000
					}
					if !found || math.Abs(got-want) > 1e-6 {
						t.Errorf("%s %s: %s = %v (found %v), want %v", dir, r.Label(), d.name, got, found, want)
					}
					if isMissing {
						t.Errorf("%s %s: %s has a value and is called missing (%s)", dir, r.Label(), d.name, why)
					}
				case found:
					t.Errorf("%s %s: %s = %v, but the result has no such figure: it must be absent, never 0", dir, r.Label(), d.name, got)
				case m.Never != nil && m.Never(r):
					absent++
					if why != m.Missed {
						t.Errorf("%s %s: %s absent with why %q, want %q", dir, r.Label(), d.name, why, m.Missed)
					}
				case m.NotObserved(r):
					absent++
					if why != whyNotObserved {
						t.Errorf("%s %s: %s absent with why %q, want %q", dir, r.Label(), d.name, why, whyNotObserved)
					}
				case isMissing:
					t.Errorf("%s %s: %s does not apply and is called missing (%s)", dir, r.Label(), d.name, why)
				}
			}
			if v, _ := find(fams, verdictDesc.name, r, map[string]string{"verdict": string(r.Outcome())}); v != 1 {
				t.Errorf("%s %s: verdict %s not 1", dir, r.Label(), r.Outcome())
			}
		}
	}
	// The corpus must exercise both branches, or this test proves little.
	if checked < 500 || absent < 10 {
		t.Errorf("checked %d figures and %d absent ones; the corpus has lost its not-recovered results?", checked, absent)
	}
}

func find(fams map[string]*dto.MetricFamily, name string, r *result.Result, extra map[string]string) (float64, bool) {
	want := map[string]string{}
	for _, l := range labelsOf(r) {
		want[l.GetName()] = l.GetValue()
	}
	for k, v := range extra {
		want[k] = v
	}
	for _, m := range fams[name].GetMetric() {
		got := map[string]string{}
		for _, l := range m.GetLabel() {
			got[l.GetName()] = l.GetValue()
		}
		match := true
		for k, v := range want {
			match = match && got[k] == v
		}
		if !match {
			continue
		}
		if m.Counter != nil {
			return m.GetCounter().GetValue(), true
		}
		return m.GetGauge().GetValue(), true
	}
	return 0, false
}

func missingWhy(fams map[string]*dto.MetricFamily, name string, r *result.Result) (string, bool) {
	for _, m := range fams[missingDesc.name].GetMetric() {
		got := map[string]string{}
		for _, l := range m.GetLabel() {
			got[l.GetName()] = l.GetValue()
		}
		same := got["metric"] == name
		for _, l := range labelsOf(r) {
			same = same && got[l.GetName()] == l.GetValue()
		}
		if same {
			return got["why"], true
		}
	}
	return "", false
}

// TestNamesFollowOpenMetrics checks every family the table makes: unit
// suffixes, counters ending in _total, nothing else with it.
func TestNamesFollowOpenMetrics(t *testing.T) {
	names := map[string]bool{}
	for _, m := range result.Metrics() {
		d := descOf(m)
		if d.err != nil {
			t.Errorf("%s: %v", m.Key, d.err)
		}
		if !model.LegacyValidation.IsValidMetricName(d.name) {
			t.Errorf("%s: %q is not a valid metric name", m.Key, d.name)
		}
		if names[d.name] {
			t.Errorf("%s: %q named twice", m.Key, d.name)
		}
		names[d.name] = true
		switch m.Unit {
		case result.UnitMS:
			if !strings.HasSuffix(d.name, "_seconds") || d.unit != "seconds" || d.typ != dto.MetricType_GAUGE {
				t.Errorf("%s: %q %s unit %q, want a gauge in seconds", m.Key, d.name, d.typ, d.unit)
			}
		case result.UnitCount:
			if !strings.HasSuffix(d.name, "_total") || d.typ != dto.MetricType_COUNTER {
				t.Errorf("%s: %q %s, want a counter ending in _total", m.Key, d.name, d.typ)
			}
		}
		if strings.Contains(strings.TrimPrefix(d.name, Prefix), "_ms") {
			t.Errorf("%s: %q still says milliseconds", m.Key, d.name)
		}
	}
	if got := descOf(result.Metric{Key: "odd", Unit: "furlongs"}); got.err == nil {
		t.Error("a unit without an OpenMetrics form gave no error")
	}
}

func TestRefusesWhatPrometheusWouldDrop(t *testing.T) {
	r, err := result.ReadFile("../testdata/probe/probe.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteText(io.Discard, nil); !errors.Is(err, result.ErrNoResults) {
		t.Errorf("no results: %v, want ErrNoResults", err)
	}
	var b bytes.Buffer
	err = WriteText(&b, []*result.Result{r, r})
	if err == nil || !strings.Contains(err.Error(), "same labels") {
		t.Errorf("the same result twice: %v, want the labels named", err)
	}
	if b.Len() != 0 {
		t.Errorf("wrote %d bytes before refusing", b.Len())
	}
}

// TestRepetitionsAreSeriesOfTheirOwn: a repeated scenario's repetitions
// are told apart by their label, in order.
func TestRepetitionsAreSeriesOfTheirOwn(t *testing.T) {
	loaded, _, err := result.ReadPaths(context.Background(), "../testdata/repeated")
	if err != nil {
		t.Fatal(err)
	}
	fams := parseText(t, render(t, WriteText, result.Results(loaded)))
	var reps []string
	for _, m := range fams[Prefix+"downtime_seconds"].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == LabelRepetition {
				reps = append(reps, l.GetValue())
			}
		}
	}
	slices.Sort(reps)
	if want := []string{"1", "1", "1", "2", "2", "2", "3", "3"}; !slices.Equal(reps, want) {
		t.Errorf("repetition labels %v, want %v", reps, want)
	}
}

// TestPromtool runs Prometheus' own command-line checks, as installed from
// Debian's prometheus package (hack/need.sh, run by make test): `promtool check metrics`
// on the text format (parse and lint: help, counter suffixes, units), and
// `promtool tsdb create-blocks-from openmetrics` on the OpenMetrics text,
// which must backfill every sample.
func TestPromtool(t *testing.T) {
	promtool, err := execLookPath("promtool")
	if err != nil {
		t.Skip("promtool is not installed (make test installs it: hack/need.sh promtool=prometheus)")
	}
	for _, dir := range []string{"../../docs/runs/20261201/suite-full", "../../docs/runs/20261201/matrix-quiet", "../testdata/repeated", "../testdata/probe"} {
		t.Run(dir, func(t *testing.T) {
			loaded, _, err := result.ReadPaths(context.Background(), dir)
			if err != nil {
				t.Fatal(err)
			}
			rs := result.Results(loaded)
			text := render(t, WriteText, rs)
			if out, err := run(promtool, text, "check", "metrics"); err != nil || len(out) != 0 {
				t.Errorf("promtool check metrics: %v\n%s", err, out)
			}
			om := filepath.Join(t.TempDir(), "metrics.om")
			if err := os.WriteFile(om, render(t, WriteOpenMetrics, rs), 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := run(promtool, nil, "tsdb", "create-blocks-from", "openmetrics", om, filepath.Join(t.TempDir(), "tsdb"))
			if err != nil {
				t.Fatalf("promtool tsdb create-blocks-from openmetrics: %v\n%s", err, out)
			}
			if got, want := backfilled(out), len(points(parseText(t, text))); got != want {
				t.Errorf("promtool backfilled %d samples, want %d:\n%s", got, want, out)
			}
		})
	}
}
