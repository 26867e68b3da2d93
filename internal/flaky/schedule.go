package flaky

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Kind is what the server does with requests during a phase.
type Kind uint8

// The behaviours a phase can have.
const (
	// OK answers 200.
	OK Kind = iota
	// Status answers Phase.Code (a 5xx, or any other code).
	Status
	// Refuse closes the listener and every connection, so the kernel
	// refuses new connections; the next phase listens on the same port.
	Refuse
	// Hang reads the request and never answers until the client gives up.
	Hang
	// Reset aborts the connection with a TCP RST after reading the request.
	Reset
	// EOF closes the connection after reading the request, with no answer.
	EOF
	// Slow answers 200 after Phase.Delay.
	Slow
)

var kindNames = map[Kind]string{OK: "ok", Refuse: "refuse", Hang: "hang", Reset: "reset", EOF: "eof", Slow: "slow"}

// Phase is one stretch of a schedule.
type Phase struct {
	For   time.Duration
	Kind  Kind
	Code  int           // for Status
	Delay time.Duration // for Slow
}

// String writes the phase as ParseSchedule reads it.
func (p Phase) String() string {
	switch p.Kind {
	case Status:
		return fmt.Sprintf("%s %d", p.For, p.Code)
	case Slow:
		return fmt.Sprintf("%s slow %s", p.For, p.Delay)
	}
	return fmt.Sprintf("%s %s", p.For, kindNames[p.Kind])
}

// Fails says whether a client sees the phase's requests fail, by the
// definition of docs/measurement.md (4xx succeed by default).
func (p Phase) Fails() bool {
	switch p.Kind {
	case OK, Slow:
		return false
	case Status:
		return p.Code >= 500
	}
	return true
}

// Cause is the outage cause a client should report for the phase's
// failures: the status code, or the error class of docs/measurement.md.
func (p Phase) Cause() string {
	switch p.Kind {
	case Status:
		return strconv.Itoa(p.Code)
	case Refuse:
		return "refused"
	case Hang:
		return "timeout"
	case Reset:
		return "reset"
	case EOF:
		return "eof"
	}
	return ""
}

// ParseSchedule reads a schedule such as
//
//	5s ok, 3s 503, 2s refuse, 2s hang, 1s reset, 1s eof, 2s slow 300ms, 10s ok
//
// Each comma-separated phase is a duration and what the server does:
// ok, a status code, refuse, hang, reset, eof, or slow with a delay.
func ParseSchedule(s string) ([]Phase, error) {
	var out []Phase
	for i, item := range strings.Split(s, ",") {
		p, err := parsePhase(strings.Fields(strings.ToLower(item)))
		if err != nil {
			return nil, fmt.Errorf("schedule phase %d %q: %w", i+1, strings.TrimSpace(item), err)
		}
		out = append(out, p)
	}
	return out, nil
}

func parsePhase(f []string) (Phase, error) {
	if len(f) < 2 {
		return Phase{}, fmt.Errorf("want a duration and a behaviour, e.g. \"3s 503\"")
	}
	d, err := time.ParseDuration(f[0])
	if err != nil || d <= 0 {
		return Phase{}, fmt.Errorf("%q is not a positive duration", f[0])
	}
	p := Phase{For: d}
	if f[1] == "slow" {
		if len(f) != 3 {
			return Phase{}, fmt.Errorf("slow needs a delay, e.g. \"2s slow 300ms\"")
		}
		if p.Delay, err = time.ParseDuration(f[2]); err != nil || p.Delay < 0 {
			return Phase{}, fmt.Errorf("%q is not a delay", f[2])
		}
		p.Kind = Slow
		return p, nil
	}
	if len(f) != 2 {
		return Phase{}, fmt.Errorf("unexpected %q", strings.Join(f[2:], " "))
	}
	for k, name := range kindNames {
		if name == f[1] && k != Slow {
			p.Kind = k
			return p, nil
		}
	}
	code, err := strconv.Atoi(f[1])
	switch {
	case err != nil:
		return Phase{}, fmt.Errorf("%q is not ok, refuse, hang, reset, eof, slow or a status code", f[1])
	case code < 100 || code > 599:
		return Phase{}, fmt.Errorf("status %d is not an HTTP status code: use 200 to 599", code)
	case code < 200:
		// net/http sends a 1xx as an informational answer and then 200.
		return Phase{}, fmt.Errorf("status %d is informational, never a final answer: use 200 to 599", code)
	}
	p.Kind, p.Code = Status, code
	return p, nil
}
