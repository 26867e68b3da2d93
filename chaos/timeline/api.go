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
// not read as a quiet cluster: the gap is on it, with its length. A gap
// takes two unanswered probes in a row (dated from the first): one probe
// can be slow for other reasons (it shares the client's rate limit with
// the harness's other requests).
func (r *Recorder) watchAPI(ctx context.Context) {
	if r.apiProbe == nil || r.apiEvery <= 0 {
		return
	}
	r.done.Add(1)
	go func() {
		defer r.done.Done()
		tick := time.NewTicker(r.apiEvery)
		defer tick.Stop()
		var gap apiGap
		gap.lastOK = time.Now()
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
			if e, ok := gap.probed(sent, time.Now(), err); ok {
				r.Add(e)
			}
		}
	}()
}

// apiGap follows the API probes' answers.
type apiGap struct {
	lastOK    time.Time // the last answer
	firstFail time.Time // the first of the unanswered probes in a row
	firstErr  error
	failed    int // unanswered probes in a row
	down      bool
}

// probed takes the answer (err) to a probe sent at sent, back at now, and
// returns the event it makes, if any.
func (g *apiGap) probed(sent, now time.Time, err error) (result.Event, bool) {
	switch {
	case err != nil:
		if g.failed == 0 {
			g.firstFail, g.firstErr = sent, err
		}
		g.failed++
		if g.failed != 2 {
			return result.Event{}, false
		}
		g.down = true
		return result.Event{At: g.firstFail, Kind: APIKind, Object: APIObject, Reason: APIUnreachable,
			Message: fmt.Sprintf("the API server does not answer (last answer %s before): %v", g.firstFail.Sub(g.lastOK).Round(100*time.Millisecond), g.firstErr)}, true
	case g.down:
		e := result.Event{At: now, Kind: APIKind, Object: APIObject, Reason: APIReady,
			Message: fmt.Sprintf("the API server answers again, after %s without an answer (%d failed probes)", now.Sub(g.lastOK).Round(100*time.Millisecond), g.failed)}
		*g = apiGap{lastOK: now}
		return e, true
	default:
		*g = apiGap{lastOK: now}
		return result.Event{}, false
	}
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
