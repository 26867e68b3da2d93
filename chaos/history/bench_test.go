package history_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/selfheal/selfheal/chaos/history"
	"github.com/selfheal/selfheal/chaos/measure"
	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/reports/publish"
	"github.com/selfheal/selfheal/reports/view"
)

var scenarios = []string{"wp-config-break", "pod-eviction", "image-roll", "node-halt", "mysql-node-halt"}

// generated is one scenario's result: a 3-minute run at 10 requests/s over
// three targets with a fault at 60 s, analysed by chaos/measure. The
// outage and its recovery vary from night to night (seeded).
func generated(rng *rand.Rand, run string, night, k int) (*result.Result, error) {
	const rate, length = 10.0, 3 * time.Minute
	epoch := time.Date(2026, 1, 1, 2, 0, 0, 0, time.UTC).AddDate(0, 0, night).Add(time.Duration(k) * 4 * time.Minute)
	inject := 60 * time.Second
	outage := time.Duration(float64(k+1)*(0.5+rng.Float64())*float64(2*time.Second)) + time.Duration(rng.IntN(500))*time.Millisecond
	flap := time.Duration(rng.IntN(3000)) * time.Millisecond
	step := time.Duration(float64(time.Second) / rate)
	var s []measure.Sample
	for sent := step; sent <= length; sent += step {
		x := measure.Sample{Sent: sent, LatencyUS: uint32(20000 + rng.IntN(30000)), Code: 200, Target: uint8(len(s) % 3)}
		switch since := sent - inject; {
		case since >= 0 && since < outage:
			x.Code = 503
		case since >= outage && since < outage+flap && rng.IntN(3) == 0:
			x.Code, x.Class, x.LatencyUS = 0, measure.ClassTimeout, 2_000_000
		}
		s = append(s, x)
	}
	res, err := measure.Analyze(measure.Input{
		Scenario: scenarios[k], Epoch: epoch, End: epoch.Add(length), Samples: s,
		Injections: []measure.Mark{{At: epoch.Add(inject), Fault: "bench"}},
		Load:       result.Load{Rate: rate, Timeout: "2s", Targets: []string{"http://a/", "http://a/?p=1", "http://a/style.css"}},
	})
	if err != nil {
		return nil, err
	}
	res.Run = &result.RunInfo{ID: run, ImageMode: "offline", Fixture: "WordPress x2", Variant: "baseline"}
	res.Verdict = result.VerdictPass
	return res, nil
}

// writeHistory writes runs nightly runs of the five scenarios into dir, each
// judged against the ones before it as the suite does, and returns the
// newest run's results unjudged.
func writeHistory(b *testing.B, dir string, runs int) []*result.Result {
	rng := rand.New(rand.NewPCG(7, 9))
	var all, newest []*result.Result
	for night := 0; night < runs; night++ {
		id := fmt.Sprintf("night-%03d", night)
		var these []*result.Result
		for k := range scenarios {
			r, err := generated(rng, id, night, k)
			if err != nil {
				b.Fatal(err)
			}
			these = append(these, r)
		}
		if night == runs-1 {
			return these
		}
		for _, r := range these {
			history.Apply(r, history.Judge(r, all, history.Defaults()))
			if err := result.WriteFile(filepath.Join(dir, id, r.Scenario+".json"), r); err != nil {
				b.Fatal(err)
			}
		}
		all = append(all, these...)
	}
	return newest
}

// peakHeap samples the live heap while fn runs and returns its peak.
func peakHeap(fn func()) uint64 {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak uint64
	read := func() {
		metrics.Read(sample)
		peak = max(peak, sample[0].Value.Uint64())
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				read()
			}
		}
	}()
	fn()
	close(done)
	wg.Wait()
	read()
	return peak
}

// BenchmarkHistory200Runs is what history costs at the end of a nightly
// with 200 runs of 5 scenarios in the report directory (results generated
// through chaos/measure.Analyze): read every earlier result, judge the new
// run's five against their history, and write the report over every run
// (index.html, trends) as the session does. Target: under 2 s and 100 MB
// of heap.
func BenchmarkHistory200Runs(b *testing.B) {
	dir := b.TempDir()
	newest := writeHistory(b, dir, 200)
	ctx := context.Background()
	b.ReportAllocs()
	var peak uint64
	// CPU time beside wall time: on a shared machine the wall time says
	// as much about the neighbours as about this code.
	cpu0 := cpuTime()
	for b.Loop() {
		peak = max(peak, peakHeap(func() {
			past, err := history.Load(ctx, dir)
			if err != nil || len(past) != 199*len(scenarios) {
				b.Fatalf("history.Load: %v (%d results)", err, len(past))
			}
			for _, r := range newest {
				o := history.Judge(r, past, history.Defaults())
				if len(o.Checks) == 0 {
					b.Fatalf("%s: no history checks (%s)", r.Scenario, o.Note.Fallback)
				}
			}
			w, err := publish.Dir(ctx, dir, publish.WithHTMLName("index.html"), publish.WithJUnitName(""),
				publish.WithView(view.WithTitle("selfheal runs")))
			if err != nil || w.Results != 199*len(scenarios) {
				b.Fatalf("publish: %v (%d results)", err, w.Results)
			}
		}))
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
	b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
