package view

import (
	"fmt"
	"strings"
	"time"

	"github.com/selfheal/selfheal/chaos/result"
)

// WritesView is a scenario's write stream in words: its own panel, apart
// from the read load's figures (docs/measurement.md, "Acknowledged
// writes").
type WritesView struct {
	// Line says what the stream was and that it is counted apart.
	Line string
	Rows []WriteRow
	// NotChecked says why the database could not be read, so that whether
	// the acknowledged writes survived is unknown; "" when it was read.
	NotChecked string `json:",omitempty"`
	// Basis says how many writes the verdict on acknowledged writes
	// rests on: "280 acknowledged writes of 300 sent".
	Basis string
	// IDs name the writes behind the database's figures: "Missing: a, b".
	IDs []Fact `json:",omitempty"`
	// State is StateBad when the budget on acknowledged writes failed.
	State State `json:",omitempty"`
}

// WriteRow is one count of the panel.
type WriteRow struct {
	Label, Value string
	Detail       string `json:",omitempty"`
	State        State  `json:",omitempty"`
}

// Writes is r's write stream in words, nil when it ran none. Clock times
// are in loc, or in the zone r was recorded in when loc is nil.
func Writes(r *result.Result, loc *time.Location) *WritesView {
	w := r.Writes
	if w == nil {
		return nil
	}
	if loc == nil {
		loc = r.Started.Location()
	}
	v := &WritesView{
		Line: fmt.Sprintf("%s write/s posted to %s (timeout %s), each with its own id; counted apart from the requests, whose figures they are not in.",
			Number(w.Rate), w.Target, Duration(w.TimeoutMS)),
		State: budgetState(r, result.KeyWritesAckedMissing),
		Basis: w.Basis(),
	}
	failed := WriteRow{Label: "Failed", Value: Count(w.Failed), Detail: "no answer, or not 2xx with the id"}
	if w.Failed > 0 {
		failed.Detail = w.Causes()
		if w.FirstFailed != nil && w.LastFailed != nil {
			failed.Detail += fmt.Sprintf("; sent from %s to %s", clock(*w.FirstFailed, loc), clock(*w.LastFailed, loc))
		}
	}
	v.Rows = []WriteRow{
		{Label: "Sent", Value: Count(w.Sent)},
		{Label: "Acknowledged", Value: Count(w.Acknowledged), Detail: "2xx with the id: the row was committed"},
		failed,
	}
	if !w.Checked {
		v.NotChecked = w.CheckError
		v.Rows = append(v.Rows, WriteRow{Label: "Acknowledged but missing", Value: "not checked", Detail: w.CheckError, State: v.State})
		return v
	}
	missing := WriteRow{Label: "Acknowledged but missing", Value: Count(*w.AckedMissing), Detail: "acknowledged, yet not in the database afterwards", State: v.State}
	if why := r.AckedMissingWhy(); why != "" {
		missing.Value, missing.Detail = "no figure", why
	}
	v.Rows = append(v.Rows,
		missing,
		WriteRow{Label: "Duplicates", Value: Count(*w.Duplicates), Detail: "ids stored more than once"},
		WriteRow{Label: "Failed but stored", Value: Count(*w.FailedStored), Detail: "failed for the client, yet in the database: the answer was lost, not the write"},
	)
	if w.Unknown != nil {
		v.Rows = append(v.Rows, WriteRow{Label: "Not sent but stored", Value: Count(*w.Unknown), Detail: "rows with this stream's ids that it never sent"})
	}
	for _, ids := range []struct {
		label string
		ids   []string
		n     int
	}{
		{"Missing", w.MissingIDs, *w.AckedMissing},
		{"Duplicated", w.DuplicateIDs, *w.Duplicates},
		{"Failed but stored", w.FailedStoredIDs, *w.FailedStored},
	} {
		if len(ids.ids) == 0 {
			continue
		}
		s := strings.Join(ids.ids, ", ")
		if ids.n > len(ids.ids) {
			s += fmt.Sprintf(" (the first %d of %d)", len(ids.ids), ids.n)
		}
		v.IDs = append(v.IDs, Fact{ids.label, s})
	}
	return v
}

// Text is the panel in one line: "writes: 90 sent, 80 acknowledged, 10
// failed; the verdict rests on 80 acknowledged writes of 90 sent;
// database: 0 acknowledged but missing, 0 duplicates, 2 failed but
// stored".
func (v *WritesView) Text() string {
	var parts []string
	for _, r := range v.Rows {
		if r.Label == "Sent" || r.Label == "Acknowledged" || r.Label == "Failed" {
			parts = append(parts, r.Value+" "+strings.ToLower(r.Label))
		}
	}
	s := "writes: " + strings.Join(parts, ", ") + "; the verdict rests on " + v.Basis
	if v.NotChecked != "" {
		return s + "; database NOT checked: " + v.NotChecked
	}
	var db []string
	for _, r := range v.Rows[3:] {
		db = append(db, r.Value+" "+strings.ToLower(r.Label))
	}
	return s + "; database: " + strings.Join(db, ", ")
}
