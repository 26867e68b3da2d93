// Package grafana writes the fault windows of selfheal results as Grafana
// annotations, so that a team's own dashboards show where each fault
// began and ended beside their own graphs.
//
// Each annotation has the shape of the body of Grafana's annotations HTTP
// API (POST /api/annotations): time and timeEnd in milliseconds since the
// epoch, tags, text. Without a dashboardUID it is an organization
// annotation, which any dashboard shows through the built-in Grafana
// annotations data source, filtered by tags (README, "Feeding
// dashboards"). One annotation is written per injection, from the
// injection to the revert that undid it (result.Result.FaultWindows); an
// injection nothing reverted is a point.
package grafana

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"

	"github.com/selfheal/selfheal/chaos/result"
)

// Tag every annotation carries, for the dashboard's annotation query.
const Tag = "selfheal"

// Annotation is one region (or point) in time.
type Annotation struct {
	Time    int64    `json:"time"`              // ms since the epoch
	TimeEnd int64    `json:"timeEnd,omitempty"` // absent for a point
	Tags    []string `json:"tags"`
	Text    string   `json:"text"`
}

// Annotations are the fault windows of results, in time order.
func Annotations(results []*result.Result) ([]Annotation, error) {
	if len(results) == 0 {
		return nil, fmt.Errorf("writing annotations: %w", result.ErrNoResults)
	}
	var out []Annotation
	for _, r := range results {
		for _, w := range r.FaultWindows() {
			out = append(out, annotation(r, w))
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Time < out[j].Time })
	return out, nil
}

// Write writes the annotations of results as JSON Lines: one annotation
// a line, each a body to post to /api/annotations as it is (README,
// "Feeding dashboards"); nothing when nothing was injected.
func Write(w io.Writer, results []*result.Result) error {
	as, err := Annotations(results)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	for _, a := range as {
		if err := enc.Encode(a); err != nil {
			return fmt.Errorf("encoding annotations: %w", err)
		}
	}
	if _, err := w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("writing annotations: %w", err)
	}
	return nil
}

func annotation(r *result.Result, w result.FaultWindow) Annotation {
	a := Annotation{Time: w.Injection.At.UnixMilli(), Tags: tags(r, w.Injection.Fault)}
	text := fmt.Sprintf("%s: %s injected: %s", title(r), w.Injection.Fault, w.Injection.Detail)
	if w.Revert != nil {
		if end := w.Revert.At.UnixMilli(); end > a.Time { // else a point
			a.TimeEnd = end
		}
		text += "; reverted: " + w.Revert.Detail
	} else {
		text += "; nothing reverted it (an instant fault, or one the system undid itself)"
	}
	a.Text = text
	return a
}

// title names the scenario run: "node-halt", "image-roll@no-prestop #2".
func title(r *result.Result) string {
	s := r.Label()
	if r.Repetitions > 1 {
		s += " #" + strconv.Itoa(r.Repetition)
	}
	return s
}

// tags are the annotation's labels as Grafana's key:value tags, the same
// as the metrics' labels (reports/openmetrics), and the fault.
func tags(r *result.Result, fault string) []string {
	ts := []string{Tag, "scenario:" + r.Scenario, "variant:" + r.VariantName(), "fault:" + fault}
	if r.Run != nil && r.Run.ID != "" {
		ts = append(ts, "run:"+r.Run.ID)
	}
	if r.Repetition > 0 {
		ts = append(ts, "repetition:"+strconv.Itoa(r.Repetition))
	}
	return ts
}
