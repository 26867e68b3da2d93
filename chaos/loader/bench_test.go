package loader_test

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/selfheal/selfheal/chaos/loader"
	"github.com/selfheal/selfheal/internal/apptest"
)

// The loader's cost is measured on the real program: cmd/selfheal-loader
// built static as its image builds it (fixtures/images/loader), run as a
// process of its own against a local server answering like the app
// (internal/apptest: its pages, gzipped when asked), its output read by
// this process as the kubelet reads a container's. Its CPU time and peak
// RSS come from the kernel's accounting of that process alone
// (wait4's rusage): the server and the reader are not in them.

var (
	buildOnce sync.Once
	binary    string
	buildErr  error
)

// loaderBinary builds cmd/selfheal-loader once per test binary.
func loaderBinary(b *testing.B) string {
	b.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "selfheal-loader-bench")
		if err != nil {
			buildErr = err
			return
		}
		binary = filepath.Join(dir, "selfheal-loader")
		cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", binary, "github.com/selfheal/selfheal/cmd/selfheal-loader")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build cmd/selfheal-loader: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		b.Fatal(buildErr)
	}
	return binary
}

// loaderRun is what runs of the loader process cost, summed (add).
type loaderRun struct {
	Requests int
	Wall     time.Duration
	CPU      time.Duration // user + system
	MaxRSSMB float64
	Span     time.Duration // the load's own, from its header to its end line
}

// add sums o into r: the figures reported are over every run, not the
// last; the peak is the highest.
func (r *loaderRun) add(o loaderRun) {
	r.Requests += o.Requests
	r.Wall += o.Wall
	r.CPU += o.CPU
	r.MaxRSSMB = max(r.MaxRSSMB, o.MaxRSSMB)
	r.Span += o.Span
}

// Achieved is the requests per second sent over the runs' spans.
func (r *loaderRun) Achieved() float64 {
	if r.Span <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Span.Seconds()
}

// report reports r's CPU as a share of one core, its peak RSS and the
// rate achieved.
func (r *loaderRun) report(b *testing.B) {
	b.ReportMetric(100*r.CPU.Seconds()/r.Wall.Seconds(), "cpu-%")
	b.ReportMetric(r.MaxRSSMB, "maxRSS-MB")
	b.ReportMetric(r.Achieved(), "req/s")
}

// runLoader runs the loader at rate for d against url and reads its
// output to the end.
func runLoader(b *testing.B, url string, rate float64, keepAlive string, d time.Duration) loaderRun {
	b.Helper()
	cmd := exec.Command(loaderBinary(b), "run", "--target", url, "--rate", fmt.Sprint(rate),
		"--keep-alive", keepAlive, "--max-duration", d.String())
	cmd.Env = append(os.Environ(), loader.Env()...) // as its pod runs it
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	c := loader.NewCollector()
	if err := c.Read(bufio.NewReader(out)); err != nil {
		b.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		b.Fatalf("loader: %v", err)
	}
	wall := time.Since(start)
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if c.End() == nil {
		b.Fatal("the loader wrote no last line")
	}
	in := c.Input(0)
	return loaderRun{Requests: c.Samples(), Wall: wall, CPU: time.Duration(ru.Utime.Nano() + ru.Stime.Nano()),
		MaxRSSMB: float64(ru.Maxrss) / 1024, Span: in.End.Sub(in.Begin)}
}

// BenchmarkLoader100rps is one loader at 100 requests a second for 10 s,
// with a connection per request (the scenarios' default) and with
// kept-alive connections. Targets: under 5 % of a core (cpu-%) and
// under 64 MiB (maxRSS-MB).
func BenchmarkLoader100rps(b *testing.B) {
	srv := apptest.Page(b)
	for _, keepAlive := range []string{loader.KeepAliveOff, loader.KeepAliveOn} {
		b.Run("keep-alive="+keepAlive, func(b *testing.B) {
			var r loaderRun
			for b.Loop() {
				r.add(runLoader(b, srv.URL+"/", 100, keepAlive, 10*time.Second))
			}
			r.report(b)
		})
	}
}

// BenchmarkLoaderSustain is what one loader sends at rising rates for 5 s
// each, a connection per request, against a server in this process: the
// rate achieved against the rate asked, and the CPU it took. On a machine
// of 2 cores the server competes with the loader for them, so the highest
// rate achieved is a lower bound of what a loader pod sustains.
func BenchmarkLoaderSustain(b *testing.B) {
	srv := apptest.Page(b)
	for _, rate := range []float64{100, 200, 400, 800, 1600} {
		b.Run(fmt.Sprintf("rate=%g", rate), func(b *testing.B) {
			var r loaderRun
			for b.Loop() {
				r.add(runLoader(b, srv.URL+"/", rate, loader.KeepAliveOff, 5*time.Second))
			}
			r.report(b)
			b.ReportMetric(100*r.Achieved()/rate, "%-of-asked")
		})
	}
}
