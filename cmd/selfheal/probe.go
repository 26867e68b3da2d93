package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/selfheal/selfheal/chaos/host"
	"github.com/selfheal/selfheal/chaos/load"
	"github.com/selfheal/selfheal/chaos/measure"
	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/internal/console"
	"github.com/selfheal/selfheal/reports/text"
)

const probeSynopsis = "--url URL [--url URL2 ...] [--rate 50] [--duration 60s] [--timeout 2s] [--inject-at 10s] [--host-thresholds steal=10/30,...] [--out result.json]"

type probeOptions struct {
	urls      []string
	rate      float64
	duration  time.Duration
	timeout   time.Duration
	keepAlive bool
	out       string
	injectAt  []time.Duration
	confirm   time.Duration
	failOn4xx bool
	scenario  string
	every     time.Duration // progress interval; 0: by terminal or not
	host      hostFlags
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(s string) error { *l = append(*l, s); return nil }

// durationList is a repeatable duration flag.
type durationList []time.Duration

func (l *durationList) String() string { return fmt.Sprint([]time.Duration(*l)) }
func (l *durationList) Set(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return fmt.Errorf("%q is not a duration such as 10s", s)
	}
	*l = append(*l, d)
	return nil
}

func parseProbeFlags(env *cliEnv, args []string) (probeOptions, error) {
	o := probeOptions{}
	fs := newFlagSet(env, "probe", probeSynopsis)
	fs.Var((*stringList)(&o.urls), "url", "`URL` to load (repeat for several, hit round-robin)")
	fs.Float64Var(&o.rate, "rate", load.DefaultRate, "requests per second, all URLs together")
	fs.DurationVar(&o.duration, "duration", 0, "how long to run; 0 runs until Ctrl-C")
	fs.DurationVar(&o.timeout, "timeout", load.DefaultTimeout, "per-request timeout")
	fs.BoolVar(&o.keepAlive, "keep-alive", true, "reuse connections (false: a new connection per request)")
	fs.StringVar(&o.out, "out", "result.json", "where to write the result `file` (selfheal.result/v1 JSON)")
	fs.Var((*durationList)(&o.injectAt), "inject-at", "mark an injection at this `offset` from the start (repeatable); Enter marks one too")
	fs.DurationVar(&o.confirm, "confirm", measure.DefaultConfirmationWindow, "confirmation window: failure-free time that counts as recovered")
	fs.BoolVar(&o.failOn4xx, "fail-on-4xx", false, "count 4xx answers as failures")
	fs.StringVar(&o.scenario, "name", "probe", "scenario name written in the result")
	fs.DurationVar(&o.every, "progress-every", 0, "progress interval (default 250ms on a terminal, 5s otherwise)")
	o.host.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return o, err
	}
	if err := o.host.check(); err != nil {
		return o, err
	}
	switch {
	case fs.NArg() > 0:
		return o, usagef("unexpected argument %q (URLs go with --url)", fs.Arg(0))
	case len(o.urls) == 0:
		return o, usagef("at least one --url is required")
	case o.timeout <= 0:
		return o, usagef("--timeout must be positive, got %s", o.timeout)
	case o.duration < 0:
		return o, usagef("--duration must not be negative, got %s (0 runs until Ctrl-C)", o.duration)
	case o.confirm <= 0:
		return o, usagef("--confirm must be above 0, got %s: it is the failure-free time that counts as recovered", o.confirm)
	case o.every < 0:
		return o, usagef("--progress-every must not be negative, got %s", o.every)
	case o.every != 0 && o.every < minProgressEvery:
		return o, usagef("--progress-every %s is too often: at least %s (0 picks 250ms on a terminal, 5s otherwise)", o.every, minProgressEvery)
	case o.out == "":
		return o, usagef("--out must name a file")
	}
	if err := checkProbeRate(o.rate); err != nil {
		return o, err
	}
	for _, u := range o.urls {
		if err := checkTargetURL(u); err != nil {
			return o, usagef("--url %s: %v", u, err)
		}
	}
	for _, d := range o.injectAt {
		if o.duration > 0 && d >= o.duration {
			return o, usagef("--inject-at %s is not within --duration %s", d, o.duration)
		}
	}
	return o, nil
}

// minProgressEvery bounds how often the status line is printed: faster
// floods a log and changes faster than anyone reads.
const minProgressEvery = 100 * time.Millisecond

// checkProbeRate refuses a rate no load can keep (load.CheckRate). One
// too low to send anything within --duration is refused by load.New,
// before any request too.
func checkProbeRate(rate float64) error {
	if err := load.CheckRate(rate); err != nil {
		return usagef("--rate: %v", err)
	}
	return nil
}

// checkTargetURL refuses what url.Parse lets through but no request can
// reach: a port that is not 1 to 65535.
func checkTargetURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return err
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("port %s is not a TCP port (1 to 65535)", p)
		}
	} else if strings.HasSuffix(u.Host, ":") {
		return fmt.Errorf("empty port after %q", u.Host)
	}
	return nil
}

// checkWritable makes sure path can be written at the end of the run, so
// a run is not lost to a typo: its directory is created if missing and a
// file is created in it and removed (the result is written by renaming a
// file in that directory over path).
func checkWritable(path string) error {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return errors.New("is a directory: name a file, e.g. " + filepath.Join(path, "result.json"))
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("cannot create its directory: %w", err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".check-*")
	if err != nil {
		return fmt.Errorf("cannot write in %s: %w", dir, err)
	}
	f.Close()
	return os.Remove(f.Name())
}

// runProbe drives load at the URLs, shows a live progress line, and writes
// the result; Ctrl-C ends the run early and still writes it.
func runProbe(ctx context.Context, env *cliEnv, args []string) error {
	o, err := parseProbeFlags(env, args)
	if err != nil {
		return err
	}
	gen, err := load.New(o.urls, load.Rate(o.rate), load.Duration(o.duration), load.Timeout(o.timeout),
		load.KeepAlive(o.keepAlive), load.Name("selfheal-probe"), load.Header("User-Agent", "selfheal-probe"))
	if err != nil {
		return usageError{err.Error()}
	}
	// Last of the checks, as it creates --out's directory.
	if err := checkWritable(o.out); err != nil {
		return usagef("--out %s: %v", o.out, err)
	}
	rec := measure.NewRecorder()
	con := console.New(env.stdout, env.isTerminal)
	con.Println(probeHeader(o, gen.Settings()))
	if env.isTerminal {
		con.Println("Press Enter to mark an injection (type a note first to keep it), r + Enter to mark a revert, Ctrl-C to stop.")
	}

	go readMarks(env.stdin, rec, con)
	stopMarks := scheduleMarks(ctx, rec, o.injectAt, con)
	stopProgress := showProgress(ctx, rec, con, o.every, o.timeout)
	hostRec := host.Start(ctx, host.WithInterval(o.host.every))
	st, err := gen.Run(ctx, rec)
	hostRec.Stop()
	stopProgress()
	stopMarks()
	if err != nil {
		return fmt.Errorf("interrupted before the load started: nothing was sent, no result written (%w)", err)
	}

	res, err := analyzeProbe(rec, gen, o, st)
	if err != nil {
		return err
	}
	res.Conditions = hostRec.Conditions(host.PhasesOf(res), o.host.thresholds)
	text.Summary(env.stdout, res)
	if err := result.WriteFile(o.out, res); err != nil {
		// The run cannot be repeated: keep its result somewhere.
		saved, serr := saveElsewhere(res)
		if serr != nil {
			return fmt.Errorf("writing the result: %w; writing it to a temporary file failed too: %v", err, serr)
		}
		return fmt.Errorf("writing the result: %w; the result was written to %s instead", err, saved)
	}
	fmt.Fprintf(env.stdout, "\nResult written to %s\n", o.out)
	return nil
}

// saveElsewhere writes res to a new file in the temporary directory and
// returns its name.
func saveElsewhere(res *result.Result) (string, error) {
	f, err := os.CreateTemp("", "selfheal-probe-*.json")
	if err != nil {
		return "", err
	}
	f.Close()
	if err := result.WriteFile(f.Name(), res); err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

func analyzeProbe(rec *measure.Recorder, gen *load.Generator, o probeOptions, st load.Stats) (*result.Result, error) {
	in := rec.Input(st.Ended)
	in.Scenario = o.scenario
	in.Load = gen.Settings()
	in.Params = measure.Params{ConfirmationWindow: o.confirm, FailOn4xx: o.failOn4xx}
	res, err := measure.Analyze(in)
	if err != nil {
		return nil, fmt.Errorf("analysing the run: %w", err)
	}
	res.Description = fmt.Sprintf("selfheal probe: constant load at %d URL(s), faults marked by hand", len(o.urls))
	if st.Cancelled {
		res.Notes = append(res.Notes, fmt.Sprintf("Interrupted (Ctrl-C or SIGTERM) after %s: the figures cover the run up to then.",
			st.Ended.Sub(st.Began).Round(10*time.Millisecond)))
	}
	for _, d := range o.injectAt {
		if first := rec.FirstSent(); first.IsZero() || first.Add(d).After(st.Ended) {
			res.Notes = append(res.Notes, fmt.Sprintf("--inject-at %s was not reached: the run ended first.", d))
		}
	}
	return res, nil
}

func probeHeader(o probeOptions, l result.Load) string {
	run := "until Ctrl-C"
	if o.duration > 0 {
		run = "for " + o.duration.String()
	}
	ka := "on"
	if !l.KeepAlive {
		ka = "off (a connection per request)"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "selfheal probe: %g requests/s %s, timeout %s, keep-alive %s, redirects not followed\n", l.Rate, run, l.Timeout, ka)
	for _, u := range l.Targets {
		fmt.Fprintf(&b, "  %s\n", u)
	}
	return strings.TrimRight(b.String(), "\n")
}

// showProgress prints the live status every interval until stopped.
func showProgress(ctx context.Context, rec *measure.Recorder, con *console.Console, every, timeout time.Duration) (stop func()) {
	if every == 0 {
		every = con.DefaultInterval()
	}
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(every)
		defer tick.Stop()
		cancelled := ctx.Done()
		for {
			select {
			case <-quit:
				return
			case <-cancelled:
				cancelled = nil
				con.Println(fmt.Sprintf("Stopping: waiting up to %s for requests in flight...", timeout))
			case now := <-tick.C:
				con.Progress(console.StatusLine(rec.Status(now), now))
			}
		}
	})
	return func() {
		close(quit)
		wg.Wait()
		con.Done()
	}
}

// readMarks turns lines on stdin into marks: Enter is an injection (the
// line's text, if any, its detail), "r" a revert. It ends at EOF; a
// terminal's stdin outlives the run, which is harmless as the process ends.
func readMarks(in io.Reader, rec *measure.Recorder, con *console.Console) {
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		at := time.Now()
		text := strings.TrimSpace(sc.Text())
		switch strings.ToLower(text) {
		case "r", "revert":
			rec.Revert(at, "manual", "revert marked on the console")
			con.Println(fmt.Sprintf("Revert marked at %s.", at.Format("15:04:05.000")))
		default:
			detail := text
			if detail == "" {
				detail = "Enter pressed on the console"
			}
			rec.Mark(at, "manual", detail)
			con.Println(fmt.Sprintf("Injection marked at %s.", at.Format("15:04:05.000")))
		}
	}
}

// scheduleMarks marks an injection at each offset from the first request,
// the origin of every offset the summary prints.
func scheduleMarks(ctx context.Context, rec *measure.Recorder, offsets []time.Duration, con *console.Console) (stop func()) {
	quit := make(chan struct{})
	var wg sync.WaitGroup
	for _, d := range offsets {
		wg.Go(func() {
			select {
			case <-rec.Started():
			case <-quit:
				return
			}
			at := rec.FirstSent().Add(d)
			t := time.NewTimer(time.Until(at))
			defer t.Stop()
			select {
			case <-t.C:
				rec.Mark(at, "manual", "--inject-at "+d.String())
				con.Println(fmt.Sprintf("Injection marked at +%s (--inject-at).", d))
			case <-quit:
			case <-ctx.Done():
			}
		})
	}
	return func() { close(quit); wg.Wait() }
}
