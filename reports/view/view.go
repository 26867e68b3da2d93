// Package view turns selfheal results into the report's view model: every
// string a reader sees, every table row and every chart's data, already
// formatted and laid out in time (seconds from the scenario's start), but
// not yet in pixels. Keeping this step separate from HTML makes it
// testable with golden files, and keeps the template free of logic.
package view

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/reports/trend"
)

// Option tunes Build (and so the HTML report, which takes the same options).
type Option func(*config)

type config struct {
	title      string
	generated  time.Time
	loc        *time.Location
	detailRuns int
	rule       trend.Rule
	maxColumns int
	// trendColumns caps the runs shown as trend table columns.
	trendColumns int
	history      History
}

// WithTitle sets the report's title (default "selfheal report").
func WithTitle(s string) Option { return func(c *config) { c.title = s } }

// WithGenerated sets the generation time printed in the report (default
// now); tests pin it.
func WithGenerated(t time.Time) Option { return func(c *config) { c.generated = t } }

// WithDetailRuns sets how many runs, newest first, get full scenario
// sections with charts (default 1); older runs get a summary table.
func WithDetailRuns(n int) Option { return func(c *config) { c.detailRuns = n } }

// WithMaxColumns caps the columns of a timeline chart (default 480): longer
// timelines merge adjacent buckets, so a one-hour run stays readable.
func WithMaxColumns(n int) Option { return func(c *config) { c.maxColumns = n } }

// WithTrendColumns caps how many runs, newest first, get a column in the
// trend tables (default 10); sparklines and medians use every run.
func WithTrendColumns(n int) Option { return func(c *config) { c.trendColumns = n } }

// Report is the whole page.
type Report struct {
	Title     string
	Generated string
	Zone      string
	Headline  string         // one sentence: what the newest run says
	Verdict   result.Verdict // the newest run's: pass, fail, error or none
	// Problems lists, for the banner at the top, each scenario of the
	// newest run that failed (with the budgets it missed) and the
	// regressions against earlier runs.
	Problems []Problem `json:",omitempty"`
	Runs     []Run     // newest first
	Trends   *Trends
}

// Run is one run of the suite.
type Run struct {
	ID        string
	Anchor    string
	Inferred  bool
	When      string
	Facts     []Fact
	Verdict   result.Verdict
	Totals    Totals
	Detailed  bool
	Scenarios []Scenario
	// Repeats takes each repeated scenario's repetitions together.
	Repeats []Repeats `json:",omitempty"`
}

// Fact is a labelled value.
type Fact struct {
	Label string
	Value string
}

// Totals sums a run.
type Totals struct {
	Scenarios, Passed, Failed, Errored, Unjudged int
	// Distinct is the number of different scenarios when some were
	// repeated (Scenarios then counts every repetition); 0 otherwise.
	Distinct                 int `json:",omitempty"`
	Requests, FailedRequests string
	Downtime                 string
	Text                     string
}

// ErrNoResults is returned by Build without results.
var ErrNoResults = errors.New("no results to report")

// Build makes the view model of results.
func Build(results []*result.Result, opts ...Option) (*Report, error) {
	if len(results) == 0 {
		return nil, ErrNoResults
	}
	cfg := config{title: "selfheal report", detailRuns: 1, rule: trend.DefaultRule(), maxColumns: 480, trendColumns: 10}
	for _, o := range opts {
		o(&cfg)
	}
	runs := trend.Group(results)
	// Clock times are in the zone of the newest run: where it ran.
	cfg.loc = runs[0].Started.Location()
	if cfg.generated.IsZero() {
		cfg.generated = time.Now()
	}
	rep := &Report{
		Title:     cfg.title,
		Generated: date(cfg.generated, cfg.loc),
		Zone:      zoneName(runs[0].Started.In(cfg.loc)),
	}
	anchors := map[string]int{}
	for i, run := range runs {
		rep.Runs = append(rep.Runs, buildRun(run, i < cfg.detailRuns, &cfg, anchors))
	}
	rep.Headline = headline(rep.Runs[0], len(runs))
	rep.Verdict = rep.Runs[0].Verdict
	if len(runs) > 1 {
		rep.Trends = buildTrends(runs, &cfg, rep.Runs)
	}
	rep.Problems = problems(runs[0], rep.Runs[0], rep.Trends)
	return rep, nil
}

// Problem is one line of the banner.
type Problem struct {
	Scenario string
	Anchor   string
	Text     string
	Kind     ProblemKind
}

// ProblemKind is what a banner line reports; the report colours it.
type ProblemKind string

// Problem kinds: a failed or errored scenario (by its verdict's name), or
// a regression against earlier runs.
const (
	ProblemFail                   = ProblemKind(result.VerdictFail)
	ProblemError                  = ProblemKind(result.VerdictError)
	ProblemRegression ProblemKind = "regression"
)

func problems(run trend.Run, v Run, t *Trends) []Problem {
	var out []Problem
	for i, r := range run.Results {
		s := v.Scenarios[i]
		switch s.Verdict {
		case result.VerdictFail:
			var missed []string
			for _, b := range r.Budgets {
				if !b.Pass {
					missed = append(missed, BudgetText(b))
				}
			}
			out = append(out, Problem{Scenario: s.label(), Anchor: s.Anchor, Kind: ProblemFail, Text: join(missed)})
		case result.VerdictError:
			text := "could not run: " + orDash(r.Error)
			if r.FaultDidNotTakeEffect() {
				text = r.Unproven()
			}
			out = append(out, Problem{Scenario: s.label(), Anchor: s.Anchor, Kind: ProblemError, Text: text})
		}
	}
	for _, rp := range v.Repeats {
		var missed []string
		for _, b := range rp.Budgets {
			if !b.Pass {
				missed = append(missed, b.Message)
			}
		}
		if len(missed) > 0 {
			out = append(out, Problem{Scenario: rp.Label + " (" + plural(rp.N, "repetition", "repetitions") + ")", Anchor: rp.Anchor, Kind: ProblemFail, Text: join(missed)})
		}
	}
	if t == nil {
		return out
	}
	for _, sc := range t.Scenarios {
		var regressed []string
		for _, row := range sc.Rows {
			if row.Regressed {
				regressed = append(regressed, strings.ToLower(row.Metric)+" "+row.Cells[len(row.Cells)-1].Value+" (median before "+row.Baseline+")")
			}
		}
		if len(regressed) > 0 {
			out = append(out, Problem{Scenario: sc.Name, Anchor: "trends", Kind: ProblemRegression, Text: "regressed: " + join(regressed)})
		}
	}
	return out
}

func buildRun(run trend.Run, detailed bool, cfg *config, anchors map[string]int) Run {
	info := run.Info()
	v := Run{
		ID:       run.ID,
		Anchor:   unique(anchors, "run-"+slug(run.ID)),
		Inferred: run.Inferred,
		When:     fmt.Sprintf("%s – %s (%s)", date(run.Started, cfg.loc), run.Ended.In(cfg.loc).Format("15:04:05"), Duration(ms(run.Ended.Sub(run.Started)))),
		Detailed: detailed,
	}
	v.Facts = runFacts(info, run)
	for _, r := range run.Results {
		s := buildScenario(r, detailed, cfg)
		id := r.Label()
		if r.Repetitions > 1 {
			id += fmt.Sprintf("-r%d", r.Repetition)
		}
		s.Anchor = unique(anchors, v.Anchor+"-"+slug(id))
		v.Scenarios = append(v.Scenarios, s)
	}
	v.Repeats = buildRepeats(run.Results, v.Scenarios, v.Anchor, cfg, anchors)
	v.Totals = totals(run.Results, v.Scenarios)
	v.Verdict = runVerdict(v.Totals)
	return v
}

func runFacts(info result.RunInfo, run trend.Run) []Fact {
	var f []Fact
	addIf := func(label, value string) {
		if value != "" {
			f = append(f, Fact{label, value})
		}
	}
	addIf("Cluster", info.Cluster)
	addIf("Kubernetes", info.KubernetesVersion)
	switch info.ImageMode {
	case "":
	case "offline":
		f = append(f, Fact{"Images", "offline (built on the machine, no registry)"})
	default:
		f = append(f, Fact{"Images", info.ImageMode})
	}
	f = append(f, fixtureFacts(info, run.Results)...)
	addIf("Host", info.Host)
	addIf("selfheal", info.SelfhealVersion)
	f = append(f, loadFacts(run.Results)...)
	if run.Inferred {
		f = append(f, Fact{"Grouping", "no run id in the results: grouped by start time"})
	}
	return f
}

// fixtureFacts names the fixture; a run over several variants names each
// variant's rather than the first one's.
func fixtureFacts(info result.RunInfo, rs []*result.Result) []Fact {
	var order []string
	fixtures := map[string]string{}
	for _, r := range rs {
		if r.Run == nil {
			continue
		}
		v := r.VariantName()
		if _, ok := fixtures[v]; !ok {
			order = append(order, v)
		}
		fixtures[v] = r.Run.Fixture
	}
	if len(order) <= 1 {
		if info.Fixture == "" {
			return nil
		}
		return []Fact{{"Fixture", info.Fixture}}
	}
	var f []Fact
	for _, v := range order {
		f = append(f, Fact{"Fixture " + v, fixtures[v]})
	}
	return f
}

// loadFacts describes the load; when scenarios differ it says so rather
// than picking one.
func loadFacts(rs []*result.Result) []Fact {
	seen := map[string]bool{}
	var texts []string
	for _, r := range rs {
		t := loadText(r.Load)
		if !seen[t] {
			seen[t] = true
			texts = append(texts, t)
		}
	}
	if len(texts) == 1 {
		return []Fact{{"Load", texts[0]}}
	}
	return []Fact{{"Load", "differs per scenario (see each scenario)"}}
}

func loadText(l result.Load) string {
	ka := "keep-alive"
	if !l.KeepAlive {
		ka = "new connection per request"
	}
	timeout := l.Timeout
	if timeout == "" {
		timeout = Duration(l.TimeoutMS)
	}
	return fmt.Sprintf("%s req/s over %s, timeout %s, %s, redirects %s", Number(l.Rate), plural(len(l.Targets), "target", "targets"), timeout, ka, orDash(l.Redirects))
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func totals(rs []*result.Result, ss []Scenario) Totals {
	var t Totals
	var req, failed int
	var down float64
	names, repeated := map[string]bool{}, false
	for i, r := range rs {
		t.Scenarios++
		names[r.Scenario] = true
		repeated = repeated || r.Repetitions > 1
		switch ss[i].Verdict {
		case result.VerdictPass:
			t.Passed++
		case result.VerdictFail:
			t.Failed++
		case result.VerdictError:
			t.Errored++
		default:
			t.Unjudged++
		}
		req += r.Requests.Total
		failed += r.Requests.Failed
		down += r.DowntimeMS
	}
	if repeated {
		t.Distinct = len(names)
	}
	t.Requests, t.FailedRequests, t.Downtime = Count(req), Count(failed), Duration(down)
	t.Text = totalsText(t)
	return t
}

func totalsText(t Totals) string {
	s := plural(t.Scenarios, "scenario", "scenarios") + ": "
	if t.Distinct > 0 {
		s = plural(t.Distinct, "scenario", "scenarios") + ", " + plural(t.Scenarios, "repetition", "repetitions") + ": "
	}
	var parts []string
	for _, p := range []struct {
		n    int
		word string
	}{{t.Passed, result.VerdictPass.Words()}, {t.Failed, result.VerdictFail.Words()}, {t.Errored, result.VerdictError.Words()}, {t.Unjudged, result.VerdictNone.Words()}} {
		if p.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", p.n, p.word))
		}
	}
	return s + join(parts)
}

func runVerdict(t Totals) result.Verdict {
	switch {
	case t.Errored > 0:
		return result.VerdictError
	case t.Failed > 0:
		return result.VerdictFail
	case t.Passed > 0:
		return result.VerdictPass
	}
	return result.VerdictNone
}

func headline(latest Run, runs int) string {
	s := "Latest run " + latest.ID + ", " + latest.When + ": " + latest.Totals.Text + "."
	if latest.Inferred { // the ID is only the start time
		s = "Run of " + latest.When + ": " + latest.Totals.Text + "."
	}
	if runs > 1 {
		s += fmt.Sprintf(" Trends over %d runs below.", runs)
	}
	return s
}

// join lists words in English: "a", "a and b", "a, b and c".
func join(parts []string) string {
	switch len(parts) {
	case 0:
		return ""
	case 1:
		return parts[0]
	}
	out := ""
	for i, p := range parts[:len(parts)-1] {
		if i > 0 {
			out += ", "
		}
		out += p
	}
	return out + " and " + parts[len(parts)-1]
}

func unique(seen map[string]int, id string) string {
	seen[id]++
	if n := seen[id]; n > 1 {
		return fmt.Sprintf("%s-%d", id, n)
	}
	return id
}

// sortedCounts returns a map's entries, largest first, then by key.
func sortedCounts(m map[string]int) []Tally {
	var out []Tally
	for k, n := range m {
		out = append(out, Tally{Label: k, N: n})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].N != out[j].N {
			return out[i].N > out[j].N
		}
		return out[i].Label < out[j].Label
	})
	for i := range out {
		out[i].Text = Count(out[i].N)
	}
	return out
}

// Tally is a labelled count.
type Tally struct {
	Label string
	N     int
	Text  string
	Class string `json:",omitempty"` // "2xx" .. "5xx", "error": the chart colour
}
