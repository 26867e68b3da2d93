package loader

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

// Keep-alive modes of the command line: which streams a loader runs.
const (
	KeepAliveOff  = "false"
	KeepAliveOn   = "true"
	KeepAliveBoth = "both"
)

// StreamsOf are the streams of a keep-alive mode.
func StreamsOf(mode string) ([]bool, error) {
	switch mode {
	case KeepAliveOff:
		return []bool{false}, nil
	case KeepAliveOn:
		return []bool{true}, nil
	case KeepAliveBoth:
		return []bool{false, true}, nil
	}
	return nil, fmt.Errorf("keep-alive %q: want %s, %s or %s", mode, KeepAliveOff, KeepAliveOn, KeepAliveBoth)
}

// Args is the command line that runs cfg (selfheal-loader run ...), for
// the pod spec; Main reads it back.
func Args(cfg Config, keepAlive string) []string {
	args := []string{"run", "--rate", fmt.Sprint(cfg.Rate), "--timeout", cfg.Timeout.String(),
		"--keep-alive", keepAlive, "--max-duration", cfg.MaxDuration.String()}
	if cfg.Name != "" {
		args = append(args, "--name", cfg.Name)
	}
	if cfg.Host != "" {
		args = append(args, "--host", cfg.Host)
	}
	for _, t := range cfg.Targets {
		args = append(args, "--target", t)
	}
	return args
}

const usage = `usage:
  selfheal-loader run --target URL [--target URL ...] [--rate 10] [--timeout 2s]
                      [--keep-alive false|true|both] [--max-duration 1h] [--host HOST] [--name NAME]
      constant-rate load; one line per request on stdout; stops on SIGTERM
  selfheal-loader clock
      answers each line on stdin with this machine's clock (Unix ns)
`

// Main is the loader program: selfheal-loader run|clock. It returns the
// exit status.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "run":
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
		defer stop()
		return runCommand(ctx, args[1:], stdout, stderr)
	case "clock":
		if err := AnswerClock(stdin, stdout, 0); err != nil {
			fmt.Fprintln(stderr, "selfheal-loader:", err)
			return 1
		}
		return 0
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "selfheal-loader: unknown command %q\n%s", args[0], usage)
	return 2
}

func runCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := ParseRun(args, stderr)
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stderr, "selfheal-loader:", err)
		}
		return 2
	}
	// The end line says how it ended; stderr, which the container's log
	// mixes in, carries errors only.
	if _, err := Run(ctx, cfg, stdout); err != nil {
		fmt.Fprintln(stderr, "selfheal-loader:", err)
		return 1
	}
	return 0
}

// ParseRun reads the arguments of `selfheal-loader run` (Args writes
// them); usage errors go to stderr.
func ParseRun(args []string, stderr io.Writer) (Config, error) {
	fs := flag.NewFlagSet("selfheal-loader run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg Config
	var targets multi
	keepAlive := KeepAliveOff
	fs.Var(&targets, "target", "URL to load (repeat; round-robin)")
	fs.Float64Var(&cfg.Rate, "rate", 10, "requests per second of each stream, all targets together")
	fs.DurationVar(&cfg.Timeout, "timeout", 2*time.Second, "per-request timeout")
	fs.StringVar(&keepAlive, "keep-alive", keepAlive, "false (a connection per request), true, or both (two streams)")
	fs.DurationVar(&cfg.MaxDuration, "max-duration", DefaultMaxDuration, "stop by itself after this long")
	fs.StringVar(&cfg.Host, "host", "", "Host header of every request (the site's own, as the harness sends)")
	fs.StringVar(&cfg.Name, "name", "", "name of the load (X-Vegeta-Attack header)")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected arguments %s", strings.Join(fs.Args(), " "))
	}
	if len(targets) == 0 {
		return cfg, errors.New("--target: at least one URL")
	}
	cfg.Targets = targets
	var err error
	if cfg.Streams, err = StreamsOf(keepAlive); err != nil {
		return cfg, fmt.Errorf("--keep-alive: %w", err)
	}
	return cfg, cfg.Check()
}

type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }
