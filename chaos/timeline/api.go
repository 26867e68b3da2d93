package timeline

import (
	"context"
	"fmt"
	"time"

	utilnet "k8s.io/apimachinery/pkg/util/net"
	"k8s.io/client-go/tools/cache"

	"github.com/selfheal/selfheal/chaos/result"
)

// What the API watch writes: its lane in the report and its reasons.
const (
	APIKind        = "api"
	APIObject      = "kube-apiserver"
	APIUnreachable = "Unreachable"
	APIReady       = "Ready"
)

// DefaultAPIEvery is how often the recorder asks the API server whether
// it answers: a gap shows to within a second, for one light request a
// second.
const DefaultAPIEvery = time.Second

// apiProbeTimeout: an answer slower than this is not one.
const apiProbeTimeout = 2 * time.Second

// WithAPIProbe sets how the recorder asks whether the API server answers
// (by default its /readyz, chaos/kube.Readyz) and how often; a nil probe
// turns the API watch off.
func WithAPIProbe(probe func(ctx context.Context) error, every time.Duration) Option {
	return func(r *Recorder) { r.apiProbe, r.apiEvery, r.apiSet = probe, every, true }
}

// watchAPI records when the API server stops answering and when it answers
// again. While it is away the informers hear nothing; they list and watch
// again once it is back, so no change is lost, but a quiet timeline must
// not read as a quiet cluster: the gap is on it, with its length.
func (r *Recorder) watchAPI(ctx context.Context) {
	if r.apiProbe == nil || r.apiEvery <= 0 {
		return
	}
	r.done.Add(1)
	go func() {
		defer r.done.Done()
		tick := time.NewTicker(r.apiEvery)
		defer tick.Stop()
		lastOK, down, failed := time.Now(), false, 0
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			sent := time.Now()
			pctx, cancel := context.WithTimeout(ctx, apiProbeTimeout)
			err := r.apiProbe(pctx)
			cancel()
			if ctx.Err() != nil {
				return
			}
			now := time.Now()
			switch {
			case err != nil && !down:
				down, failed = true, 1
				r.Add(result.Event{At: sent, Kind: APIKind, Object: APIObject, Reason: APIUnreachable,
					Message: fmt.Sprintf("the API server does not answer (last answer %s ago): %v", sent.Sub(lastOK).Round(100*time.Millisecond), err)})
			case err != nil:
				failed++
			case down:
				down = false
				r.Add(result.Event{At: now, Kind: APIKind, Object: APIObject, Reason: APIReady,
					Message: fmt.Sprintf("the API server answers again, after %s without an answer (%d failed probes)", now.Sub(lastOK).Round(100*time.Millisecond), failed)})
				lastOK = now
			default:
				lastOK = now
			}
		}
	}()
}

// watchError replaces client-go's handler of an informer's list or watch
// failure. While the API server is away every informer fails and retries,
// and the default handler prints a line to stderr for each, over the run's
// console; the API watch already puts that gap on the timeline, so such
// failures (refused, reset, cut short, timed out) are dropped. Any other
// failure (forbidden, say), or any failure when there is no API watch,
// goes to the default handler.
func (r *Recorder) watchError(ctx context.Context, refl *cache.Reflector, err error) {
	if r.apiProbe != nil && unreachable(err) {
		return
	}
	cache.DefaultWatchErrorHandler(ctx, refl, err)
}

// unreachable says whether err is the API server not being there.
func unreachable(err error) bool {
	return utilnet.IsConnectionRefused(err) || utilnet.IsConnectionReset(err) || utilnet.IsProbableEOF(err) ||
		utilnet.IsTimeout(err) || utilnet.IsHTTP2ConnectionLost(err)
}
