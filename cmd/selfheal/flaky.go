package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/selfheal/selfheal/internal/flaky"
)

const flakyDefaultSchedule = "5s ok, 3s 503, 2s refuse, 2s hang, 10s ok"

// runFlakyServer serves HTTP that fails on a schedule, so a person can
// try `selfheal probe` against known faults. A development aid: the same
// server is the ground truth of the measurement tests.
func runFlakyServer(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "flaky-server", `[--listen 127.0.0.1:8099] [--schedule "5s ok, 3s 503, 2s refuse, 2s hang, 10s ok"] [--repeat]`)
	listen := fs.String("listen", "127.0.0.1:8099", "`address` to listen on")
	schedule := fs.String("schedule", flakyDefaultSchedule,
		"comma-separated phases: a duration and ok, a status code, refuse, hang, reset, eof or slow DELAY")
	repeat := fs.Bool("repeat", false, "start the schedule over after its last phase (default: keep the last phase)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	if err := flaky.CheckAddr(*listen); err != nil {
		return usagef("--listen: %v", err)
	}
	sched, err := flaky.ParseSchedule(*schedule)
	if err != nil {
		return usagef("--schedule: %v", err)
	}
	var (
		mu    sync.Mutex // edges print from the server's goroutine
		start time.Time
	)
	printEdge := func(e flaky.Edge) { // with mu held
		fmt.Fprintf(env.stdout, "%s  +%8.3fs  phase %d/%d: %s\n",
			e.At.Format("15:04:05.000"), e.At.Sub(start).Seconds(), e.Index+1, len(sched), e.Phase)
	}
	// The first edge happens inside Start, before the address is known;
	// it is printed after the address, the later ones as they come.
	opts := []flaky.Option{flaky.OnEdge(func(e flaky.Edge) {
		if e.Cycle > 0 || e.Index > 0 {
			mu.Lock()
			defer mu.Unlock()
			printEdge(e)
		}
	})}
	if *repeat {
		opts = append(opts, flaky.Repeat())
	}
	// Later edges wait for the address line and the start instant.
	mu.Lock()
	srv, err := flaky.Start(*listen, sched, opts...)
	if err != nil {
		mu.Unlock()
		return err
	}
	defer srv.Close()
	first := srv.Edges()[0]
	start = first.At
	fmt.Fprintf(env.stdout, "Serving %s on the schedule %q; Ctrl-C to stop.\n", srv.URL(), *schedule)
	printEdge(first)
	mu.Unlock()
	select {
	case <-srv.Done():
		fmt.Fprintf(env.stdout, "Schedule over: keeping the last phase (%s) until Ctrl-C.\n", sched[len(sched)-1])
		<-ctx.Done()
	case <-ctx.Done():
	}
	return nil
}
