// Package sample makes selfheal results from scripts, for the report's
// tests and screenshots: a nightly history of every scenario, a failing
// night, a one-hour outage, a probe.
//
// A script says what the requests met, phase by phase; the package turns
// it into the request stream a load would have recorded (one measure.Sample
// per request) and hands it to the real analysis (chaos/measure.Analyze)
// and the real budgets (chaos/scenario.Budgets), so every figure in a
// sample is computed by the code that computes a real run's, by the
// definitions in docs/measurement.md. Only what the analysis takes from
// elsewhere is scripted: the Kubernetes events and the healing instant.
// The results say they are simulations in their Notes.
//
// Nothing in reports imports this package: it writes reports/testdata
// (go test ./internal/sample -update), which the report's tests read.
package sample

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/selfheal/selfheal/chaos/measure"
	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/chaos/scenario"
	"github.com/selfheal/selfheal/chaos/writes"
)

// Phase is a stretch of the run with one behaviour. Requests sent in
// [From, To) fail with probability FailP, with outcome Fail (a status
// such as "500" or "503", or an error class: "timeout", "refused",
// "reset", "eof", "dns"); successes take about LatencyMS.
type Phase struct {
	From, To  time.Duration
	FailP     float64
	Fail      string
	LatencyMS float64
	Status    int // success status, 200 when zero
}

// Event is a Kubernetes event at an offset from the start.
type Event struct {
	At      time.Duration
	Kind    string
	Object  string
	Reason  string
	Message string
}

// Proof is evidence the fault read back from the system, at an offset
// from the start (result.Evidence).
type Proof struct {
	At              time.Duration
	Check, Observed string
	Held            bool
}

// Mark is an injection or revert at an offset from the start.
type Mark struct {
	At     time.Duration
	Fault  string
	Detail string
}

// Spec scripts one scenario.
type Spec struct {
	Scenario    string
	Description string
	Run         *result.RunInfo
	Start       time.Time
	Duration    time.Duration
	Rate        float64
	Seed        uint64
	BaseLatency float64 // ms, for requests outside every phase
	Phases      []Phase
	Injections  []Mark
	Reverts     []Mark
	// Proofs are the fault's evidence; each is also a fault event, as
	// the engine writes it.
	Proofs      []Proof
	Events      []Event
	HealedAfter *time.Duration // from the first injection; nil: not healed
	HealCond    string
	LowerBounds []result.Bound
	Budgets     scenario.Budgets
	// Deadline is how long after the last injection a recovery counts, as
	// a scenario's Timing.Deadline; scenario.DefaultTiming's when zero.
	Deadline  time.Duration
	Targets   []string
	KeepAlive bool
	// Writes scripts a write stream beside the load; nil for none.
	Writes *Writes
	// Vantages script other vantage points, analysed from the same fault
	// instants (chaos/measure.Vantage); a control one charges the
	// downtime (chaos/measure.Charge).
	Vantages []VantageSpec
}

// VantageSpec scripts one vantage point: its requests meet Phases, at
// Rate, from the same start.
type VantageSpec struct {
	Point   result.VantagePoint
	Rate    float64
	Seed    uint64
	Targets []string
	Phases  []Phase
	Loaders []result.Loader
	Error   string
}

// Writes scripts a write stream: one write every 1/Rate from the start,
// numbered from 1. Those sent in [FailFrom, FailTo) fail with FailWith
// (a status or an error class) and are not stored; Lost are acknowledged
// but not stored, Twice stored twice, AnswerLost stored but failed (with
// FailWith). The database check reads what the script stored.
type Writes struct {
	Rate             float64
	FailFrom, FailTo time.Duration
	FailWith         string
	Lost, Twice      []int
	AnswerLost       []int
}

// timeout is the load's per-request timeout: a timed-out request's latency.
const timeout = 2 * time.Second

// Build simulates the scenario's requests and analyses them as a scenario
// run would. It panics on a script the analysis refuses: scripts are
// fixed, and a broken one must stop the test that builds it.
func Build(s Spec) *result.Result {
	in := measure.Input{
		Scenario: s.Scenario,
		Epoch:    s.Start,
		End:      s.Start.Add(s.Duration),
		Samples:  simulate(s),
		Load: result.Load{
			Rate: s.Rate, TimeoutMS: float64(timeout.Milliseconds()), Timeout: timeout.String(), Targets: s.Targets,
			KeepAlive: s.KeepAlive, Redirects: "not followed", MaxBody: 4096, Workers: 10,
		},
	}
	for _, m := range s.Injections {
		in.Injections = append(in.Injections, measure.Mark{At: s.Start.Add(m.At), Fault: m.Fault, Detail: m.Detail})
	}
	for _, m := range s.Reverts {
		in.Reverts = append(in.Reverts, measure.Mark{At: s.Start.Add(m.At), Fault: m.Fault, Detail: m.Detail})
	}
	in.Params.Deadline = deadline(s)
	r, err := measure.Analyze(in)
	if err != nil {
		panic(fmt.Sprintf("sample %s: %v", s.Scenario, err))
	}
	vantages(s, in, r)
	r.Description = s.Description
	r.Run = s.Run
	for _, e := range s.Events {
		at := s.Start.Add(e.At)
		obj := at.Truncate(time.Second)
		r.Events = append(r.Events, result.Event{At: at, ObjectTime: &obj, Kind: e.Kind, Object: e.Object, Reason: e.Reason, Message: e.Message})
	}
	for _, p := range s.Proofs {
		at := s.Start.Add(p.At)
		e := result.Evidence{At: at, Fault: s.Injections[0].Fault, Check: p.Check, Observed: p.Observed, Held: p.Held}
		r.Evidence = append(r.Evidence, e)
		reason := "Proved"
		if !p.Held {
			reason = "NotProved"
		}
		r.Events = append(r.Events, result.Event{At: at, Kind: "fault", Object: e.Fault, Reason: reason, Message: e.Check + ": " + e.Observed})
	}
	sort.SliceStable(r.Events, func(i, j int) bool { return r.Events[i].At.Before(r.Events[j].At) })
	if len(s.Injections) > 0 {
		r.Healing = healing(s)
	}
	r.LowerBounds = s.LowerBounds
	if s.Writes != nil {
		r.Writes = s.Writes.tally(s)
	}
	r.Budgets = s.Budgets.Check(r)
	if len(r.Budgets) > 0 {
		r.Verdict = result.Judge(r.Budgets)
	}
	r.Notes = append(r.Notes, "Synthetic sample: a simulated request stream, analysed as a real one, not a measurement.")
	return r
}

// deadline is the analysis deadline from the first injection, as a
// scenario computes it: its deadline after the last injection.
func deadline(s Spec) time.Duration {
	if len(s.Injections) == 0 {
		return 0
	}
	d := s.Deadline
	if d == 0 {
		d = scenario.DefaultTiming().Deadline
	}
	return s.Injections[len(s.Injections)-1].At - s.Injections[0].At + d
}

func healing(s Spec) *result.Healing {
	h := &result.Healing{Condition: s.HealCond}
	if s.HealedAfter != nil {
		at := s.Start.Add(s.Injections[0].At + *s.HealedAfter)
		v := float64(s.HealedAfter.Microseconds()) / 1000
		h.Healed, h.At, h.MS = true, &at, &v
	}
	return h
}

// simulate sends Rate requests per second, round-robin over the targets,
// each meeting the phase it is sent in.
func simulate(s Spec) []measure.Sample {
	rng := rand.New(rand.NewPCG(s.Seed, s.Seed^0x5e1f))
	n := int(s.Duration.Seconds() * s.Rate)
	out := make([]measure.Sample, 0, n)
	for i := range n {
		off := time.Duration(float64(i) / s.Rate * float64(time.Second))
		q := measure.Sample{Sent: off, Code: 200}
		if len(s.Targets) > 0 {
			q.Target = uint8(i % len(s.Targets))
		}
		lat := s.BaseLatency
		ph := phaseAt(s.Phases, off)
		if ph != nil {
			if ph.LatencyMS > 0 {
				lat = ph.LatencyMS
			}
			if ph.Status != 0 {
				q.Code = uint16(ph.Status)
			}
		}
		// A long-tailed latency: mostly near lat, sometimes a few times it.
		lat *= (0.7 + 0.5*rng.Float64()) * (1 + 3*math.Pow(rng.Float64(), 12))
		if ph != nil && rng.Float64() < ph.FailP {
			lat = failWith(&q, ph.Fail, lat, rng)
		}
		q.LatencyUS = uint32(lat * 1000)
		out = append(out, q)
	}
	return out
}

// class is the transport error a script names, false for a status.
func class(kind string) (measure.Class, bool) {
	switch kind {
	case "timeout":
		return measure.ClassTimeout, true
	case "refused":
		return measure.ClassRefused, true
	case "reset":
		return measure.ClassReset, true
	case "eof":
		return measure.ClassEOF, true
	case "dns":
		return measure.ClassDNS, true
	}
	return measure.ClassNone, false
}

// failWith makes q fail as kind says and returns its latency: a timeout
// takes the whole timeout, a refused connection under 2 ms, an error
// status less than a success.
func failWith(q *measure.Sample, kind string, lat float64, rng *rand.Rand) float64 {
	if c, ok := class(kind); ok {
		q.Code, q.Class = 0, c
		if c == measure.ClassTimeout {
			return float64(timeout.Milliseconds())
		}
		return 0.3 + rng.Float64()
	}
	code, err := strconv.Atoi(kind)
	if err != nil || code < 100 || code > 999 {
		panic(fmt.Sprintf("sample: phase fails with %q: want a status or an error class", kind))
	}
	q.Code = uint16(code)
	return lat * 0.4
}

func phaseAt(ps []Phase, off time.Duration) *Phase {
	for i := range ps {
		if off >= ps[i].From && off < ps[i].To {
			return &ps[i]
		}
	}
	return nil
}

// tally runs the scripted writes through the real tally (chaos/writes).
func (w *Writes) tally(s Spec) *result.Writes {
	in := func(seq int, list []int) bool { return slices.Contains(list, seq) }
	prefix := writes.Prefix(s.Run.ID, s.Scenario, s.Start)
	var ws []writes.Write
	rows := map[string]int{}
	every := time.Duration(float64(time.Second) / w.Rate)
	for seq := 1; time.Duration(seq)*every < s.Duration; seq++ {
		at := time.Duration(seq) * every
		x := writes.Write{ID: fmt.Sprintf("%s.%06d", prefix, seq), Sent: s.Start.Add(at), Latency: 40 * time.Millisecond, Code: 201, Acked: true}
		failing := at >= w.FailFrom && at < w.FailTo
		switch {
		case failing || in(seq, w.AnswerLost):
			x.Acked, x.Cause, x.Code = false, w.FailWith, 0
			if n, err := strconv.Atoi(w.FailWith); err == nil {
				x.Code = n
			}
			if in(seq, w.AnswerLost) {
				rows[x.ID]++
			}
		case in(seq, w.Lost):
		case in(seq, w.Twice):
			rows[x.ID] += 2
		default:
			rows[x.ID]++
		}
		ws = append(ws, x)
	}
	settings := result.Writes{Target: "http://127.0.0.1:30080/?rest_route=/selfheal/v1/writes", Rate: w.Rate, TimeoutMS: 5000, Prefix: prefix + "."}
	return writes.Tally(settings, ws, rows, nil, s.Start.Add(s.Duration))
}

// vantages analyses the scripted vantage points as a scenario run does
// (chaos/scenario's vantages): the same fault instants and parameters.
func vantages(s Spec, main measure.Input, r *result.Result) {
	if len(s.Vantages) == 0 {
		return
	}
	top := r.TopVantage()
	top.From = "the harness, to 127.0.0.1:30080"
	r.Vantage = &top
	for _, v := range s.Vantages {
		vs := s
		vs.Rate, vs.Seed, vs.Phases, vs.Targets = v.Rate, v.Seed, v.Phases, v.Targets
		in := main
		in.Samples = simulate(vs)
		in.Load.Rate, in.Load.Targets, in.Load.KeepAlive = v.Rate, v.Targets, v.Point.Connections == result.ConnectionsReused
		x, err := measure.Vantage(v.Point, in)
		if err != nil {
			panic(fmt.Sprintf("sample %s, vantage %s: %v", s.Scenario, v.Point.Name, err))
		}
		x.Loaders, x.Error = v.Loaders, v.Error
		r.Vantages = append(r.Vantages, x)
		if v.Point.Kind == result.VantageControl {
			r.Charged = measure.Charge(r.Outages, x)
		}
	}
}
