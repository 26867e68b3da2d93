// Package loader is selfheal's load from inside the cluster: the program
// a loader pod runs (cmd/selfheal-loader, image fixtures/images/loader).
// It drives the same constant-rate load as the harness (chaos/load, vegeta)
// at the app's Service and writes every request as a line on its standard
// output (wire.go), which Kubernetes keeps as the container's log; the
// harness reads it back through the API and analyses it with the same
// code as its own requests (chaos/vantage, chaos/measure). It also answers
// the harness's clock questions (AnswerClock), through the API's exec,
// so that send times read on the node's clock can be put on the harness's.
//
// Nothing here talks to Kubernetes: the loader binary stays small, and
// its only way out is its standard output.
package loader

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/selfheal/selfheal/chaos/load"
	"github.com/selfheal/selfheal/chaos/measure"
)

// Defaults of Config.
const (
	// DefaultFlushEvery is how often lines are written out: a write per
	// request would cost a system call each, in the loader and in the
	// container runtime's log pipe; the harness reads with that delay.
	DefaultFlushEvery = 250 * time.Millisecond
	// DefaultMaxDuration is when a loader stops by itself if nobody stops
	// it (the harness vanished): a dead man's switch beside the Job's own
	// activeDeadlineSeconds.
	DefaultMaxDuration = time.Hour
	// flushAt is the buffer size written at once, whatever the time.
	flushAt = 64 << 10
)

// Env is the environment the loader program runs in, "KEY=value" each:
// its pod's (chaos/vantage) and BenchmarkLoader100rps's.
//
// GODEBUG=schedtrace at its largest value keeps the Go runtime's monitor
// thread (sysmon) out of its deep sleep. A loader idles between requests:
// each time, sysmon sleeps deeply, and the next system call wakes it to
// poll every 20 µs again. At 100 requests a second with a connection per
// request that was 12 futex calls and 6 sleeps per request (strace -c)
// and about a third of the loader's CPU; never deeply asleep, sysmon
// backs off to a wake every 10 ms (the figures, and how far they move
// between sittings: docs/measurement.md, "Vantage points"). The trace it
// turns on prints every 2^31-1 ms (24.8 days): at most one line, at the
// start, on a node up longer than that, which the collector drops
// (runtimeTrace).
func Env() []string {
	return []string{"GODEBUG=schedtrace=" + strconv.Itoa(math.MaxInt32)}
}

// Config is one loader's load.
type Config struct {
	Targets []string
	// Rate is each stream's requests per second, all targets together.
	Rate    float64
	Timeout time.Duration
	// Streams are the loads to run side by side, by keep-alive: [false]
	// (a connection per request), [true], or both.
	Streams []bool
	// MaxDuration stops the load by itself (default DefaultMaxDuration).
	MaxDuration time.Duration
	// Host is the Host header of every request: the site's own, so that
	// the app answers the loaders as it answers the harness (WordPress
	// redirects any other host to its site URL).
	Host       string
	Name       string
	FlushEvery time.Duration
	// ClockOffset is how far this process's clock is from true time, in
	// tests that play a node whose clock is off: every time the loader
	// writes or answers is moved by it. Zero in the real program.
	ClockOffset time.Duration
}

func (c Config) withDefaults() Config {
	if c.MaxDuration <= 0 {
		c.MaxDuration = DefaultMaxDuration
	}
	if c.FlushEvery <= 0 {
		c.FlushEvery = DefaultFlushEvery
	}
	if c.Timeout <= 0 {
		c.Timeout = load.DefaultTimeout
	}
	if len(c.Streams) == 0 {
		c.Streams = []bool{false}
	}
	return c
}

// Run drives the load until ctx is cancelled (the pod's SIGTERM) or
// MaxDuration passes, writing the header, a line per request as it
// completes and, once every request in flight was answered, the end
// line. An error means the load could not start or its output could not
// be written.
func Run(ctx context.Context, cfg Config, out io.Writer) (End, error) {
	cfg = cfg.withDefaults()
	gens, err := cfg.generators()
	if err != nil {
		return End{}, err
	}
	w := &writer{out: out, offset: cfg.ClockOffset}
	w.header(Header{V: Version, Began: w.now().UnixMicro(), Rate: cfg.Rate, Targets: cfg.Targets,
		Streams: cfg.Streams, TimeoutMS: cfg.Timeout.Milliseconds(), Name: cfg.Name})
	stopFlush := w.flushEvery(cfg.FlushEvery)
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		ended time.Time
		why   = "duration"
	)
	for i, g := range gens {
		wg.Go(func() {
			st, err := g.Run(ctx, stream{w: w, index: i})
			mu.Lock()
			defer mu.Unlock()
			if err == nil && st.Ended.After(ended) {
				ended = st.Ended
			}
			if st.Cancelled {
				why = "signal"
			}
		})
	}
	wg.Wait()
	stopFlush()
	end := End{Ended: ended.Add(cfg.ClockOffset).UnixMicro(), Why: why}
	if ended.IsZero() {
		end.Ended = w.now().UnixMicro()
	}
	return w.end(end)
}

// Check refuses a configuration the load would refuse (no target, a
// rate that cannot be paced...), before anything is sent.
func (c Config) Check() error {
	_, err := c.withDefaults().generators()
	return err
}

// generators are the loads of c's streams.
func (c Config) generators() ([]*load.Generator, error) {
	if len(c.Streams) > 2 {
		return nil, fmt.Errorf("at most two streams (new and reused connections), got %d", len(c.Streams))
	}
	var gens []*load.Generator
	for _, keepAlive := range c.Streams {
		opts := []load.Option{load.Rate(c.Rate), load.Timeout(c.Timeout), load.KeepAlive(keepAlive),
			load.Duration(c.MaxDuration), load.Name(c.Name)}
		if c.Host != "" {
			opts = append(opts, load.Header("Host", c.Host))
		}
		g, err := load.New(c.Targets, opts...)
		if err != nil {
			return nil, err
		}
		gens = append(gens, g)
	}
	return gens, nil
}

// writer buffers lines and writes whole lines only, so that the
// container runtime never splits one.
type writer struct {
	out    io.Writer
	offset time.Duration
	mu     sync.Mutex
	buf    []byte
	seq    uint64
	err    error
}

func (w *writer) now() time.Time { return time.Now().Add(w.offset) }

func (w *writer) header(h Header) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = AppendHeader(w.buf, h)
	w.flushLocked()
}

func (w *writer) sample(stream int, o measure.Outcome) {
	o.Sent = o.Sent.Add(w.offset)
	w.mu.Lock()
	defer w.mu.Unlock()
	w.seq++
	w.buf = AppendSample(w.buf, w.seq, stream, o)
	if len(w.buf) >= flushAt {
		w.flushLocked()
	}
}

func (w *writer) end(e End) (End, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	e.Received = w.seq
	w.buf = AppendEnd(w.buf, e)
	w.flushLocked()
	return e, w.err
}

func (w *writer) flushLocked() {
	if len(w.buf) == 0 || w.err != nil {
		w.buf = w.buf[:0]
		return
	}
	if _, err := w.out.Write(w.buf); err != nil {
		w.err = fmt.Errorf("writing the loader's output: %w", err)
	}
	w.buf = w.buf[:0]
}

// flushEvery writes the buffer out every d until stopped.
func (w *writer) flushEvery(d time.Duration) (stop func()) {
	quit := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(d)
		defer t.Stop()
		for {
			select {
			case <-quit:
				return
			case <-t.C:
				w.mu.Lock()
				w.flushLocked()
				w.mu.Unlock()
			}
		}
	}()
	return func() { close(quit); <-done }
}

// stream is one load's sink: its requests go to the writer under its
// index.
type stream struct {
	w     *writer
	index int
}

func (stream) Began(time.Time)            {}
func (stream) Sending()                   {}
func (s stream) Record(o measure.Outcome) { s.w.sample(s.index, o) }

// AnswerClock answers each line read from in with the clock's reading, in
// Unix nanoseconds, at once: the far side of an NTP-style exchange
// (chaos/measure.Exchange). It returns when in ends.
func AnswerClock(in io.Reader, out io.Writer, offset time.Duration) error {
	sc := bufio.NewScanner(in)
	var b []byte
	for sc.Scan() {
		b = strconv.AppendInt(b[:0], time.Now().Add(offset).UnixNano(), 10)
		b = append(b, '\n')
		if _, err := out.Write(b); err != nil {
			return fmt.Errorf("answering the clock: %w", err)
		}
	}
	if err := sc.Err(); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("reading clock questions: %w", err)
	}
	return nil
}
