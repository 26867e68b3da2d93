package host

import (
	"context"
	"sync"
	"time"
)

// Recording samples the host in a goroutine of its own until stopped.
type Recording struct {
	interval time.Duration
	stop     context.CancelFunc
	done     chan struct{}

	mu      sync.Mutex
	samples []Sample
	missing map[string]string
	cpus    int
}

// Start primes a sampler now and samples every interval until ctx ends or
// Stop is called.
func Start(ctx context.Context, opts ...Option) *Recording {
	s := NewSampler(ctx, opts...)
	c := newConfig(opts)
	s.Sample(time.Now())
	ctx, cancel := context.WithCancel(ctx)
	rec := &Recording{interval: c.interval, stop: cancel, done: make(chan struct{}), missing: cloneMissing(s.Missing()), cpus: s.CPUs()}
	go rec.loop(ctx, s)
	return rec
}

func (r *Recording) loop(ctx context.Context, s *Sampler) {
	defer close(r.done)
	tick := time.NewTicker(r.interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			smp, ok := s.Sample(now)
			r.mu.Lock()
			if ok {
				r.samples = append(r.samples, smp)
			}
			r.missing, r.cpus = cloneMissing(s.Missing()), s.CPUs()
			r.mu.Unlock()
		}
	}
}

// Stop ends the sampling and waits for it; it may be called more than
// once.
func (r *Recording) Stop() {
	r.stop()
	<-r.done
}

// Interval is the sampling interval.
func (r *Recording) Interval() time.Duration { return r.interval }

// Samples returns a copy of the samples so far.
func (r *Recording) Samples() []Sample {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Sample(nil), r.samples...)
}

// Missing names each signal the host lacks, and why.
func (r *Recording) Missing() map[string]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return cloneMissing(r.missing)
}

// CPUs is the number of CPUs the host lists.
func (r *Recording) CPUs() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cpus
}
