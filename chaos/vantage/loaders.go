package vantage

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"

	"github.com/selfheal/selfheal/chaos/load"
	"github.com/selfheal/selfheal/chaos/loader"
	"github.com/selfheal/selfheal/chaos/measure"
	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/chaos/scenario"
)

// Spec is a fleet of loaders: Count pods, loader i on Nodes[i mod
// len(Nodes)], each sending Rate requests a second per stream at Targets
// (the app's Service), from the image Image.
type Spec struct {
	Count   int
	Nodes   []string
	Rate    float64
	Timeout time.Duration
	// KeepAlive is loader.KeepAliveOff, On or Both (two streams, two
	// vantage points: new and reused connections).
	KeepAlive string
	Targets   []string
	// Host is the Host header of every request (the site's own).
	Host  string
	Image string
	// Service names the Service the targets are ("namespace/name"), for
	// the vantage point's description; empty if they are not one.
	Service string
}

// entry is where the loaders send: the Service and the address they
// reach it by, or the address alone.
func (s Spec) entry() string {
	if s.Service == "" {
		return hostOf(s.Targets)
	}
	return "Service " + s.Service + " at " + hostOf(s.Targets)
}

// Check refuses a spec that cannot run, naming what is wrong.
func (s Spec) Check() error {
	switch {
	case s.Count < 1:
		return fmt.Errorf("loaders: want at least 1, got %d", s.Count)
	case len(s.Nodes) == 0:
		return errors.New("loaders: no node to run them on")
	case s.Image == "":
		return errors.New("loaders: no image")
	}
	streams, err := loader.StreamsOf(s.KeepAlive)
	if err != nil {
		return fmt.Errorf("loaders: %w", err)
	}
	cfg := loader.Config{Targets: s.Targets, Rate: s.Rate, Timeout: s.Timeout, Streams: streams, Host: s.Host}
	if err := cfg.Check(); err != nil {
		return fmt.Errorf("loaders: %w", err)
	}
	return nil
}

// Loaders is the inside vantage point: a fleet of loader pods started for
// each scenario (Jobs in Namespace) and stopped after it. Their requests
// come back through their logs, followed through the API as they run,
// and their send times are put on the harness's clock by an NTP-style
// exchange through exec before and after the load (docs/measurement.md,
// "Vantage points").
type Loaders struct {
	spec      Spec
	client    kubernetes.Interface
	access    Access
	namespace string
	cfg       config
}

type config struct {
	startTimeout time.Duration
	maxDuration  time.Duration
	exchanges    int
	retry        time.Duration
	logf         func(format string, args ...any)
}

// Option configures Loaders.
type Option func(*config)

// WithStartTimeout bounds the wait for every loader to run (default 2 min).
func WithStartTimeout(d time.Duration) Option { return func(c *config) { c.startTimeout = d } }

// WithMaxDuration is when a loader stops by itself, and its Job's
// deadline after that: the dead man's switch of a harness that vanished
// (default loader.DefaultMaxDuration).
func WithMaxDuration(d time.Duration) Option { return func(c *config) { c.maxDuration = d } }

// WithExchanges sets how many clock questions each reading asks
// (default loader.DefaultExchanges).
func WithExchanges(n int) Option { return func(c *config) { c.exchanges = n } }

// WithRetry sets how long a follower waits before reading a cut log
// again (default 1 s).
func WithRetry(d time.Duration) Option { return func(c *config) { c.retry = d } }

// WithLog says what the fleet does (default: nothing).
func WithLog(logf func(format string, args ...any)) Option { return func(c *config) { c.logf = logf } }

// NewLoaders checks spec and returns the fleet; nothing is created before
// a scenario starts it.
func NewLoaders(client kubernetes.Interface, access Access, spec Spec, opts ...Option) (*Loaders, error) {
	if err := spec.Check(); err != nil {
		return nil, err
	}
	cfg := config{startTimeout: 2 * time.Minute, maxDuration: loader.DefaultMaxDuration, exchanges: loader.DefaultExchanges,
		retry: time.Second, logf: func(string, ...any) {}}
	for _, o := range opts {
		o(&cfg)
	}
	return &Loaders{spec: spec, client: client, access: access, namespace: Namespace, cfg: cfg}, nil
}

// Prepare makes the namespace the loaders run in and removes loaders an
// earlier run left (killed before it stopped them): they would load the
// app beside this run's.
func (l *Loaders) Prepare(ctx context.Context) error {
	if err := ensureNamespace(ctx, l.client, l.namespace); err != nil {
		return err
	}
	return removeLoaders(ctx, l.client, l.namespace, "")
}

// loaderConfig is what every loader of the fleet runs.
func (l *Loaders) loaderConfig(scenarioName string) loader.Config {
	return loader.Config{Targets: l.spec.Targets, Rate: l.spec.Rate, Timeout: cmp.Or(l.spec.Timeout, load.DefaultTimeout), MaxDuration: l.cfg.maxDuration,
		Host: l.spec.Host, Name: scenarioName + "@inside"}
}

// Start creates the fleet's Jobs, waits until every loader's log shows it
// loading, and reads every loader's clock. Any failure removes the fleet.
func (l *Loaders) Start(ctx context.Context, scenarioName string) (scenario.Running, error) {
	id, err := fleetID()
	if err != nil {
		return nil, err
	}
	f := &fleet{Loaders: l, id: id, load: l.loaderConfig(scenarioName)}
	if err := f.start(ctx, scenarioName); err != nil {
		f.abort()
		return nil, fmt.Errorf("the inside vantage point (%d loaders on %s): %w", l.spec.Count, strings.Join(l.spec.Nodes, ", "), err)
	}
	return f, nil
}

func fleetID() (string, error) {
	b := make([]byte, 3)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("naming the loaders: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// fleet is one scenario's loaders.
type fleet struct {
	*Loaders
	id        string
	load      loader.Config
	cancel    context.CancelFunc
	followers []*follower
}

func (f *fleet) selector() string { return LabelFleet + "=" + f.id }

func (f *fleet) start(ctx context.Context, scenarioName string) error {
	for i := range f.spec.Count {
		node := f.spec.Nodes[i%len(f.spec.Nodes)]
		job := loaderJob(f.namespace, f.id, scenarioName, i, node, f.spec.Image, f.load, f.spec.KeepAlive)
		if _, err := f.client.BatchV1().Jobs(f.namespace).Create(ctx, job, metav1.CreateOptions{FieldManager: ManagedBy}); err != nil {
			return fmt.Errorf("creating loader Job %s: %w", job.Name, err)
		}
	}
	pods, err := f.waitRunning(ctx)
	if err != nil {
		return err
	}
	fctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	f.cancel = cancel
	for _, p := range pods {
		fl := &follower{pod: p.Name, node: p.Spec.NodeName, col: loader.NewCollector(), done: make(chan struct{})}
		f.followers = append(f.followers, fl)
		go fl.follow(fctx, f)
	}
	if err := f.waitHeaders(ctx); err != nil {
		return err
	}
	f.readClocks(ctx, true)
	for _, fl := range f.followers {
		if len(fl.readings) == 0 {
			return fmt.Errorf("reading the clock of loader %s on %s: %s", fl.pod, fl.node, fl.clockErr)
		}
	}
	f.Loaders.cfg.logf("loaders %s: %d running on %s; clocks %s", f.id, len(pods), strings.Join(f.spec.Nodes, ", "), f.clocks())
	return nil
}

// waitRunning waits until each loader's pod runs; on a timeout the error
// says where each one was stuck.
func (f *fleet) waitRunning(ctx context.Context) ([]corev1.Pod, error) {
	var pods []corev1.Pod
	var why string
	err := wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, f.Loaders.cfg.startTimeout, true, func(ctx context.Context) (bool, error) {
		list, err := f.client.CoreV1().Pods(f.namespace).List(ctx, metav1.ListOptions{LabelSelector: f.selector()})
		if err != nil {
			why = err.Error()
			return false, nil
		}
		pods = list.Items
		running, stuck := 0, []string{}
		for _, p := range pods {
			if p.Status.Phase == corev1.PodRunning {
				running++
				continue
			}
			if p.Status.Phase == corev1.PodFailed || p.Status.Phase == corev1.PodSucceeded {
				return false, fmt.Errorf("loader pod %s ended before it was stopped: %s", p.Name, podWhy(p))
			}
			stuck = append(stuck, p.Name+": "+podWhy(p))
		}
		why = fmt.Sprintf("%d of %d running", running, f.spec.Count)
		if len(stuck) > 0 {
			why += "; " + strings.Join(stuck, "; ")
		}
		return running == f.spec.Count && len(pods) == f.spec.Count, nil
	})
	if err != nil {
		return nil, fmt.Errorf("waiting for the loader pods (%s): %w", why, err)
	}
	slices.SortFunc(pods, func(a, b corev1.Pod) int { return strings.Compare(a.Name, b.Name) })
	return pods, nil
}

// podWhy says why a pod is not running: its phase and the reason its
// container or its scheduling gives.
func podWhy(p corev1.Pod) string {
	parts := []string{string(p.Status.Phase)}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse {
			parts = append(parts, "not scheduled: "+c.Message)
		}
	}
	for _, cs := range p.Status.ContainerStatuses {
		switch {
		case cs.State.Waiting != nil:
			parts = append(parts, cs.State.Waiting.Reason+" "+cs.State.Waiting.Message)
		case cs.State.Terminated != nil:
			parts = append(parts, fmt.Sprintf("exited %d (%s)", cs.State.Terminated.ExitCode, cs.State.Terminated.Reason))
		}
	}
	return strings.TrimSpace(strings.Join(parts, ", "))
}

// waitHeaders waits until every loader's log shows its header: its load
// runs.
func (f *fleet) waitHeaders(ctx context.Context) error {
	tctx, cancel := context.WithTimeout(ctx, f.Loaders.cfg.startTimeout)
	defer cancel()
	for _, fl := range f.followers {
		select {
		case <-fl.col.HeaderSeen():
		case <-fl.done:
			return fmt.Errorf("loader %s on %s stopped before it began: %s", fl.pod, fl.node, fl.lost)
		case <-tctx.Done():
			return fmt.Errorf("loader %s on %s wrote nothing in %s (its log: %v)", fl.pod, fl.node, f.Loaders.cfg.startTimeout, fl.lastErr())
		}
	}
	return nil
}

// readClocks reads every running loader's clock, all at once.
func (f *fleet) readClocks(ctx context.Context, atStart bool) {
	var wg sync.WaitGroup
	for _, fl := range f.followers {
		if !atStart && fl.finished() {
			continue // its load is over: no clock left to read
		}
		wg.Go(func() {
			r, err := readClockWell(ctx, f.access, f.namespace, fl.pod, f.Loaders.cfg.exchanges)
			fl.mu.Lock()
			defer fl.mu.Unlock()
			if err != nil {
				fl.clockErr = err.Error()
				return
			}
			fl.readings = append(fl.readings, r)
		})
	}
	wg.Wait()
}

func (f *fleet) clocks() string {
	var parts []string
	for _, fl := range f.followers {
		for _, r := range fl.readings {
			parts = append(parts, fmt.Sprintf("%s %+.1f ± %.1f ms", fl.node, r.OffsetMS, r.UncertaintyMS))
		}
	}
	return strings.Join(parts, ", ")
}

// Stop reads the clocks again, deletes the Jobs (their pods get SIGTERM:
// each loader stops sending, waits for its requests in flight and writes
// its last line), waits for every log to end and hands the requests over.
func (f *fleet) Stop(ctx context.Context) []scenario.Seen {
	f.readClocks(ctx, false)
	delErr := f.deleteJobs(ctx)
	grace := f.load.Timeout + 20*time.Second
	wctx, cancel := context.WithTimeout(ctx, grace)
	defer cancel()
	for _, fl := range f.followers {
		select {
		case <-fl.done:
		case <-wctx.Done():
		}
	}
	f.cancel()
	for _, fl := range f.followers {
		<-fl.done
	}
	seen := f.seen()
	if delErr != nil {
		for i := range seen {
			seen[i].Notes = append(seen[i].Notes, delErr.Error())
		}
	}
	return seen
}

// abort removes a fleet that did not start.
func (f *fleet) abort() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if f.cancel != nil {
		f.cancel()
	}
	if err := f.deleteJobs(ctx); err != nil {
		f.Loaders.cfg.logf("loaders %s: %v", f.id, err)
	}
}

func (f *fleet) deleteJobs(ctx context.Context) error {
	return removeLoaders(ctx, f.client, f.namespace, f.selector())
}

// removeLoaders deletes the loader Jobs matching selector (every loader
// when it is empty) with their pods: foreground deletion, so each pod is
// deleted gracefully (SIGTERM) before its Job goes.
func removeLoaders(ctx context.Context, cs kubernetes.Interface, namespace, selector string) error {
	sel := LabelManagedBy + "=" + ManagedBy + "," + LabelComponent + "=" + ComponentLoader
	if selector != "" {
		sel += "," + selector
	}
	fg := metav1.DeletePropagationForeground
	err := cs.BatchV1().Jobs(namespace).DeleteCollection(ctx, metav1.DeleteOptions{PropagationPolicy: &fg}, metav1.ListOptions{LabelSelector: sel})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("deleting the loader Jobs (%s): %w", sel, err)
	}
	return nil
}

// seen puts each stream's requests from every loader on the harness's
// clock, one vantage point per stream.
func (f *fleet) seen() []scenario.Seen {
	streams, _ := loader.StreamsOf(f.spec.KeepAlive)
	out := make([]scenario.Seen, 0, len(streams))
	for s, keepAlive := range streams {
		conn := result.ConnectionsOf(keepAlive)
		seen := scenario.Seen{Point: result.VantagePoint{
			Name: result.VantageName(result.VantageInside, conn, len(streams) > 1), Kind: result.VantageInside, Connections: conn,
			From: fmt.Sprintf("%d loader pods on %s, to %s", f.spec.Count, strings.Join(uniq(f.spec.Nodes[:min(f.spec.Count, len(f.spec.Nodes))]), ", "), f.spec.entry()),
		}}
		var parts []measure.Part
		for _, fl := range f.followers {
			info, part, ok := fl.stream(s, f.spec.Rate)
			seen.Loaders = append(seen.Loaders, info)
			if ok {
				parts = append(parts, part)
			}
			seen.Notes = append(seen.Notes, fl.notes()...)
		}
		seen.Input = measure.Merge(parts)
		if seen.Input.Epoch.IsZero() {
			seen.Input.Epoch = time.Now()
		}
		settings, err := load.New(f.spec.Targets, load.Rate(f.spec.Rate*float64(f.spec.Count)), load.Timeout(f.load.Timeout), load.KeepAlive(keepAlive))
		if err == nil {
			seen.Input.Load = settings.Settings()
		}
		seen.Error = lostWords(seen.Loaders)
		seen.Partial = seen.Error != ""
		out = append(out, seen)
	}
	return out
}

// lostWords says which loaders' streams were cut, "" when none was.
func lostWords(ls []result.Loader) string {
	var lost []string
	for _, l := range ls {
		if !l.Ended {
			lost = append(lost, fmt.Sprintf("%s on %s: %s", l.Pod, l.Node, l.Lost))
		}
	}
	if len(lost) == 0 {
		return ""
	}
	return fmt.Sprintf("%d of %d loaders did not report to the end (%s)", len(lost), len(ls), strings.Join(lost, "; "))
}

func uniq(xs []string) []string {
	var out []string
	for _, x := range xs {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}
