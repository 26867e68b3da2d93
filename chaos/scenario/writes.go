package scenario

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/chaos/writes"
)

// errNoWriteTarget is the check's error for a scenario that asks for
// writes from a runner that was given nowhere to send them.
var errNoWriteTarget = errors.New("the scenario asks for a write check, but the runner has no write endpoint (scenario.WithWrites)")

// newStream prepares the write stream of a scenario that asks for one.
func (x *run) newStream() error {
	if !x.s.Writes || x.Runner.writes == nil {
		return nil
	}
	id := ""
	if x.run != nil {
		id = x.run.ID
	}
	st, err := writes.New(x.Runner.writes.URL, writes.Prefix(id, x.s.Name, x.began), x.Runner.writes.Options...)
	if err != nil {
		return fmt.Errorf("the write stream: %w", err)
	}
	x.stream = st
	return nil
}

// startWrites sends the write stream until ctx (the load's) ends. It has
// its own attacker and its own records: nothing of it reaches the load's
// recorder.
func (x *run) startWrites(ctx context.Context) {
	if x.stream == nil {
		return
	}
	x.writesDone = make(chan struct{})
	go func() {
		defer close(x.writesDone)
		defer x.recoverAs("the write stream")
		x.sent, _ = x.stream.Run(ctx) // only fails on a ctx already done: then nothing was sent
	}()
}

// checkWrites waits for the stream's last answers and reads the database.
// It runs after the revert, the steady state and the wait for the service,
// once the load stopped. After an interrupt it makes one short attempt
// rather than keep a person waiting.
func (x *run) checkWrites(ctx context.Context) {
	if !x.s.Writes {
		return
	}
	if x.stream == nil {
		x.writes = &result.Writes{CheckError: errNoWriteTarget.Error()}
		return
	}
	<-x.writesDone
	w := x.Runner.writes
	timeout := w.CheckTimeout
	if ctx.Err() != nil {
		timeout = min(timeout, 10*time.Second)
	}
	x.phase.set("checking the writes")
	rows, err := writes.Check(context.WithoutCancel(ctx), w.Store, x.stream.Prefix(), w.CheckEvery, timeout)
	x.writes = writes.Tally(x.stream.Settings(), x.sent, rows, err, time.Now())
	// A stream that never worked ended the warm-up (warmUp) with an
	// error saying so; the budget finds no figure (Result.AckedMissingWhy).
	x.console.Logf("[%s] %s", x.s.Name, writes.Summary(x.writes))
}
