package result

// HistoryBasis is what a history budget's limit was derived from (see
// chaos/history): a quantile of the same metric over earlier runs of the
// same kind, raised to a floor.
type HistoryBasis struct {
	Quantile float64 `json:"quantile"`       // 0.95 for P95
	Value    float64 `json:"value"`          // that quantile of the history: its prediction bound
	Rank     int     `json:"rank,omitempty"` // Value is the Rank-th smallest of Samples
	P50      float64 `json:"p50"`            // the history's median, for the band P50..Value
	Floor    float64 `json:"floor"`          // the least limit, in the metric's unit
	Runs     int     `json:"runs"`           // earlier runs it came from
	Samples  int     `json:"samples"`        // their results with a value
}

// HistoryNote says which earlier runs a result was judged against, and
// which were left out and why.
type HistoryNote struct {
	Kind     string `json:"kind"`     // the kind key, in words
	Settings string `json:"settings"` // the history settings, as given
	// Runs are the earlier runs of the same kind used, newest first.
	Runs []string `json:"runs"`
	// Fallback says why no history budget was applied (too few runs);
	// empty when history budgets were.
	Fallback string             `json:"fallback,omitempty"`
	Excluded []HistoryExclusion `json:"excluded,omitempty"`
}

// HistoryExclusion is a reason runs were left out of a result's history,
// with those runs.
type HistoryExclusion struct {
	Reason string   `json:"reason"`
	Runs   []string `json:"runs"`
}

// HistoryChecks are the checks of r's budgets that came from its history.
func (r *Result) HistoryChecks() []BudgetCheck {
	var out []BudgetCheck
	for _, c := range r.Budgets {
		if c.History != nil {
			out = append(out, c)
		}
	}
	return out
}

// FailedHistory says whether r missed a budget derived from its history.
func (r *Result) FailedHistory() bool {
	for _, c := range r.Budgets {
		if c.History != nil && !c.Pass {
			return true
		}
	}
	return false
}
