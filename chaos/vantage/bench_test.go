package vantage_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"k8s.io/client-go/rest"

	"github.com/selfheal/selfheal/chaos/kube"
	"github.com/selfheal/selfheal/chaos/loader"
	"github.com/selfheal/selfheal/chaos/measure"
	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/chaos/vantage"
)

// The harness's side of the loaders is measured in a process of its own
// (this test binary again, as TestMergeHelper), so that the CPU it
// reports is the harness's alone: it follows the logs of four loader pods
// through client-go, as a session does, from a local server that plays
// the API server and streams each pod's lines at 50 requests a second in
// the loader's own batches (a write every 250 ms); it decodes them,
// records them, and at the end merges and analyses them.
const mergeHelperEnv = "SELFHEAL_MERGE_HELPER"

type mergeJob struct {
	URL      string
	Pods     int
	Duration time.Duration
	Out      string
}

type mergeFigures struct {
	Requests   int
	Outages    int
	WallS      float64
	CPUSeconds float64
}

// TestMergeHelper is not a test: it is the helper process of
// BenchmarkHarnessMerge200rps, and skips unless one started it.
func TestMergeHelper(t *testing.T) {
	spec := os.Getenv(mergeHelperEnv)
	if spec == "" {
		t.Skip("helper process for BenchmarkHarnessMerge200rps")
	}
	var job mergeJob
	if err := json.Unmarshal([]byte(spec), &job); err != nil {
		t.Fatal(err)
	}
	client, err := kube.NewClient(&rest.Config{Host: job.URL})
	if err != nil {
		t.Fatal(err)
	}
	api := vantage.API{Client: client}
	cpu0, wall0 := cpuTime(), time.Now()
	cols := make([]*loader.Collector, job.Pods)
	var wg sync.WaitGroup
	for i := range cols {
		cols[i] = loader.NewCollector()
		wg.Go(func() {
			rc, err := api.Logs(t.Context(), vantage.Namespace, fmt.Sprintf("loader-%d", i), vantage.LoaderContainer, time.Time{}, true)
			if err != nil {
				t.Error(err)
				return
			}
			defer rc.Close()
			if err := cols[i].Read(rc); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	var parts []measure.Part
	for _, c := range cols {
		parts = append(parts, measure.Part{Input: c.Input(0)})
	}
	in := measure.Merge(parts)
	in.Load = result.Load{Rate: 200, Targets: []string{"http://a/"}}
	v, err := measure.Vantage(result.VantagePoint{Name: "inside"}, in)
	if err != nil {
		t.Fatal(err)
	}
	fig := mergeFigures{Requests: v.Requests.Total, Outages: len(v.Outages), WallS: time.Since(wall0).Seconds(), CPUSeconds: (cpuTime() - cpu0).Seconds()}
	data, _ := json.Marshal(fig)
	if err := os.WriteFile(job.Out, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// logServer plays the API server's pod log endpoint: each pod's log is a
// loader's output at rate requests a second, written in 250 ms batches
// for d, with one failing second in the middle (a 503 each).
func logServer(b *testing.B, rate float64, d time.Duration) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, "/log") || r.URL.Query().Get("follow") != "true" {
			http.Error(w, "not a log follow: "+r.URL.String(), http.StatusNotFound)
			return
		}
		fl := w.(http.Flusher)
		began := time.Now()
		w.Write(loader.AppendHeader(nil, loader.Header{V: loader.Version, Began: began.UnixMicro(), Rate: rate,
			Targets: []string{"http://a/"}, Streams: []bool{false}, TimeoutMS: 2000}))
		fl.Flush()
		tick := time.NewTicker(loader.DefaultFlushEvery)
		defer tick.Stop()
		var seq uint64
		var buf []byte
		every := time.Duration(float64(time.Second) / rate)
		next := began
		for now := range tick.C {
			buf = buf[:0]
			for ; next.Before(now) && next.Sub(began) < d; next = next.Add(every) {
				seq++
				code := uint16(200)
				if s := next.Sub(began); s > d/2 && s < d/2+time.Second {
					code = 503
				}
				buf = loader.AppendSample(buf, seq, 0, measure.Outcome{Sent: next, Latency: 3 * time.Millisecond, Code: code})
			}
			if now.Sub(began) >= d {
				buf = loader.AppendEnd(buf, loader.End{Ended: now.UnixMicro(), Received: seq})
				w.Write(buf)
				return
			}
			if _, err := w.Write(buf); err != nil {
				return
			}
			fl.Flush()
		}
	}))
	b.Cleanup(srv.Close)
	return srv
}

// BenchmarkHarnessMerge200rps is the harness following four loaders at
// 50 requests a second each for 20 s, then merging and analysing their
// requests. Target: under 5 % of a core (cpu-%).
func BenchmarkHarnessMerge200rps(b *testing.B) {
	const pods, rate, d = 4, 50.0, 20 * time.Second
	srv := logServer(b, rate, d)
	var fig mergeFigures
	for b.Loop() {
		job := mergeJob{URL: srv.URL, Pods: pods, Duration: d, Out: filepath.Join(b.TempDir(), "figures.json")}
		spec, _ := json.Marshal(job)
		cmd := exec.CommandContext(context.Background(), os.Args[0], "-test.run=^TestMergeHelper$", "-test.count=1")
		cmd.Env = append(os.Environ(), mergeHelperEnv+"="+string(spec))
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("merge helper: %v\n%s", err, out)
		}
		data, err := os.ReadFile(job.Out)
		if err != nil {
			b.Fatalf("the merge helper wrote no figures: %v", err)
		}
		if err := json.Unmarshal(data, &fig); err != nil {
			b.Fatal(err)
		}
	}
	if want := int(pods * rate * d.Seconds()); fig.Requests < want*95/100 || fig.Outages != 1 {
		b.Fatalf("%d requests merged in %d outages; want about %d in 1", fig.Requests, fig.Outages, want)
	}
	b.ReportMetric(100*fig.CPUSeconds/fig.WallS, "cpu-%")
	b.ReportMetric(float64(fig.Requests)/fig.WallS, "req/s")
}

// BenchmarkDecodeLine is the harness's cost of one request line: parse
// and record.
func BenchmarkDecodeLine(b *testing.B) {
	var lines []byte
	began := time.Now()
	lines = loader.AppendHeader(lines, loader.Header{V: loader.Version, Began: began.UnixMicro(), Rate: 50, Targets: []string{"http://a/"}, Streams: []bool{false}})
	const n = 10_000
	for i := range n {
		lines = loader.AppendSample(lines, uint64(i+1), 0, measure.Outcome{Sent: began.Add(time.Duration(i) * 20 * time.Millisecond), Latency: 3 * time.Millisecond, Code: 200})
	}
	b.SetBytes(int64(len(lines)))
	for b.Loop() {
		c := loader.NewCollector()
		if err := c.Read(bytes.NewReader(lines)); err != nil || c.Samples() != n {
			b.Fatalf("%d samples, %v", c.Samples(), err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/line")
}
