// Package console writes what a person watching a run sees: permanent
// lines and, on a terminal, one live status line rewritten in place under
// them (plain lines when not a terminal, for CI logs).
package console

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/selfheal/selfheal/chaos/measure"
)

// Console serialises output from several goroutines.
type Console struct {
	mu      sync.Mutex
	w       io.Writer
	live    bool
	hasLive bool
}

// New writes to w; live says w is a terminal.
func New(w io.Writer, live bool) *Console { return &Console{w: w, live: live} }

// Live reports whether status lines are rewritten in place.
func (c *Console) Live() bool { return c.live }

// Println writes a permanent line.
func (c *Console) Println(s string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.clearLive()
	fmt.Fprintln(c.w, s)
}

// Logf writes a permanent formatted line.
func (c *Console) Logf(format string, args ...any) { c.Println(fmt.Sprintf(format, args...)) }

// Progress shows a status line: in place on a terminal, as a line otherwise.
func (c *Console) Progress(s string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.live {
		fmt.Fprintln(c.w, s)
		return
	}
	fmt.Fprint(c.w, "\r\x1b[K"+s)
	c.hasLive = true
}

// Done clears the live line.
func (c *Console) Done() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.clearLive()
}

func (c *Console) clearLive() {
	if c.hasLive {
		fmt.Fprint(c.w, "\r\x1b[K")
		c.hasLive = false
	}
}

// DefaultInterval is how often a status line is worth printing: often on a
// terminal, rarely in a log.
func (c *Console) DefaultInterval() time.Duration {
	if c.live {
		return 250 * time.Millisecond
	}
	return 5 * time.Second
}

// StatusLine renders a live status of the load.
func StatusLine(s measure.Status, now time.Time) string {
	// Nothing answered yet is not "ok 100%".
	ok := "-"
	if s.Done > 0 {
		ok = fmt.Sprintf("%.1f%%", s.OKPercent())
	}
	line := fmt.Sprintf("%7.1fs  sent %d  %.1f/s  ok %s  in flight %d",
		s.Elapsed.Seconds(), s.Sent, s.Rate, ok, s.InFlight)
	if s.Outage != nil {
		line += fmt.Sprintf("  OUTAGE %.1fs (%s, %d failed)", now.Sub(s.Outage.Start).Seconds(), s.Outage.Cause, s.Outage.Failed)
	}
	if s.Outages > 0 {
		line += fmt.Sprintf("  outages %d", s.Outages)
	}
	if s.Injections > 0 {
		line += fmt.Sprintf("  marks %d", s.Injections)
	}
	return line
}
