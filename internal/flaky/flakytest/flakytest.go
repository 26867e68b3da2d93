// Package flakytest starts internal/flaky servers for tests in any
// package: one call, a schedule string, closed when the test ends.
package flakytest

import (
	"testing"

	"github.com/selfheal/selfheal/internal/flaky"
)

// Start parses schedule (see flaky.ParseSchedule), starts a server on a
// free local port running it from now, and closes it when tb ends.
func Start(tb testing.TB, schedule string, opts ...flaky.Option) *flaky.Server {
	tb.Helper()
	sched, err := flaky.ParseSchedule(schedule)
	if err != nil {
		tb.Fatal(err)
	}
	srv, err := flaky.Start("127.0.0.1:0", sched, opts...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { srv.Close() })
	return srv
}
