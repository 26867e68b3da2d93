// Package load drives constant-rate HTTP load with vegeta's library and
// hands every request to a sink as it completes, compacted to a
// measure.Outcome (no body, no headers), so memory stays flat however long
// the run.
//
// The settings follow what bends the measurement (docs/measurement.md,
// "Requests" and "Load"):
//   - a short per-request timeout (2 s by default): vegeta's 30 s would
//     hide how fast a dead endpoint fails over;
//   - redirects are not followed, so a 3xx is a success as answered;
//   - workers are not capped: a cap turns an outage into a later catch-up
//     burst and under-counts it (an outage at rate R and timeout T holds
//     about R*T requests, and sockets, in flight);
//   - bodies are read to the end (so timing covers the whole answer and
//     connections are reused) but none of it is kept by default;
//   - gzip is asked for as a browser asks (Accept-Encoding: gzip, unless a
//     Header names another) and bodies are read as sent, not inflated: the
//     bytes on the wire are what Go's transport would fetch, and a loader
//     pod spent a fifth of its CPU inflating what it then discarded;
//   - keep-alive is on by default; off opens a connection per request,
//     which is what lets a Service spread requests over new endpoints,
//     sent to plain-HTTP targets by oneShot (oneshot.go): the same bytes
//     as net/http's Transport, without its per-connection goroutines;
//   - HTTP/2 is off: the targets are plain HTTP/1.1 servers.
package load

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"sync"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/selfheal/selfheal/chaos/measure"
	"github.com/selfheal/selfheal/chaos/result"
)

// Defaults of the options.
const (
	DefaultRate    = 50.0
	DefaultTimeout = 2 * time.Second
	DefaultMaxBody = 0
	DefaultWorkers = vegeta.DefaultWorkers
	// MaxTargets is the most targets a load can have (Sample.Target is a byte).
	MaxTargets = 256
)

// Sink receives the load's requests. *measure.Recorder is one.
type Sink interface {
	// Began is called once, with the instant the load began: the first
	// request goes out one interval later, and the rate achieved is
	// measured from here.
	Began(at time.Time)
	// Sending is called as each request is about to be sent.
	Sending()
	// Record is called with each request once it completed, from the
	// goroutine that called Run, in completion order.
	Record(measure.Outcome)
}

// Option configures a Generator.
type Option func(*config)

type config struct {
	rate       float64
	duration   time.Duration
	timeout    time.Duration
	keepAlive  bool
	maxBody    int64
	workers    uint64
	maxWorkers uint64
	name       string
	header     http.Header
}

// Rate sets the requests per second, all targets together (default 50).
func Rate(perSecond float64) Option { return func(c *config) { c.rate = perSecond } }

// Duration sets how long the load runs; 0 (the default) runs until the
// context is cancelled.
func Duration(d time.Duration) Option { return func(c *config) { c.duration = d } }

// Timeout sets the per-request timeout, the whole answer included (default 2 s).
func Timeout(d time.Duration) Option { return func(c *config) { c.timeout = d } }

// KeepAlive reuses connections when true (the default); false opens a new
// connection for every request.
func KeepAlive(on bool) Option { return func(c *config) { c.keepAlive = on } }

// MaxBody sets how many bytes of each body vegeta keeps in memory while a
// result is in flight (default 0), as sent (gzipped when the server gzips).
// Bodies are read to the end regardless; they are never stored in a sample.
func MaxBody(n int64) Option { return func(c *config) { c.maxBody = n } }

// Workers sets the initial number of workers (default vegeta's 10); more
// are started as needed.
func Workers(n uint64) Option { return func(c *config) { c.workers = n } }

// MaxWorkers caps the workers; 0 (the default) means no cap. A cap hides
// downtime: keep it unset unless the load side itself must be bounded.
func MaxWorkers(n uint64) Option { return func(c *config) { c.maxWorkers = n } }

// Name names the attack (sent as the X-Vegeta-Attack header).
func Name(s string) Option { return func(c *config) { c.name = s } }

// Header adds a request header to every request.
func Header(key, value string) Option {
	return func(c *config) {
		if c.header == nil {
			c.header = http.Header{}
		}
		c.header.Add(key, value)
	}
}

// Generator is a configured load. Run may be called more than once (each
// run gets a fresh vegeta attacker, which is single-use), though not
// concurrently with itself on the same Sink.
type Generator struct {
	cfg     config
	urls    []string
	index   map[string]uint8
	targets []vegeta.Target
	// oneShot: a connection per request to plain-HTTP targets that no
	// proxy is set for, sent by oneShot rather than net/http's Transport.
	oneShot bool
}

// New validates the targets and options and returns a Generator. Targets
// are hit round-robin.
func New(targets []string, opts ...Option) (*Generator, error) {
	cfg := config{rate: DefaultRate, timeout: DefaultTimeout, keepAlive: true, maxBody: DefaultMaxBody, workers: DefaultWorkers}
	for _, o := range opts {
		o(&cfg)
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if len(targets) == 0 {
		return nil, errors.New("load needs at least one target URL")
	}
	if len(targets) > MaxTargets {
		return nil, fmt.Errorf("load takes at most %d targets, got %d", MaxTargets, len(targets))
	}
	g := &Generator{cfg: cfg, index: map[string]uint8{}, oneShot: !cfg.keepAlive}
	for i, t := range targets {
		u, err := parseTarget(t)
		if err != nil {
			return nil, err
		}
		if _, dup := g.index[t]; dup {
			return nil, fmt.Errorf("target %q is given twice", t)
		}
		g.index[t] = uint8(i)
		g.urls = append(g.urls, t)
		g.targets = append(g.targets, vegeta.Target{Method: http.MethodGet, URL: t, Header: cfg.requestHeader()})
		g.oneShot = g.oneShot && plainAndDirect(u)
	}
	return g, nil
}

// CheckRate refuses a rate of requests per second that no load can keep:
// not a number above 0, beyond what one process can send, or so low that
// the interval between requests is beyond what a time.Duration holds
// (vegeta's pacer would get a negative one and send nothing). It is the one
// rate check: the load's own, the settings' (SELFHEAL_RATE, --rate) and
// the probe's.
func CheckRate(perSecond float64) error {
	switch {
	case math.IsNaN(perSecond) || math.IsInf(perSecond, 0) || perSecond <= 0:
		return fmt.Errorf("rate must be a number of requests per second above 0, got %v", perSecond)
	case perSecond > 1e6:
		return fmt.Errorf("rate %v is beyond what one process can send", perSecond)
	}
	if ns := float64(time.Second) / perSecond; ns >= math.MaxInt64 {
		return fmt.Errorf("rate %v requests per second is too low: one request every %.3g years cannot be paced", perSecond, ns/float64(365*24*time.Hour))
	}
	return nil
}

// requestHeader is the header of every request: the Header options', and
// Accept-Encoding: gzip unless they name one. Set explicitly, it stops
// net/http inflating the body (it does only for the header it adds itself).
// With keep-alive off it also says Connection: close, as net/http's
// Transport does then.
func (c config) requestHeader() http.Header {
	h := c.header.Clone()
	if h == nil {
		h = http.Header{}
	}
	if h.Get("Accept-Encoding") == "" {
		h.Set("Accept-Encoding", "gzip")
	}
	if !c.keepAlive {
		h.Set("Connection", "close")
	}
	return h
}

// plainAndDirect says whether target is plain HTTP that the environment
// sets no proxy for: what oneShot sends.
func plainAndDirect(target *url.URL) bool {
	if target.Scheme != "http" {
		return false
	}
	proxy, err := http.ProxyFromEnvironment(&http.Request{URL: target})
	return err == nil && proxy == nil
}

func (c config) validate() error {
	if err := CheckRate(c.rate); err != nil {
		return err
	}
	switch {
	case c.timeout <= 0:
		return fmt.Errorf("timeout must be positive, got %s", c.timeout)
	case c.duration < 0:
		return fmt.Errorf("duration must not be negative, got %s", c.duration)
	case c.maxBody < 0:
		return fmt.Errorf("max body must not be negative, got %d", c.maxBody)
	case c.workers == 0:
		return errors.New("workers must be at least 1")
	}
	return c.checkInterval()
}

// checkInterval refuses a rate (CheckRate's) whose interval between
// requests is longer than the load's duration: no request would be sent
// before it ends.
func (c config) checkInterval() error {
	if interval := time.Duration(float64(time.Second) / c.rate); c.duration > 0 && interval > c.duration {
		return fmt.Errorf("rate %v requests per second sends one request every %s, longer than the duration %s: no request would be sent", c.rate, interval, c.duration)
	}
	return nil
}

// parseTarget parses a target URL, refusing one that is not http(s) or
// names no host.
func parseTarget(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return nil, fmt.Errorf("target %q is not a URL: %w", s, err)
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("target %q must be an http:// or https:// URL", s)
	case u.Host == "":
		return nil, fmt.Errorf("target %q has no host", s)
	}
	return u, nil
}

// Settings describes the load for the result document. Achieved is left
// for the analysis, which knows what was sent.
func (g *Generator) Settings() result.Load {
	return result.Load{
		Rate:       g.cfg.rate,
		TimeoutMS:  float64(g.cfg.timeout.Microseconds()) / 1000,
		Timeout:    g.cfg.timeout.String(),
		Targets:    append([]string(nil), g.urls...),
		KeepAlive:  g.cfg.keepAlive,
		Redirects:  "not followed",
		MaxBody:    g.cfg.maxBody,
		Workers:    g.cfg.workers,
		MaxWorkers: g.cfg.maxWorkers,
	}
}

// Stats is what Run did.
type Stats struct {
	Began time.Time // just before the first request
	// Ended is the run's end: when the load stopped sending (its duration
	// was up or the context was cancelled), or the last send if later.
	Ended time.Time
	// Received counts requests completed; every request sent completes
	// (vegeta yields one result per hit), so it is also the number sent.
	Received  uint64
	Cancelled bool // stopped by the context rather than by its duration
}

// Run drives the load until its duration is up or ctx is cancelled, and
// hands each request to sink as it completes. After a cancel it keeps
// draining: requests in flight end within the timeout, and all are
// recorded. It returns an error only if ctx was done before it started.
func (g *Generator) Run(ctx context.Context, sink Sink) (Stats, error) {
	if err := ctx.Err(); err != nil {
		return Stats{}, fmt.Errorf("starting load: %w", err)
	}
	atk := vegeta.NewAttacker(g.attackerOptions()...)
	var st Stats
	st.Began = time.Now()
	sink.Began(st.Began)
	stopPacing := make(chan struct{})
	pacer := &stoppable{Pacer: g.pacer(), duration: g.cfg.duration, stop: stopPacing}
	results := atk.Attack(g.targeter(sink), pacer, g.cfg.duration, g.cfg.name)

	stopped := make(chan time.Time, 1)
	finished := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		select {
		case <-ctx.Done():
			stopped <- time.Now()
			close(stopPacing)
			atk.Stop()
		case <-finished:
		}
	})

	var last time.Time
	for res := range results {
		sink.Record(g.outcome(res))
		st.Received++
		if res.Timestamp.After(last) {
			last = res.Timestamp
		}
	}
	close(finished)
	wg.Wait()

	select {
	case at := <-stopped:
		st.Cancelled, st.Ended = true, at
	default:
		st.Ended = st.Began.Add(g.cfg.duration)
	}
	if last.After(st.Ended) {
		st.Ended = last
	}
	return st, nil
}

// attackerOptions configure vegeta. With oneShot the client is replaced
// first and keeps the timeout itself, and the options that configure
// net/http's Transport are left out (they assume one).
func (g *Generator) attackerOptions() []func(*vegeta.Attacker) {
	var opts []func(*vegeta.Attacker)
	if g.oneShot {
		opts = append(opts, vegeta.Client(&http.Client{Transport: newOneShot(g.cfg.timeout)}))
	} else {
		opts = append(opts, vegeta.KeepAlive(g.cfg.keepAlive), vegeta.HTTP2(false), vegeta.Timeout(g.cfg.timeout))
	}
	opts = append(opts,
		vegeta.Redirects(vegeta.NoFollow),
		vegeta.MaxBody(g.cfg.maxBody),
		vegeta.Workers(g.cfg.workers),
	)
	if g.cfg.maxWorkers > 0 {
		opts = append(opts, vegeta.MaxWorkers(g.cfg.maxWorkers))
	}
	return opts
}

// pacer is a constant rate. Whole rates are exact per second; a
// fractional rate is one request per 1/rate (checkInterval made sure it
// fits a time.Duration).
func (g *Generator) pacer() vegeta.Pacer {
	if r := g.cfg.rate; r == float64(int(r)) {
		return vegeta.ConstantPacer{Freq: int(r), Per: time.Second}
	}
	return vegeta.ConstantPacer{Freq: 1, Per: time.Duration(float64(time.Second) / g.cfg.rate)}
}

// targeter hits the targets round-robin and tells the sink of each send.
func (g *Generator) targeter(sink Sink) vegeta.Targeter {
	next := vegeta.NewStaticTargeter(g.targets...)
	return func(t *vegeta.Target) error {
		if err := next(t); err != nil {
			return err
		}
		sink.Sending()
		return nil
	}
}

func (g *Generator) outcome(r *vegeta.Result) measure.Outcome {
	o := measure.Outcome{Sent: r.Timestamp, Latency: r.Latency, Code: r.Code, Target: g.index[r.URL]}
	if r.Code == 0 {
		o.Class = Classify(r.Error)
	}
	return o
}
