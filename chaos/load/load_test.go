package load_test

import (
	"context"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/selfheal/selfheal/chaos/load"
	"github.com/selfheal/selfheal/chaos/measure"
	"github.com/selfheal/selfheal/internal/flaky/flakytest"
)

// sink keeps every outcome, for tests that look at single requests.
type sink struct {
	mu    sync.Mutex
	began time.Time
	sent  int
	out   []measure.Outcome
}

func (s *sink) Began(at time.Time) { s.mu.Lock(); s.began = at; s.mu.Unlock() }

func (s *sink) Sending() { s.mu.Lock(); s.sent++; s.mu.Unlock() }

func (s *sink) Record(o measure.Outcome) { s.mu.Lock(); s.out = append(s.out, o); s.mu.Unlock() }

func run(t *testing.T, targets []string, opts ...load.Option) (*sink, load.Stats) {
	t.Helper()
	g, err := load.New(targets, opts...)
	if err != nil {
		t.Fatal(err)
	}
	var s sink
	st, err := g.Run(t.Context(), &s)
	if err != nil {
		t.Fatal(err)
	}
	return &s, st
}

// Each error class, produced for real by a server that misbehaves that way.
func TestErrorClassesForReal(t *testing.T) {
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refusedURL := "http://" + closed.Addr().String() + "/"
	closed.Close()
	tests := []struct {
		name     string
		schedule string // a flaky server's, or "" to use url
		url      string
		timeout  time.Duration
		want     measure.Class
	}{
		{name: "refused", url: refusedURL, want: measure.ClassRefused},
		{name: "refused by flaky", schedule: "1m refuse", want: measure.ClassRefused},
		{name: "timeout", schedule: "1m hang", want: measure.ClassTimeout},
		{name: "timeout on a slow answer", schedule: "1m slow 2s", want: measure.ClassTimeout},
		{name: "reset", schedule: "1m reset", want: measure.ClassReset},
		{name: "eof", schedule: "1m eof", want: measure.ClassEOF},
		// RFC 6761: .invalid never resolves; without DNS at all the error
		// still names the lookup.
		{name: "dns", url: "http://selfheal-test.invalid/", timeout: 5 * time.Second, want: measure.ClassDNS},
	}
	for _, tt := range tests {
		for _, keepAlive := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/keep-alive=%v", tt.name, keepAlive), func(t *testing.T) {
				t.Parallel()
				url := tt.url
				if tt.schedule != "" {
					url = flakytest.Start(t, tt.schedule).URL() + "/"
				}
				timeout := tt.timeout
				if timeout == 0 {
					timeout = 300 * time.Millisecond
				}
				s, _ := run(t, []string{url}, load.Rate(10), load.Duration(300*time.Millisecond), load.Timeout(timeout), load.KeepAlive(keepAlive))
				if len(s.out) == 0 {
					t.Fatal("no request completed")
				}
				for _, o := range s.out {
					if o.Code != 0 || o.Class != tt.want {
						t.Errorf("request: code %d class %v; want a %v error", o.Code, o.Class, tt.want)
					}
				}
			})
		}
	}
}

func TestClassifyTexts(t *testing.T) {
	// Texts as Go's client and vegeta write them.
	for text, want := range map[string]measure.Class{
		`Get "http://127.0.0.1:1/": dial tcp 127.0.0.1:1: connect: connection refused`:                measure.ClassRefused,
		`Get "http://x/": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`: measure.ClassTimeout,
		`context deadline exceeded (Client.Timeout or context cancellation while reading body)`:       measure.ClassTimeout,
		`Get "http://x/": dial tcp 10.0.0.1:80: i/o timeout`:                                          measure.ClassTimeout,
		`Get "http://x/": read tcp 127.0.0.1:1->127.0.0.1:2: read: connection reset by peer`:          measure.ClassReset,
		`Get "http://x/": write tcp 127.0.0.1:1->127.0.0.1:2: write: broken pipe`:                     measure.ClassReset,
		`Get "http://x/": EOF`: measure.ClassEOF,
		`unexpected EOF`:       measure.ClassEOF,
		`Get "http://x/": dial tcp: lookup x on 10.0.0.53:53: no such host`:                                             measure.ClassDNS,
		`Get "http://x/": dial tcp: lookup x on 127.0.0.53:53: read udp 127.0.0.1:1->127.0.0.53:53: connection refused`: measure.ClassDNS,
		`Get "https://x/": tls: failed to verify certificate: x509: certificate signed by unknown authority`:            measure.ClassOther,
		`net/http: HTTP/1.x transport connection broken: malformed HTTP response "junk"`:                                measure.ClassEOF,
		``: measure.ClassOther,
	} {
		if got := load.Classify(text); got != want {
			t.Errorf("Classify(%q) = %v; want %v", text, got, want)
		}
	}
}

func TestRedirectsAreNotFollowed(t *testing.T) {
	var hits sync.Map
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Store(r.URL.Path, true)
		if r.URL.Path == "/" {
			http.Redirect(w, r, "/wp-admin/install.php", http.StatusFound)
		}
	}))
	defer srv.Close()
	s, _ := run(t, []string{srv.URL + "/"}, load.Rate(20), load.Duration(200*time.Millisecond))
	for _, o := range s.out {
		if o.Code != http.StatusFound {
			t.Errorf("code %d; want 302 as answered", o.Code)
		}
	}
	if _, followed := hits.Load("/wp-admin/install.php"); followed {
		t.Error("the redirect was followed")
	}
}

// Keep-alive reuses connections; without it every request dials anew.
func TestKeepAlive(t *testing.T) {
	for _, on := range []bool{true, false} {
		var mu sync.Mutex
		conns := 0
		srv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
		srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew {
				mu.Lock()
				conns++
				mu.Unlock()
			}
		}
		srv.Start()
		s, _ := run(t, []string{srv.URL}, load.Rate(50), load.Duration(400*time.Millisecond), load.KeepAlive(on))
		srv.Close()
		n := len(s.out)
		switch {
		case on && conns > n/2:
			t.Errorf("keep-alive on: %d connections for %d requests", conns, n)
		case !on && conns < n:
			t.Errorf("keep-alive off: %d connections for %d requests; want one each", conns, n)
		}
	}
}

func TestRoundRobinTargetsAndHeaders(t *testing.T) {
	var mu sync.Mutex
	paths := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if r.Header.Get("User-Agent") == "selfheal-test" {
			paths[r.URL.Path]++
		}
	}))
	defer srv.Close()
	targets := []string{srv.URL + "/a", srv.URL + "/b", srv.URL + "/c"}
	s, st := run(t, targets, load.Rate(60), load.Duration(500*time.Millisecond), load.Header("User-Agent", "selfheal-test"))
	if st.Received != uint64(len(s.out)) || s.sent != len(s.out) {
		t.Errorf("received %d (sink saw %d sent), recorded %d", st.Received, s.sent, len(s.out))
	}
	byTarget := map[uint8]int{}
	for _, o := range s.out {
		byTarget[o.Target]++
	}
	for i, tg := range targets {
		path := tg[strings.LastIndex(tg, "/"):]
		if byTarget[uint8(i)] != paths[path] || paths[path] == 0 {
			t.Errorf("target %d: %d outcomes, server saw %d on %s", i, byTarget[uint8(i)], paths[path], path)
		}
	}
}

// gzip is asked for unless a header names another encoding, and a body
// is read as sent, not inflated: a body the server calls gzip but that is
// not gzip is still a whole answer (net/http would have failed to inflate
// it, had it added the header itself).
func TestBodiesAreReadAsSent(t *testing.T) {
	tests := []struct {
		name string
		opts []load.Option
		want string // Accept-Encoding the server sees
	}{
		{name: "default", want: "gzip"},
		{name: "a header names another", opts: []load.Option{load.Header("Accept-Encoding", "identity")}, want: "identity"},
	}
	for _, tt := range tests {
		for _, keepAlive := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/keep-alive=%v", tt.name, keepAlive), func(t *testing.T) {
				bodiesAreReadAsSent(t, append(tt.opts, load.KeepAlive(keepAlive)), tt.want)
			})
		}
	}
}

func bodiesAreReadAsSent(t *testing.T, opts []load.Option, want string) {
	var mu sync.Mutex
	seen := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen[r.Header.Get("Accept-Encoding")]++
		mu.Unlock()
		w.Header().Set("Content-Encoding", "gzip")
		w.Write([]byte("not gzip at all"))
	}))
	defer srv.Close()
	s, _ := run(t, []string{srv.URL}, append([]load.Option{load.Rate(20), load.Duration(200 * time.Millisecond)}, opts...)...)
	if len(s.out) == 0 || seen[want] != len(s.out) || len(seen) != 1 {
		t.Errorf("server saw Accept-Encoding %v over %d requests; want %q on each", seen, len(s.out), want)
	}
	for _, o := range s.out {
		if o.Code != http.StatusOK {
			t.Errorf("code %d class %v; want the 200 as sent", o.Code, o.Class)
		}
	}
}

// Cancelling stops the load promptly; requests in flight end within the
// timeout and are all recorded.
func TestCancelDrains(t *testing.T) {
	srv := flakytest.Start(t, "1m hang")
	g, err := load.New([]string{srv.URL()}, load.Rate(50), load.Timeout(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	var s sink
	done := make(chan load.Stats)
	go func() {
		st, _ := g.Run(ctx, &s)
		done <- st
	}()
	for { // let requests pile up in flight
		s.mu.Lock()
		n := s.sent
		s.mu.Unlock()
		if n >= 20 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancelled := time.Now()
	cancel()
	select {
	case st := <-done:
		if wait := time.Since(cancelled); wait > 1500*time.Millisecond {
			t.Errorf("Run returned %v after cancel; in-flight requests should end within the 1s timeout", wait)
		}
		if !st.Cancelled || st.Ended.Before(cancelled.Add(-50*time.Millisecond)) {
			t.Errorf("stats %+v; want cancelled, ended at the cancel", st)
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if len(s.out) == 0 || s.sent != len(s.out) {
			t.Errorf("sent %d, recorded %d; every request sent must be recorded", s.sent, len(s.out))
		}
		for _, o := range s.out {
			if o.Class != measure.ClassTimeout {
				t.Errorf("in-flight request ended as code %d class %v; want a timeout", o.Code, o.Class)
				break
			}
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}

// A Generator can run twice: each run gets a fresh, single-use attacker.
func TestRunTwice(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	g, err := load.New([]string{srv.URL}, load.Rate(50), load.Duration(300*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		var s sink
		if _, err := g.Run(t.Context(), &s); err != nil {
			t.Fatal(err)
		}
		if len(s.out) < 10 {
			t.Errorf("run %d: %d requests; want about 15", i, len(s.out))
		}
	}
}

func TestNewRejects(t *testing.T) {
	for name, tt := range map[string]struct {
		targets []string
		opts    []load.Option
	}{
		"no target":     {nil, nil},
		"not a URL":     {[]string{"::"}, nil},
		"no scheme":     {[]string{"example.com/"}, nil},
		"ftp":           {[]string{"ftp://example.com/"}, nil},
		"duplicate":     {[]string{"http://a/", "http://a/"}, nil},
		"zero rate":     {[]string{"http://a/"}, []load.Option{load.Rate(0)}},
		"zero timeout":  {[]string{"http://a/"}, []load.Option{load.Timeout(0)}},
		"negative body": {[]string{"http://a/"}, []load.Option{load.MaxBody(-1)}},
		"no workers":    {[]string{"http://a/"}, []load.Option{load.Workers(0)}},
		"negative dur":  {[]string{"http://a/"}, []load.Option{load.Duration(-time.Second)}},
	} {
		if _, err := load.New(tt.targets, tt.opts...); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestSettings(t *testing.T) {
	g, err := load.New([]string{"http://a/", "http://b/"}, load.Rate(25), load.Timeout(1500*time.Millisecond), load.KeepAlive(false))
	if err != nil {
		t.Fatal(err)
	}
	s := g.Settings()
	if s.Rate != 25 || s.TimeoutMS != 1500 || s.Timeout != "1.5s" || s.KeepAlive || s.MaxBody != load.DefaultMaxBody ||
		s.Redirects != "not followed" || s.MaxWorkers != 0 || len(s.Targets) != 2 {
		t.Errorf("settings %+v", s)
	}
}

// A rate so low that no request would be sent is refused, not run: before
// the check, 1e-12/s overflowed the pacer's interval and the load sent
// nothing and reported no error.
func TestNewRefusesARateThatSendsNothing(t *testing.T) {
	tests := []struct {
		name string
		rate float64
		dur  time.Duration
		want string // "" for accepted
	}{
		{"interval overflows, no duration", 1e-12, 0, "too low"},
		{"interval overflows, with duration", 1e-12, time.Minute, "too low"},
		{"interval beyond the duration", 1e-6, time.Minute, "longer than the duration 1m0s"},
		{"one request every 2 s in 1 s", 0.5, time.Second, "no request would be sent"},
		{"one request every 2 s in 3 s", 0.5, 3 * time.Second, ""},
		{"low rate until cancelled", 1e-6, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load.New([]string{"http://a/"}, load.Rate(tt.rate), load.Duration(tt.dur))
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("err = %v, want one saying %q", err, tt.want)
			}
		})
	}
}

// The achieved rate is the requests the server received over the window
// the load ran in. Vegeta's constant pacer sends the first request one
// interval after the load begins, so first-to-last send spans one interval
// less than the load ran: 15 requests at 10/s read 10.71/s that way.
func TestAchievedRateOverTheLoadsWindow(t *testing.T) {
	srv := flakytest.Start(t, "1m ok")
	g, err := load.New([]string{srv.URL() + "/"}, load.Rate(10), load.Duration(1500*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	rec := measure.NewRecorder()
	st, err := g.Run(t.Context(), rec)
	if err != nil {
		t.Fatal(err)
	}
	in := rec.Input(st.Ended)
	in.Load = g.Settings()
	res, err := measure.Analyze(in)
	if err != nil {
		t.Fatal(err)
	}
	served := 0
	for _, n := range srv.Served() {
		served += n
	}
	window := st.Ended.Sub(st.Began).Seconds()
	want := float64(served) / window
	t.Logf("server received %d requests; the load ran %.3f s; achieved %.2f/s", served, window, res.Load.Achieved)
	if served != res.Requests.Total {
		t.Fatalf("server received %d requests, the result counts %d", served, res.Requests.Total)
	}
	if d := res.Load.Achieved - want; d < -0.01 || d > 0.01 {
		t.Errorf("achieved %.2f/s; the server received %d requests in the %.3f s the load ran: %.2f/s", res.Load.Achieved, served, window, want)
	}
	// A load that kept pace achieved what was asked, to within one request
	// over the window.
	if tol := 1 / window; res.Load.Achieved > 10+tol/2 || res.Load.Achieved < 10-tol {
		t.Errorf("achieved %.2f/s at 10/s asked (tolerance %.2f)", res.Load.Achieved, tol)
	}
}

// CheckRate is the one rate check: what it refuses, load.New refuses with
// the same words, and the settings and the probe call it (chaos/session,
// cmd/selfheal).
func TestCheckRate(t *testing.T) {
	tests := []struct {
		rate float64
		want string // "" for accepted
	}{
		{math.NaN(), "above 0, got NaN"},
		{math.Inf(1), "above 0, got +Inf"},
		{-1, "above 0, got -1"},
		{0, "above 0, got 0"},
		{2e6, "rate 2e+06 is beyond what one process can send"},
		{1e-12, "rate 1e-12 requests per second is too low"},
		{1e-6, ""},
		{0.5, ""},
		{10, ""},
		{1e6, ""},
	}
	for _, tt := range tests {
		err := load.CheckRate(tt.rate)
		_, newErr := load.New([]string{"http://a/"}, load.Rate(tt.rate))
		switch {
		case tt.want == "" && (err != nil || newErr != nil):
			t.Errorf("rate %v refused: %v / %v", tt.rate, err, newErr)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("rate %v: err = %v, want one saying %q", tt.rate, err, tt.want)
		case tt.want != "" && (newErr == nil || newErr.Error() != err.Error()):
			t.Errorf("rate %v: load.New says %v, CheckRate %v", tt.rate, newErr, err)
		}
	}
}
