package loader_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/selfheal/selfheal/chaos/loader"
	"github.com/selfheal/selfheal/chaos/measure"
)

// lines writes a loader's output by hand: a header, samples seq from..to
// of stream 0 sent 10 ms apart from began, and optionally the end.
func lines(began time.Time, from, to uint64, end bool) []byte {
	var b []byte
	b = loader.AppendHeader(b, loader.Header{V: loader.Version, Began: began.UnixMicro(), Rate: 100,
		Targets: []string{"http://a/"}, Streams: []bool{false}, TimeoutMS: 2000})
	for seq := from; seq <= to; seq++ {
		b = loader.AppendSample(b, seq, 0, measure.Outcome{Sent: began.Add(time.Duration(seq) * 10 * time.Millisecond), Latency: time.Millisecond, Code: 200})
	}
	if end {
		b = loader.AppendEnd(b, loader.End{Ended: began.Add(time.Duration(to+1) * 10 * time.Millisecond).UnixMicro(), Received: to})
	}
	return b
}

func TestCollectorReadsAgainWithoutCountingTwice(t *testing.T) {
	began := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	c := loader.NewCollector()
	// A follow cut after line 60 (half of line 61 written), then a read
	// of the log from a little earlier, as the follower does.
	first := lines(began, 1, 60, false)
	first = append(first, "61 0 17965"...)
	if err := c.Read(bytes.NewReader(first)); err != nil {
		t.Fatal(err)
	}
	select {
	case <-c.HeaderSeen():
	default:
		t.Fatal("the header was read but HeaderSeen is not closed")
	}
	if c.Samples() != 60 || c.End() != nil {
		t.Fatalf("after the cut: %d samples, end %v; want 60 and none", c.Samples(), c.End())
	}
	if want := began.Add(600 * time.Millisecond); !c.Resume().Equal(want) {
		t.Errorf("resume at %v; want the last line's send time %v", c.Resume(), want)
	}
	// The runtime's scheduler trace, which the loader's environment
	// turns on (loader.Env), is the loader's own: not a note.
	again := append([]byte("some runtime noise\nSCHED 0ms: gomaxprocs=1 idleprocs=0 threads=4 spinningthreads=0 needspinning=0 idlethreads=1 runqueue=0 [0]\n"), lines(began, 40, 100, true)...)
	if err := c.Read(bytes.NewReader(again)); err != nil {
		t.Fatal(err)
	}
	if c.Samples() != 100 || c.End() == nil || c.Missing() != 0 {
		t.Fatalf("after the second read: %d samples, end %v, %d missing; want 100, an end, none missing", c.Samples(), c.End(), c.Missing())
	}
	in := c.Input(0)
	if len(in.Samples) != 100 || !in.Begin.Equal(began) || !in.End.Equal(began.Add(1010*time.Millisecond)) {
		t.Errorf("input: %d samples from %v to %v", len(in.Samples), in.Begin, in.End)
	}
	if f, _ := c.Foreign(); len(f) != 1 || f[0] != "some runtime noise" {
		t.Errorf("foreign lines %q", f)
	}
}

func TestCollectorCountsLinesLost(t *testing.T) {
	began := time.Now()
	c := loader.NewCollector()
	b := lines(began, 1, 10, false)
	b = append(b, lines(began, 20, 30, true)[len(lines(began, 1, 0, false)):]...)
	if err := c.Read(bytes.NewReader(b)); err != nil {
		t.Fatal(err)
	}
	if c.Missing() != 9 || c.Samples() != 21 {
		t.Errorf("%d missing, %d samples; want 9 and 21", c.Missing(), c.Samples())
	}
}

func TestCollectorRefusesASecondRun(t *testing.T) {
	c := loader.NewCollector()
	began := time.Now()
	if err := c.Read(bytes.NewReader(lines(began, 1, 3, false))); err != nil {
		t.Fatal(err)
	}
	err := c.Read(bytes.NewReader(lines(began.Add(time.Minute), 1, 3, false)))
	if err == nil || !strings.Contains(err.Error(), "second run") {
		t.Errorf("a log with another header read as the same run: %v", err)
	}
}

// syncBuffer is a container log: written by the loader, read by a test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
	n  atomic.Int64 // writes
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n.Add(1)
	return s.b.Write(p)
}

func (s *syncBuffer) Bytes() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Clone(s.b.Bytes())
}

func TestRunWritesEveryRequestThenItsEnd(t *testing.T) {
	var served atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		if r.Host != "site.example:30080" {
			http.Error(w, "wrong host "+r.Host, http.StatusBadGateway)
			return
		}
		if r.URL.Path == "/fail" {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	out := &syncBuffer{}
	ctx, cancel := context.WithTimeout(t.Context(), 1500*time.Millisecond) // the pod's SIGTERM
	defer cancel()
	const offset = 90 * time.Second // this "node" runs a minute and a half ahead
	start := time.Now()
	end, err := loader.Run(ctx, loader.Config{Targets: []string{srv.URL + "/", srv.URL + "/fail"}, Rate: 40,
		Streams: []bool{false, true}, Host: "site.example:30080", FlushEvery: 100 * time.Millisecond, ClockOffset: offset}, out)
	if err != nil {
		t.Fatal(err)
	}
	c := loader.NewCollector()
	if err := c.Read(bytes.NewReader(out.Bytes())); err != nil {
		t.Fatal(err)
	}
	if c.End() == nil || c.End().Received != end.Received || int(end.Received) != c.Samples() || int64(c.Samples()) != served.Load() {
		t.Fatalf("end %+v, %d samples read, %d requests served; want them all equal", c.End(), c.Samples(), served.Load())
	}
	if end.Why != "signal" {
		t.Errorf("stopped by %q; want signal", end.Why)
	}
	for s, want := range map[int]int{0: 60, 1: 60} {
		in := c.Input(s)
		codes := map[uint16]int{}
		for _, x := range in.Samples {
			codes[x.Code]++
		}
		if n := len(in.Samples); n < want*8/10 || n > want+1 || codes[200] == 0 || codes[503] == 0 || codes[502] != 0 {
			t.Errorf("stream %d: %d requests (%v); want about %d at 40/s for 1.5 s, 200s and 503s, none refused for its Host", s, n, codes, want)
		}
		// Every time the loader wrote is on its own clock.
		if d := in.Begin.Sub(start) - offset; d < 0 || d > 500*time.Millisecond {
			t.Errorf("stream %d began %v after the start on the loader's clock; want the offset %v", s, in.Begin.Sub(start), offset)
		}
	}
	if w := out.n.Load(); w > 25 {
		t.Errorf("%d writes for %d lines: the output is not batched", w, c.Samples()+2)
	}
}

func TestRunStopsByItself(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	var out syncBuffer
	end, err := loader.Run(t.Context(), loader.Config{Targets: []string{srv.URL}, Rate: 20, MaxDuration: 300 * time.Millisecond}, &out)
	if err != nil || end.Why != "duration" || end.Received < 4 || end.Received > 7 {
		t.Errorf("end %+v, %v; want about 6 requests, stopped by its duration", end, err)
	}
}

// The clock exchange over an open stream finds a node's offset to within
// the uncertainty it states, even when the question and the answer take
// different times.
func TestClockExchange(t *testing.T) {
	const offset = -2500 * time.Millisecond
	qR, qW := io.Pipe()
	aR, aW := io.Pipe()
	go func() { _ = loader.AnswerClock(slow{qR, 3 * time.Millisecond}, aW, offset); aW.Close() }()
	ex, err := loader.AskClock(qW, slow{aR, 200 * time.Microsecond}, 5)
	qW.Close()
	if err != nil || len(ex) != 5 {
		t.Fatalf("%d exchanges, %v", len(ex), err)
	}
	r, ok := measure.Reading(ex)
	if !ok || r.Exchanges != 5 {
		t.Fatalf("reading %+v", r)
	}
	got := time.Duration(r.OffsetMS * float64(time.Millisecond))
	if d := got - offset; d < -time.Duration(r.UncertaintyMS*1e6) || d > time.Duration(r.UncertaintyMS*1e6) {
		t.Errorf("offset %v ± %.3f ms; the node is %v off", got, r.UncertaintyMS, offset)
	}
	if r.UncertaintyMS < 1.5 {
		t.Errorf("uncertainty %.3f ms, below half the 3 ms the question took", r.UncertaintyMS)
	}
}

// slow delays every read, as a network leg does.
type slow struct {
	r io.Reader
	d time.Duration
}

func (s slow) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	time.Sleep(s.d)
	return n, err
}

func TestMainRefusesBadArguments(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "usage"},
		{[]string{"fly"}, `unknown command "fly"`},
		{[]string{"run"}, "--target: at least one URL"},
		{[]string{"run", "--target", "http://a/", "--keep-alive", "sometimes"}, `keep-alive "sometimes"`},
		{[]string{"run", "--target", "ftp://a/"}, "http:// or https://"},
		{[]string{"run", "--target", "http://a/", "--rate", "0"}, "rate must be a number of requests per second above 0"},
		{[]string{"run", "--target", "http://a/", "extra"}, "unexpected arguments extra"},
	} {
		var stdout, stderr bytes.Buffer
		code := loader.Main(tc.args, strings.NewReader(""), &stdout, &stderr)
		if code != 2 || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("Main(%q) = %d, stderr %q; want 2 (a usage error) saying %q", tc.args, code, stderr.String(), tc.want)
		}
	}
}

func TestArgsRoundTrip(t *testing.T) {
	cfg := loader.Config{Targets: []string{"http://wordpress.selfheal.svc.cluster.local./", "http://x/?p=1"}, Rate: 50,
		Timeout: 2 * time.Second, MaxDuration: time.Hour, Host: "127.0.0.1:30080", Name: "node-halt@inside"}
	args := loader.Args(cfg, loader.KeepAliveBoth)
	if args[0] != "run" {
		t.Fatalf("args %q", args)
	}
	// Main reads them back: a run against nothing that answers, stopped
	// at once, still writes its header with the same settings.
	var stdout, stderr bytes.Buffer
	args = append(args, "--max-duration", "50ms")
	if code := loader.Main(args, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("Main(%q) = %d: %s", args, code, stderr.String())
	}
	c := loader.NewCollector()
	if err := c.Read(&stdout); err != nil {
		t.Fatal(err)
	}
	h := c.Header()
	if h == nil || h.Rate != 50 || len(h.Targets) != 2 || h.Targets[0] != cfg.Targets[0] || len(h.Streams) != 2 || h.TimeoutMS != 2000 || h.Name != cfg.Name {
		t.Errorf("header %+v from args %q", h, args)
	}
}
