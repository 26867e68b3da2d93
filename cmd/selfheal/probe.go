package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/selfheal/selfheal/chaos/load"
	"github.com/selfheal/selfheal/chaos/measure"
	"github.com/selfheal/selfheal/reports"
)

const probeSynopsis = "--url URL [--url URL2 ...] [--rate 50] [--duration 60s] [--timeout 2s] [--inject-at 10s] [--out result.json]"

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
	if err := parseFlags(fs, args); err != nil {
		return o, err
	}
	switch {
	case fs.NArg() > 0:
		return o, usagef("unexpected argument %q (URLs go with --url)", fs.Arg(0))
	case len(o.urls) == 0:
		return o, usagef("at least one --url is required")
	case !(o.rate > 0):
		return o, usagef("--rate must be above 0, got %v", o.rate)
	case o.timeout <= 0:
		return o, usagef("--timeout must be positive, got %s", o.timeout)
	case o.duration < 0 || o.confirm <= 0 || o.every < 0:
		return o, usagef("--duration, --confirm and --progress-every must not be negative")
	case o.out == "":
		return o, usagef("--out must name a file")
	}
	for _, d := range o.injectAt {
		if o.duration > 0 && d >= o.duration {
			return o, usagef("--inject-at %s is not within --duration %s", d, o.duration)
		}
	}
	return o, nil
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
	rec := measure.NewRecorder()
	con := &console{w: env.stdout, live: env.isTerminal}
	con.println(probeHeader(o, gen.Settings()))
	if env.isTerminal {
		con.println("Press Enter to mark an injection (type a note first to keep it), r + Enter to mark a revert, Ctrl-C to stop.")
	}

	go readMarks(env.stdin, rec, con)
	stopMarks := scheduleMarks(ctx, rec, o.injectAt, con)
	stopProgress := showProgress(ctx, rec, con, o.every, o.timeout)
	st, err := gen.Run(ctx, rec)
	stopProgress()
	stopMarks()
	if err != nil {
		return err
	}

	res, err := analyzeProbe(rec, gen, o, st)
	if err != nil {
		return err
	}
	writeSummary(env.stdout, res)
	if err := reports.WriteFile(o.out, res); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "\nResult written to %s\n", o.out)
	return nil
}

func analyzeProbe(rec *measure.Recorder, gen *load.Generator, o probeOptions, st load.Stats) (*reports.Result, error) {
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

func probeHeader(o probeOptions, l reports.Load) string {
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

// console serialises output: permanent lines, and on a terminal one live
// progress line rewritten in place under them.
type console struct {
	mu      sync.Mutex
	w       io.Writer
	live    bool
	hasLive bool
}

func (c *console) println(s string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.clearLive()
	fmt.Fprintln(c.w, s)
}

func (c *console) progress(s string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.live {
		fmt.Fprintln(c.w, s)
		return
	}
	fmt.Fprint(c.w, "\r\x1b[K"+s)
	c.hasLive = true
}

func (c *console) clearLive() {
	if c.hasLive {
		fmt.Fprint(c.w, "\r\x1b[K")
		c.hasLive = false
	}
}

func (c *console) done() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.clearLive()
}

// showProgress prints the live status every interval until stopped.
func showProgress(ctx context.Context, rec *measure.Recorder, con *console, every, timeout time.Duration) (stop func()) {
	if every == 0 {
		every = 5 * time.Second
		if con.live {
			every = 250 * time.Millisecond
		}
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
				con.println(fmt.Sprintf("Stopping: waiting up to %s for requests in flight...", timeout))
			case now := <-tick.C:
				con.progress(progressLine(rec.Status(now)))
			}
		}
	})
	return func() {
		close(quit)
		wg.Wait()
		con.done()
	}
}

func progressLine(s measure.Status) string {
	line := fmt.Sprintf("%7.1fs  sent %d  %.1f/s  ok %.1f%%  in flight %d",
		s.Elapsed.Seconds(), s.Sent, s.Rate, s.OKPercent(), s.InFlight)
	if s.Outage != nil {
		line += fmt.Sprintf("  OUTAGE %.1fs (%s, %d failed)", time.Since(s.Outage.Start).Seconds(), s.Outage.Cause, s.Outage.Failed)
	}
	if s.Outages > 0 {
		line += fmt.Sprintf("  outages %d", s.Outages)
	}
	if s.Injections > 0 {
		line += fmt.Sprintf("  marks %d", s.Injections)
	}
	return line
}

// readMarks turns lines on stdin into marks: Enter is an injection (the
// line's text, if any, its detail), "r" a revert. It ends at EOF; a
// terminal's stdin outlives the run, which is harmless as the process ends.
func readMarks(in io.Reader, rec *measure.Recorder, con *console) {
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		at := time.Now()
		text := strings.TrimSpace(sc.Text())
		switch strings.ToLower(text) {
		case "r", "revert":
			rec.Revert(at, "manual", "revert marked on the console")
			con.println(fmt.Sprintf("Revert marked at %s.", at.Format("15:04:05.000")))
		default:
			detail := text
			if detail == "" {
				detail = "Enter pressed on the console"
			}
			rec.Mark(at, "manual", detail)
			con.println(fmt.Sprintf("Injection marked at %s.", at.Format("15:04:05.000")))
		}
	}
}

// scheduleMarks marks an injection at each offset from the first request,
// the origin of every offset the summary prints.
func scheduleMarks(ctx context.Context, rec *measure.Recorder, offsets []time.Duration, con *console) (stop func()) {
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
				con.println(fmt.Sprintf("Injection marked at +%s (--inject-at).", d))
			case <-quit:
			case <-ctx.Done():
			}
		})
	}
	return func() { close(quit); wg.Wait() }
}

// writeSummary prints the figures a person running probe wants first.
// Instants are offsets from the first request, which is how one reads a
// run; the JSON keeps the wall-clock times.
func writeSummary(w io.Writer, r *reports.Result) {
	t0 := r.Started
	rel := func(t time.Time) string { return fmt.Sprintf("%+.2fs", t.Sub(t0).Seconds()) }
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw)
	q := r.Requests
	failPct := 0.0
	if q.Total > 0 {
		failPct = 100 * float64(q.Failed) / float64(q.Total)
	}
	fmt.Fprintf(tw, "Requests\t%d sent in %s (%.1f/s), %d ok, %d failed (%.2f%%)\n",
		q.Total, secs(r.Ended.Sub(r.Started)), r.Load.Achieved, q.OK, q.Failed, failPct)
	fmt.Fprintf(tw, "Answers\t%s\n", counts(r.StatusCodes, "none"))
	fmt.Fprintf(tw, "Errors\t%s\n", counts(r.Errors, "none"))
	fmt.Fprintf(tw, "Downtime\t%s in %d outage(s), longest %s\n", msText(r.DowntimeMS), len(r.Outages), msText(r.LongestOutageMS))
	fmt.Fprintf(tw, "Seconds\t%d with no success at all, %d with some failures (1-s buckets)\n", r.FullOutageSeconds, r.DegradedSeconds)
	for _, m := range r.Injections {
		fmt.Fprintf(tw, "Injection\t%s  %s\n", rel(m.At), m.Detail)
	}
	for _, m := range r.Reverts {
		fmt.Fprintf(tw, "Revert\t%s  %s\n", rel(m.At), m.Detail)
	}
	writeRecovery(tw, r)
	tw.Flush()

	if l := r.Latency; l.Baseline != nil || l.Impact != nil || l.After != nil {
		fmt.Fprintln(w)
		fmt.Fprintln(tw, "Latency (ms)\tp50\tp95\tp99\tmax\trequests")
		for _, row := range []struct {
			name string
			p    *reports.Percentiles
		}{{"  before", l.Baseline}, {"  during", l.Impact}, {"  after", l.After}} {
			if row.p != nil {
				fmt.Fprintf(tw, "%s\t%.1f\t%.1f\t%.1f\t%.1f\t%d\n", row.name, row.p.P50, row.p.P95, row.p.P99, row.p.Max, row.p.Count)
			}
		}
		tw.Flush()
	}
	writeOutages(w, tw, r, rel)
	if len(r.Targets) > 1 {
		fmt.Fprintln(w)
		fmt.Fprintln(tw, "Per URL\tsent\tok\tfailed")
		for _, t := range r.Targets {
			fmt.Fprintf(tw, "  %s\t%d\t%d\t%d\n", t.URL, t.Requests.Total, t.Requests.OK, t.Requests.Failed)
		}
		tw.Flush()
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "\nNote: %s\n", n)
	}
}

func writeRecovery(w io.Writer, r *reports.Result) {
	window := msText(r.Analysis.ConfirmationWindowMS)
	from := "the injection"
	if r.RecoveryFrom == measure.FromFirstFailure {
		from = "the first failure (no injection marked)"
	}
	if r.TimeToFirstErrorMS != nil {
		fmt.Fprintf(w, "First error\t%s after the injection\n", msText(*r.TimeToFirstErrorMS))
	}
	switch {
	case r.RecoveryFrom == "":
		fmt.Fprintf(w, "Recovery\tnothing failed, nothing to recover from\n")
		return
	case r.Recovered:
		fmt.Fprintf(w, "Recovery\t%s after %s (confirmed by %s without a failure)\n", msText(*r.RecoveryMS), from, window)
	default:
		fmt.Fprintf(w, "Recovery\tNOT RECOVERED: no %s without a failure in the %s watched after %s\n", window, msText(*r.ObservedMS), from)
	}
	if r.ErrorRatio != nil {
		fmt.Fprintf(w, "Impact\t%s, %.1f%% of requests failed in the fault window\n", r.Impact, 100**r.ErrorRatio)
	}
}

// maxOutageLines keeps a flapping run's summary readable; the JSON has all.
const maxOutageLines = 15

func writeOutages(w io.Writer, tw *tabwriter.Writer, r *reports.Result, rel func(time.Time) string) {
	if len(r.Outages) == 0 {
		return
	}
	fmt.Fprintln(w)
	fmt.Fprintln(tw, "Outages\tstart\tduration\tfailed\tcause")
	for i, o := range r.Outages {
		if i == maxOutageLines {
			fmt.Fprintf(tw, "  ... %d more in the result file\n", len(r.Outages)-i)
			break
		}
		dur := msText(o.DurationMS)
		if o.Open {
			dur += " (still failing at the end)"
		}
		fmt.Fprintf(tw, "  %d\t%s\t%s\t%d\t%s\n", i+1, rel(o.Start), dur, o.Requests, causesText(o))
	}
	tw.Flush()
}

func causesText(o reports.Outage) string {
	if len(o.Causes) <= 1 {
		return o.Cause
	}
	return o.Cause + " (" + counts(o.Causes, "") + ")"
}

// counts writes a count map as "503 ×12, 200 ×3", largest first.
func counts(m map[string]int, none string) string {
	if len(m) == 0 {
		return none
	}
	keys := slices.Sorted(maps.Keys(m))
	slices.SortStableFunc(keys, func(a, b string) int { return m[b] - m[a] })
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s ×%d", k, m[k])
	}
	return strings.Join(parts, ", ")
}

func secs(d time.Duration) string { return fmt.Sprintf("%.2fs", d.Seconds()) }

// msText writes a duration in milliseconds the way a person reads it.
func msText(ms float64) string {
	if ms < 1000 {
		return fmt.Sprintf("%.0f ms", ms)
	}
	return fmt.Sprintf("%.2f s", ms/1000)
}
