package expect

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/selfheal/selfheal/chaos/result"
)

// The scenarios the claims are about, short for the catalog's names
// (chaos/result spells each once).
const (
	wpConfig  = result.ScenarioWPConfigBreak
	eviction  = result.ScenarioPodEviction
	imageRoll = result.ScenarioImageRoll
)

// Slack the claims allow, from the fixture's settings and the measuring
// path (fixtures/wordpress/manifests/wordpress.yaml, docs/measurement.md).
const (
	// untilRestart: a broken pod that no probe removes serves errors until
	// its container stops, which the timeline sees as the restart a moment
	// later; the last failure must fall within this of the restart.
	untilRestart = 5 * time.Second
	// propagation: once the readiness probe marks the pod NotReady, its
	// endpoint leaves every kube-proxy; requests sent after that go to the
	// healthy pod. A request sent up to this long after the NotReady was
	// seen may still have been routed to the broken pod.
	propagation = 3 * time.Second
)

// Claims are the write-ups' observations, each with the measurable form
// that is checked.
func Claims() []Expectation {
	return []Expectation{
		{ID: "statefulset-1-drops-on-roll", Scenario: imageRoll, Variant: "statefulset-1", Over: Every,
			Claim: "a one-replica StatefulSet drops requests during an image roll, readiness probe or not (failed requests > 0)",
			Check: failedRequests},
		{ID: "deployment-1-surge-rolls-clean", Scenario: imageRoll, Variant: "deployment-1-surge", Over: Every,
			Claim: "a one-replica Deployment with maxSurge 1 / maxUnavailable 0 and readiness rolls without loss (no 5xx, no outage over one request interval)",
			Check: noLossBeyondOneInterval},
		{ID: "liveness-none-never-heals", Scenario: wpConfig, Variant: "liveness-none", Over: Every,
			Claim: "without liveness, a broken wp-config never heals (no restart; the pod is not Ready again while watched)",
			Check: neverHealed},
		{ID: "liveness-tcp-never-heals", Scenario: wpConfig, Variant: "liveness-tcp", Over: Every,
			Claim: "with tcpSocket liveness, a broken wp-config never heals either (port 80 stays open: no restart)",
			Check: neverHealed},
		{ID: "liveness-http-heals", Scenario: wpConfig, Variant: result.BaselineVariant, Over: Every,
			Claim: "with httpGet liveness, a broken wp-config heals (the container is restarted and every replica is Ready again)",
			Check: healedByRestart},
		{ID: "readiness-none-errors-until-restart", Scenario: wpConfig, Variant: "readiness-none", Over: Every,
			Claim: fmt.Sprintf("without readiness, the broken pod keeps serving errors until its restart (failures go on to within %s of the restart)", untilRestart),
			Check: errorsUntilRestart},
		{ID: "readiness-stops-errors", Scenario: wpConfig, Variant: result.BaselineVariant, Over: Every,
			Claim: fmt.Sprintf("with readiness, only the requests sent before the probe notices fail (no failure later than %s after the pod is NotReady, none near the restart)", propagation),
			Check: errorsUntilNotReady},
		{ID: "no-pdb-can-leave-none", Scenario: eviction, Variant: "no-pdb", Over: Some,
			Claim: "without a PodDisruptionBudget, evicting both pods can leave no replica serving (a second with no success)",
			Check: fullOutage},
		{ID: "pdb-never-leaves-none", Scenario: eviction, Variant: result.BaselineVariant, Over: Every,
			Claim: "with the PodDisruptionBudget, evicting both pods never leaves no replica serving (no second without a success)",
			Check: not(fullOutage)},
		{ID: "no-prestop-roll-loses", Scenario: imageRoll, Variant: "no-prestop", Over: Some,
			Claim: "without preStop, a roll loses requests to the endpoint-removal race (refused, reset, EOF, 502 or 503; on 2 cores the difference may be small)",
			Check: raceFailures},
		{ID: "prestop-roll-clean", Scenario: imageRoll, Variant: result.BaselineVariant, Over: Every,
			Claim: "with the preStop sleep, a roll loses no request to the endpoint-removal race",
			Check: not(raceFailures)},
		{ID: "no-prestop-eviction-loses", Scenario: eviction, Variant: "no-prestop", Over: Some,
			Claim: "without preStop, an eviction loses requests to the endpoint-removal race (refused, reset, EOF, 502 or 503; on 2 cores the difference may be small)",
			Check: raceFailures},
		{ID: "prestop-eviction-clean", Scenario: eviction, Variant: result.BaselineVariant, Over: Every,
			Claim: "with the preStop sleep, an eviction loses no request to the endpoint-removal race",
			Check: not(raceFailures)},
	}
}

func not(check func(*result.Result) (bool, string)) func(*result.Result) (bool, string) {
	return func(r *result.Result) (bool, string) {
		ok, why := check(r)
		return !ok, why
	}
}

func failedRequests(r *result.Result) (bool, string) {
	return r.Requests.Failed > 0, fmt.Sprintf("%d of %d requests failed (%s), downtime %s, longest outage %s",
		r.Requests.Failed, r.Requests.Total, causes(r), ms(r.DowntimeMS), ms(r.LongestOutageMS))
}

func noLossBeyondOneInterval(r *result.Result) (bool, string) {
	longest := 0
	for _, o := range r.Outages {
		longest = max(longest, o.Requests)
	}
	why := fmt.Sprintf("%d 5xx, longest outage %s (%d request(s) in a row; one interval is %s)",
		r.Server5xx, ms(r.LongestOutageMS), longest, ms(r.Analysis.ResolutionMS))
	return r.Server5xx == 0 && longest <= 1, why
}

func neverHealed(r *result.Result) (bool, string) {
	restart, restarted := firstAfterInjection(r, "container", "Restarted")
	// Never seen broken is not "never healed": the claim is about a
	// fault Kubernetes saw and left unhealed.
	unhealed := r.Healing != nil && r.Healing.Of() == result.HealingNotHealed
	why := healingWords(r) + "; " + recoveryWords(r)
	if restarted {
		why += fmt.Sprintf("; a container was restarted %s after the injection (%s)", since(r, restart.At), restart.Object)
	} else {
		why += "; no container restart"
	}
	return unhealed && !restarted, why
}

func healedByRestart(r *result.Result) (bool, string) {
	restart, restarted := firstAfterInjection(r, "container", "Restarted")
	healed := r.Healing != nil && r.Healing.Of() == result.HealingHealed
	why := healingWords(r)
	if restarted {
		why += fmt.Sprintf("; %s restarted %s after the injection", restart.Object, since(r, restart.At))
	} else {
		why += "; no container restart seen"
	}
	return healed && restarted, why
}

func errorsUntilRestart(r *result.Result) (bool, string) {
	restart, ok := firstAfterInjection(r, "container", "Restarted")
	last, failed := lastFailure(r)
	switch {
	case !ok:
		return false, "no container restart seen while watched; " + recoveryWords(r)
	case !failed:
		return false, "no request failed after the injection"
	}
	gap := restart.At.Sub(last)
	return gap <= untilRestart, fmt.Sprintf("failures until %s after the injection, the restart %s after it (%s apart); %d 5xx",
		since(r, last), since(r, restart.At), round(gap), r.Server5xx)
}

func errorsUntilNotReady(r *result.Result) (bool, string) {
	notReady, ok := firstAfterInjection(r, "pod", "NotReady")
	restart, restarted := firstAfterInjection(r, "container", "Restarted")
	last, failed := lastFailure(r)
	switch {
	case !failed:
		return true, "no request failed after the injection"
	case !ok:
		return false, fmt.Sprintf("failures until %s after the injection, and no pod seen NotReady", since(r, last))
	}
	why := fmt.Sprintf("failures until %s after the injection; %s NotReady %s after it", since(r, last), notReady.Object, since(r, notReady.At))
	if restarted {
		why += fmt.Sprintf("; restart %s after it", since(r, restart.At))
	}
	held := !last.After(notReady.At.Add(propagation)) && (!restarted || restart.At.Sub(last) > untilRestart)
	return held, why
}

func fullOutage(r *result.Result) (bool, string) {
	return r.FullOutageSeconds > 0, fmt.Sprintf("%d second(s) without a success, %d degraded; longest outage %s, %d failed (%s)",
		r.FullOutageSeconds, r.DegradedSeconds, ms(r.LongestOutageMS), r.Requests.Failed, causes(r))
}

// raceClasses are how the endpoint-removal race shows: a request routed
// to a pod that stopped listening (refused), closed its connections
// (reset, EOF), or a proxy answering for it (502, 503). Timeouts are left
// out: on a small machine a new pod's slow first requests time out with
// or without preStop.
var (
	raceErrors = []string{"refused", "reset", "eof"}
	raceCodes  = []string{"502", "503"}
)

func raceFailures(r *result.Result) (bool, string) {
	n := 0
	var parts []string
	for _, c := range raceErrors {
		if k := r.Errors[c]; k > 0 {
			n += k
			parts = append(parts, fmt.Sprintf("%d %s", k, c))
		}
	}
	for _, c := range raceCodes {
		if k := r.StatusCodes[c]; k > 0 {
			n += k
			parts = append(parts, fmt.Sprintf("%d × %s", k, c))
		}
	}
	why := fmt.Sprintf("%d lost to the race", n)
	if len(parts) > 0 {
		why += " (" + strings.Join(parts, ", ") + ")"
	}
	why += fmt.Sprintf("; %d failed in all (%s)", r.Requests.Failed, causes(r))
	return n > 0, why
}

// firstInjection is the first injection's instant; zero without one.
func firstInjection(r *result.Result) time.Time {
	if len(r.Injections) == 0 {
		return time.Time{}
	}
	return r.Injections[0].At
}

// firstAfterInjection is the first timeline event of kind and reason
// about WordPress (its pods, "wordpress-…", and their "…/wordpress"
// container) at or after the first injection: a MySQL restart says
// nothing about these claims.
func firstAfterInjection(r *result.Result, kind, reason string) (result.Event, bool) {
	from := firstInjection(r)
	for _, e := range r.Events {
		if e.Kind == kind && e.Reason == reason && !e.At.Before(from) && aboutWordPress(e) {
			return e, true
		}
	}
	return result.Event{}, false
}

func aboutWordPress(e result.Event) bool {
	pod, container, isContainer := strings.Cut(e.Object, "/")
	if isContainer {
		return container == "wordpress"
	}
	return strings.HasPrefix(pod, "wordpress-")
}

// lastFailure is when the failures after the first injection ended: the
// end of the last outage that opened after it (an outage ends at the send
// time of the success that closed it, so every failure came before).
func lastFailure(r *result.Result) (time.Time, bool) {
	from := firstInjection(r)
	var last time.Time
	for _, o := range r.Outages {
		if !o.End.Before(from) && o.End.After(last) {
			last = o.End
		}
	}
	return last, !last.IsZero()
}

func healingWords(r *result.Result) string {
	switch {
	case r.Healing == nil:
		return "healing not checked"
	case r.Healing.Of() == result.HealingNeverBroken:
		return "Kubernetes never saw it broken"
	case r.Healing.Of() == result.HealingHealed && r.Healing.MS != nil:
		return "healed in " + ms(*r.Healing.MS)
	case r.Healing.Of() == result.HealingHealed:
		return "healed"
	}
	return "not healed: " + r.Healing.Condition
}

func recoveryWords(r *result.Result) string {
	if r.Recovered && r.RecoveryMS != nil {
		return "the service recovered in " + ms(*r.RecoveryMS)
	}
	if r.ObservedMS != nil {
		return "the service did not recover in the " + ms(*r.ObservedMS) + " watched"
	}
	return "the service did not recover"
}

func causes(r *result.Result) string {
	counts := map[string]int{}
	for code, n := range r.StatusCodes {
		if strings.HasPrefix(code, "5") {
			counts[code] += n
		}
	}
	for class, n := range r.Errors {
		counts[class] += n
	}
	if len(counts) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %d", k, counts[k]))
	}
	return strings.Join(parts, ", ")
}

func since(r *result.Result, t time.Time) string {
	return round(t.Sub(firstInjection(r)))
}

func round(d time.Duration) string { return d.Round(100 * time.Millisecond).String() }

func ms(v float64) string { return round(time.Duration(v * float64(time.Millisecond))) }
