package guard

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"syscall"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// Holder is who holds the run lease, in the words a second run prints.
type Holder struct {
	Run     string // the run's id
	Command string // "go test ./e2e", "selfheal run", ...
	Host    string
	PID     int
}

// Me is this process, running command for run.
func Me(command, run string) Holder {
	host, _ := os.Hostname()
	return Holder{Run: run, Command: command, Host: host, PID: os.Getpid()}
}

func (h Holder) String() string {
	return fmt.Sprintf("run %s (%s, pid %d on %s)", h.Run, h.Command, h.PID, h.Host)
}

// Annotations on the Lease that name its holder (HolderIdentity is the
// words, these are for reading back).
const (
	annRun     = "selfheal.dev/run"
	annCommand = "selfheal.dev/command"
	annHost    = "selfheal.dev/host"
	annPID     = "selfheal.dev/pid"
)

func holderOf(l *coordinationv1.Lease) Holder {
	a := l.Annotations
	pid, _ := strconv.Atoi(a[annPID])
	return Holder{Run: a[annRun], Command: a[annCommand], Host: a[annHost], PID: pid}
}

// ErrBusy is wrapped by Acquire when another live run holds the lease.
var ErrBusy = errors.New("the cluster is in use by another selfheal run")

// Lease is the run lease, held by this process until Release.
type Lease struct {
	client kubernetes.Interface
	me     Holder
	cfg    leaseConfig

	lost     chan struct{}
	lostOnce sync.Once
	stop     context.CancelFunc
	done     chan struct{}
}

type leaseConfig struct {
	wait     time.Duration
	duration time.Duration
	poll     time.Duration
	logf     func(format string, args ...any)
	alive    func(pid int) bool
}

// LeaseOption configures Acquire.
type LeaseOption func(*leaseConfig)

// DefaultWait is how long Acquire waits for another run's lease: long
// enough for a killed run's lease to expire (DefaultDuration).
const DefaultWait = 90 * time.Second

// DefaultDuration is how long a lease lasts without renewal.
const DefaultDuration = 30 * time.Second

// WithWait bounds how long Acquire waits for another run's lease (default
// DefaultWait).
func WithWait(d time.Duration) LeaseOption { return func(c *leaseConfig) { c.wait = d } }

// WithDuration is how long the lease lasts without renewal (default
// DefaultDuration; it is renewed every third of that).
func WithDuration(d time.Duration) LeaseOption { return func(c *leaseConfig) { c.duration = d } }

// WithLog sets where Acquire says that it waits, and renewal trouble goes.
func WithLog(logf func(format string, args ...any)) LeaseOption {
	return func(c *leaseConfig) { c.logf = logf }
}

// Acquire takes the run lease of the cluster cs talks to for me. When
// another run holds it, Acquire waits until that lease is released or
// expires, or its holder is seen dead (a process of this host that is
// gone), for at most the WithWait bound; then it refuses, naming the
// holder (ErrBusy). The lease is renewed in the background until Release.
func Acquire(ctx context.Context, cs kubernetes.Interface, me Holder, opts ...LeaseOption) (*Lease, error) {
	cfg := leaseConfig{wait: DefaultWait, duration: DefaultDuration, poll: time.Second,
		logf: func(string, ...any) {}, alive: processAlive}
	for _, o := range opts {
		o(&cfg)
	}
	l := &Lease{client: cs, me: me, cfg: cfg, lost: make(chan struct{}), done: make(chan struct{})}
	deadline := time.Now().Add(cfg.wait)
	said := false
	for {
		holder, why, err := l.tryTake(ctx)
		if err != nil {
			return nil, err
		}
		if holder == nil {
			if why != "" {
				cfg.logf("%s", why)
			}
			break
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("%w: %s holds %s/%s (%s); waited %s. Run again when it has ended, or stop it: a killed run's lease expires %s after its last renewal",
				ErrBusy, holderOf(holder), Namespace, LeaseName, why, cfg.wait, cfg.duration)
		}
		if !said {
			cfg.logf("the cluster is in use by %s (%s); waiting up to %s for it", holderOf(holder), why, cfg.wait)
			said = true
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for the run lease held by %s: %w", holderOf(holder), context.Cause(ctx))
		case <-time.After(cfg.poll):
		}
	}
	rctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	l.stop = stop
	go l.renew(rctx)
	return l, nil
}

// tryTake takes the lease if it is free, and otherwise returns the lease
// that keeps it from being taken and why it still counts. why is also set
// when a lease was taken over (from whom, and why that was allowed).
func (l *Lease) tryTake(ctx context.Context) (*coordinationv1.Lease, string, error) {
	leases := l.client.CoordinationV1().Leases(Namespace)
	cur, err := leases.Get(ctx, LeaseName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		_, err = leases.Create(ctx, l.object(&coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: LeaseName, Namespace: Namespace}}), metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) {
			return l.tryTake(ctx)
		}
		return nil, "", l.wrap(err)
	}
	if err != nil {
		return nil, "", l.wrap(err)
	}
	free, why := l.takeable(cur)
	if !free {
		return cur, why, nil
	}
	if _, err := leases.Update(ctx, l.object(cur.DeepCopy()), metav1.UpdateOptions{}); apierrors.IsConflict(err) {
		return l.tryTake(ctx) // someone else moved first: look again
	} else if err != nil {
		return nil, "", l.wrap(err)
	}
	return nil, why, nil
}

func (l *Lease) wrap(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("taking the run lease %s/%s: %w", Namespace, LeaseName, err)
}

// takeable says whether cur may be taken, and why (or why not).
func (l *Lease) takeable(cur *coordinationv1.Lease) (bool, string) {
	if cur.Spec.HolderIdentity == nil || *cur.Spec.HolderIdentity == "" {
		return true, ""
	}
	h := holderOf(cur)
	if h.Host == l.me.Host && h.PID == l.me.PID {
		return true, ""
	}
	renewed := time.Time{}
	if cur.Spec.RenewTime != nil {
		renewed = cur.Spec.RenewTime.Time
	}
	dur := l.cfg.duration
	if cur.Spec.LeaseDurationSeconds != nil {
		dur = time.Duration(*cur.Spec.LeaseDurationSeconds) * time.Second
	}
	ago := time.Since(renewed).Round(time.Second)
	if time.Since(renewed) > dur {
		return true, fmt.Sprintf("took over the run lease of %s: it expired (last renewed %s ago)", h, ago)
	}
	if h.Host == l.me.Host && h.PID > 0 && !l.cfg.alive(h.PID) {
		return true, fmt.Sprintf("took over the run lease of %s: that process is gone", h)
	}
	return false, fmt.Sprintf("renewed %s ago, expires in %s", ago, (dur - time.Since(renewed)).Round(time.Second))
}

// object makes lease ours, renewed now.
func (l *Lease) object(lease *coordinationv1.Lease) *coordinationv1.Lease {
	now := metav1.NowMicro()
	id := l.me.String()
	secs := int32(l.cfg.duration / time.Second)
	if lease.Annotations == nil {
		lease.Annotations = map[string]string{}
	}
	lease.Annotations[annRun] = l.me.Run
	lease.Annotations[annCommand] = l.me.Command
	lease.Annotations[annHost] = l.me.Host
	lease.Annotations[annPID] = strconv.Itoa(l.me.PID)
	lease.Spec = coordinationv1.LeaseSpec{HolderIdentity: &id, LeaseDurationSeconds: &secs, AcquireTime: &now, RenewTime: &now}
	return lease
}

// renew keeps the lease fresh until stopped; a lease someone else took
// (after this process could not renew it in time) is reported by Lost.
//
// A renewal that fails (the API server restarting, say) is tried again
// every poll rather than every third of the duration, so the lease is
// renewed within a poll of the API's return: before it expires, or before
// a run waiting for it can take it over. Each attempt is bounded, so a
// request that hangs cannot stall the renewals. Only the first failure of
// a run of them is logged, and the renewal that ends it.
func (l *Lease) renew(ctx context.Context) {
	defer close(l.done)
	defer func() {
		if p := recover(); p != nil {
			l.cfg.logf("warning: renewing the run lease stopped (panic: %v); it expires in %s", p, l.cfg.duration)
		}
	}()
	every := l.cfg.duration / 3
	timer := time.NewTimer(every)
	defer timer.Stop()
	var failedSince time.Time
	failed := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		lost, err := l.renewOnce(ctx, every)
		if lost {
			return
		}
		switch {
		case err != nil && ctx.Err() != nil:
			return
		case err != nil:
			if failed == 0 {
				failedSince = time.Now()
				l.cfg.logf("warning: renewing the run lease: %v (trying again every %s; it expires %s after its last renewal)", err, l.cfg.poll, l.cfg.duration)
			}
			failed++
			timer.Reset(min(l.cfg.poll, every))
			continue
		case failed > 0:
			l.cfg.logf("the run lease is renewed again, after %d failed attempts over %s", failed, time.Since(failedSince).Round(100*time.Millisecond))
			failed = 0
		}
		timer.Reset(every)
	}
}

// renewOnce renews the lease, within timeout; lost says that another run
// holds it now.
func (l *Lease) renewOnce(ctx context.Context, timeout time.Duration) (lost bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	leases := l.client.CoordinationV1().Leases(Namespace)
	cur, err := leases.Get(ctx, LeaseName, metav1.GetOptions{})
	if err != nil {
		return false, err
	}
	if !l.mine(cur) {
		l.cfg.logf("warning: the run lease was taken by %s: this run must not inject more faults", holderOf(cur))
		l.lostOnce.Do(func() { close(l.lost) })
		return true, nil
	}
	now := metav1.NowMicro()
	cur.Spec.RenewTime = &now
	_, err = leases.Update(ctx, cur, metav1.UpdateOptions{})
	return false, err
}

func (l *Lease) mine(cur *coordinationv1.Lease) bool {
	h := holderOf(cur)
	return cur.Spec.HolderIdentity != nil && h.Host == l.me.Host && h.PID == l.me.PID
}

// Lost is closed when another run took the lease (this one could not
// renew it in time): no more faults may be injected.
func (l *Lease) Lost() <-chan struct{} {
	if l == nil {
		return nil
	}
	return l.lost
}

// Release stops renewing and gives the lease up, if it is still ours.
func (l *Lease) Release(ctx context.Context) error {
	if l == nil {
		return nil
	}
	l.stop()
	<-l.done
	leases := l.client.CoordinationV1().Leases(Namespace)
	cur, err := leases.Get(ctx, LeaseName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("releasing the run lease: %w", err)
	}
	if !l.mine(cur) {
		return nil
	}
	rv := cur.ResourceVersion
	err = leases.Delete(ctx, LeaseName, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{ResourceVersion: &rv}})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("releasing the run lease: %w (it expires in %s)", err, l.cfg.duration)
	}
	return nil
}

// processAlive reports whether a process of this host exists.
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
