package vantage_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/selfheal/selfheal/chaos/loader"
	"github.com/selfheal/selfheal/chaos/vantage"
)

// cluster plays what the fleet needs of Kubernetes: a Job makes a
// running pod on the node its affinity names, whose container runs the
// real loader (chaos/loader) on a clock offset by its node's, writing a
// log that the API serves as the kubelet does (follow, since); exec runs
// the loader's clock; deleting the Jobs sends each container SIGTERM.
type cluster struct {
	t      *testing.T
	cs     *fake.Clientset
	offset map[string]time.Duration // node clock minus true time
	// leg is how long each leg of a clock exchange takes: question, answer.
	leg [2]time.Duration
	// cutAfter ends the first follow of every log after this many bytes,
	// as an API server restart does.
	cutAfter int

	mu         sync.Mutex
	containers map[string]*container
}

type container struct {
	node   string
	offset time.Duration
	cancel context.CancelFunc
	log    logBuffer
	cut    bool
}

// logBuffer is a container log: each write stamped with the node's clock.
type logBuffer struct {
	mu     sync.Mutex
	data   []byte
	stamps []stamp
	closed bool
	grew   chan struct{}
	offset time.Duration
}

type stamp struct {
	at  time.Time
	off int
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		// the node died: what its loader writes after is never read (a
		// last line written while the test cancels it raced the reader)
		return len(p), nil
	}
	l.stamps = append(l.stamps, stamp{time.Now().Add(l.offset), len(l.data)})
	l.data = append(l.data, p...)
	close(l.grew)
	l.grew = make(chan struct{})
	return len(p), nil
}

func (l *logBuffer) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	close(l.grew)
	l.grew = make(chan struct{})
}

// from is where a read since t (node clock, whole seconds as the API
// takes it) starts.
func (l *logBuffer) from(since time.Time) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	since = since.Truncate(time.Second)
	for _, s := range l.stamps {
		if !s.at.Before(since) {
			return s.off
		}
	}
	return len(l.data)
}

func newCluster(t *testing.T, offsets map[string]time.Duration) *cluster {
	c := &cluster{t: t, cs: fake.NewClientset(), offset: offsets, containers: map[string]*container{}}
	c.cs.PrependReactor("create", "jobs", c.createJob)
	c.cs.PrependReactor("delete-collection", "jobs", c.deleteJobs)
	t.Cleanup(func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		for _, ct := range c.containers {
			ct.cancel()
		}
	})
	return c
}

// createJob starts the Job's one pod at once, on the node of its affinity.
func (c *cluster) createJob(a k8stesting.Action) (bool, runtime.Object, error) {
	job := a.(k8stesting.CreateAction).GetObject().(*batchv1.Job)
	tpl := job.Spec.Template
	node := tpl.Spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms[0].MatchExpressions[0].Values[0]
	offset, ok := c.offset[node]
	if !ok {
		return true, nil, fmt.Errorf("no node %s", node)
	}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: job.Name + "-x7k2p", Namespace: job.Namespace, Labels: tpl.Labels},
		Spec:       *tpl.Spec.DeepCopy(),
		Status: corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{{
			Name: vantage.LoaderContainer, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}},
		}}},
	}
	pod.Spec.NodeName = node
	if err := c.cs.Tracker().Add(pod); err != nil {
		return true, nil, err
	}
	cfg, err := loader.ParseRun(tpl.Spec.Containers[0].Args[1:], io.Discard)
	if err != nil {
		return true, nil, fmt.Errorf("the Job's loader arguments: %w", err)
	}
	cfg.ClockOffset = offset
	cfg.FlushEvery = 50 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	ct := &container{node: node, offset: offset, cancel: cancel}
	ct.log.grew = make(chan struct{})
	ct.log.offset = offset
	c.mu.Lock()
	c.containers[pod.Name] = ct
	c.mu.Unlock()
	go func() {
		defer ct.log.close()
		if _, err := loader.Run(ctx, cfg, &ct.log); err != nil {
			c.t.Errorf("loader %s: %v", pod.Name, err)
		}
		// The container ended: the pod goes, as a deleted Job's does.
		_ = c.cs.Tracker().Delete(corev1.SchemeGroupVersion.WithResource("pods"), pod.Namespace, pod.Name)
	}()
	return false, nil, nil // the tracker stores the Job
}

// deleteJobs sends SIGTERM to the matching pods' loaders.
func (c *cluster) deleteJobs(a k8stesting.Action) (bool, runtime.Object, error) {
	sel, err := labels.Parse(a.(k8stesting.DeleteCollectionAction).GetListRestrictions().Labels.String())
	if err != nil {
		return true, nil, err
	}
	pods, err := c.cs.Tracker().List(corev1.SchemeGroupVersion.WithResource("pods"), corev1.SchemeGroupVersion.WithKind("Pod"), a.GetNamespace())
	if err != nil {
		return true, nil, err
	}
	for _, p := range pods.(*corev1.PodList).Items {
		if sel.Matches(labels.Set(p.Labels)) {
			c.mu.Lock()
			if ct := c.containers[p.Name]; ct != nil {
				ct.cancel()
			}
			c.mu.Unlock()
		}
	}
	jobsGVR := batchv1.SchemeGroupVersion.WithResource("jobs")
	jobs, err := c.cs.Tracker().List(jobsGVR, batchv1.SchemeGroupVersion.WithKind("Job"), a.GetNamespace())
	if err != nil {
		return true, nil, err
	}
	for _, j := range jobs.(*batchv1.JobList).Items {
		if sel.Matches(labels.Set(j.Labels)) {
			if err := c.cs.Tracker().Delete(jobsGVR, j.Namespace, j.Name); err != nil {
				return true, nil, err
			}
		}
	}
	return true, nil, nil
}

func (c *cluster) container(pod string) (*container, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ct := c.containers[pod]
	if ct == nil {
		return nil, fmt.Errorf("pods %q not found", pod)
	}
	return ct, nil
}

// Logs serves a container's log from since, following it to its end.
func (c *cluster) Logs(ctx context.Context, namespace, pod, name string, since time.Time, follow bool) (io.ReadCloser, error) {
	ct, err := c.container(pod)
	if err != nil {
		return nil, err
	}
	off := 0
	if !since.IsZero() {
		off = ct.log.from(since)
	}
	c.mu.Lock()
	cut := c.cutAfter > 0 && !ct.cut && follow
	ct.cut = ct.cut || cut
	c.mu.Unlock()
	pr, pw := io.Pipe()
	go func() {
		sent := 0
		for {
			ct.log.mu.Lock()
			chunk := bytes.Clone(ct.log.data[off:])
			closed, grew := ct.log.closed, ct.log.grew
			ct.log.mu.Unlock()
			if cut && sent+len(chunk) > c.cutAfter {
				chunk = chunk[:max(c.cutAfter-sent, 0)]
				_, _ = pw.Write(chunk)
				pw.CloseWithError(errors.New("unexpected EOF: the API server went away"))
				return
			}
			if len(chunk) > 0 {
				if _, err := pw.Write(chunk); err != nil {
					return
				}
				off += len(chunk)
				sent += len(chunk)
			}
			if closed || !follow {
				pw.Close()
				return
			}
			select {
			case <-grew:
			case <-ctx.Done():
				pw.CloseWithError(ctx.Err())
				return
			}
		}
	}()
	return pr, nil
}

// Exec runs the loader's clock, each leg of the exchange delayed.
func (c *cluster) Exec(ctx context.Context, namespace, pod, name string, stdin io.Reader, stdout io.Writer, command ...string) error {
	ct, err := c.container(pod)
	if err != nil {
		return err
	}
	if !slices.Equal(command, []string{vantage.LoaderBinary, "clock"}) {
		return fmt.Errorf("exec %q: not the clock", command)
	}
	return loader.AnswerClock(delayed{stdin, c.leg[0]}, delayedW{stdout, c.leg[1]}, ct.offset)
}

type delayed struct {
	r io.Reader
	d time.Duration
}

func (d delayed) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)
	time.Sleep(d.d)
	return n, err
}

type delayedW struct {
	w io.Writer
	d time.Duration
}

func (d delayedW) Write(p []byte) (int, error) {
	time.Sleep(d.d)
	return d.w.Write(p)
}

var podsGVR = corev1.SchemeGroupVersion.WithResource("pods")
