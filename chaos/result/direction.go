package result

// HigherIsBetter says which way m improves: every metric is better lower
// (less downtime, fewer 5xx, a faster recovery) except recovered.
func (m Metric) HigherIsBetter() bool { return m.Key == KeyRecovered }
