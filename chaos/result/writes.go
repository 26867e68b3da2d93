package result

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Writes is what a scenario's write stream sent while the load ran, and
// what the database held for it afterwards (docs/measurement.md,
// "Acknowledged writes"). It is counted apart from the read load: no write
// is in Requests, StatusCodes, Errors or any figure of the load.
//
// Sent = Acknowledged + Failed. The figures read from the database
// (AckedMissing, Duplicates, FailedStored, Stored) are null when the
// database could not be read: CheckError says why, and unknown is never
// read as "nothing missing".
type Writes struct {
	// Target is the URL written to (each write adds its id).
	Target string `json:"target"`
	// Rate is writes per second; TimeoutMS the per-write timeout.
	Rate      float64 `json:"rate"`
	TimeoutMS float64 `json:"timeout_ms"`
	// Prefix begins the id of every write of this stream:
	// <run>.<scenario>.<start>, then .<sequence>.
	Prefix string `json:"prefix"`

	Sent int `json:"sent"`
	// Acknowledged writes got a 2xx answer whose body echoes their id:
	// the endpoint answers so only after the INSERT returned success.
	Acknowledged int `json:"acknowledged"`
	// Failed writes got any other answer, or none (FailedBy says how).
	Failed int `json:"failed"`
	// FailedBy counts the failed writes by cause: a status code ("500"),
	// a transport error class ("timeout", "refused"), or "no id" (a 2xx
	// whose body did not echo the id).
	FailedBy map[string]int `json:"failed_by,omitempty"`
	// FirstFailed and LastFailed are the send times of the first and the
	// last failed write.
	FirstFailed *time.Time `json:"first_failed,omitempty"`
	LastFailed  *time.Time `json:"last_failed,omitempty"`

	// Checked is set when the database was read after the scenario;
	// CheckedAt is when. CheckError says why it was not.
	Checked    bool       `json:"checked"`
	CheckedAt  *time.Time `json:"checked_at,omitempty"`
	CheckError string     `json:"check_error,omitempty"`
	// Stored is how many of the sent ids have at least one row.
	Stored *int `json:"stored"`
	// AckedMissing counts acknowledged writes with no row: a write the
	// site confirmed and then lost. It must be 0.
	AckedMissing *int `json:"acked_missing"`
	// Duplicates counts ids with more than one row (a write applied twice).
	Duplicates *int `json:"duplicates"`
	// FailedStored counts failed writes that have a row all the same: the
	// write was committed but its answer was lost (a timeout, a reset).
	// Not a loss; it says the client cannot tell failed from unanswered.
	FailedStored *int `json:"failed_stored"`
	// Unknown counts ids under Prefix that the stream never sent (none,
	// unless something else wrote with this stream's ids).
	Unknown *int `json:"unknown,omitempty"`
	// MissingIDs, DuplicateIDs and FailedStoredIDs name the first few
	// (MaxWriteIDs) of each, for the report.
	MissingIDs      []string `json:"missing_ids,omitempty"`
	DuplicateIDs    []string `json:"duplicate_ids,omitempty"`
	FailedStoredIDs []string `json:"failed_stored_ids,omitempty"`
}

// MaxWriteIDs is how many ids of each kind Writes names.
const MaxWriteIDs = 20

// writeFigure reads a figure the database check gives: none when the
// scenario had no write stream or its database could not be read.
func writeFigure(r *Result, f func(*Writes) *int) (float64, bool) {
	if r.Writes == nil || !r.Writes.Checked {
		return 0, false
	}
	p := f(r.Writes)
	if p == nil {
		return 0, false
	}
	return float64(*p), true
}

// WritesUnchecked says why r's write figures read from the database have
// no value: "no write stream", or "not checked: <why>"; "" when they have.
func (r *Result) WritesUnchecked() string {
	switch {
	case r.Writes == nil:
		return "no write stream"
	case !r.Writes.Checked:
		return "not checked: " + r.Writes.CheckError
	}
	return ""
}

// AckedMissingWhy says why r has no figure of acknowledged writes
// missing, "" when it has one: no write stream, the database not read,
// or no write acknowledged. With none acknowledged none can go missing,
// and "0 missing" would be a pass resting on no write at all.
func (r *Result) AckedMissingWhy() string {
	if why := r.WritesUnchecked(); why != "" {
		return why
	}
	if w := r.Writes; w.Acknowledged == 0 {
		s := fmt.Sprintf("no write was acknowledged, of %d sent", w.Sent)
		if c := w.Causes(); c != "" {
			s += " (" + c + ")"
		}
		return s
	}
	return ""
}

// Basis says how many writes a verdict on acknowledged writes rests on:
// "280 acknowledged writes of 300 sent", "no acknowledged write of 15
// sent".
func (w *Writes) Basis() string {
	switch w.Acknowledged {
	case 0:
		return fmt.Sprintf("no acknowledged write of %d sent", w.Sent)
	case 1:
		return fmt.Sprintf("1 acknowledged write of %d sent", w.Sent)
	}
	return fmt.Sprintf("%d acknowledged writes of %d sent", w.Acknowledged, w.Sent)
}

// Causes lists why writes failed, the most frequent first:
// "503 ×12, timeout ×3".
func (w *Writes) Causes() string {
	type cause struct {
		what string
		n    int
	}
	var all []cause
	for k, n := range w.FailedBy {
		all = append(all, cause{k, n})
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].n != all[j].n {
			return all[i].n > all[j].n
		}
		return all[i].what < all[j].what
	})
	parts := make([]string, len(all))
	for i, c := range all {
		parts[i] = fmt.Sprintf("%s ×%d", c.what, c.n)
	}
	return strings.Join(parts, ", ")
}
