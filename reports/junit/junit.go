// Package junit writes selfheal results as JUnit XML, for CI systems that
// show test reports: one testcase per scenario run (per repetition when a
// scenario was repeated; failed when a budget was missed, an error when it
// could not run), one per budget, and one per aggregate budget of a
// repeated scenario, grouped in one testsuite per run.
//
// The format follows the common JUnit XML schema as read by Jenkins,
// GitLab and GitHub test reporters: testsuites > testsuite > testcase with
// failure, error and system-out. A scenario's testcase carries the report's
// plain-language story in system-out, so the CI page says what happened,
// with its key figures and each piece of evidence that the fault took
// effect; a scenario whose fault did not is an error of that type.
package junit

import (
	"encoding/xml"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/reports/text"
	"github.com/selfheal/selfheal/reports/trend"
	"github.com/selfheal/selfheal/reports/view"
)

// Suites is the document root.
type Suites struct {
	XMLName  xml.Name `xml:"testsuites"`
	Name     string   `xml:"name,attr"`
	Tests    int      `xml:"tests,attr"`
	Failures int      `xml:"failures,attr"`
	Errors   int      `xml:"errors,attr"`
	Time     string   `xml:"time,attr"`
	Suites   []Suite  `xml:"testsuite"`
}

// Suite is one run.
type Suite struct {
	Name       string     `xml:"name,attr"`
	Tests      int        `xml:"tests,attr"`
	Failures   int        `xml:"failures,attr"`
	Errors     int        `xml:"errors,attr"`
	Skipped    int        `xml:"skipped,attr"`
	Time       string     `xml:"time,attr"`
	Timestamp  string     `xml:"timestamp,attr"`
	Hostname   string     `xml:"hostname,attr,omitempty"`
	Properties []Property `xml:"properties>property,omitempty"`
	Cases      []Case     `xml:"testcase"`
}

// Property is a name/value pair of a suite.
type Property struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

// Case is one scenario or one budget.
type Case struct {
	Name      string   `xml:"name,attr"`
	Classname string   `xml:"classname,attr"`
	Time      string   `xml:"time,attr"`
	Failure   *Problem `xml:"failure,omitempty"`
	Error     *Problem `xml:"error,omitempty"`
	// Skipped marks a budget miss on a starved machine that the run was
	// told not to fail for (SELFHEAL_FAIL_STARVED=false).
	Skipped   *Problem `xml:"skipped,omitempty"`
	SystemOut *CDATA   `xml:"system-out,omitempty"`
}

// Problem is a failure or an error.
type Problem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",cdata"`
}

// CDATA is text written as a CDATA section, so multi-line stories stay
// readable in the file.
type CDATA struct {
	Text string `xml:",cdata"`
}

func cdata(s string) *CDATA { return &CDATA{Text: s} }

// Build makes the JUnit document of results, one suite per run, oldest
// run first (the order CI tools list them).
func Build(results []*result.Result) *Suites {
	doc := &Suites{Name: "selfheal"}
	runs := trend.Group(results)
	sort.SliceStable(runs, func(i, j int) bool { return runs[i].Started.Before(runs[j].Started) })
	var total float64
	for _, run := range runs {
		s := suite(run)
		doc.Suites = append(doc.Suites, s)
		doc.Tests += s.Tests
		doc.Failures += s.Failures
		doc.Errors += s.Errors
		total += run.Ended.Sub(run.Started).Seconds()
	}
	doc.Time = seconds(total)
	return doc
}

// Write writes results as JUnit XML to w.
func Write(w io.Writer, results []*result.Result) error {
	if len(results) == 0 {
		return fmt.Errorf("writing JUnit XML: %w", view.ErrNoResults)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return fmt.Errorf("writing JUnit XML: %w", err)
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(Build(results)); err != nil {
		return fmt.Errorf("writing JUnit XML: %w", err)
	}
	if _, err := io.WriteString(w, "\n"); err != nil {
		return fmt.Errorf("writing JUnit XML: %w", err)
	}
	return nil
}

func suite(run trend.Run) Suite {
	info := run.Info()
	s := Suite{
		Name:      "selfheal " + run.ID,
		Time:      seconds(run.Ended.Sub(run.Started).Seconds()),
		Timestamp: run.Started.UTC().Format("2006-01-02T15:04:05"),
		Hostname:  info.Host,
	}
	for _, p := range []Property{
		{"run.id", run.ID}, {"cluster", info.Cluster}, {"kubernetes_version", info.KubernetesVersion},
		{"image_mode", info.ImageMode}, {"fixture", info.Fixture}, {"selfheal_version", info.SelfhealVersion},
	} {
		if p.Value != "" {
			s.Properties = append(s.Properties, p)
		}
	}
	var all []Case
	for _, r := range run.Results {
		all = append(all, cases(r)...)
	}
	for _, rp := range view.RepeatsOf(run.Results) {
		all = append(all, aggregateCases(rp)...)
	}
	for _, c := range all {
		s.Tests++
		switch {
		case c.Error != nil:
			s.Errors++
		case c.Failure != nil:
			s.Failures++
		case c.Skipped != nil:
			s.Skipped++
		}
		s.Cases = append(s.Cases, c)
	}
	return s
}

// aggregateCases are one testcase per aggregate budget of a repeated
// scenario, each carrying the repetitions' summary in system-out.
func aggregateCases(rp view.Repeats) []Case {
	var summary strings.Builder
	text.Repeats(&summary, rp)
	var out []Case
	for _, b := range rp.Budgets {
		c := Case{Name: rp.Label + " aggregate budget " + b.Key, Classname: "selfheal." + rp.Name + ".aggregate", Time: "0"}
		if b.Pass {
			c.SystemOut = cdata(b.Message + "\n" + summary.String())
		} else {
			c.Failure = &Problem{Message: b.Message, Type: "aggregate budget", Text: summary.String()}
		}
		out = append(out, c)
	}
	return out
}

func cases(r *result.Result) []Case {
	class := "selfheal." + r.Label()
	name := r.Label()
	if r.Repetitions > 1 {
		name = fmt.Sprintf("%s #%d", r.Label(), r.Repetition)
	}
	sc := Case{Name: name, Classname: class, Time: seconds(r.Ended.Sub(r.Started).Seconds())}
	story := strings.Join(view.Story(r, nil), "\n")
	sc.SystemOut = cdata(story + "\n\n" + figures(r))
	switch r.Outcome() {
	case result.VerdictFail:
		var missed []string
		for _, b := range r.Budgets {
			if !b.Pass {
				missed = append(missed, view.BudgetText(b))
			}
		}
		sc.Failure = &Problem{Message: strings.Join(missed, "; "), Type: "budget", Text: story}
		if caveat := view.HostCaveat(r); caveat != "" {
			sc.Failure.Message = "FAIL (" + caveat + "): " + sc.Failure.Message
		}
	case result.VerdictError:
		msg, kind := r.Error, "scenario"
		if msg == "" {
			msg = "the scenario could not run to its end"
		}
		if r.FaultDidNotTakeEffect() {
			kind = "fault did not take effect"
		}
		sc.Error = &Problem{Message: msg, Type: kind, Text: story}
	}
	out := []Case{sc}
	for _, b := range r.Budgets {
		kind := "budget"
		if b.History != nil {
			kind = "history budget" // beside a static budget on the same metric
		}
		c := Case{Name: name + " " + kind + " " + string(b.Metric), Classname: class + ".budgets", Time: "0"}
		if b.Pass {
			c.SystemOut = cdata(budgetOut(b))
		} else {
			c.Failure = &Problem{Message: view.BudgetText(b), Type: kind, Text: budgetOut(b)}
		}
		out = append(out, c)
	}
	if r.Excused() {
		for i := range out {
			if f := out[i].Failure; f != nil {
				out[i].Failure, out[i].Skipped = nil, &Problem{Message: view.VerdictLine(r) + ": " + f.Message, Type: "starved-host", Text: f.Text}
			}
		}
	}
	return out
}

func budgetOut(b result.BudgetCheck) string {
	s := view.BudgetText(b)
	if b.Message != "" && b.Message != s {
		s += "\n" + b.Message
	}
	return s
}

// figures lists the key figures of the metric table in plain text, for
// system-out: "downtime: 2.2 s".
func figures(r *result.Result) string {
	var lines []string
	for _, m := range result.Metrics() {
		if m.Unit == result.UnitBool {
			continue // said by its figure: recovery "not recovered"
		}
		if m.Key == result.KeyRecoveryAfterRevert && r.AfterRevert == nil {
			continue // nothing reverted (a probe, a result from before the figure)
		}
		if m.Key == result.KeyWritesAckedMissing || m.Key == result.KeyWritesDuplicates || m.Key == result.KeyWritesFailed {
			continue // the write stream's, on a line of its own below
		}
		v, ok := m.Value(r)
		switch {
		case ok:
			lines = append(lines, m.Name+": "+view.MetricText(m, v))
		case m.NotObserved(r):
			lines = append(lines, m.Name+": "+result.RecoveryNotObserved.Words())
		case m.Never != nil && m.Never(r):
			lines = append(lines, m.Name+": "+m.Missed)
		default:
			lines = append(lines, m.Name+": —")
		}
	}
	lines = append(lines, "requests: "+view.Count(r.Requests.Total)+" ("+view.Count(r.Requests.Failed)+" failed)")
	for _, e := range r.Evidence {
		lines = append(lines, "evidence: "+view.EvidenceLine(e))
	}
	if note := view.EvidenceNote(r); note != "" {
		lines = append(lines, "evidence: none: "+note)
	}
	if w := view.Writes(r, nil); w != nil {
		lines = append(lines, w.Text())
	}
	if h := view.Host(r); h != nil {
		line := "host: " + h.Badge
		if h.Caveat != "" {
			line = "host: " + h.Caveat
		}
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n")
}

func seconds(s float64) string { return fmt.Sprintf("%.3f", s) }
