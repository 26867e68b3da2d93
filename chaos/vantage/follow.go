package vantage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/selfheal/selfheal/chaos/loader"
	"github.com/selfheal/selfheal/chaos/measure"
	"github.com/selfheal/selfheal/chaos/result"
)

// follower reads one loader's log as it is written, and again after a
// cut (an API server restart, a kubelet that stopped answering) from a
// little before where it was: the collector skips what it has.
type follower struct {
	pod, node string
	col       *loader.Collector
	done      chan struct{}

	mu       sync.Mutex
	readErr  error
	lost     string
	readings []result.ClockReading
	clockErr string
}

// follow reads the log until the loader's last line, until the pod or
// its container is gone, or until ctx ends (the stop's deadline).
func (fl *follower) follow(ctx context.Context, f *fleet) {
	defer close(fl.done)
	for {
		err := fl.read(ctx, f, true)
		if fl.col.End() != nil {
			return
		}
		fl.setErr(err)
		if ctx.Err() != nil {
			fl.setLost(fmt.Sprintf("no last line before the stop's deadline (last read: %v)", fl.lastErr()))
			return
		}
		if gone, why := containerGone(ctx, f.client, f.namespace, fl.pod); gone {
			// What the log still holds, once more without following.
			_ = fl.read(ctx, f, false)
			if fl.col.End() == nil {
				fl.setLost(why + " before its last line")
			}
			return
		}
		select {
		case <-ctx.Done():
		case <-time.After(f.Loaders.cfg.retry):
		}
	}
}

// read reads the log once, from where the collector may resume.
func (fl *follower) read(ctx context.Context, f *fleet, follow bool) error {
	var since time.Time
	if r := fl.col.Resume(); !r.IsZero() {
		// Whole seconds, on the node's clock, as the API takes it: a
		// second earlier still, so nothing is lost to the rounding.
		since = r.Add(-time.Second)
	}
	rc, err := f.access.Logs(ctx, f.namespace, fl.pod, LoaderContainer, since, follow)
	if err != nil {
		return err
	}
	defer rc.Close()
	return fl.col.Read(rc)
}

func (fl *follower) setErr(err error) {
	if err == nil {
		return
	}
	fl.mu.Lock()
	defer fl.mu.Unlock()
	fl.readErr = err
}

func (fl *follower) lastErr() error {
	fl.mu.Lock()
	defer fl.mu.Unlock()
	if fl.readErr == nil {
		return errors.New("no error, nothing written")
	}
	return fl.readErr
}

func (fl *follower) setLost(why string) {
	fl.mu.Lock()
	defer fl.mu.Unlock()
	fl.lost = why
}

// finished says whether the follower stopped reading.
func (fl *follower) finished() bool {
	select {
	case <-fl.done:
		return true
	default:
		return false
	}
}

// containerGone says whether the loader's pod is gone or its container
// ended, and in words which; an API that does not answer is not gone.
func containerGone(ctx context.Context, cs kubernetes.Interface, namespace, pod string) (bool, string) {
	p, err := cs.CoreV1().Pods(namespace).Get(ctx, pod, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return true, "its pod was deleted"
	case err != nil:
		return false, ""
	}
	for _, c := range p.Status.ContainerStatuses {
		if c.Name == LoaderContainer && c.State.Terminated != nil {
			t := c.State.Terminated
			return true, fmt.Sprintf("its container ended (exit code %d, %s)", t.ExitCode, t.Reason)
		}
	}
	if p.Status.Phase == corev1.PodFailed || p.Status.Phase == corev1.PodSucceeded {
		return true, "its pod ended (" + podWhy(*p) + ")"
	}
	return false, ""
}

// stream is what the loader sent on stream s: its line in the result and
// its requests with the clock offset they are corrected by. False when
// it wrote nothing.
func (fl *follower) stream(s int, rate float64) (result.Loader, measure.Part, bool) {
	info := result.Loader{Pod: fl.pod, Node: fl.node, Rate: rate, Ended: fl.col.End() != nil, Lost: fl.lost}
	info.Clock = append([]result.ClockReading(nil), fl.readings...)
	offset, uncertainty, ok := measure.Applied(fl.readings)
	if ok {
		info.AppliedMS, info.UncertaintyMS = msOf(offset), msOf(uncertainty)
	}
	if fl.col.Header() == nil {
		return info, measure.Part{}, false
	}
	in := fl.col.Input(s)
	info.Samples = len(in.Samples)
	if secs := in.End.Sub(in.Begin).Seconds(); secs > 0 {
		info.Achieved = float64(int(float64(info.Samples)/secs*100+0.5)) / 100
	}
	return info, measure.Part{Input: in, Offset: offset}, true
}

// notes says what the loader's log held besides its requests.
func (fl *follower) notes() []string {
	var out []string
	if n := fl.col.Missing(); n > 0 {
		out = append(out, fmt.Sprintf("Loader %s: %d request lines were missing from its log (rotated before they were read): those requests are not counted.", fl.pod, n))
	}
	if lines, more := fl.col.Foreign(); len(lines) > 0 {
		s := fmt.Sprintf("Loader %s printed: %q", fl.pod, lines)
		if more > 0 {
			s += fmt.Sprintf(" and %d more lines", more)
		}
		out = append(out, s)
	}
	if fl.clockErr != "" {
		out = append(out, fmt.Sprintf("Loader %s: a clock reading failed (%s); its offset comes from the others.", fl.pod, fl.clockErr))
	}
	return out
}

// Clock readings less certain than goodReading are taken again, up to
// readAttempts times in all, and the best is kept: on a busy node a whole
// exchange can be slow (a real run read −14.4 ± 15.1 ms, then
// +0.05 ± 0.42 ms a minute later), and each reading widens the offset's
// stated uncertainty (measure.Applied).
const (
	goodReading  = 2.0 // ms
	readAttempts = 3
)

// readClockWell reads a loader's clock until a reading is good, at most
// readAttempts times, and keeps the least uncertain.
func readClockWell(ctx context.Context, a Access, namespace, pod string, n int) (result.ClockReading, error) {
	var best result.ClockReading
	var err error
	ok := false
	for range readAttempts {
		r, rerr := readClock(ctx, a, namespace, pod, n)
		if rerr != nil {
			err = rerr
			continue
		}
		if !ok || r.UncertaintyMS < best.UncertaintyMS {
			best, ok = r, true
		}
		if best.UncertaintyMS <= goodReading {
			break
		}
	}
	if !ok {
		return best, err
	}
	return best, nil
}

// readClock reads a loader's clock through exec: `selfheal-loader clock`
// answers each question on its stdin with its clock (chaos/loader.AskClock).
func readClock(ctx context.Context, a Access, namespace, pod string, n int) (result.ClockReading, error) {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	errc := make(chan error, 1)
	go func() {
		err := a.Exec(ctx, namespace, pod, LoaderContainer, inR, outW, LoaderBinary, "clock")
		outW.CloseWithError(cmpErr(err, io.EOF))
		inR.CloseWithError(cmpErr(err, io.ErrClosedPipe))
		errc <- err
	}()
	ex, askErr := loader.AskClock(inW, outR, n)
	inW.Close()
	execErr := <-errc
	outR.Close()
	reading, ok := measure.Reading(ex)
	switch {
	case askErr != nil:
		return reading, fmt.Errorf("%w (exec: %v)", askErr, execErr)
	case !ok:
		return reading, fmt.Errorf("no answer (exec: %v)", execErr)
	}
	return reading, nil
}

func cmpErr(err, otherwise error) error {
	if err != nil {
		return err
	}
	return otherwise
}

func msOf(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// hostOf is the host the targets go to.
func hostOf(targets []string) string {
	if len(targets) == 0 {
		return ""
	}
	u, err := url.Parse(targets[0])
	if err != nil {
		return targets[0]
	}
	return u.Host
}

// ensureNamespace creates namespace unless it exists.
func ensureNamespace(ctx context.Context, cs kubernetes.Interface, name string) error {
	_, err := cs.CoreV1().Namespaces().Create(ctx, namespaceObject(name), metav1.CreateOptions{FieldManager: ManagedBy})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating namespace %s: %w", name, err)
	}
	return nil
}
