package scenario

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/selfheal/selfheal/chaos/fault"
	"github.com/selfheal/selfheal/chaos/result"
)

// marker records a fault's instants in the request recorder (for the
// analysis) and in the Kubernetes timeline (so they line up with what the
// cluster did), and tells the person watching.
type marker struct {
	*run
	fault string
	mu    sync.Mutex
	at    []time.Time
	ids   []string // entries in the active-fault record
}

func (m *marker) Breaking(ctx context.Context, u fault.Undo) error {
	if m.record == nil {
		return nil
	}
	id, err := m.record.Begin(ctx, m.s.Name, m.fault, u)
	if err != nil {
		return err
	}
	m.mu.Lock()
	m.ids = append(m.ids, id)
	m.mu.Unlock()
	return nil
}

// recorded are the record's entries of this run's fault.
func (m *marker) recorded() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.ids...)
}

func (m *marker) Injected(detail string) {
	now := time.Now()
	m.mu.Lock()
	m.at = append(m.at, now)
	m.mu.Unlock()
	m.rec.Mark(now, m.fault, detail)
	m.event(now, "Injected", detail)
	m.console.Logf("[%s] injected: %s", m.s.Name, detail)
}

func (m *marker) Reverted(detail string) {
	now := time.Now()
	m.rec.Revert(now, m.fault, detail)
	m.event(now, "Reverted", detail)
	m.console.Logf("[%s] reverted: %s", m.s.Name, detail)
}

func (m *marker) Proved(e result.Evidence) {
	if e.At.IsZero() {
		e.At = time.Now()
	}
	if e.Fault == "" {
		e.Fault = m.fault
	}
	m.proof.add(e)
	reason := "Proved"
	if !e.Held {
		reason = "NotProved"
	}
	m.event(e.At, reason, e.Check+": "+e.Observed)
	m.console.Logf("[%s] evidence: %s", m.s.Name, e)
}

func (m *marker) Logf(format string, args ...any) {
	m.console.Logf("[%s] %s", m.s.Name, fmt.Sprintf(format, args...))
}

func (m *marker) event(at time.Time, reason, detail string) {
	if m.events != nil {
		m.events.Add(result.Event{At: at, Kind: "fault", Object: m.fault, Reason: reason, Message: detail})
	}
}

// proof is the evidence a run's fault recorded; safe for concurrent use
// (a fault may prove itself from its own goroutines).
type proof struct {
	mu       sync.Mutex
	evidence []result.Evidence
}

func (p *proof) add(e result.Evidence) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.evidence = append(p.evidence, e)
}

func (p *proof) all() []result.Evidence {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]result.Evidence(nil), p.evidence...)
}

func (m *marker) count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.at)
}

// firstInjection is the first instant, false before any.
func (m *marker) firstInjection() (time.Time, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.at) == 0 {
		return time.Time{}, false
	}
	return m.at[0], true
}

// last is the latest injection instant (zero before any).
func (m *marker) last() time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.at) == 0 {
		return time.Time{}
	}
	return m.at[len(m.at)-1]
}
