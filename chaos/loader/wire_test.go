package loader_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/selfheal/selfheal/chaos/loader"
	"github.com/selfheal/selfheal/chaos/measure"
)

func TestSampleRoundTrip(t *testing.T) {
	sent := time.Date(2026, 12, 6, 12, 0, 0, 123_456_789, time.UTC)
	for _, tc := range []struct {
		name   string
		seq    uint64
		stream int
		o      measure.Outcome
	}{
		{"200", 1, 0, measure.Outcome{Sent: sent, Latency: 3 * time.Millisecond, Code: 200}},
		{"503 on the last target", 2, 0, measure.Outcome{Sent: sent, Latency: 12345 * time.Microsecond, Code: 503, Target: 255}},
		{"timeout", 3, 1, measure.Outcome{Sent: sent, Latency: 2 * time.Second, Class: measure.ClassTimeout, Target: 2}},
		{"refused", 4, 0, measure.Outcome{Sent: sent, Latency: 90 * time.Microsecond, Class: measure.ClassRefused}},
		{"dns", 5, 0, measure.Outcome{Sent: sent, Class: measure.ClassDNS}},
		{"other", 6, 1, measure.Outcome{Sent: sent, Class: measure.ClassOther}},
		{"an hour of latency", 1 << 40, 0, measure.Outcome{Sent: sent, Latency: time.Hour, Code: 200}},
		{"a 1xx that is not final", 7, 0, measure.Outcome{Sent: sent, Code: 101}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			line := loader.AppendSample(nil, tc.seq, tc.stream, tc.o)
			if line[len(line)-1] != '\n' || strings.Count(string(line), "\n") != 1 {
				t.Fatalf("line %q: want one line", line)
			}
			got, err := loader.ParseLine(line[:len(line)-1])
			if err != nil {
				t.Fatal(err)
			}
			want := tc.o
			want.Sent = want.Sent.Truncate(time.Microsecond) // the wire keeps microseconds
			if !got.IsSample() || got.Seq != tc.seq || got.Stream != tc.stream || !got.Sample.Sent.Equal(want.Sent) ||
				got.Sample.Latency != want.Latency || got.Sample.Code != want.Code || got.Sample.Class != want.Class || got.Sample.Target != want.Target {
				t.Errorf("%q decoded to %+v; want seq %d stream %d %+v", line, got, tc.seq, tc.stream, want)
			}
		})
	}
}

func TestHeaderAndEndRoundTrip(t *testing.T) {
	h := loader.Header{V: loader.Version, Began: 1796560069702611, Rate: 50, Targets: []string{"http://a/", "http://a/?p=1"},
		Streams: []bool{false, true}, TimeoutMS: 2000, Name: "pod-eviction@inside"}
	line := loader.AppendHeader(nil, h)
	got, err := loader.ParseLine(line[:len(line)-1])
	if err != nil || got.Header == nil || got.Header.Began != h.Began || len(got.Header.Streams) != 2 || got.Header.Targets[1] != h.Targets[1] {
		t.Fatalf("header %q decoded to %+v, %v", line, got.Header, err)
	}
	e := loader.End{Ended: 1796560079702611, Received: 500, Why: "signal"}
	line = loader.AppendEnd(nil, e)
	got, err = loader.ParseLine(line[:len(line)-1])
	if err != nil || got.End == nil || *got.End != e {
		t.Fatalf("end %q decoded to %+v, %v", line, got.End, err)
	}
}

func TestParseLineRefuses(t *testing.T) {
	for _, tc := range []struct {
		line    string
		foreign bool // not a loader line at all
		want    string
	}{
		{"panic: runtime error", true, "not a loader line"},
		{"", true, "not a loader line"},
		{"1 0 1796560069702611 100 200 0", true, "not a loader line"},
		{"1 0 1796560069702611 100 200 0 0 9", true, "trailing data"},
		{"1 0 1796560069702611 100 200 0 0 ", true, "trailing data"},
		{"1  0 1796560069702611 100 200 0 0", true, "not a loader line"},
		{"1 0 -5 100 200 0 0", true, "not a loader line"},
		{"99999999999999999999999 0 1 1 200 0 0", true, "overflows"},
		{"1 256 1796560069702611 100 200 0 0", false, "stream 256"},
		{"1 0 1796560069702611 100 70000 0 0", false, "status 70000"},
		{"1 0 1796560069702611 100 0 7 0", false, "error class 7"},
		{"1 0 1796560069702611 100 200 0 256", false, "target 256"},
		{`#loader {"v":2,"began":1}`, false, "version 2"},
		{`#loader {"v":1,`, false, "loader header"},
		{`#end nope`, false, "loader end"},
	} {
		_, err := loader.ParseLine([]byte(tc.line))
		if err == nil || !strings.Contains(err.Error(), tc.want) || errors.Is(err, loader.ErrNotLoader) != tc.foreign {
			t.Errorf("ParseLine(%q) = %v; want an error with %q (foreign %v)", tc.line, err, tc.want, tc.foreign)
		}
	}
}

// A sample line costs the harness no allocation to decode: it decodes
// every request of every loader.
func TestParseSampleAllocates(t *testing.T) {
	line := loader.AppendSample(nil, 12345, 1, measure.Outcome{Sent: time.Now(), Latency: time.Millisecond, Code: 200, Target: 2})
	line = line[:len(line)-1]
	if n := testing.AllocsPerRun(100, func() { _, _ = loader.ParseLine(line) }); n != 0 {
		t.Errorf("decoding a sample line allocates %v times", n)
	}
}
