package loader

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/selfheal/selfheal/chaos/measure"
)

// maxForeign is how many lines that are not the loader's a Collector
// keeps, for the notes: a Go panic's first lines say what happened.
const maxForeign = 5

// Collector gathers one loader's output on the harness's side, over as
// many reads of its log as it takes (a follow cut by an API server
// restart is read again from a little earlier): every sample line it has
// seen, by its sequence number, is skipped. Each stream's requests go to
// a recorder of their own, with their send times on the node's clock.
// A Collector is used by one goroutine at a time.
type Collector struct {
	header *Header
	seen   chan struct{} // closed with the header
	end    *End
	recs   []*measure.Recorder
	last   uint64
	// latest is the latest send time seen, node clock.
	latest time.Time
	// lastSent is the send time of the last line read, node clock:
	// where a new read of the log may start (lines are written in
	// sequence order, each after its request was sent).
	lastSent time.Time
	missing  uint64
	foreign  []string
	dropped  int
}

// NewCollector is an empty collector.
func NewCollector() *Collector { return &Collector{seen: make(chan struct{})} }

// Read consumes lines from r until it ends; a read error other than the
// end is returned (the caller reads again). A line that cannot be the
// loader's is kept for the notes, not fatal: the log holds what the
// container printed on stderr too.
func (c *Collector) Read(r io.Reader) error {
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			// No loader line is this long: keep its start, skip the rest.
			c.foreignLine(line)
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = br.ReadSlice('\n')
			}
			continue
		}
		if len(line) > 0 && line[len(line)-1] == '\n' {
			if perr := c.add(line[:len(line)-1]); perr != nil {
				return perr
			}
		}
		// A last line without its newline is a line cut in the middle:
		// the next read has it whole.
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

// add takes one line; only a header that contradicts the first is fatal.
func (c *Collector) add(line []byte) error {
	if len(line) == 0 {
		return nil
	}
	l, err := ParseLine(line)
	switch {
	case err != nil && runtimeTrace(line):
		return nil
	case err != nil:
		c.foreignLine(line)
		return nil
	case l.Header != nil:
		return c.setHeader(l.Header)
	case l.End != nil:
		c.end = l.End
		return nil
	}
	if c.header == nil || l.Seq <= c.last {
		return nil // before the header (a partial re-read) or seen already
	}
	if l.Stream >= len(c.recs) {
		c.foreignLine(line)
		return nil
	}
	if l.Seq > c.last+1 {
		c.missing += l.Seq - c.last - 1
	}
	c.last = l.Seq
	c.recs[l.Stream].Record(l.Sample)
	c.lastSent = l.Sample.Sent
	if l.Sample.Sent.After(c.latest) {
		c.latest = l.Sample.Sent
	}
	return nil
}

func (c *Collector) setHeader(h *Header) error {
	if c.header != nil {
		if c.header.Began != h.Began {
			return fmt.Errorf("the loader's log holds a second run (began %d, then %d): was its container restarted?", c.header.Began, h.Began)
		}
		return nil
	}
	if len(h.Streams) == 0 || len(h.Targets) == 0 {
		return fmt.Errorf("the loader's header names no stream or no target: %+v", *h)
	}
	c.header = h
	close(c.seen)
	for range h.Streams {
		rec := measure.NewRecorder()
		rec.Began(time.UnixMicro(h.Began))
		c.recs = append(c.recs, rec)
	}
	return nil
}

// runtimeTrace tells the Go runtime's scheduler trace, which the
// loader's environment turns on for its side effect (Env), from what the
// container says.
func runtimeTrace(line []byte) bool { return bytes.HasPrefix(line, []byte("SCHED ")) }

func (c *Collector) foreignLine(line []byte) {
	if len(c.foreign) >= maxForeign {
		c.dropped++
		return
	}
	c.foreign = append(c.foreign, string(line[:min(len(line), 200)]))
}

// HeaderSeen is closed once the header was read: the loader runs.
func (c *Collector) HeaderSeen() <-chan struct{} { return c.seen }

// Header is the loader's header, nil until read.
func (c *Collector) Header() *Header { return c.header }

// End is the loader's last line, nil until read: with it every request
// the loader sent is in.
func (c *Collector) End() *End { return c.end }

// Samples counts the requests read.
func (c *Collector) Samples() int {
	n := 0
	for _, r := range c.recs {
		n += r.Len()
	}
	return n
}

// Missing counts sample lines skipped in the sequence (a log rotated
// before it was read).
func (c *Collector) Missing() uint64 { return c.missing }

// Resume is the node-clock instant a new read of the log may start from
// without losing a line: the send time of the last line read (it was
// written after it, and every later line after that). Zero before any.
func (c *Collector) Resume() time.Time { return c.lastSent }

// Foreign are the first lines of the log that were not the loader's,
// and how many more there were.
func (c *Collector) Foreign() ([]string, int) { return c.foreign, c.dropped }

// Input is stream i's requests for the analysis, send times on the
// node's clock: from the header's beginning to the end line's end, or to
// the latest send read when the output was cut.
func (c *Collector) Input(i int) measure.Input {
	if c.header == nil || i >= len(c.recs) {
		return measure.Input{Epoch: time.Now()}
	}
	end := c.latest
	if c.end != nil {
		end = time.UnixMicro(c.end.Ended)
	}
	return c.recs[i].Input(end)
}
