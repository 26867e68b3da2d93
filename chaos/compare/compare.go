// Package compare sets two sets of results side by side, BASE and NEW
// (benchstat's order), and says per scenario and metric whether NEW is
// better, worse, or not clearly different at the sample size it has
// (chaos/stats: Mann-Whitney U, the Hodges-Lehmann interval of the
// difference, Benjamini-Hochberg across everything compared at once).
package compare

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/selfheal/selfheal/chaos/history"
	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/chaos/stats"
)

// Side is one side of a compare: the results and what the user called it.
type Side struct {
	Label   string
	Results []*result.Result
}

// Report is the whole comparison.
type Report struct {
	Base, New SideInfo
	// Differences says how the two sides differ in kind (rate, keep-alive,
	// fixture...): a compare is often made to see what such a change did.
	Differences []string
	Scenarios   []Scenario
	// OnlyBase and OnlyNew are scenarios one side has and the other not.
	OnlyBase, OnlyNew []string
	Alpha             float64
	Confidence        float64
	// Family is how many comparisons were tested together (the
	// correction's m).
	Family int
	Gates  []result.MetricKey
}

// SideInfo describes a side after filtering.
type SideInfo struct {
	Label   string
	Results int      // used
	Runs    []string // run ids, oldest first
	Left    []Left   // results left out, by reason
}

// Left is results left out of a side for one reason.
type Left struct {
	Reason string
	Count  int
}

// Scenario is one scenario's rows.
type Scenario struct {
	Name string
	Rows []Row
}

// Row is one metric compared.
type Row struct {
	Metric result.Metric
	// Gate says whether a worse verdict on this row fails the compare.
	Gate bool
	// BaseNever and NewNever count results whose figure never came (not
	// recovered, not healed): left out of this metric's values, and seen
	// in the recovered metric instead.
	BaseNever, NewNever int
	// BaseValues and NewValues are the figures compared, as they came.
	BaseValues, NewValues []float64
	stats.Comparison
}

// Option tunes Compare.
type Option func(*config)

type config struct {
	alpha, confidence float64
	gates             []result.MetricKey
	leave             []func(*result.Result) string
}

// WithAlpha sets the false-alarm rate across the whole compare (default
// stats.DefaultAlpha).
func WithAlpha(a float64) Option { return func(c *config) { c.alpha = a } }

// WithConfidence sets the level of the intervals (default 0.95).
func WithConfidence(l float64) Option { return func(c *config) { c.confidence = l } }

// WithGates chooses the metrics whose "worse" fails the compare (default
// DefaultGates).
func WithGates(keys ...result.MetricKey) Option { return func(c *config) { c.gates = keys } }

// WithLeaveOut leaves out the results for which why says a reason (a
// host that was starved, say); the report counts them per side.
func WithLeaveOut(why func(*result.Result) string) Option {
	return func(c *config) { c.leave = append(c.leave, why) }
}

// WithoutHost leaves out the results measured on a machine at least as
// loaded as level (result.HostContended or result.HostStarved), and those
// whose host's load is unknown: their figures may be the machine's rather
// than the service's.
func WithoutHost(level result.HostVerdict) Option {
	return WithLeaveOut(func(r *result.Result) string {
		if r.Conditions == nil {
			return ""
		}
		if v := r.Conditions.Verdict; v == level || v.Worse(level) {
			return "measured on " + v.Words() // unknown ranks above starved
		}
		return ""
	})
}

// DefaultGates are every metric but time to first error: a first error
// that comes later can be a gentler failure or a slower detection, so a
// change in it alone is shown, not judged.
func DefaultGates() []result.MetricKey {
	var keys []result.MetricKey
	for _, m := range result.Metrics() {
		if m.Key != result.KeyTimeToFirstError {
			keys = append(keys, m.Key)
		}
	}
	return keys
}

// ErrNothingInCommon is returned when the two sides share no scenario.
var ErrNothingInCommon = errors.New("BASE and NEW have no scenario in common")

// Compare compares NEW with BASE.
func Compare(base, new Side, opts ...Option) (*Report, error) {
	cfg := config{alpha: stats.DefaultAlpha, confidence: stats.DefaultConfidence, gates: DefaultGates()}
	for _, o := range opts {
		o(&cfg)
	}
	b, bInfo := filter(base, cfg.leave)
	n, nInfo := filter(new, cfg.leave)
	rep := &Report{Base: bInfo, New: nInfo, Alpha: cfg.alpha, Confidence: cfg.confidence, Gates: cfg.gates,
		Differences: kindDifferences(b, n)}
	bs, ns := byCell(b), byCell(n)
	for _, p := range pair(bs, ns) {
		switch {
		case p.base == "":
			rep.OnlyNew = append(rep.OnlyNew, p.new)
		case p.new == "":
			rep.OnlyBase = append(rep.OnlyBase, p.base)
		default:
			rep.Scenarios = append(rep.Scenarios, scenario(p.name, bs[p.base], ns[p.new], &cfg))
		}
	}
	if len(rep.Scenarios) == 0 {
		return rep, fmt.Errorf("%w (BASE: %v, NEW: %v)", ErrNothingInCommon, cells(bs), cells(ns))
	}
	rep.adjust()
	return rep, nil
}

func scenario(name string, base, new []*result.Result, cfg *config) Scenario {
	s := Scenario{Name: name}
	for _, m := range result.Metrics() {
		bv, bNever := values(m, base)
		nv, nNever := values(m, new)
		if len(bv) == 0 && len(nv) == 0 {
			continue // the metric does not apply to this scenario
		}
		dir := stats.LowerIsBetter
		if m.HigherIsBetter() {
			dir = stats.HigherIsBetter
		}
		c := stats.Compare(bv, nv, dir, stats.WithAlpha(cfg.alpha), stats.WithConfidence(cfg.confidence))
		s.Rows = append(s.Rows, Row{Metric: m, Gate: containsKey(cfg.gates, m.Key), BaseNever: bNever, NewNever: nNever, BaseValues: bv, NewValues: nv, Comparison: c})
	}
	return s
}

// adjust corrects every row of the compare together.
func (r *Report) adjust() {
	var cs []stats.Comparison
	for _, s := range r.Scenarios {
		for _, row := range s.Rows {
			cs = append(cs, row.Comparison)
		}
	}
	stats.Adjust(cs, r.Alpha)
	i := 0
	for si := range r.Scenarios {
		for ri := range r.Scenarios[si].Rows {
			r.Scenarios[si].Rows[ri].Comparison = cs[i]
			i++
		}
	}
	if len(cs) > 0 {
		r.Family = cs[0].FamilySize
	}
}

// Finding is a row that changed clearly.
type Finding struct {
	Scenario string
	Row      Row
}

// Worse lists the gating rows on which NEW is clearly worse: the compare
// fails when there is any.
func (r *Report) Worse() []Finding {
	var out []Finding
	for _, s := range r.Scenarios {
		for _, row := range s.Rows {
			if row.Gate && row.Verdict == stats.Worse {
				out = append(out, Finding{s.Name, row})
			}
		}
	}
	return out
}

// Changed lists every row, gating or not, with a clear difference.
func (r *Report) Changed() []Finding {
	var out []Finding
	for _, s := range r.Scenarios {
		for _, row := range s.Rows {
			if row.Verdict != stats.NoClearDifference {
				out = append(out, Finding{s.Name, row})
			}
		}
	}
	return out
}

// values are m's figures in rs, and how many never came.
func values(m result.Metric, rs []*result.Result) ([]float64, int) {
	var xs []float64
	never := 0
	for _, r := range rs {
		if v, ok := m.Value(r); ok {
			xs = append(xs, v)
		} else if m.Never != nil && m.Never(r) {
			never++
		}
	}
	return xs, never
}

// filter leaves out the results that could not run and those a leave-out
// rule names.
func filter(s Side, leave []func(*result.Result) string) ([]*result.Result, SideInfo) {
	info := SideInfo{Label: s.Label}
	counts := map[string]int{}
	var order []string
	var kept []*result.Result
	seen := map[string]bool{}
	for _, r := range s.Results {
		reason := ""
		if r.Outcome() == result.VerdictError {
			reason = "could not run to the end"
		}
		for _, why := range leave {
			if reason == "" {
				reason = why(r)
			}
		}
		if reason != "" {
			if counts[reason] == 0 {
				order = append(order, reason)
			}
			counts[reason]++
			continue
		}
		kept = append(kept, r)
		if id := runID(r); !seen[id] {
			seen[id] = true
			info.Runs = append(info.Runs, id)
		}
	}
	for _, reason := range order {
		info.Left = append(info.Left, Left{reason, counts[reason]})
	}
	info.Results = len(kept)
	return kept, info
}

func runID(r *result.Result) string {
	if r.Run != nil && r.Run.ID != "" {
		return r.Run.ID
	}
	return r.Started.UTC().Format("2006-01-02T15:04:05Z")
}

// kindDifferences says how the sides' settings differ, apart from the
// scenario: each field once, with both sides' values.
func kindDifferences(base, new []*result.Result) []string {
	kinds := func(rs []*result.Result) []history.Kind {
		seen := map[history.Kind]bool{}
		var out []history.Kind
		for _, r := range rs {
			if k := history.KindOf(r); !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
		return out
	}
	seen := map[string]bool{}
	var out []string
	for _, b := range kinds(base) {
		for _, n := range kinds(new) {
			if b.Scenario != n.Scenario {
				continue
			}
			for _, d := range b.Compare(n) {
				s := fmt.Sprintf("%s: BASE %s, NEW %s", d.Field, d.Ours, d.Theirs)
				if !seen[s] {
					seen[s] = true
					out = append(out, s)
				}
			}
		}
	}
	return out
}

// A cell is a scenario against a fixture variant: "image-roll", or
// "image-roll@no-prestop" for a variant other than the baseline. Results
// of different cells are never pooled.
func cellOf(r *result.Result) string { return r.Label() }

func scenarioOf(cell string) string {
	s, _, _ := strings.Cut(cell, "@")
	return s
}

func byCell(rs []*result.Result) map[string][]*result.Result {
	m := map[string][]*result.Result{}
	for _, r := range rs {
		m[cellOf(r)] = append(m[cellOf(r)], r)
	}
	return m
}

func cells(m map[string][]*result.Result) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// pairing is a BASE cell and a NEW cell compared under name; one of them
// empty when the other side has no match.
type pairing struct{ name, base, new string }

// pair matches the sides' cells: the same cell on both sides; and a
// scenario that each side ran against one variant only, whatever the
// variants (selfheal compare RUN/baseline RUN/no-pdb: the difference is
// the point, and Report.Differences names it).
func pair(bs, ns map[string][]*result.Result) []pairing {
	perScenario := func(m map[string][]*result.Result) map[string][]string {
		out := map[string][]string{}
		for _, c := range cells(m) {
			out[scenarioOf(c)] = append(out[scenarioOf(c)], c)
		}
		return out
	}
	bsc, nsc := perScenario(bs), perScenario(ns)
	var out []pairing
	done := map[string]bool{}
	for _, c := range cells(bs) {
		sc := scenarioOf(c)
		switch {
		case len(bsc[sc]) == 1 && len(nsc[sc]) == 1:
			n := nsc[sc][0]
			name := c
			if n != c {
				name = fmt.Sprintf("%s (%s → %s)", sc, variantOf(c), variantOf(n))
			}
			out = append(out, pairing{name, c, n})
			done[n] = true
		case ns[c] != nil:
			out = append(out, pairing{c, c, c})
			done[c] = true
		default:
			out = append(out, pairing{base: c})
		}
	}
	for _, c := range cells(ns) {
		if !done[c] {
			out = append(out, pairing{new: c})
		}
	}
	return out
}

func variantOf(cell string) string {
	if _, v, ok := strings.Cut(cell, "@"); ok {
		return v
	}
	return result.BaselineVariant
}

func containsKey(keys []result.MetricKey, k result.MetricKey) bool {
	for _, x := range keys {
		if x == k {
			return true
		}
	}
	return false
}
