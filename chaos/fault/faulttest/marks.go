// Package faulttest is the engine's side of the fault contract
// (chaos/fault), for the fault packages' tests: Marks records what a
// fault tells the engine, Log what a fake cluster changed, and Scales
// gives a fake clientset the scale subresource its Deployments lack.
package faulttest

import (
	"context"
	"strings"
	"sync"

	"github.com/selfheal/selfheal/chaos/fault"
	"github.com/selfheal/selfheal/chaos/result"
)

// Marks records what a fault tells the engine.
type Marks struct {
	// BreakErr, when set, is what Breaking returns: the fault must then
	// break nothing.
	BreakErr error
	// OnRecord, when set, sees each Undo recorded, so a test can log it
	// in order with the fake cluster's changes.
	OnRecord func(fault.Undo)

	mu         sync.Mutex
	Undos      []fault.Undo
	Injections []string
	Reverts    []string
	Evidence   []result.Evidence
}

// Breaking implements fault.Marker.
func (m *Marks) Breaking(_ context.Context, u fault.Undo) error {
	if m.BreakErr != nil {
		return m.BreakErr
	}
	m.mu.Lock()
	m.Undos = append(m.Undos, u)
	m.mu.Unlock()
	if m.OnRecord != nil {
		m.OnRecord(u)
	}
	return nil
}

// Injected implements fault.Marker.
func (m *Marks) Injected(detail string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.Injections = append(m.Injections, detail)
}

// Reverted implements fault.Marker.
func (m *Marks) Reverted(detail string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.Reverts = append(m.Reverts, detail)
}

// Proved implements fault.Marker.
func (m *Marks) Proved(e result.Evidence) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.Evidence = append(m.Evidence, e)
}

// Proofs is a copy of the evidence recorded so far, for a test that reads
// it while a fault's own goroutine may still prove something.
func (m *Marks) Proofs() []result.Evidence {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]result.Evidence(nil), m.Evidence...)
}

// Logf implements fault.Marker; progress is not recorded.
func (m *Marks) Logf(string, ...any) {}

// Log is what a fake cluster changed, in order; safe for concurrent use.
type Log struct {
	mu    sync.Mutex
	lines []string
}

// Add appends one change.
func (l *Log) Add(line string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, line)
}

// String lists the changes, comma-separated.
func (l *Log) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, ", ")
}
