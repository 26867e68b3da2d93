package writes

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/selfheal/selfheal/chaos/result"
)

// Store is the database the writes went to.
type Store interface {
	// Rows counts the rows of every id that begins with prefix; an id
	// with no row is absent. An error means the database could not be
	// read: nothing is known, not "no rows".
	Rows(ctx context.Context, prefix string) (map[string]int, error)
}

// Check reads the rows under prefix from store, trying again every
// interval until it answers or timeout passes (the database may still be
// coming back after the fault). It returns the last error when none of
// the attempts could read it.
func Check(ctx context.Context, store Store, prefix string, every, timeout time.Duration) (map[string]int, error) {
	if store == nil {
		return nil, errNoStore
	}
	var rows map[string]int
	var last error
	attempts := 0
	err := wait.PollUntilContextTimeout(ctx, every, timeout, true, func(ctx context.Context) (bool, error) {
		attempts++
		rows, last = store.Rows(ctx, prefix)
		return last == nil, nil
	})
	if err != nil {
		if last == nil {
			last = err // ended before any attempt
		}
		return nil, fmt.Errorf("reading the writes from the database (%d attempts in %s): %w", attempts, timeout, last)
	}
	return rows, nil
}

// Tally counts the writes against the rows the database holds per id.
// settings are the stream's (Stream.Settings). With checkErr the database
// figures stay null and the error is kept: unknown is never "nothing
// missing".
func Tally(settings result.Writes, ws []Write, rows map[string]int, checkErr error, checkedAt time.Time) *result.Writes {
	out := settings
	out.Sent = len(ws)
	for _, w := range ws {
		if w.Acked {
			out.Acknowledged++
			continue
		}
		out.Failed++
		if out.FailedBy == nil {
			out.FailedBy = map[string]int{}
		}
		out.FailedBy[w.Cause]++
		at := w.Sent
		if out.FirstFailed == nil {
			out.FirstFailed = &at
		}
		out.LastFailed = &at
	}
	if checkErr != nil {
		out.CheckError = checkErr.Error()
		return &out
	}
	if rows == nil {
		out.CheckError = errNoStore.Error()
		return &out
	}
	at := checkedAt
	out.Checked, out.CheckedAt = true, &at
	var stored, missing, dups, failedStored int
	sent := map[string]bool{}
	for _, w := range ws {
		sent[w.ID] = true
		n := rows[w.ID]
		if n > 0 {
			stored++
		}
		if n > 1 {
			dups++
			out.DuplicateIDs = appendID(out.DuplicateIDs, w.ID)
		}
		switch {
		case w.Acked && n == 0:
			missing++
			out.MissingIDs = appendID(out.MissingIDs, w.ID)
		case !w.Acked && n > 0:
			failedStored++
			out.FailedStoredIDs = appendID(out.FailedStoredIDs, w.ID)
		}
	}
	unknown := 0
	for id := range rows {
		if !sent[id] {
			unknown++
		}
	}
	out.Stored, out.AckedMissing, out.Duplicates, out.FailedStored = &stored, &missing, &dups, &failedStored
	if unknown > 0 {
		out.Unknown = &unknown
	}
	return &out
}

func appendID(ids []string, id string) []string {
	if len(ids) >= result.MaxWriteIDs {
		return ids
	}
	return append(ids, id)
}

// Summary says in one line what came of the writes, for the console:
// "writes: 300 sent, 280 acknowledged, 20 failed; database: 0 acknowledged
// but missing, 0 duplicates, 3 failed but stored".
func Summary(w *result.Writes) string {
	s := fmt.Sprintf("writes: %d sent, %d acknowledged, %d failed", w.Sent, w.Acknowledged, w.Failed)
	if len(w.FailedBy) > 0 {
		s += " (" + w.Causes() + ")"
	}
	if !w.Checked {
		return s + "; database NOT checked: " + w.CheckError
	}
	return s + fmt.Sprintf("; database: %d acknowledged but missing, %d duplicates, %d failed but stored", *w.AckedMissing, *w.Duplicates, *w.FailedStored)
}
