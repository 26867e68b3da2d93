// Package flaky is an HTTP server that fails on a known schedule: the
// ground truth selfheal's measurements are tested against. Each phase of
// the schedule answers 200, answers a status, refuses connections (the
// listener really closed, then re-opened on the same port), hangs, resets
// or closes connections, or answers slowly. The server records the instant
// it actually switched to each phase, so a test compares measured edges
// with real ones, not with the schedule's intentions.
//
// Use it from any package's tests, or by hand through the hidden
// `selfheal flaky-server` command.
package flaky

import (
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Edge is the instant the server switched to a phase.
type Edge struct {
	Cycle int // 0, or the repetition with Repeat
	Index int // the phase's index in the schedule
	Phase Phase
	At    time.Time
}

// Option configures a Server.
type Option func(*Server)

// Repeat makes the schedule start over after its last phase, forever.
// Without it the server keeps the last phase's behaviour.
func Repeat() Option { return func(s *Server) { s.repeat = true } }

// OnEdge calls fn at each phase switch, from the scheduling goroutine.
func OnEdge(fn func(Edge)) Option { return func(s *Server) { s.onEdge = fn } }

// Server is a running flaky server.
type Server struct {
	schedule []Phase
	repeat   bool
	onEdge   func(Edge)
	addr     string // host:port, fixed at Start so refuse/reopen keep the port

	phase   atomic.Pointer[Phase]
	closing chan struct{}
	done    chan struct{}
	wg      sync.WaitGroup

	mu     sync.Mutex
	srv    *http.Server // nil while refusing
	edges  []Edge
	served map[int]int
}

// Start listens on addr ("127.0.0.1:0" for any free port), enters the
// first phase and runs the schedule from now.
func Start(addr string, schedule []Phase, opts ...Option) (*Server, error) {
	if len(schedule) == 0 {
		return nil, errors.New("starting flaky server: empty schedule")
	}
	s := &Server{
		schedule: schedule,
		closing:  make(chan struct{}),
		done:     make(chan struct{}),
		served:   map[int]int{},
	}
	for _, o := range opts {
		o(s)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("starting flaky server: %w", err)
	}
	s.addr = ln.Addr().String()
	if schedule[0].Kind == Refuse {
		ln.Close()
	} else {
		s.serve(ln)
	}
	s.enter(0, 0)
	s.wg.Go(s.run)
	return s, nil
}

// URL is the server's base URL, "http://127.0.0.1:PORT".
func (s *Server) URL() string { return "http://" + s.addr }

// Addr is the host:port the server listens on (in every phase but refuse).
func (s *Server) Addr() string { return s.addr }

// Edges returns the phase switches so far, in order.
func (s *Server) Edges() []Edge {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Edge(nil), s.edges...)
}

// Served returns how many responses the server wrote, by status code.
func (s *Server) Served() map[int]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[int]int, len(s.served))
	for k, v := range s.served {
		out[k] = v
	}
	return out
}

// Done is closed when the last phase's time is up (never with Repeat).
func (s *Server) Done() <-chan struct{} { return s.done }

// Close stops the schedule and the server, and waits for its goroutines.
func (s *Server) Close() error {
	select {
	case <-s.closing:
		return nil
	default:
	}
	close(s.closing)
	s.mu.Lock()
	if s.srv != nil {
		s.srv.Close()
		s.srv = nil
	}
	s.mu.Unlock()
	s.wg.Wait()
	return nil
}

// run switches phases at their planned instants. The plan is absolute
// (start + sum of durations), so a late timer does not push every later
// phase back; the edges record when each switch really happened.
func (s *Server) run() {
	next := time.Now()
	for cycle := 0; ; cycle++ {
		for i, p := range s.schedule {
			if cycle > 0 || i > 0 {
				if !s.sleepUntil(next) {
					return
				}
				s.enter(cycle, i)
			}
			next = next.Add(p.For)
		}
		if !s.repeat {
			if s.sleepUntil(next) {
				close(s.done)
			}
			return
		}
	}
}

func (s *Server) sleepUntil(t time.Time) bool {
	timer := time.NewTimer(time.Until(t))
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-s.closing:
		return false
	}
}

// enter switches to phase i: the new behaviour first, then the listener,
// so a request that sees the new listener state also sees the new phase.
func (s *Server) enter(cycle, i int) {
	p := s.schedule[i]
	prev := s.phase.Load()
	s.phase.Store(&p)
	switch {
	case p.Kind == Refuse && (prev == nil || prev.Kind != Refuse):
		s.down()
	case p.Kind != Refuse && prev != nil && prev.Kind == Refuse:
		s.up()
	}
	e := Edge{Cycle: cycle, Index: i, Phase: p, At: time.Now()}
	s.mu.Lock()
	s.edges = append(s.edges, e)
	s.mu.Unlock()
	if s.onEdge != nil {
		s.onEdge(e)
	}
}

// down closes the listener and every connection: a process that died.
func (s *Server) down() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv != nil {
		s.srv.Close()
		s.srv = nil
	}
}

// up listens again on the same port. The port can be briefly taken (an
// outgoing connection may have been given it as its local port), so it
// retries for a while rather than change the address under the client.
func (s *Server) up() {
	var ln net.Listener
	var err error
	for range 200 {
		if ln, err = net.Listen("tcp", s.addr); err == nil || !errors.Is(err, syscall.EADDRINUSE) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err != nil {
		log.Printf("flaky: re-opening %s after refuse: %v", s.addr, err)
		return
	}
	s.serve(ln)
}

func (s *Server) serve(ln net.Listener) {
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          log.New(io.Discard, "", 0), // accept errors after Close are expected
	}
	s.mu.Lock()
	select {
	case <-s.closing:
		s.mu.Unlock()
		ln.Close()
		return
	default:
	}
	s.srv = srv
	s.mu.Unlock()
	s.wg.Go(func() { srv.Serve(ln) })
}

// ServeHTTP answers as the current phase says.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := s.phase.Load()
	switch p.Kind {
	case OK:
		s.answer(w, http.StatusOK)
	case Status:
		s.answer(w, p.Code)
	case Slow:
		select {
		case <-time.After(p.Delay):
			s.answer(w, http.StatusOK)
		case <-r.Context().Done():
		case <-s.closing:
		}
	case Hang:
		select {
		case <-r.Context().Done():
		case <-s.closing:
		}
		abort(w, false)
	case Reset:
		abort(w, true)
	case EOF, Refuse: // Refuse: accepted just before the listener closed
		abort(w, false)
	}
}

func (s *Server) answer(w http.ResponseWriter, code int) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(code)
	fmt.Fprintf(w, "%d %s\n", code, http.StatusText(code))
	s.mu.Lock()
	s.served[code]++
	s.mu.Unlock()
}

// abort drops the connection without an answer: with a RST when reset,
// else with a plain close (the client reads EOF).
func abort(w http.ResponseWriter, reset bool) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return
	}
	if tc, ok := conn.(*net.TCPConn); ok && reset {
		tc.SetLinger(0)
	}
	conn.Close()
}
