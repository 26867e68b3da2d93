package session

import (
	"fmt"
	"time"

	"github.com/selfheal/selfheal/chaos/catalog"
)

// ReportSlack is the time a run needs after its last revert: stopping the
// load, the result, the report.
const ReportSlack = time.Minute

// Margin is how long before an outer deadline (go test -timeout, which
// kills the process with no clean-up at all) a run must stop so that the
// scenario in flight can still revert its fault and the report be written:
// the longest revert of the catalog plus ReportSlack. A timeout too short
// for that gets a quarter of itself and a warning: a revert cut off by it
// leaves its fault in the record, for the next run to repair.
func Margin(timeout time.Duration) (time.Duration, string) {
	return margin(timeout, catalog.LongestRevert())
}

func margin(timeout, longestRevert time.Duration) (time.Duration, string) {
	m := longestRevert + ReportSlack
	if timeout >= 2*m {
		return m, ""
	}
	warning := fmt.Sprintf("a timeout of %s leaves little room for a revert that may wait %s; a scenario cut off by it leaves its fault for the next run to repair", timeout, longestRevert)
	if m > timeout/4 {
		m = timeout / 4
	}
	return m, warning
}
