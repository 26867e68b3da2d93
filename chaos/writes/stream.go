// Package writes checks that the writes a site acknowledged survive a
// fault. While a scenario's load runs, a Stream sends writes at a low fixed
// rate (1 a second by default), each with a unique id, through vegeta's
// library with an attacker, pacer and records of its own: nothing of it
// goes into the read load's figures. After the scenario a Store says how
// many rows the database holds for each id, and Tally compares the two:
// sent, acknowledged, failed, acknowledged but missing (must be 0),
// duplicates, and failed but stored (docs/measurement.md, "Acknowledged
// writes").
//
// A write is acknowledged when it got a 2xx answer whose JSON body echoes
// its id ({"id": "..."}): the fixture's endpoint
// (fixtures/wordpress/manifests/wordpress-mu-plugins.yaml) answers so only after
// its INSERT returned success.
package writes

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/selfheal/selfheal/chaos/load"
	"github.com/selfheal/selfheal/chaos/result"
)

// Defaults of the options.
const (
	DefaultRate = 1.0
	// DefaultTimeout is longer than the read load's: a write that takes
	// 3 s is slow, not lost, and a timed-out write may still be stored
	// (it is then counted as failed but stored).
	DefaultTimeout = 5 * time.Second
	// maxBody is what is read of an answer: the endpoint's JSON is short.
	maxBody = 16 << 10
	// maxPrefix leaves room for the sequence within the endpoint's 191
	// characters.
	maxPrefix = 160
)

// validID is what an id may hold: the endpoint refuses anything else, and
// the database check puts ids in SQL without quoting them.
var validID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,191}$`)

// Option configures a Stream.
type Option func(*config)

type config struct {
	rate    float64
	timeout time.Duration
}

// Rate sets the writes per second (default 1).
func Rate(perSecond float64) Option { return func(c *config) { c.rate = perSecond } }

// Timeout sets the per-write timeout, the whole answer included (default 5 s).
func Timeout(d time.Duration) Option { return func(c *config) { c.timeout = d } }

// Stream sends writes to one URL.
type Stream struct {
	cfg    config
	target *url.URL
	prefix string
	// far is what Run has seen answered so far, for Progress.
	mu  sync.Mutex
	far Progress
}

// Progress is what a running stream has seen so far: writes answered
// (or timed out), acknowledged, and the causes of the others.
type Progress struct {
	Answered, Acknowledged int
	FailedBy               map[string]int
}

// Failures says why the writes so far failed, the most frequent first:
// "404 ×15"; "none answered yet" when none was.
func (p Progress) Failures() string {
	if p.Answered == 0 {
		return "none answered yet"
	}
	return (&result.Writes{FailedBy: p.FailedBy}).Causes()
}

// Progress is what the stream has seen so far; Run may be running.
func (s *Stream) Progress() Progress {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.far
	p.FailedBy = maps.Clone(p.FailedBy)
	return p
}

// saw counts w for Progress.
func (s *Stream) saw(w Write) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.far.Answered++
	if w.Acked {
		s.far.Acknowledged++
		return
	}
	if s.far.FailedBy == nil {
		s.far.FailedBy = map[string]int{}
	}
	s.far.FailedBy[w.Cause]++
}

// New checks the target, prefix and options. Each write posts to target
// with the query parameter id=<prefix>.<sequence>, the sequence from 1.
func New(target, prefix string, opts ...Option) (*Stream, error) {
	cfg := config{rate: DefaultRate, timeout: DefaultTimeout}
	for _, o := range opts {
		o(&cfg)
	}
	switch {
	case !(cfg.rate > 0) || cfg.rate > 1000:
		return nil, fmt.Errorf("write rate must be above 0 and at most 1000 a second, got %v", cfg.rate)
	case cfg.timeout <= 0:
		return nil, fmt.Errorf("write timeout must be positive, got %s", cfg.timeout)
	case len(prefix) > maxPrefix || !validID.MatchString(prefix):
		return nil, fmt.Errorf("write id prefix %q: want at most %d letters, digits, '.', '_' or '-'", prefix, maxPrefix)
	}
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("write target %q must be an http:// or https:// URL", target)
	}
	return &Stream{cfg: cfg, target: u, prefix: prefix}, nil
}

// Prefix builds a stream's id prefix from the run, the scenario and the
// instant it starts (so repetitions and variants of a scenario in one run
// never share ids): "20261201-180000.mysql-crash.20261201T180512.123".
// Characters an id may not hold become '-'.
func Prefix(run, scenario string, at time.Time) string {
	clean := func(s string, max int) string {
		s = strings.Map(func(r rune) rune {
			if r < 128 && validID.MatchString(string(r)) {
				return r
			}
			return '-'
		}, s)
		if len(s) > max {
			s = s[:max]
		}
		return s
	}
	if run == "" {
		run = "run"
	}
	return clean(run, 64) + "." + clean(scenario, 64) + "." + at.UTC().Format("20060102T150405.000")
}

// ID is the id of write seq (from 1) of the stream.
func (s *Stream) ID(seq uint64) string { return fmt.Sprintf("%s.%06d", s.prefix, seq) }

// Prefix is what every id of the stream begins with, the dot included.
func (s *Stream) Prefix() string { return s.prefix + "." }

// Settings describes the stream for the result; the counts are Tally's.
func (s *Stream) Settings() result.Writes {
	return result.Writes{
		Target:    s.target.String(),
		Rate:      s.cfg.rate,
		TimeoutMS: float64(s.cfg.timeout.Microseconds()) / 1000,
		Prefix:    s.Prefix(),
	}
}

// Write is one write the stream sent and what came of it.
type Write struct {
	ID      string
	Sent    time.Time
	Latency time.Duration
	Code    int // 0 without an answer
	// Acked: a 2xx answer that echoes the id.
	Acked bool
	// Cause says why a write that is not acknowledged failed: its status
	// ("503"), a transport error class ("timeout"), or NoID.
	Cause string
}

// NoID is the cause of a 2xx answer that does not echo the write's id.
const NoID = "no id"

// Run sends writes until ctx ends and returns every write, in the order
// they were sent, each with its answer: after ctx ends no write is sent,
// and those in flight are waited for (at most the timeout). It returns an
// error only when ctx was done before it started.
func (s *Stream) Run(ctx context.Context) ([]Write, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("starting the write stream: %w", err)
	}
	atk := vegeta.NewAttacker(
		vegeta.Timeout(s.cfg.timeout),
		vegeta.Redirects(vegeta.NoFollow),
		// A connection per write, as the read load: a kept-alive one
		// would stay pinned to one pod.
		vegeta.KeepAlive(false),
		vegeta.HTTP2(false),
		vegeta.MaxBody(maxBody),
		vegeta.Workers(2),
	)
	stop := make(chan struct{})
	pacer := load.StopPacer(vegeta.ConstantPacer{Freq: 1, Per: time.Duration(float64(time.Second) / s.cfg.rate)}, stop)
	results := atk.Attack(s.targeter(), pacer, 0, "selfheal-writes")

	var wg sync.WaitGroup
	finished := make(chan struct{})
	wg.Go(func() {
		select {
		case <-ctx.Done():
			close(stop)
			atk.Stop()
		case <-finished:
		}
	})
	var out []Write
	for r := range results {
		w := s.write(r)
		s.saw(w)
		out = append(out, w)
	}
	close(finished)
	wg.Wait()
	// Results come in completion order.
	slices.SortStableFunc(out, func(a, b Write) int { return a.Sent.Compare(b.Sent) })
	return out, nil
}

// targeter numbers the writes from 1. vegeta calls it from several
// workers; the id travels in the URL, which each result carries back.
func (s *Stream) targeter() vegeta.Targeter {
	var mu sync.Mutex
	var seq uint64
	return func(t *vegeta.Target) error {
		mu.Lock()
		seq++
		id := s.ID(seq)
		mu.Unlock()
		u := *s.target
		q := u.Query()
		q.Set("id", id)
		u.RawQuery = q.Encode()
		*t = vegeta.Target{Method: http.MethodPost, URL: u.String()}
		return nil
	}
}

// write turns a vegeta result into a Write.
func (s *Stream) write(r *vegeta.Result) Write {
	w := Write{Sent: r.Timestamp, Latency: r.Latency, Code: int(r.Code)}
	if u, err := url.Parse(r.URL); err == nil {
		w.ID = u.Query().Get("id")
	}
	switch {
	case r.Code == 0:
		w.Cause = load.Classify(r.Error).String()
	case r.Code < 200 || r.Code > 299:
		w.Cause = strconv.Itoa(int(r.Code))
	case echoes(r.Body, w.ID):
		w.Acked = true
	default:
		w.Cause = NoID
	}
	return w
}

// echoes says whether body is a JSON object whose "id" is id.
func echoes(body []byte, id string) bool {
	var answer struct {
		ID *string `json:"id"`
	}
	if id == "" || json.Unmarshal(body, &answer) != nil || answer.ID == nil {
		return false
	}
	return *answer.ID == id
}

// errNoStore is the check's error when no database was given.
var errNoStore = errors.New("no database to read the writes from")
