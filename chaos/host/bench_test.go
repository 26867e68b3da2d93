package host

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkSample is the cost of one sample of this machine's /proc: the
// reading of six files and the arithmetic. At DefaultInterval it must stay
// under 1 % of a core (docs/measurement.md); "%core" is the share it
// implies.
func BenchmarkSample(b *testing.B) {
	benchmarkSample(b, NewSampler(context.Background()))
}

// BenchmarkSampleWithCluster adds the CPU counters of three node
// containers' cgroups (the recorded kind-own tree): nine files a sample.
func BenchmarkSampleWithCluster(b *testing.B) {
	dir := filepath.Join("testdata", "kind-own", "t0")
	benchmarkSample(b, NewSampler(context.Background(), WithProc(dir), WithRoot(dir), WithSystemUnderTest(nodePIDs)))
}

func benchmarkSample(b *testing.B, s *Sampler) {
	at := time.Now()
	s.Sample(at)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		at = at.Add(DefaultInterval)
		if _, ok := s.Sample(at); !ok {
			b.Fatal("no sample")
		}
	}
	perSample := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(100*perSample/DefaultInterval.Seconds(), "%core")
}
