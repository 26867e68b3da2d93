// Package timeline records what Kubernetes did while a scenario ran: pod
// phase and Ready changes, container restarts with their reasons, probe
// failures, node Ready changes, EndpointSlice changes, rollout progress,
// evictions, and the gaps when the API server did not answer, each stamped
// with the host clock when selfheal saw it.
//
// It uses client-go informers, which re-list and re-watch after a broken
// watch (e2e-framework's watcher busy-loops on a closed watch instead of
// watching again). The host clock
// is the one vegeta stamps requests with, so events and requests line up;
// the object's own timestamp (metav1.Time has second precision; only an
// event's eventTime has microseconds) is
// kept beside it.
//
// One Recorder serves a whole run: start it once, and take each scenario's
// slice with Between.
package timeline

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"

	"github.com/selfheal/selfheal/chaos/kube"
	"github.com/selfheal/selfheal/chaos/result"
)

// Recorder collects events. Its methods are safe for concurrent use.
type Recorder struct {
	limit   int
	start   time.Time
	mu      sync.Mutex
	events  []result.Event
	dropped int
	pods    map[string]podState
	nodes   map[string]bool
	slices  map[string]sliceState
	deploys map[string]deployState
	sets    map[string]deployState
	daemons map[string]deployState

	apiProbe func(ctx context.Context) error
	apiEvery time.Duration
	apiSet   bool // WithAPIProbe was given (nil turns the watch off)

	cancel context.CancelFunc
	done   sync.WaitGroup
}

// Option configures a Recorder.
type Option func(*Recorder)

// WithLimit bounds the number of events kept; later ones are counted as
// dropped. The default, 20000, is hours of a busy namespace.
func WithLimit(n int) Option { return func(r *Recorder) { r.limit = n } }

// Start begins watching namespace (pods, EndpointSlices, Deployments,
// StatefulSets, DaemonSets, Events) and the cluster's nodes (and their Events),
// and whether the API server answers at all (WithAPIProbe), and returns once the informers' caches are synced: what exists then is the
// baseline, not an event.
func Start(ctx context.Context, cs kubernetes.Interface, namespace string, opts ...Option) (*Recorder, error) {
	r := &Recorder{
		limit: 20000,
		pods:  map[string]podState{}, nodes: map[string]bool{}, slices: map[string]sliceState{},
		deploys: map[string]deployState{}, sets: map[string]deployState{}, daemons: map[string]deployState{},
	}
	for _, o := range opts {
		o(r)
	}
	if !r.apiSet {
		r.apiProbe, r.apiEvery = kube.Readyz(cs), DefaultAPIEvery
	}
	r.start = time.Now()
	ctx, r.cancel = context.WithCancel(ctx)

	ns := informers.NewSharedInformerFactoryWithOptions(cs, 0, informers.WithNamespace(namespace))
	cluster := informers.NewSharedInformerFactoryWithOptions(cs, 0)
	regs := []struct {
		inf cache.SharedIndexInformer
		h   cache.ResourceEventHandler
	}{
		{ns.Core().V1().Pods().Informer(), r.podHandler()},
		{ns.Discovery().V1().EndpointSlices().Informer(), r.sliceHandler()},
		{ns.Apps().V1().Deployments().Informer(), r.deploymentHandler()},
		{ns.Apps().V1().StatefulSets().Informer(), r.statefulSetHandler()},
		{ns.Apps().V1().DaemonSets().Informer(), r.daemonSetHandler()},
		{ns.Events().V1().Events().Informer(), r.eventHandler(namespace)},
		{cluster.Core().V1().Nodes().Informer(), r.nodeHandler()},
	}
	factories := []informers.SharedInformerFactory{ns, cluster}
	// Node events (NodeNotReady, RegisteredNode...) live in "default".
	if namespace != corev1.NamespaceDefault {
		def := informers.NewSharedInformerFactoryWithOptions(cs, 0, informers.WithNamespace(corev1.NamespaceDefault))
		regs = append(regs, struct {
			inf cache.SharedIndexInformer
			h   cache.ResourceEventHandler
		}{def.Events().V1().Events().Informer(), r.eventHandler("")})
		factories = append(factories, def)
	}
	for _, reg := range regs {
		if _, err := reg.inf.AddEventHandler(reg.h); err != nil {
			r.cancel()
			return nil, fmt.Errorf("watching the cluster: %w", err)
		}
		if err := reg.inf.SetWatchErrorHandlerWithContext(r.watchError); err != nil {
			r.cancel()
			return nil, fmt.Errorf("watching the cluster: %w", err)
		}
	}
	for _, f := range factories {
		r.startFactory(ctx, f)
	}
	for _, reg := range regs {
		if !cache.WaitForCacheSync(ctx.Done(), reg.inf.HasSynced) {
			r.Stop()
			return nil, fmt.Errorf("watching the cluster: informer caches did not sync: %w", context.Cause(ctx))
		}
	}
	r.watchAPI(ctx)
	return r, nil
}

func (r *Recorder) startFactory(ctx context.Context, f informers.SharedInformerFactory) {
	f.Start(ctx.Done())
	r.done.Add(1)
	go func() {
		defer r.done.Done()
		<-ctx.Done()
		f.Shutdown()
	}()
}

// Stop ends the watches and waits for the informers to finish.
func (r *Recorder) Stop() {
	r.cancel()
	r.done.Wait()
}

// Add records an event the caller knows of (a fault injected, say), so it
// appears in order with what the cluster did.
func (r *Recorder) Add(e result.Event) {
	if e.At.IsZero() {
		e.At = time.Now()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.appendLocked(e)
}

func (r *Recorder) record(kind, object, reason, message string, objectTime *time.Time) {
	e := result.Event{At: time.Now(), ObjectTime: objectTime, Kind: kind, Object: object, Reason: reason, Message: message}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.appendLocked(e)
}

func (r *Recorder) appendLocked(e result.Event) {
	if len(r.events) >= r.limit {
		r.dropped++
		return
	}
	r.events = append(r.events, e)
}

// Between returns the events seen in [from, to], in time order. A zero to
// means up to now.
func (r *Recorder) Between(from, to time.Time) []result.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := []result.Event{}
	for _, e := range r.events {
		if e.At.Before(from) || (!to.IsZero() && e.At.After(to)) {
			continue
		}
		out = append(out, e)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out
}

// Dropped is how many events did not fit the limit.
func (r *Recorder) Dropped() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.dropped
}

// detailed adapts add/update/delete functions to a handler that ignores
// the objects of the initial list (they are the baseline) except to
// remember their state.
func detailed(add func(obj any, initial bool), update func(old, obj any), del func(obj any)) cache.ResourceEventHandler {
	return cache.ResourceEventHandlerDetailedFuncs{
		AddFunc:    add,
		UpdateFunc: update,
		DeleteFunc: func(obj any) {
			if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = tomb.Obj
			}
			del(obj)
		},
	}
}

type timeT = time.Time

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
