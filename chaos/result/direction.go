package result

// HigherIsBetter says which way m improves: every metric is better lower
// (less downtime, fewer 5xx, a faster recovery) except recovered and the
// time to first error (a fault that reaches users later hurt them less).
func (m Metric) HigherIsBetter() bool {
	return m.Key == KeyRecovered || m.Key == KeyTimeToFirstError
}
