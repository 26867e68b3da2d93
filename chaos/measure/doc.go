// Package measure turns a stream of requests into the figures defined in
// docs/measurement.md: outages, downtime, 5xx and errors, time to first error,
// recovery and latency windows. It knows nothing of how the load is made:
// it works on Sample, a compact record of one request, so a run's memory
// grows by 16 bytes per request and nothing else (the chaos/load package
// feeds it from vegeta).
//
// # Live use
//
// A Recorder receives requests as they complete (Record) and the fault
// instants as a scenario makes them (Mark, Revert); Status gives a live
// view for a progress line. When the load has stopped, Recorder.Input
// snapshots the run and Analyze computes the result document.
//
// # Definitions
//
// All time arithmetic is on send times. Sample.Sent is an offset from the
// Recorder's epoch taken on the monotonic clock, so a wall-clock step
// during a run does not bend any figure; instants in the result are the
// epoch's wall clock plus that offset.
//
// A request fails when it has a transport error (Class != ClassNone), a
// status of 5xx (or below 200), or a 4xx with Params.FailOn4xx. 2xx and 3xx
// succeed; 4xx succeed by default and are counted apart (Client4xx).
//
// An outage opens at the send time of a failed request that follows a
// success (or starts the run) and closes at the send time of the next
// success. A run that ends failing leaves its last outage open; its end is
// the run's end (Input.End). Its cause is the cause with the most failed
// requests inside it (a status code such as "503" or an error class such
// as "timeout"); ties go to the cause seen first. Downtime is the sum of
// outage durations. The resolution of every edge is one request interval,
// 1/rate, recorded as analysis.resolution_ms.
//
// Full-outage and degraded seconds are counted over 1-second buckets
// aligned to the first request's send time: a bucket with requests and no
// success is a full-outage second, one with both failures and successes is
// degraded. A bucket with no request at all is neither. The timeline uses
// Params.Bucket (1 s by default) with the same alignment.
//
// The reference instant is the first injection. Without injections (a
// probe nobody marked) it is the send time of the first failed request,
// and recovery is measured from there (result.recovery_from says which).
// Time to first error is from the first injection to the first failed
// request sent at or after it; it is null without injections.
//
// Recovered is the send time of the first request of a run of successes
// that lasts the confirmation window (Params.ConfirmationWindow, 10 s by
// default) with no failure: a success sent at least a window after the
// run's first request, or the run reaching the end of the run at least a
// window after it. The search starts after the first failure that follows
// the reference and, with several injections, not before the last
// injection: top-level recovery covers the whole fault episode, from the
// first injection until the service is confirmed healthy after the last
// one. So an injection that caused no failure still extends the episode to
// its own instant. When nothing failed at or after the first injection,
// recovery is 0, recovered is the first injection and impact is "none".
// A recovery found later than Params.Deadline after the reference counts as
// not recovered; observed_ms is then how long the run was watched after the
// reference.
//
// When no request was sent at or after the last injection (or none at
// all), or the fault window holds fewer than one second's worth of
// requests (OneSecondOf the rate; the window runs from the first
// injection to the last revert, to the run's end without a revert, and
// result.Observation counts it), recovery is not observed
// (recovery_state "not_observed"): not recovered, no recovery time, no
// impact, no error ratio, no observed_ms. Whatever the service did while
// too few requests looked is unknown, and "nothing failed" would be a
// claim about it (result.Result.Unobserved: never a pass).
//
// Recovery after the revert (after_revert) applies the same search from
// the last revert, with no deadline: its first failure at or after the
// revert, then the first confirmed run of successes; 0 when nothing failed
// at or after the revert, not observed when no request was sent then.
//
// The achieved rate is requests over the time the load ran, from
// Input.Begin (the load's beginning, one interval before its first
// request) to the run's end. Well under the rate asked, the result says
// the load side could not keep up, unless Params.Partial says sources of
// a merged vantage point were lost (Merge): that loss is the reason.
//
// Each injection also carries its own figures: its time to first error
// counts only failures sent before the next injection (a later injection's
// failures are not its own); its recovery searches from that first failure
// with no other bound, so overlapping injections can share a recovery.
//
// The fault window runs from the reference to Recovered (to the run's end
// when not recovered). Error ratio is failed over all requests sent in it.
// Impact is "none" when it holds no failure, "full" when some 1-second
// bucket overlapping it had requests and no success, "partial" otherwise.
//
// Latency percentiles are nearest-rank over all requests of a window,
// failures included (a timeout shows as a latency near the timeout):
// baseline is before the reference (the whole run when there is none),
// impact is the fault window, after is from Recovered to the end.
package measure
