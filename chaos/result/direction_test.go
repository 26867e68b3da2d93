package result

import "testing"

func TestHigherIsBetter(t *testing.T) {
	want := map[MetricKey]bool{
		KeyDowntime: false, KeyLongestOutage: false, Key5xx: false, KeyTransportErrors: false,
		KeyTimeToFirstError: true, KeyRecovery: false, KeyHealing: false, KeyRecovered: true,
		KeyImpactP99: false, KeyRecoveryAfterRevert: false,
		KeyWritesAckedMissing: false, KeyWritesDuplicates: false, KeyWritesFailed: false,
	}
	for _, m := range Metrics() {
		w, ok := want[m.Key]
		if !ok {
			t.Errorf("metric %s: say here which way it improves", m.Key)
			continue
		}
		if m.HigherIsBetter() != w {
			t.Errorf("%s: HigherIsBetter %v, want %v", m.Key, m.HigherIsBetter(), w)
		}
	}
}
