package fault

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/selfheal/selfheal/chaos/result"
)

// Look reads the system once for the sign that a fault took effect:
// whether it shows (seen) and what it showed, in words. An error is a
// look that failed (a transient API error): the watch goes on.
type Look func(ctx context.Context) (seen bool, observed string, err error)

// Watcher looks for a sign that comes some time after the injection, while
// the fault holds: the node seen NotReady from the API about 40 s after it
// died, the Service left without ready endpoints, the API server seen
// unreachable. It proves the fault (evidence that held) as soon as it
// sees the sign; Stop, called from the fault's Revert, records what was
// seen instead when the sign never came (evidence that did not hold).
type Watcher struct {
	check  string
	m      Marker
	start  time.Time
	cancel context.CancelFunc
	done   chan struct{}

	mu      sync.Mutex
	seen    bool
	last    string
	stopped bool
}

// Watch starts looking every interval, from now until the sign is seen,
// ctx ends or Stop is called. check says what is read, as in
// result.Evidence.
func Watch(ctx context.Context, m Marker, check string, every time.Duration, look Look) *Watcher {
	ctx, cancel := context.WithCancel(ctx)
	w := &Watcher{check: check, m: m, start: time.Now(), cancel: cancel, done: make(chan struct{}), last: "nothing read yet"}
	go w.run(ctx, every, look)
	return w
}

func (w *Watcher) run(ctx context.Context, every time.Duration, look Look) {
	defer close(w.done)
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		seen, observed, err := look(ctx)
		if ctx.Err() != nil {
			return // a look cut short by Stop says nothing
		}
		if err != nil {
			observed = "could not read: " + err.Error()
		}
		w.mu.Lock()
		w.last = observed
		w.seen = seen && err == nil
		w.mu.Unlock()
		if seen && err == nil {
			w.m.Proved(result.Evidence{Check: w.check, Observed: fmt.Sprintf("%s (%s after the injection)", observed, since(w.start)), Held: true})
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// Stop ends the watch and waits for it. When the sign was never seen it
// records evidence that did not hold: what the last look showed, and for
// how long the watch looked. Calling it again does nothing.
func (w *Watcher) Stop() {
	if w == nil {
		return
	}
	w.cancel()
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stopped || w.seen {
		w.stopped = true
		return
	}
	w.stopped = true
	w.m.Proved(result.Evidence{Check: w.check, Observed: fmt.Sprintf("not seen in the %s the fault held; last read: %s", since(w.start), w.last), Held: false})
}

func since(t time.Time) time.Duration { return time.Since(t).Round(100 * time.Millisecond) }
