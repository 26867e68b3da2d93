// Package host samples how loaded the machine is while selfheal measures,
// so that a result measured on a starved machine says so: CPU steal and
// iowait from /proc/stat, CPU, memory and IO pressure from /proc/pressure
// (PSI) where the kernel has it, the 1-minute load average, and selfheal's
// own CPU from /proc/self/stat. A signal the host does not give is
// reported missing; nothing fails for it.
//
// CPU time and CPU pressure are attributed to their source: the system
// under test (the kind node containers, read from their cgroups), selfheal
// itself, and everything else. Only pressure from outside the system
// under test (everything else, and CPU steal) makes a machine contended
// or starved: a cluster that loads its own small machine is what is
// measured, not a neighbour that skews it.
//
// Shares are measured over each interval, from the difference of two
// readings of the kernel's cumulative counters, not from the kernel's own
// moving averages (PSI's avg10 lags a 1-s interval by ten). Every signal
// and threshold is defined in docs/measurement.md, "Host conditions".
package host

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"time"

	"github.com/selfheal/selfheal/chaos/result"
)

// DefaultInterval is how often the host is sampled: often enough to see a
// 10-s stall, rarely enough to cost nothing (see BenchmarkSample).
const DefaultInterval = time.Second

// signal indexes a Sample's values.
type signal int

const (
	sigSteal signal = iota
	sigIOWait
	sigCPUPressure
	sigMemoryPressure
	sigIOPressure
	sigLoad
	sigSelfCPU
	sigClusterCPU
	sigOtherCPU
	sigOutsidePressure
	sigClusterPressure
	numSignals
)

// keys are the result keys of the signals, by index.
var keys = [numSignals]string{
	result.SignalSteal, result.SignalIOWait, result.SignalCPUPressure, result.SignalMemoryPressure,
	result.SignalIOPressure, result.SignalLoad, result.SignalSelfCPU,
	result.SignalClusterCPU, result.SignalOtherCPU, result.SignalOutsidePressure, result.SignalClusterPressure,
}

// Sample is the host over one interval ending At. Shares are percent
// (of all CPUs' time for steal and iowait, of wall time for pressure, of
// one core for selfheal's own CPU); load is the 1-minute load average per
// CPU at At.
type Sample struct {
	At     time.Time
	values [numSignals]float64
	has    uint16
}

// Value returns the signal with result key key, false when the sample
// does not have it.
func (s Sample) Value(key string) (float64, bool) {
	for i, k := range keys {
		if k == key {
			return s.values[i], s.has&(1<<i) != 0
		}
	}
	return 0, false
}

func (s *Sample) set(i signal, v float64) { s.values[i], s.has = v, s.has|1<<i }

// Option configures a Sampler.
type Option func(*config)

type config struct {
	proc     string
	fs       string
	interval time.Duration
	sut      func(context.Context) ([]int, error)
}

// WithProc reads the proc file system at root instead of /proc: tests
// point it at recorded snapshots.
func WithProc(root string) Option { return func(c *config) { c.proc = root } }

// WithRoot puts root before the cgroup mount points the proc file system
// names (/sys/fs/cgroup/...): tests point it at recorded trees.
func WithRoot(root string) Option { return func(c *config) { c.fs = root } }

// WithSystemUnderTest names the system under test by the PIDs of its
// containers' first processes (the kind node containers': docker
// inspect's .State.Pid). The sampler asks for them when it starts, reads
// their cgroups once, and then each one's CPU time every sample: their
// share of the CPU and of its pressure is the cluster's own, not from
// outside.
func WithSystemUnderTest(pids func(context.Context) ([]int, error)) Option {
	return func(c *config) { c.sut = pids }
}

// WithInterval sets the sampling interval (default DefaultInterval).
func WithInterval(d time.Duration) Option { return func(c *config) { c.interval = d } }

func newConfig(opts []Option) config {
	c := config{proc: "/proc", fs: "/", interval: DefaultInterval}
	for _, o := range opts {
		o(&c)
	}
	if c.interval <= 0 {
		c.interval = DefaultInterval
	}
	return c
}

// Sampler turns successive readings of /proc into Samples. It is not safe
// for concurrent use; Start runs one in a goroutine of its own.
type Sampler struct {
	r      reader
	sut    sut
	prev   counters
	prevAt time.Time
	primed bool
	cpus   int
	// why holds, per signal, why the latest reading lacked it.
	why [numSignals]string
}

// NewSampler returns a sampler of the proc file system the options name;
// ctx bounds the search for the system under test's containers.
func NewSampler(ctx context.Context, opts ...Option) *Sampler {
	c := newConfig(opts)
	return &Sampler{r: reader{root: c.proc, fs: c.fs}, sut: findSUT(ctx, c.proc, c.sut)}
}

// Sample reads the counters at at and returns the interval since the
// previous call. The first call only primes the sampler: it returns false.
func (s *Sampler) Sample(at time.Time) (Sample, bool) {
	cur := s.r.read(s.sut.files)
	prev, prevAt, primed := s.prev, s.prevAt, s.primed
	s.prev, s.prevAt, s.primed = cur, at, true
	if cur.cpus > 0 {
		s.cpus = cur.cpus
	}
	if !primed {
		s.noteMissing(cur)
		return Sample{}, false
	}
	return s.diff(prev, cur, at.Sub(prevAt), at), true
}

// CPUs is the number of CPUs /proc/stat lists (0 before a reading).
func (s *Sampler) CPUs() int { return s.cpus }

// Missing names each signal the latest reading lacked, and why.
func (s *Sampler) Missing() map[string]string {
	out := map[string]string{}
	for i, w := range s.why {
		if w != "" {
			out[keys[i]] = w
		}
	}
	return out
}

func (s *Sampler) diff(a, b counters, wall time.Duration, at time.Time) Sample {
	s.noteMissing(b)
	out := Sample{At: at}
	if b.cpuErr == nil && a.cpuErr == nil {
		var total uint64
		for i := 0; i < b.cpuFields; i++ {
			total += sub(b.cpu[i], a.cpu[i])
		}
		if total > 0 {
			share := func(i int) float64 { return 100 * float64(sub(b.cpu[i], a.cpu[i])) / float64(total) }
			if b.cpuFields > cpuIOWait {
				out.set(sigIOWait, share(cpuIOWait))
			}
			if b.cpuFields > cpuSteal {
				out.set(sigSteal, share(cpuSteal))
			}
		}
	}
	if wall > 0 {
		us := float64(wall.Microseconds())
		for i := range psiFiles {
			if a.psiErr[i] == nil && b.psiErr[i] == nil {
				out.set(sigCPUPressure+signal(i), min(100, 100*float64(sub(b.psi[i], a.psi[i]))/us))
			}
		}
		if a.selfErr == nil && b.selfErr == nil {
			out.set(sigSelfCPU, 100*float64(sub(b.self, a.self))/clockTicks/wall.Seconds())
		}
	}
	if b.loadEr == nil && s.cpus > 0 {
		out.set(sigLoad, b.load1/float64(s.cpus))
	}
	s.attribute(a, b, &out)
	return out
}

// attribute splits the interval's CPU time between the system under
// test, selfheal and everything else, and CPU pressure in the same
// proportions (docs/measurement.md, "Host conditions"). All in jiffies
// (USER_HZ, the unit of /proc/stat): the total is every column of
// /proc/stat; busy its user, nice, system, irq and softirq; selfheal's
// its utime and stime; the cluster's its cgroups' nanoseconds over
// 10⁷; everything else is busy less both, never below 0.
func (s *Sampler) attribute(a, b counters, out *Sample) {
	if a.cpuErr != nil || b.cpuErr != nil || a.selfErr != nil || b.selfErr != nil || b.cpuFields <= cpuSoftIRQ {
		return
	}
	var total, busy uint64
	for i := 0; i < b.cpuFields; i++ {
		total += sub(b.cpu[i], a.cpu[i])
	}
	for _, i := range busyFields {
		busy += sub(b.cpu[i], a.cpu[i])
	}
	if total == 0 {
		return
	}
	self := float64(sub(b.self, a.self))
	cluster, known := s.clusterJiffies(a, b)
	other := max(0, float64(busy)-self-cluster)
	pct := func(j float64) float64 { return min(100, 100*j/float64(total)) }
	out.set(sigOtherCPU, pct(other))
	if known {
		out.set(sigClusterCPU, pct(cluster))
	}
	pressure, ok := out.Value(result.SignalCPUPressure)
	if !ok {
		return
	}
	tasks := cluster + self + other
	if tasks == 0 {
		out.set(sigOutsidePressure, 0)
		if known {
			out.set(sigClusterPressure, 0)
		}
		return
	}
	out.set(sigOutsidePressure, pressure*other/tasks)
	if known {
		out.set(sigClusterPressure, pressure*cluster/tasks)
	}
}

// clusterJiffies is the system under test's CPU time between a and b, in
// jiffies: the sum over its cgroups read both times (a halted node has
// none; a restarted one starts again from 0 and counts nothing that
// interval). False when it has no cgroup to read.
func (s *Sampler) clusterJiffies(a, b counters) (float64, bool) {
	if len(s.sut.files) == 0 || len(a.sut) != len(b.sut) {
		return 0, false
	}
	var ns uint64
	read := 0
	for i := range b.sut {
		if a.sutErr[i] == nil && b.sutErr[i] == nil {
			ns += sub(b.sut[i], a.sut[i])
			read++
		}
	}
	if read == 0 {
		return 0, false
	}
	return float64(ns) / (1e9 / clockTicks), true
}

// noteMissing records why a reading lacks each signal it lacks.
func (s *Sampler) noteMissing(c counters) {
	s.why = [numSignals]string{}
	switch {
	case c.cpuErr != nil:
		s.why[sigSteal] = "no /proc/stat: " + c.cpuErr.Error()
		s.why[sigIOWait] = s.why[sigSteal]
	case c.cpuFields <= cpuSteal:
		s.why[sigSteal] = fmt.Sprintf("this kernel's /proc/stat has %d CPU columns, none for steal", c.cpuFields)
		if c.cpuFields <= cpuIOWait {
			s.why[sigIOWait] = s.why[sigSteal]
		}
	}
	for i, err := range c.psiErr {
		if err == nil {
			continue
		}
		why := "PSI unreadable: " + err.Error()
		if errors.Is(err, fs.ErrNotExist) {
			why = "the kernel has no PSI (no /proc/" + psiFiles[i] + ")"
		}
		s.why[sigCPUPressure+signal(i)] = why
	}
	if c.loadEr != nil {
		s.why[sigLoad] = "no load average: " + c.loadEr.Error()
	}
	if c.selfErr != nil {
		s.why[sigSelfCPU] = "no /proc/self/stat: " + c.selfErr.Error()
	}
	s.noteAttribution(c)
}

// noteMissing's part for the attributed signals.
func (s *Sampler) noteAttribution(c counters) {
	switch {
	case c.cpuErr != nil || c.selfErr != nil:
		s.why[sigOtherCPU] = "needs /proc/stat and /proc/self/stat"
	case c.cpuFields <= cpuSoftIRQ:
		s.why[sigOtherCPU] = fmt.Sprintf("this kernel's /proc/stat has %d CPU columns, too few to tell busy from idle", c.cpuFields)
	}
	s.why[sigOutsidePressure] = s.why[sigOtherCPU]
	if s.why[sigOutsidePressure] == "" {
		s.why[sigOutsidePressure] = s.why[sigCPUPressure]
	}
	cluster := s.sut.why
	if cluster == "" && len(c.sutErr) > 0 && !slices.ContainsFunc(c.sutErr, func(err error) bool { return err == nil }) {
		cluster = "no cgroup of the system under test could be read: " + errors.Join(c.sutErr...).Error()
	}
	if cluster == "" {
		cluster = s.why[sigOtherCPU]
	}
	s.why[sigClusterCPU] = cluster
	s.why[sigClusterPressure] = cluster
	if cluster == "" {
		s.why[sigClusterPressure] = s.why[sigCPUPressure]
	}
}

// sub is b-a for counters that only grow; a counter that went back (a
// reset) gives 0 rather than a huge share.
func sub(b, a uint64) uint64 {
	if b < a {
		return 0
	}
	return b - a
}

// cloneMissing copies a Missing map (nil when empty).
func cloneMissing(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return maps.Clone(m)
}
