package loader

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/selfheal/selfheal/chaos/measure"
)

// The wire format is lines of text on the loader's standard output, which
// Kubernetes keeps as the container's log and serves through the API:
//
//	#loader {"v":1,"began":...}          the header, once, first
//	SEQ STREAM SENT_US LAT_US CODE CLASS TARGET
//	#end {"ended":...,"received":...}    the last line, after the drain
//
// A sample line is one request: SEQ counts lines from 1 in completion
// order (a reader that reads a log again skips what it has), STREAM the
// load it belongs to (an index into Header.Streams), SENT_US the send
// time in microseconds since the Unix epoch on the loader's node clock,
// LAT_US the latency in microseconds, CODE the HTTP status (0 for a
// transport error), CLASS the error class (measure.Class) and TARGET the
// index of the URL in Header.Targets. About 40 bytes a request.
const (
	// Version is the wire format's version, in every header.
	Version      = 1
	headerPrefix = "#loader "
	endPrefix    = "#end "
)

// Header opens a loader's output.
type Header struct {
	V int `json:"v"`
	// Began is when the loads began, on the node's clock, in Unix
	// microseconds: each sends its first request one interval later.
	Began int64 `json:"began"`
	// Rate is each stream's requests per second.
	Rate    float64  `json:"rate"`
	Targets []string `json:"targets"`
	// Streams are the loads, by keep-alive: [false], [true] or both.
	Streams   []bool `json:"streams"`
	TimeoutMS int64  `json:"timeout_ms"`
	Name      string `json:"name,omitempty"`
}

// End closes a loader's output, once every request was answered.
type End struct {
	// Ended is when the loads stopped sending, node clock, Unix µs.
	Ended int64 `json:"ended"`
	// Received counts the sample lines written before it.
	Received uint64 `json:"received"`
	// Why says what stopped the load: "signal", "duration", "stdin".
	Why string `json:"why,omitempty"`
}

// Line is one decoded line: a header, a sample or an end.
type Line struct {
	Header *Header
	End    *End
	// Seq and Stream are a sample's; Sample is its request on the node's
	// clock.
	Seq    uint64
	Stream int
	Sample measure.Outcome
}

// IsSample says whether l is a sample line.
func (l Line) IsSample() bool { return l.Header == nil && l.End == nil }

// AppendSample appends the sample line of request o, the seq-th, of
// stream to b.
func AppendSample(b []byte, seq uint64, stream int, o measure.Outcome) []byte {
	b = strconv.AppendUint(b, seq, 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(stream), 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, o.Sent.UnixMicro(), 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, max(o.Latency.Microseconds(), 0), 10)
	b = append(b, ' ')
	b = strconv.AppendUint(b, uint64(o.Code), 10)
	b = append(b, ' ')
	b = strconv.AppendUint(b, uint64(o.Class), 10)
	b = append(b, ' ')
	b = strconv.AppendUint(b, uint64(o.Target), 10)
	return append(b, '\n')
}

// AppendHeader appends h's line to b.
func AppendHeader(b []byte, h Header) []byte { return appendJSON(b, headerPrefix, h) }

// AppendEnd appends e's line to b.
func AppendEnd(b []byte, e End) []byte { return appendJSON(b, endPrefix, e) }

func appendJSON(b []byte, prefix string, v any) []byte {
	data, err := json.Marshal(v)
	if err != nil {
		panic(err) // plain structs of numbers and strings
	}
	b = append(b, prefix...)
	b = append(b, data...)
	return append(b, '\n')
}

// ErrNotLoader is returned for a line that is none of the three kinds:
// a container log may hold other lines (a Go runtime panic, say).
var ErrNotLoader = errors.New("not a loader line")

// ParseLine decodes one line (without its newline).
func ParseLine(line []byte) (Line, error) {
	switch {
	case bytes.HasPrefix(line, []byte(headerPrefix)):
		var h Header
		if err := json.Unmarshal(line[len(headerPrefix):], &h); err != nil {
			return Line{}, fmt.Errorf("loader header %q: %w", line, err)
		}
		if h.V != Version {
			return Line{}, fmt.Errorf("loader header: wire format version %d, this harness reads %d (use the loader image of this selfheal)", h.V, Version)
		}
		return Line{Header: &h}, nil
	case bytes.HasPrefix(line, []byte(endPrefix)):
		var e End
		if err := json.Unmarshal(line[len(endPrefix):], &e); err != nil {
			return Line{}, fmt.Errorf("loader end %q: %w", line, err)
		}
		return Line{End: &e}, nil
	}
	return parseSample(line)
}

// parseSample reads the seven numbers of a sample line without
// allocating: the harness decodes every request of every loader.
func parseSample(line []byte) (Line, error) {
	var f [7]uint64
	i := 0
	for k := range f {
		start := i
		var v uint64
		for i < len(line) && line[i] >= '0' && line[i] <= '9' {
			if v > (1<<63)/10 {
				return Line{}, fmt.Errorf("%w: %q (field %d overflows)", ErrNotLoader, line, k+1)
			}
			v = v*10 + uint64(line[i]-'0')
			i++
		}
		if i == start {
			return Line{}, fmt.Errorf("%w: %q", ErrNotLoader, line)
		}
		f[k] = v
		if k < len(f)-1 {
			if i >= len(line) || line[i] != ' ' {
				return Line{}, fmt.Errorf("%w: %q", ErrNotLoader, line)
			}
			i++
		}
	}
	switch {
	case i != len(line):
		return Line{}, fmt.Errorf("%w: %q (trailing data)", ErrNotLoader, line)
	case f[1] > 255:
		return Line{}, fmt.Errorf("loader sample %q: stream %d out of range", line, f[1])
	case f[4] > 65535:
		return Line{}, fmt.Errorf("loader sample %q: status %d out of range", line, f[4])
	case f[5] > uint64(measure.ClassOther):
		return Line{}, fmt.Errorf("loader sample %q: error class %d unknown", line, f[5])
	case f[6] > 255:
		return Line{}, fmt.Errorf("loader sample %q: target %d out of range", line, f[6])
	}
	return Line{Seq: f[0], Stream: int(f[1]), Sample: measure.Outcome{
		Sent: time.UnixMicro(int64(f[2])), Latency: time.Duration(f[3]) * time.Microsecond,
		Code: uint16(f[4]), Class: measure.Class(f[5]), Target: uint8(f[6]),
	}}, nil
}
