// Command selfheal proves whether a Kubernetes app heals itself, and how
// long it hurts while it does. See README.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/selfheal/selfheal/chaos/guard"
)

// command is one subcommand. run gets the arguments after the subcommand
// name; it returns a usageError for bad input (exit 2) and any other error
// for a failure (exit 1).
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env *cliEnv, args []string) error
}

// cliEnv is what a subcommand may touch of the process, so tests can run
// subcommands in-process.
type cliEnv struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	// isTerminal reports whether stdout is a terminal (live progress line).
	isTerminal bool
	// faults follows the faults this process has in place, for the message
	// of a second interrupt (nil in tests).
	faults *guard.Tracker
	// getenv reads the process's variables (SELFHEAL_*); nil reads none.
	getenv func(string) string
}

// env reads a variable through getenv.
func (e *cliEnv) env(key string) string {
	if e.getenv == nil {
		return ""
	}
	return e.getenv(key)
}

// usageError is bad input: the message says what is wrong and how to fix it.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

func commands() []command {
	cmds := []command{
		{"probe", "drive constant load at URLs and measure downtime, 5xx and recovery", runProbe},
		{"report", "render result JSON files into one self-contained HTML report", runReport},
	}
	cmds = append(cmds, extraCommands()...)
	sort.Slice(cmds, func(i, j int) bool { return cmds[i].name < cmds[j].name })
	return cmds
}

func main() {
	faults := &guard.Tracker{}
	// The first Ctrl-C stops the command (a scenario reverts its fault);
	// the second stops the process at once, saying what it leaves.
	ctx, stop := guard.NotifyContext(context.Background(), os.Stderr, faults, os.Exit)
	defer stop()
	env := &cliEnv{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, isTerminal: stdoutIsTerminal(), faults: faults, getenv: os.Getenv}
	os.Exit(run(ctx, env, os.Args[1:]))
}

// run dispatches to a subcommand and maps its error to an exit code.
func run(ctx context.Context, env *cliEnv, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		printUsage(env.stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, env, args[1:])
		var ue usageError
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.As(err, &ue):
			fmt.Fprintf(env.stderr, "selfheal %s: %v\nRun 'selfheal %s -h' for usage.\n", c.name, err, c.name)
			return 2
		default:
			fmt.Fprintf(env.stderr, "selfheal %s: %v\n", c.name, err)
			return 1
		}
	}
	fmt.Fprintf(env.stderr, "selfheal: unknown command %q\n\n", args[0])
	printUsage(env.stderr)
	return 2
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "Usage: selfheal <command> [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'selfheal <command> -h' for a command's flags.")
}

// newFlagSet returns a flag set that reports errors instead of exiting, so
// bad flags become a usageError (exit 2) with the flag package's message.
func newFlagSet(env *cliEnv, name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet("selfheal "+name, flag.ContinueOnError)
	// Parse errors are printed once, by run; only -h prints the defaults.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fmt.Fprintf(env.stderr, "Usage: selfheal %s %s\n\nFlags:\n", name, synopsis)
		fs.SetOutput(env.stderr)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	return fs
}

// parseFlags parses args into fs, turning a parse failure into a usageError.
func parseFlags(fs *flag.FlagSet, args []string) error {
	// The flag package prints the usage on every error; only -h should.
	usage := fs.Usage
	fs.Usage = func() {}
	err := fs.Parse(args)
	fs.Usage = usage
	switch {
	case errors.Is(err, flag.ErrHelp):
		usage()
		return err
	case err != nil:
		return usageError{err.Error()}
	}
	return nil
}
