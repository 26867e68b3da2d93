package measure

import (
	"slices"
	"sync"
	"time"
)

// Outcome is one completed request as the load side sees it.
type Outcome struct {
	Sent    time.Time // send time (vegeta's Result.Timestamp)
	Latency time.Duration
	Code    uint16 // HTTP status; 0 for a transport error
	Class   Class  // transport error class; ClassNone with a status
	Target  uint8  // index into the load's targets
}

// Mark is a fault injected or reverted: At is the instant the injecting
// call returned.
type Mark struct {
	At     time.Time
	Fault  string
	Detail string
}

// chunkLen is the number of samples per storage chunk. Fixed chunks make
// the recorder's memory exactly proportional to the requests seen, with no
// doubling slack and no copy when a slice would have grown.
const chunkLen = 4096

// Recorder collects a run's samples and fault marks as they happen. It is
// safe for concurrent use: the load records while a scenario marks and a
// progress line reads Status.
type Recorder struct {
	epoch   time.Time // carries a monotonic reading: offsets from it are immune to wall-clock steps
	started chan struct{}
	began   time.Time // when the load began (Began), zero until then

	mu         sync.Mutex
	chunks     [][]Sample
	injections []Mark
	reverts    []Mark
	live       liveState
}

// NewRecorder returns a recorder whose epoch is now. Samples' send times
// are stored as offsets from it.
func NewRecorder() *Recorder {
	return &Recorder{epoch: time.Now(), started: make(chan struct{}), live: liveState{okMax: -1 << 63}}
}

// Epoch is the instant Sample.Sent offsets are taken from.
func (r *Recorder) Epoch() time.Time { return r.epoch }

// Began records the instant the load began, one interval before its first
// request: the achieved rate is measured over the window from there.
func (r *Recorder) Began(at time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.began = at
}

// Sending counts a request about to be sent. The load calls it for every
// request so Status can tell sent from answered (requests hanging in
// flight show up before their timeout).
func (r *Recorder) Sending() {
	now := time.Since(r.epoch)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.live.sent == 0 {
		r.live.first = now
		close(r.started)
	}
	r.live.sent++
}

// Started is closed when the first request is being sent: a scenario that
// injects "10 s into the load" counts from there.
func (r *Recorder) Started() <-chan struct{} { return r.started }

// FirstSent is when the first request was sent; zero before Started.
func (r *Recorder) FirstSent() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.live.sent == 0 {
		return time.Time{}
	}
	return r.epoch.Add(r.live.first)
}

// Record stores one completed request.
func (r *Recorder) Record(o Outcome) {
	s := Sample{
		Sent:      o.Sent.Sub(r.epoch),
		LatencyUS: micros(o.Latency),
		Code:      o.Code,
		Class:     o.Class,
		Target:    o.Target,
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	n := len(r.chunks)
	if n == 0 || len(r.chunks[n-1]) == chunkLen {
		r.chunks = append(r.chunks, make([]Sample, 0, chunkLen))
		n++
	}
	r.chunks[n-1] = append(r.chunks[n-1], s)
	r.live.add(s)
}

// Mark records a fault injection at at (the instant the injecting call
// returned).
func (r *Recorder) Mark(at time.Time, fault, detail string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.injections = append(r.injections, Mark{At: at, Fault: fault, Detail: detail})
}

// Revert records that a fault was reverted at at.
func (r *Recorder) Revert(at time.Time, fault, detail string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reverts = append(r.reverts, Mark{At: at, Fault: fault, Detail: detail})
}

// Len returns the number of samples recorded.
func (r *Recorder) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.chunks) == 0 {
		return 0
	}
	return (len(r.chunks)-1)*chunkLen + len(r.chunks[len(r.chunks)-1])
}

// Input snapshots the run for Analyze: the samples in send order, the
// marks, the instant the load began, and end as the run's end (the
// instant the load stopped sending).
// The caller fills in Scenario, Load and Params. Recording may go on; the
// snapshot does not change.
func (r *Recorder) Input(end time.Time) Input {
	r.mu.Lock()
	n := 0
	for _, c := range r.chunks {
		n += len(c)
	}
	samples := make([]Sample, 0, n)
	for _, c := range r.chunks {
		samples = append(samples, c...)
	}
	in := Input{
		Epoch:      r.epoch,
		Begin:      r.began,
		End:        end,
		Samples:    samples,
		Injections: slices.Clone(r.injections),
		Reverts:    slices.Clone(r.reverts),
	}
	r.mu.Unlock()
	// Results arrive in completion order; a slow request is recorded after
	// faster ones sent later. Sorting outside the lock keeps Record cheap.
	sortSamples(in.Samples)
	return in
}

// Status is a live view of a run, for a progress line. Its outage is an
// estimate from the requests answered so far; Analyze gives the figures.
type Status struct {
	Elapsed  time.Duration // since the first request was sent
	Sent     uint64        // requests sent
	Done     uint64        // requests answered (or failed)
	OK       uint64        // of Done, successes
	InFlight uint64        // sent but not answered yet
	Rate     float64       // achieved send rate, requests per second
	// Outage is the outage in progress as far as the answers show, nil when
	// the latest answered request succeeded.
	Outage *LiveOutage
	// Outages counts outages seen so far, the current one included.
	Outages    int
	Injections int
}

// OKPercent is the share of answered requests that succeeded, 100 when
// none was answered yet.
func (s Status) OKPercent() float64 {
	if s.Done == 0 {
		return 100
	}
	return 100 * float64(s.OK) / float64(s.Done)
}

// LiveOutage is the outage in progress.
type LiveOutage struct {
	Start  time.Time // send time of its first failed request
	Cause  string    // cause of its latest failed request
	Failed int       // failed requests in it so far
}

// Status returns the live view at now.
func (r *Recorder) Status(now time.Time) Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	l := &r.live
	st := Status{
		Sent:       l.sent,
		Done:       l.done,
		OK:         l.ok,
		Outages:    l.outages,
		Injections: len(r.injections),
	}
	if l.sent > l.done {
		st.InFlight = l.sent - l.done
	}
	if l.sent > 0 {
		st.Elapsed = now.Sub(r.epoch) - l.first
		if st.Elapsed > 0 {
			st.Rate = float64(l.sent) / st.Elapsed.Seconds()
		}
	}
	if l.open {
		st.Outage = &LiveOutage{Start: r.epoch.Add(l.start), Cause: l.cause.String(), Failed: l.failed}
	}
	return st
}

// liveState follows outages in send order as answers arrive in completion
// order: an answer sent before the latest success seen is too late to open
// or close anything, so a timeout arriving after the service came back does
// not reopen an outage that is over.
type liveState struct {
	first          time.Duration // send offset of the first request
	sent, done, ok uint64
	okMax          time.Duration // latest send offset of a success
	open           bool
	start          time.Duration
	cause          causeKey
	failed         int
	outages        int
}

func (l *liveState) add(s Sample) {
	l.done++
	if !failed(s, false) {
		l.ok++
		if s.Sent > l.okMax {
			l.okMax = s.Sent
			if l.open && s.Sent > l.start {
				l.open = false
			}
		}
		return
	}
	if s.Sent < l.okMax {
		return
	}
	l.cause = causeOf(s)
	if !l.open {
		l.open, l.start, l.failed = true, s.Sent, 0
		l.outages++
	}
	l.failed++
	l.start = min(l.start, s.Sent)
}
