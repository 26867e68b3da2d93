package view

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/selfheal/selfheal/chaos/aggregate"
	"github.com/selfheal/selfheal/chaos/compare"
	"github.com/selfheal/selfheal/chaos/expect"
	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/chaos/stats"
)

// Variants is the page of a run over fixture variants (variants.html):
// per scenario, every variant's figures against baseline, a chart per
// metric, why each variant's numbers differ, read from its results, and
// which variant to pick.
type Variants struct {
	Title     string
	Generated string
	Headline  string
	// Recommendations has one entry per scenario.
	Recommendations []Recommendation
	Scenarios       []VariantScenario
	Method          []string
}

// Recommendation is what a scenario's results say to pick.
type Recommendation struct {
	Scenario, Anchor string
	// Best is the variant with the least median downtime of those whose
	// every repetition passed; empty when none passed.
	Best string
	// Text says it with the figure; Mover says which variant's change
	// moved downtime most from baseline, and whether that is clear.
	Text, Mover string
}

// VariantScenario is one scenario's variants.
type VariantScenario struct {
	Name, Anchor string
	// Metrics head the table's columns.
	Metrics []string
	Rows    []VariantRow
	Charts  []VariantChart
	Why     []VariantWhy
}

// VariantRow is one variant's figures, baseline first.
type VariantRow struct {
	Variant  string
	Fixture  string
	PassText string
	Verdict  result.Verdict
	Cells    []VariantCell
}

// VariantCell is one metric of one variant: its median and interval, and
// for a variant other than baseline the difference and its verdict.
type VariantCell struct {
	Median   string
	Interval string
	Diff     string
	CI       string
	// Verdict is empty for baseline and when the metric was not compared.
	Verdict stats.Verdict
	Words   string
	// Short is the verdict in a word or two for the table: "better",
	// "worse", "not clear".
	Short string
}

// VariantChart is one metric's strips, one per variant, on one axis.
type VariantChart struct {
	Key    result.MetricKey
	Metric string
	Max    string
	Strips []VariantStrip
}

// VariantStrip is one variant's repetitions on a chart.
type VariantStrip struct {
	Variant string
	Row     RepeatRow
}

// VariantWhy says, from a variant's results, why its numbers are what
// they are.
type VariantWhy struct {
	Variant string
	Lines   []string
}

// VariantMetrics are the metrics the variants page compares.
var VariantMetrics = []result.MetricKey{result.KeyDowntime, result.KeyLongestOutage, result.Key5xx, result.KeyTransportErrors, result.KeyRecovery, result.KeyHealing}

// ErrNoVariants is returned for results that ran against one variant
// only: there is nothing to set side by side.
var ErrNoVariants = errors.New("the results ran against a single fixture variant: nothing to compare (selfheal run --variant a,b or --matrix runs several)")

// VariantsOption tunes BuildVariants.
type VariantsOption func(*Variants)

// VariantsGenerated sets the generation time (default now); tests pin it.
func VariantsGenerated(t time.Time) VariantsOption {
	return func(v *Variants) { v.Generated = date(t, t.Location()) }
}

// BuildVariants writes the variants page of one run's results. Each
// variant is compared with baseline by chaos/compare on the scenarios both
// ran; claims are checked by chaos/expect.
func BuildVariants(results []*result.Result, opts ...VariantsOption) (*Variants, error) {
	page := &Variants{Title: "selfheal variants"}
	VariantsGenerated(time.Now())(page)
	for _, o := range opts {
		o(page)
	}
	scenarios, variants, by := groupVariants(results)
	if len(variants) < 2 {
		return nil, ErrNoVariants
	}
	reports := map[string]*compare.Report{}
	base := resultsOf(by, variants[0], scenarios)
	for _, v := range variants[1:] {
		rep, err := compare.Compare(compare.Side{Label: result.BaselineVariant, Results: base}, compare.Side{Label: v, Results: resultsOf(by, v, scenarios)})
		if err != nil && !errors.Is(err, compare.ErrNothingInCommon) {
			return nil, fmt.Errorf("comparing variant %s with baseline: %w", v, err)
		}
		if err == nil {
			reports[v] = rep
		}
	}
	findings := expect.Evaluate(expect.Claims(), results)
	clear, compared := 0, 0
	for _, sc := range scenarios {
		vs := variantScenario(sc, variants, by, reports, findings)
		for _, row := range vs.Rows[1:] {
			for _, c := range row.Cells {
				if c.Verdict != "" {
					compared++
					if c.Verdict != stats.NoClearDifference {
						clear++
					}
				}
			}
		}
		page.Scenarios = append(page.Scenarios, vs)
		page.Recommendations = append(page.Recommendations, recommend(sc, vs.Anchor, variants, by, reports))
	}
	page.Headline = fmt.Sprintf("%s against baseline on %s, %s: %d of %d differences clear at this sample size.",
		plural(len(variants)-1, "variant", "variants"), plural(len(scenarios), "scenario", "scenarios"), plural(len(results), "result", "results"), clear, compared)
	page.Method = variantsMethod(reports)
	if seq := sequentialOf(results); seq != nil {
		page.Method = append(page.Method, fmt.Sprintf("The number of repetitions was decided as they ran (--repeat auto): after each round each variant was compared with baseline on %s only, and repetitions went on until one of them was clear or the maximum was reached (%s). That rule holds the chance of any false \"clear\" over all its looks at α; the table's verdicts above are every figure at the sample size reached, corrected together, and may call less (or more) than the rule did.", metricNames(seq.Metrics), seq.Design))
	}
	return page, nil
}

// groupVariants orders scenarios as they first ran and variants baseline
// first, then as they first ran.
func groupVariants(results []*result.Result) (scenarios, variants []string, by map[[2]string][]*result.Result) {
	by = map[[2]string][]*result.Result{}
	seenS, seenV := map[string]bool{}, map[string]bool{result.BaselineVariant: true}
	hasBase := false
	for _, r := range results {
		v := r.VariantName()
		if !seenS[r.Scenario] {
			seenS[r.Scenario] = true
			scenarios = append(scenarios, r.Scenario)
		}
		if v == result.BaselineVariant {
			hasBase = true
		} else if !seenV[v] {
			seenV[v] = true
			variants = append(variants, v)
		}
		by[[2]string{r.Scenario, v}] = append(by[[2]string{r.Scenario, v}], r)
	}
	if !hasBase {
		return scenarios, variants, by // no baseline: nothing to compare with
	}
	return scenarios, append([]string{result.BaselineVariant}, variants...), by
}

func resultsOf(by map[[2]string][]*result.Result, v string, scenarios []string) []*result.Result {
	var out []*result.Result
	for _, s := range scenarios {
		out = append(out, by[[2]string{s, v}]...)
	}
	return out
}

// rowOf finds the compare row of a scenario and metric in a variant's
// report: its scenarios are named "S" or "S (baseline → v)".
func rowOf(rep *compare.Report, scenario string, key result.MetricKey) (compare.Row, bool) {
	if rep == nil {
		return compare.Row{}, false
	}
	for _, s := range rep.Scenarios {
		if name, _, _ := strings.Cut(s.Name, " ("); name != scenario {
			continue
		}
		for _, r := range s.Rows {
			if r.Metric.Key == key {
				return r, true
			}
		}
	}
	return compare.Row{}, false
}

func variantScenario(sc string, variants []string, by map[[2]string][]*result.Result, reports map[string]*compare.Report, findings []expect.Finding) VariantScenario {
	vs := VariantScenario{Name: sc, Anchor: "v-" + slug(sc)}
	aggs := map[string]aggregate.Scenario{}
	var ran []string
	for _, v := range variants {
		if rs := by[[2]string{sc, v}]; len(rs) > 0 {
			aggs[v] = aggregate.Summarize(rs)
			ran = append(ran, v)
		}
	}
	var keys []result.MetricKey
	for _, k := range VariantMetrics {
		for _, v := range ran {
			if m, ok := aggs[v].Metric(k); ok && (m.Summary.N > 0 || m.Never > 0) {
				keys = append(keys, k)
				break
			}
		}
	}
	for _, k := range keys {
		def, _ := result.MetricByKey(string(k))
		vs.Metrics = append(vs.Metrics, def.Title())
	}
	for _, v := range ran {
		agg := aggs[v]
		row := VariantRow{Variant: v, PassText: agg.PassText(), Verdict: agg.Verdict()}
		if r := agg.Results[0]; r.Run != nil {
			row.Fixture = r.Run.Fixture
		}
		for _, k := range keys {
			row.Cells = append(row.Cells, variantCell(agg, k, v, sc, reports[v]))
		}
		vs.Rows = append(vs.Rows, row)
		vs.Why = append(vs.Why, VariantWhy{Variant: v, Lines: why(sc, v, agg, by[[2]string{sc, result.BaselineVariant}], reports[v], findings)})
	}
	for _, k := range keys {
		vs.Charts = append(vs.Charts, variantChart(sc, k, ran, aggs))
	}
	return vs
}

func variantCell(agg aggregate.Scenario, k result.MetricKey, v, sc string, rep *compare.Report) VariantCell {
	c := VariantCell{Median: "—", Interval: ""}
	m, ok := agg.Metric(k)
	if !ok {
		return c
	}
	def := m.Metric
	if m.Summary.N > 0 {
		c.Median = fmt.Sprintf("%s (n=%d)", MetricText(def, m.Summary.Median), m.Summary.N)
		// Fewer than 6 values give no interval: the table's caption says
		// so once rather than in every cell.
		if m.Summary.HasCI {
			c.Interval = fmt.Sprintf("%s – %s", MetricText(def, m.Summary.Lo), MetricText(def, m.Summary.Hi))
		}
	}
	if m.Never > 0 {
		c.Interval = strings.TrimPrefix(c.Interval+"; ", "; ") + fmt.Sprintf("%d %s", m.Never, def.Missed)
	}
	if v == result.BaselineVariant {
		return c
	}
	// A metric with no value on a side (never recovered) is not compared:
	// the cell says how many never came instead.
	if row, ok := rowOf(rep, sc, k); ok && row.Base.N > 0 && row.New.N > 0 {
		cr := compareRow(row)
		c.Diff, c.CI, c.Verdict, c.Words = cr.Diff, cr.CI, cr.Verdict, cr.Words
		c.Short = "not clear"
		if cr.Verdict != stats.NoClearDifference {
			c.Short = string(cr.Verdict)
		}
	}
	return c
}

func variantChart(sc string, k result.MetricKey, ran []string, aggs map[string]aggregate.Scenario) VariantChart {
	top := 0.0
	for _, v := range ran {
		if m, ok := aggs[v].Metric(k); ok {
			top = math.Max(top, axisTop(m))
		}
	}
	def, _ := result.MetricByKey(string(k))
	ch := VariantChart{Key: k, Metric: def.Title()}
	for _, v := range ran {
		m, ok := aggs[v].Metric(k)
		if !ok {
			continue
		}
		row := repeatRowOn(sc, v, m, nil, top)
		ch.Max = row.Max
		ch.Strips = append(ch.Strips, VariantStrip{Variant: v, Row: row})
	}
	return ch
}

// why says what a variant's results show: its clear differences from
// baseline, then what happened in its median repetition (the outage, the
// events that came with it, the lower bounds of its settings), then the
// write-ups' claims about it.
func why(sc, v string, agg aggregate.Scenario, base []*result.Result, rep *compare.Report, findings []expect.Finding) []string {
	var lines []string
	if seq := sequentialOf(agg.Results); seq != nil {
		lines = append(lines, fmt.Sprintf("Repetitions (--repeat auto, against %s): %s.", seq.Reference, seq.Decision()))
	}
	if v != result.BaselineVariant {
		if d := settingChange(fixtureOf(base), fixtureOf(agg.Results)); d != "" {
			lines = append(lines, "Settings changed from baseline: "+d+".")
		}
		lines = append(lines, differences(sc, rep))
	}
	if r, n := medianRun(agg); r != nil {
		lines = append(lines, evidence(r, n)...)
	} else {
		lines = append(lines, "No repetition ran to its end: there is nothing to read.")
	}
	for _, f := range findings {
		if f.Scenario != sc || f.Variant != v || f.Runs == 0 {
			continue
		}
		lines = append(lines, fmt.Sprintf("Write-up claim %s (%d of %d runs, needed: %s): %s.", f.Status, f.Shown, f.Runs, f.Over, f.Claim))
	}
	return lines
}

// differences names the metrics on which the variant clearly differs
// from baseline.
func differences(sc string, rep *compare.Report) string {
	var clear []string
	for _, k := range VariantMetrics {
		row, ok := rowOf(rep, sc, k)
		if !ok || row.Verdict == stats.NoClearDifference {
			continue
		}
		cr := compareRow(row)
		clear = append(clear, fmt.Sprintf("%s %s (%s)", strings.ToLower(cr.Metric), cr.Diff, cr.Words))
	}
	if len(clear) == 0 {
		return "No figure differs clearly from baseline at this sample size."
	}
	return "Against baseline: " + strings.Join(clear, "; ") + "."
}

// medianRun is the repetition with the median downtime among those that
// ran to their end, and its number.
func medianRun(agg aggregate.Scenario) (*result.Result, int) {
	type rep struct {
		r *result.Result
		n int
	}
	var rs []rep
	for i, r := range agg.Results {
		if r.Outcome() != result.VerdictError {
			n := r.Repetition
			if n == 0 {
				n = i + 1
			}
			rs = append(rs, rep{r, n})
		}
	}
	if len(rs) == 0 {
		return nil, 0
	}
	sort.SliceStable(rs, func(i, j int) bool { return rs[i].r.DowntimeMS < rs[j].r.DowntimeMS })
	m := rs[(len(rs)-1)/2]
	return m.r, m.n
}

// evidence is what repetition n shows, in sentences built from its
// fields only.
func evidence(r *result.Result, n int) []string {
	var inj time.Time
	if len(r.Injections) > 0 {
		inj = r.Injections[0].At
	}
	at := func(t time.Time) string {
		if inj.IsZero() {
			return clock(t, time.UTC)
		}
		return offset(t, inj)
	}
	var lines []string
	lead := fmt.Sprintf("Repetition #%d (median downtime)", n)
	if o, ok := longestOf(r); ok {
		s := fmt.Sprintf("%s: %s of %s failed, in %s totalling %s; the longest began at %s and lasted %s, %s failed, mostly %s",
			lead, Count(r.Requests.Failed), plural(r.Requests.Total, "request", "requests"), plural(len(r.Outages), "outage", "outages"), Duration(r.DowntimeMS),
			at(o.Start), Duration(o.DurationMS), plural(o.Requests, "request", "requests"), o.Cause)
		if share, sent := failedShare(r, o); sent > 0 {
			s += fmt.Sprintf(" (%s of the %s sent in the %s buckets it spans)", Percent(share), plural(sent, "request", "requests"), Duration(r.Analysis.BucketMS))
		}
		if o.Open {
			s += "; it was still open when the load stopped"
		} else if e, ok := nearestChange(r, o); ok {
			s += fmt.Sprintf("; it ended at %s, the nearest Kubernetes change %s %s at %s", at(o.End), e.Object, e.Reason, at(e.At))
			if e.Message != "" {
				s += " (" + e.Message + ")"
			}
		}
		lines = append(lines, s+".")
	} else {
		lines = append(lines, fmt.Sprintf("%s: no outage; %s of %s failed.", lead, Count(r.Requests.Failed), plural(r.Requests.Total, "request", "requests")))
	}
	if s := eventSummary(r, inj, at); s != "" {
		lines = append(lines, s)
	}
	for _, b := range r.LowerBounds {
		name := "a lower bound"
		if def, ok := result.MetricByKey(string(b.Metric)); ok && b.Metric != "" {
			name = "the lower bound of " + strings.ToLower(def.Title())
		}
		what := Duration(b.MS)
		if b.Name != "" {
			what = b.Name + " " + what
		}
		lines = append(lines, fmt.Sprintf("Its settings set %s: %s (%s).", name, what, b.Reason))
	}
	switch {
	case r.Recovered && r.RecoveryMS != nil:
		lines = append(lines, fmt.Sprintf("It recovered %s after the fault.", Duration(*r.RecoveryMS)))
	case len(r.Injections) > 0:
		lines = append(lines, "It did not recover while watched.")
	}
	if h := r.Healing; h != nil && h.Of() == result.HealingHealed && h.MS != nil {
		lines = append(lines, fmt.Sprintf("It healed (%s) %s after the fault.", h.Condition, Duration(*h.MS)))
	} else if h != nil && h.Of() == result.HealingNeverBroken {
		lines = append(lines, fmt.Sprintf("Kubernetes never saw it broken (%s): no healing to time.", h.Condition))
	} else if h != nil {
		lines = append(lines, fmt.Sprintf("It did not heal while watched (%s).", h.Condition))
	}
	return lines
}

func longestOf(r *result.Result) (result.Outage, bool) {
	best, ok := result.Outage{}, false
	for _, o := range r.Outages {
		if !ok || o.DurationMS > best.DurationMS {
			best, ok = o, true
		}
	}
	return best, ok
}

// failedShare is the share of requests that failed in the timeline
// buckets an outage spans, and how many were sent in them.
func failedShare(r *result.Result, o result.Outage) (float64, int) {
	width := time.Duration(r.Analysis.BucketMS * float64(time.Millisecond))
	failed, sent := 0, 0
	for _, b := range r.Timeline {
		if width <= 0 || !b.Start.Add(width).After(o.Start) || !b.Start.Before(o.End) {
			continue
		}
		failed += b.S5xx + b.Errors
		sent += b.OK2xx + b.OK3xx + b.C4xx + b.S5xx + b.Errors
	}
	if sent == 0 {
		return 0, 0
	}
	return float64(failed) / float64(sent), sent
}

// changes are the event reasons that bring a failing pod back or take it
// out of the Service's way.
var changes = map[string]bool{"Restarted": true, "Killing": true, "Ready": true, "NotReady": true, "EndpointsChanged": true, "Started": true, "Scheduled": true, "Deleted": true}

// nearestChange is the such event nearest to the outage's end, within a
// second either side (events and requests are timed by different clocks,
// and an endpoint change takes a moment to reach the proxies).
func nearestChange(r *result.Result, o result.Outage) (result.Event, bool) {
	var best result.Event
	bestGap := time.Second + 1
	for _, e := range r.Events {
		if e.Kind == "fault" || !changes[e.Reason] {
			continue
		}
		gap := e.At.Sub(o.End)
		if gap < 0 {
			gap = -gap
		}
		if gap <= time.Second && gap < bestGap {
			best, bestGap = e, gap
		}
	}
	return best, bestGap <= time.Second
}

// explains are the event reasons that say why requests failed or stopped
// failing: probes failing, pods leaving and joining the Service,
// containers killed and restarted, pods evicted and rescheduled.
var explains = map[string]bool{}

const explainList = "Unhealthy, NotReady, Ready, Killing, Restarted, BackOff, EndpointsChanged, Evicted, Deleted, Scheduled, NodeNotReady"

func init() {
	for _, r := range strings.Split(explainList, ", ") {
		explains[r] = true
	}
}

// eventSummary counts the Kubernetes events after the fault by reason,
// with the first of each, and says which of restart and NotReady never
// came.
func eventSummary(r *result.Result, inj time.Time, at func(time.Time) string) string {
	count := map[string]int{}
	first := map[string]time.Time{}
	var order []string
	other := 0
	for _, e := range r.Events {
		if e.Kind == "fault" || (!inj.IsZero() && e.At.Before(inj)) {
			continue
		}
		if !explains[e.Reason] {
			other++
			continue
		}
		key := e.Reason
		switch {
		case e.Reason != "Unhealthy":
		case strings.Contains(e.Message, "Liveness probe failed"):
			key += " (liveness)"
		case strings.Contains(e.Message, "Readiness probe failed"):
			key += " (readiness)"
		}
		if count[key] == 0 {
			order = append(order, key)
			first[key] = e.At
		}
		count[key]++
	}
	if len(order) == 0 {
		return fmt.Sprintf("Kubernetes reported none of %s after the fault (%s).", explainList, plural(other, "other event", "other events"))
	}
	var parts []string
	for _, reason := range order {
		parts = append(parts, fmt.Sprintf("%s ×%d (first at %s)", reason, count[reason], at(first[reason])))
	}
	s := "Kubernetes reported after the fault: " + strings.Join(parts, ", ")
	if other > 0 {
		s += fmt.Sprintf(" (and %s)", plural(other, "other event", "other events"))
	}
	var none []string
	if count["Restarted"] == 0 && count["Killing"] == 0 {
		none = append(none, "no container restart")
	}
	if count["NotReady"] == 0 {
		none = append(none, "no pod NotReady")
	}
	if len(none) > 0 {
		s += "; " + strings.Join(none, ", ")
	}
	return s + "."
}

// recommend picks, for one scenario, the variant with the least median
// downtime among those whose every repetition passed, and the variant
// whose change moved downtime most from baseline.
func recommend(sc, anchor string, variants []string, by map[[2]string][]*result.Result, reports map[string]*compare.Report) Recommendation {
	rec := Recommendation{Scenario: sc, Anchor: anchor}
	def, _ := result.MetricByKey(string(result.KeyDowntime))
	best, bestV := math.Inf(1), ""
	var bestAgg aggregate.Scenario
	for _, v := range variants {
		rs := by[[2]string{sc, v}]
		if len(rs) == 0 {
			continue
		}
		agg := aggregate.Summarize(rs)
		m, ok := agg.Metric(result.KeyDowntime)
		if agg.Verdict() != result.VerdictPass || !ok || m.Summary.N == 0 {
			continue
		}
		if m.Summary.Median < best {
			best, bestV, bestAgg = m.Summary.Median, v, agg
		}
	}
	if bestV == "" {
		rec.Text = "No variant passed every repetition: none to recommend."
	} else {
		rec.Best = bestV
		rec.Text = fmt.Sprintf("%s: the least median downtime of the variants that passed, %s (%s).", bestV, MetricText(def, best), bestAgg.PassText())
	}
	moved, moverV := -1.0, ""
	var mover compare.Row
	for _, v := range variants[1:] {
		if row, ok := rowOf(reports[v], sc, result.KeyDowntime); ok && row.Base.N > 0 && row.New.N > 0 && math.Abs(row.Diff) > moved {
			moved, moverV, mover = math.Abs(row.Diff), v, row
		}
	}
	switch {
	case moverV == "":
		rec.Mover = "No variant ran this scenario beside baseline."
	case moved == 0:
		rec.Mover = "No variant moved the median downtime from baseline's."
	default:
		cr := compareRow(mover)
		ci := "no interval at this sample size"
		if mover.HasCI {
			ci = "interval " + cr.CI
		}
		rec.Mover = fmt.Sprintf("The change that moved downtime most: %s, %s against baseline (%s), %s.", moverV, cr.Diff, ci, cr.Words)
		if d := settingChange(fixtureOf(by[[2]string{sc, result.BaselineVariant}]), fixtureOf(by[[2]string{sc, moverV}])); d != "" {
			rec.Mover += " Its change: " + d + "."
		}
	}
	return rec
}

// fixtureOf is the fixture the results ran against, as the run
// described it.
func fixtureOf(rs []*result.Result) string {
	for _, r := range rs {
		if r.Run != nil && r.Run.Fixture != "" {
			return r.Run.Fixture
		}
	}
	return ""
}

// settingChange says how two fixture descriptions ("deployment wordpress
// ×2, liveness httpGet, ...") differ, part by part: "liveness httpGet →
// liveness none". Empty when either is unknown or they are the same.
func settingChange(base, variant string) string {
	if base == "" || variant == "" {
		return ""
	}
	bp, vp := settingParts(base), settingParts(variant)
	if len(bp) != len(vp) {
		return base + " → " + variant
	}
	var out []string
	for i := range bp {
		if bp[i] != vp[i] {
			out = append(out, bp[i]+" → "+vp[i])
		}
	}
	return strings.Join(out, ", ")
}

// settingParts splits a fixture's description (fixtures/wordpress Config.Describe)
// into its settings: at each ", " or "; " outside parentheses, so that
// "exec probes (mysqladmin ping, SELECT 1)" stays one setting.
func settingParts(desc string) []string {
	var parts []string
	depth, start := 0, 0
	for i := 0; i < len(desc); i++ {
		switch desc[i] {
		case '(':
			depth++
		case ')':
			depth = max(depth-1, 0)
		case ',', ';':
			if depth == 0 && i+1 < len(desc) && desc[i+1] == ' ' {
				parts = append(parts, desc[start:i])
				start = i + 2
				i++
			}
		}
	}
	return append(parts, desc[start:])
}

func variantsMethod(reports map[string]*compare.Report) []string {
	family := 0
	alpha := stats.DefaultAlpha
	for _, rep := range reports {
		family = max(family, rep.Family)
		alpha = rep.Alpha
	}
	return []string{
		"Each figure is the median of a variant's repetitions; its interval is the exact order-statistic interval of the median at 95 %, which needs at least 6 repetitions (fewer give none).",
		"The difference is variant − baseline of the medians, with the Hodges-Lehmann interval of the shift; the test is the two-sided Mann-Whitney U test, exact for small samples. One result on a side is never called different.",
		fmt.Sprintf("Each variant is compared with baseline as selfheal compare RUN/baseline RUN/<variant> does (its page compare-<variant>.html): false alarms are controlled with the Benjamini-Hochberg procedure at α = %g across that variant's comparisons (up to %d here).", alpha, family),
		"Why: each sentence is read from the variant's repetition with the median downtime (its outages, its timeline, the Kubernetes events after the fault, the lower bounds its settings set), and from the write-ups' claims checked against every repetition (chaos/expect).",
		"Recommendation: the variant with the least median downtime among those whose every repetition passed its budgets; and the variant whose change moved the median downtime most from baseline's, with whether that difference is clear.",
	}
}
