package load_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/selfheal/selfheal/chaos/load"
	"github.com/selfheal/selfheal/chaos/measure"
	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/internal/apptest"
)

// The load-side benchmarks run the load in a process of its own (this test
// binary again, as TestLoadSideHelper), so the CPU and memory they report
// are the load side's alone, not the server's.
const helperEnv = "SELFHEAL_LOAD_HELPER"

type helperJob struct {
	URL      string
	Rate     float64
	Duration time.Duration
	// PadTo tops the recorder up with synthetic requests after the real
	// load, to hold as many as a long run would before analysing.
	PadTo int
	Out   string // where the helper writes its figures
}

type helperFigures struct {
	Requests    int     // real requests sent
	Recorded    int     // samples analysed, padding included
	LoadSeconds float64 // wall time of the real load
	CPUSeconds  float64 // user+system CPU of the process during the real load
	MaxRSSMB    float64 // peak resident set of the process, analysis and result file included
}

// TestLoadSideHelper is not a test: it is the helper process of the
// load-side benchmarks, and skips unless one started it.
func TestLoadSideHelper(t *testing.T) {
	spec := os.Getenv(helperEnv)
	if spec == "" {
		t.Skip("helper process for the load-side benchmarks")
	}
	var job helperJob
	if err := json.Unmarshal([]byte(spec), &job); err != nil {
		t.Fatal(err)
	}
	gen, err := load.New([]string{job.URL}, load.Rate(job.Rate), load.Duration(job.Duration))
	if err != nil {
		t.Fatal(err)
	}
	rec := measure.NewRecorder()
	cpu0 := cpuTime()
	wall0 := time.Now()
	st, err := gen.Run(t.Context(), rec)
	if err != nil {
		t.Fatal(err)
	}
	fig := helperFigures{Requests: int(st.Received), LoadSeconds: time.Since(wall0).Seconds(), CPUSeconds: (cpuTime() - cpu0).Seconds()}
	end := pad(rec, st.Ended, job.PadTo)
	in := rec.Input(end)
	in.Scenario, in.Load = "rss", gen.Settings()
	res, err := measure.Analyze(in)
	if err != nil {
		t.Fatal(err)
	}
	if err := result.WriteFile(filepath.Join(t.TempDir(), "result.json"), res); err != nil {
		t.Fatal(err)
	}
	fig.Recorded = res.Requests.Total
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	fig.MaxRSSMB = float64(ru.Maxrss) / 1024 // kilobytes on Linux
	data, _ := json.Marshal(fig)
	if err := os.WriteFile(job.Out, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// pad records synthetic requests after the real ones, at the same rate
// shape (100/s, a 5 s outage each minute), up to n in all.
func pad(rec *measure.Recorder, from time.Time, n int) time.Time {
	at := from
	for i := rec.Len(); i < n; i++ {
		at = at.Add(10 * time.Millisecond)
		o := measure.Outcome{Sent: at, Latency: 3 * time.Millisecond, Code: 200}
		if at.Sub(from)%time.Minute < 5*time.Second {
			o.Code = 503
		}
		rec.Record(o)
	}
	return at
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func runHelper(b *testing.B, job helperJob) helperFigures {
	b.Helper()
	job.Out = filepath.Join(b.TempDir(), "figures.json")
	spec, _ := json.Marshal(job)
	cmd := exec.Command(os.Args[0], "-test.run=^TestLoadSideHelper$", "-test.count=1")
	cmd.Env = append(os.Environ(), helperEnv+"="+string(spec))
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("load helper: %v\n%s", err, out)
	}
	data, err := os.ReadFile(job.Out)
	if err != nil {
		b.Fatalf("load helper wrote no figures: %v", err)
	}
	var fig helperFigures
	if err := json.Unmarshal(data, &fig); err != nil {
		b.Fatal(err)
	}
	return fig
}

// BenchmarkLoadCPU100rps is the CPU the load side costs at 100 requests/s
// over 10 s (cpu-s/s: CPU seconds per second of load; x100 for % of a core).
func BenchmarkLoadCPU100rps(b *testing.B) {
	srv := apptest.Page(b)
	var fig helperFigures
	for b.Loop() {
		fig = runHelper(b, helperJob{URL: srv.URL, Rate: 100, Duration: 10 * time.Second})
	}
	b.ReportMetric(fig.CPUSeconds/fig.LoadSeconds, "cpu-s/s")
	b.ReportMetric(float64(fig.Requests)/fig.LoadSeconds, "req/s")
}

// BenchmarkHourAt100rpsRSS is the peak RSS of a process that runs real load
// for 10 s at 100 requests/s, then holds an hour's worth of requests
// (360 000) in the recorder, analyses them and writes the result.
// Target: under 64 MB.
func BenchmarkHourAt100rpsRSS(b *testing.B) {
	srv := apptest.Page(b)
	var fig helperFigures
	for b.Loop() {
		fig = runHelper(b, helperJob{URL: srv.URL, Rate: 100, Duration: 10 * time.Second, PadTo: 360_000})
	}
	if fig.Recorded != 360_000 {
		b.Fatalf("analysed %d requests; want 360000", fig.Recorded)
	}
	b.ReportMetric(fig.MaxRSSMB, "maxRSS-MB")
}
