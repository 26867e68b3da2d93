package measure

import (
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/selfheal/selfheal/chaos/result"
)

// synthetic returns n samples at rate per second in completion order (a
// few late answers, as timeouts make them), with a fault every minute: 3 s
// of 503, 2 s of timeouts, flapping for 2 s.
func synthetic(n int, rate float64) []Sample {
	rng := rand.New(rand.NewPCG(1, 2))
	step := time.Duration(float64(time.Second) / rate)
	s := make([]Sample, n)
	for i := range s {
		sent := time.Duration(i) * step
		x := Sample{Sent: sent, LatencyUS: uint32(5000 + rng.IntN(20000)), Code: 200, Target: uint8(i % 3)}
		switch sec := int(sent/time.Second) % 60; {
		case sec >= 30 && sec < 33:
			x.Code = 503
		case sec >= 33 && sec < 35:
			x.Code, x.Class, x.LatencyUS = 0, ClassTimeout, 2_000_000
		case sec >= 35 && sec < 37 && rng.IntN(2) == 0:
			x.Code, x.Class = 0, ClassRefused
		}
		s[i] = x
	}
	for i := 1; i+1 < n; i += 97 {
		s[i], s[i+1] = s[i+1], s[i] // out of send order, like real completions
	}
	return s
}

func benchInput(s []Sample, rate float64) Input {
	var inj []Mark
	for m := 30 * time.Second; m < s[len(s)-1].Sent; m += 10 * time.Minute {
		inj = append(inj, Mark{At: epoch.Add(m), Fault: "bench"})
	}
	return Input{
		Scenario: "bench", Epoch: epoch, End: epoch.Add(s[len(s)-1].Sent), Samples: s, Injections: inj,
		Load: result.Load{Rate: rate, Targets: []string{"http://a/", "http://b/", "http://c/"}},
	}
}

// BenchmarkAnalyze1M is the analysis of a million requests (about 2 h 47 m
// at 100 requests/s) from completion order to a filled result. Target: < 1 s.
func BenchmarkAnalyze1M(b *testing.B) {
	src := synthetic(1_000_000, 100)
	work := make([]Sample, len(src))
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		copy(work, src) // Analyze sorts in place
		b.StartTimer()
		res, err := Analyze(benchInput(work, 100))
		if err != nil || res.Requests.Total != len(src) {
			b.Fatalf("Analyze: %v (%d requests)", err, res.Requests.Total)
		}
	}
}

// BenchmarkRecorderMemory reports the heap a recorded request costs.
func BenchmarkRecorderMemory(b *testing.B) {
	const n = 360_000 // an hour at 100 requests/s
	var before, after runtime.MemStats
	out := make([]Outcome, 1000)
	r := NewRecorder()
	for i := range out {
		out[i] = Outcome{Sent: r.Epoch().Add(time.Duration(i) * time.Millisecond), Latency: time.Millisecond, Code: 200}
	}
	var kept *Recorder
	for b.Loop() {
		runtime.GC()
		runtime.ReadMemStats(&before)
		r := NewRecorder()
		for i := range n {
			r.Record(out[i%len(out)])
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		kept = r
	}
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "B/request")
	b.ReportMetric(0, "ns/op") // the figure is memory; time per op means nothing here
	runtime.KeepAlive(kept)
}

// BenchmarkRecord is the cost of recording one request.
func BenchmarkRecord(b *testing.B) {
	r := NewRecorder()
	o := Outcome{Sent: r.Epoch(), Latency: time.Millisecond, Code: 200}
	for b.Loop() {
		r.Sending()
		r.Record(o)
	}
}
