package guard

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
)

// Tracker follows the records this process writes, so that a second
// interrupt can say what it leaves behind. The zero value is ready.
type Tracker struct {
	mu   sync.Mutex
	recs []*Record
}

// Add follows r.
func (t *Tracker) Add(r *Record) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.recs = append(t.recs, r)
}

// Pending are the entries of every followed record not yet cleared.
func (t *Tracker) Pending() []Entry {
	if t == nil {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []Entry
	for _, r := range t.recs {
		out = append(out, r.Pending()...)
	}
	sortEntries(out)
	return out
}

// ErrInterrupted is the cause of a context ended by an interrupt.
var ErrInterrupted = errors.New("interrupted")

// ExitInterrupted is the exit status after a second interrupt (128+SIGINT).
const ExitInterrupted = 130

// NotifyContext returns a context that ends, with cause ErrInterrupted, at
// the first SIGINT or SIGTERM: the scenario in flight then reverts its
// fault. At the second, it writes to w which faults t still has in place
// and how the next run repairs them, and calls exit(ExitInterrupted) at
// once: a person who presses Ctrl-C twice wants the process gone.
func NotifyContext(parent context.Context, w io.Writer, t *Tracker, exit func(int)) (context.Context, context.CancelFunc) {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	ctx, cancel := notify(parent, sigs, w, t, exit)
	return ctx, func() { signal.Stop(sigs); cancel() }
}

func notify(parent context.Context, sigs <-chan os.Signal, w io.Writer, t *Tracker, exit func(int)) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(parent)
	done := make(chan struct{})
	go func() {
		select {
		case <-done:
			return
		case s := <-sigs:
			what := "stopping"
			if len(t.Pending()) > 0 {
				what = "stopping; the fault in place is being reverted"
			}
			fmt.Fprintf(w, "\n%s: %s (interrupt again to stop at once)\n", s, what)
			cancel(fmt.Errorf("%w (%s)", ErrInterrupted, s))
		}
		select {
		case <-done:
		case s := <-sigs:
			fmt.Fprint(w, SecondInterrupt(s.String(), t.Pending()))
			exit(ExitInterrupted)
		}
	}()
	var once sync.Once
	return ctx, func() {
		once.Do(func() { close(done) })
		cancel(context.Canceled)
	}
}

// SecondInterrupt is what a second interrupt says before the process
// stops: what may be left, and how the next run repairs it.
func SecondInterrupt(signal string, left []Entry) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\n%s again: stopping now, without waiting for the revert.\n", signal)
	if len(left) == 0 {
		b.WriteString("No fault of this run is in place: nothing was recorded that is not reverted.\n")
		return b.String()
	}
	fmt.Fprintf(&b, "Possibly left in place (recorded in %s/%s):\n", Namespace, RecordName)
	for _, e := range left {
		fmt.Fprintf(&b, "  - %s\n", e)
	}
	b.WriteString("The next run (go test ./e2e, selfheal run or selfheal cluster up -reuse) repairs them before anything else.\n")
	return b.String()
}

// AfterInterrupt says, after a run was stopped (cause), whether its revert
// succeeded: left are its record's entries not cleared.
func AfterInterrupt(cause error, left []Entry) string {
	if len(left) == 0 {
		return fmt.Sprintf("stopped (%v); every fault this run injected was reverted", cause)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "stopped (%v); the revert did not finish. Left in place (recorded in %s/%s):\n", cause, Namespace, RecordName)
	for _, e := range left {
		fmt.Fprintf(&b, "  - %s\n", e)
	}
	b.WriteString("The next run (go test ./e2e, selfheal run or selfheal cluster up -reuse) repairs them before anything else.")
	return b.String()
}
