package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/internal/flaky/flakytest"
)

// syncBuffer is an output the test reads while the command writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func runWith(ctx context.Context, stdin io.Reader, args ...string) (int, *syncBuffer, *syncBuffer) {
	var out, errb syncBuffer
	env := &cliEnv{stdin: stdin, stdout: &out, stderr: &errb}
	return run(ctx, env, args), &out, &errb
}

func TestProbeBadFlags(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{nil, "at least one --url is required"},
		{[]string{"--url", "http://a/", "--rate", "0"}, "--rate: rate must be a number of requests per second above 0, got 0"},
		{[]string{"--url", "http://a/", "--rate", "fast"}, "invalid value \"fast\" for flag -rate"},
		{[]string{"--url", "http://a/", "--timeout", "0s"}, "--timeout must be positive"},
		{[]string{"--url", "a.example/"}, "must be an http:// or https:// URL"},
		{[]string{"--url", "http://a/", "--url", "http://a/"}, "given twice"},
		{[]string{"--url", "http://a/", "http://b/"}, "unexpected argument \"http://b/\""},
		{[]string{"--url", "http://a/", "--duration", "10s", "--inject-at", "20s"}, "not within --duration"},
		{[]string{"--url", "http://a/", "--inject-at", "soon"}, "not a duration"},
		{[]string{"--bogus"}, "flag provided but not defined: -bogus"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, out, errb := runWith(t.Context(), strings.NewReader(""), append([]string{"probe"}, tt.args...)...)
			if code != 2 || !strings.Contains(errb.String(), tt.want) || !strings.Contains(errb.String(), "selfheal probe -h") {
				t.Errorf("exit %d, stderr %q; want exit 2 and %q", code, errb, tt.want)
			}
			if out.String() != "" {
				t.Errorf("stdout %q; want nothing", out)
			}
		})
	}
}

// A probe against a server that fails on a known schedule: the written
// result matches what the server did.
func TestProbeMeasuresTheServer(t *testing.T) {
	srv := flakytest.Start(t, "700ms ok, 600ms 503, 1800ms ok")
	out := filepath.Join(t.TempDir(), "result.json")
	code, stdout, stderr := runWith(t.Context(), strings.NewReader(""), "probe",
		"--url", srv.URL()+"/", "--url", srv.URL()+"/post", "--rate", "50", "--duration", "2.8s",
		"--timeout", "1s", "--confirm", "500ms", "--inject-at", "300ms", "--progress-every", "500ms", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
	}
	res, err := result.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	edges := srv.Edges()
	tol := time.Second/50 + 25*time.Millisecond
	if len(res.Outages) != 1 {
		t.Fatalf("%d outages; the server failed once\n%s", len(res.Outages), stdout)
	}
	o := res.Outages[0]
	if d := o.Start.Sub(edges[1].At); d < -tol || d > tol {
		t.Errorf("outage starts %v off the server's edge", d)
	}
	if d := o.End.Sub(edges[2].At); d < -tol || d > tol {
		t.Errorf("outage ends %v off the server's edge", d)
	}
	if got, want := res.StatusCodes["503"], srv.Served()[503]; got != want || res.Server5xx != want {
		t.Errorf("503 counted %d (5xx %d); the server sent %d", got, res.Server5xx, want)
	}
	if len(res.Injections) != 1 || res.RecoveryFrom != result.FromInjection || !res.Recovered || res.RecoveryMS == nil {
		t.Fatalf("injections %v, recovery_from %q, recovered %v", res.Injections, res.RecoveryFrom, res.Recovered)
	}
	if got, want := res.Injections[0].At.Sub(res.Started), 300*time.Millisecond; got < want-time.Millisecond || got > want+time.Millisecond {
		t.Errorf("--inject-at 300ms marked at +%v from the first request", got)
	}
	wantRecovery := edges[2].At.Sub(res.Injections[0].At)
	if d := time.Duration(*res.RecoveryMS*float64(time.Millisecond)) - wantRecovery; d < -tol || d > tol {
		t.Errorf("recovery %vms; the server was back %v after the injection", *res.RecoveryMS, wantRecovery)
	}
	for _, want := range []string{"Downtime", "Recovery", "503 ×", "Per URL", "Result written to " + out} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, stdout)
		}
	}
	// Not a terminal: plain progress lines, no carriage returns.
	if !regexp.MustCompile(`(?m)^ +\d+\.\ds  sent \d+`).MatchString(stdout.String()) || strings.Contains(stdout.String(), "\r") {
		t.Errorf("want plain progress lines:\n%q", stdout)
	}
}

// Enter marks an injection (its text the detail), r a revert; with no
// failure after it, recovery is 0 and impact none.
func TestProbeMarksFromStdin(t *testing.T) {
	srv := flakytest.Start(t, "1m ok")
	out := filepath.Join(t.TempDir(), "r.json")
	// The revert comes 1.3 s after the injection: more than a second's
	// worth of requests go out while the "fault" is in place (marked
	// together, or closer, nothing would observe it: docs/measurement.md).
	stdin, typing := io.Pipe()
	go func() {
		io.WriteString(typing, "killed the pod\n")
		time.Sleep(1300 * time.Millisecond)
		io.WriteString(typing, "r\n")
		typing.Close()
	}()
	code, stdout, _ := runWith(t.Context(), stdin, "probe",
		"--url", srv.URL(), "--rate", "20", "--duration", "1800ms", "--confirm", "100ms", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stdout)
	}
	res, err := result.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Injections) != 1 || res.Injections[0].Detail != "killed the pod" || len(res.Reverts) != 1 {
		t.Fatalf("injections %+v reverts %+v", res.Injections, res.Reverts)
	}
	if !res.Recovered || res.RecoveryMS == nil || *res.RecoveryMS != 0 || res.Impact != result.ImpactNone || res.TimeToFirstErrorMS != nil {
		t.Errorf("recovered %v recovery %v impact %q ttfe %v; want recovered at once, no impact", res.Recovered, res.RecoveryMS, res.Impact, res.TimeToFirstErrorMS)
	}
}

// Ctrl-C ends the run early and the result is still written, marked as
// interrupted; without a mark, recovery runs from the first failure.
func TestProbeInterrupted(t *testing.T) {
	srv := flakytest.Start(t, "300ms 500, 1h ok")
	out := filepath.Join(t.TempDir(), "r.json")
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go func() {
		for srv.Served()[200] < 60 { // the server has been back for a while
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
	}()
	code, stdout, stderr := runWith(ctx, strings.NewReader(""), "probe", "--url", srv.URL(), "--rate", "50",
		"--confirm", "500ms", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	res, err := result.ReadFile(out)
	if err != nil {
		t.Fatalf("no result after an interrupt: %v", err)
	}
	// Other notes (a pause of the load on a busy machine) may come first.
	if !slices.ContainsFunc(res.Notes, func(n string) bool { return strings.Contains(n, "Interrupted") }) {
		t.Errorf("notes %q; want the run marked interrupted", res.Notes)
	}
	if res.RecoveryFrom != result.FromFirstFailure || !res.Recovered || res.StatusCodes["500"] != srv.Served()[500] {
		t.Errorf("recovery_from %q recovered %v, 500 ×%d (server sent %d)", res.RecoveryFrom, res.Recovered, res.StatusCodes["500"], srv.Served()[500])
	}
	if !strings.Contains(stdout.String(), "Stopping: waiting") || !strings.Contains(stdout.String(), "Note: Interrupted") {
		t.Errorf("stdout does not say it stopped:\n%s", stdout)
	}
}

func TestProbeSummaryNotRecovered(t *testing.T) {
	srv := flakytest.Start(t, "200ms ok, 1h 503")
	out := filepath.Join(t.TempDir(), "r.json")
	code, stdout, _ := runWith(t.Context(), strings.NewReader(""), "probe", "--url", srv.URL(), "--rate", "50",
		"--duration", "1500ms", "--inject-at", "100ms", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"NOT RECOVERED", "still failing at the end", "First error"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, stdout)
		}
	}
}

func TestFlakyServerCommand(t *testing.T) {
	code, _, errb := runWith(t.Context(), strings.NewReader(""), "flaky-server", "--schedule", "3s teapot")
	if code != 2 || !strings.Contains(errb.String(), "teapot") {
		t.Errorf("bad schedule: exit %d, %q; want exit 2 naming it", code, errb)
	}

	ctx, cancel := context.WithCancel(t.Context())
	var out syncBuffer
	done := make(chan int)
	go func() {
		done <- run(ctx, &cliEnv{stdin: strings.NewReader(""), stdout: &out, stderr: io.Discard},
			[]string{"flaky-server", "--listen", "127.0.0.1:0", "--schedule", "100ms 503, 100ms ok"})
	}()
	re := regexp.MustCompile(`Serving (http://127\.0\.0\.1:\d+)`)
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), "Schedule over") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	m := re.FindStringSubmatch(out.String())
	if m == nil || !strings.Contains(out.String(), "phase 1/2: 100ms 503") || !strings.Contains(out.String(), "phase 2/2: 100ms ok") {
		t.Fatalf("output:\n%s", out.String())
	}
	code, stdout, _ := runWith(t.Context(), strings.NewReader(""), "probe", "--url", m[1], "--duration", "200ms",
		"--out", filepath.Join(t.TempDir(), "r.json"))
	if code != 0 || !strings.Contains(stdout.String(), "200 ×") {
		t.Errorf("probe against flaky-server: exit %d\n%s", code, stdout)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("flaky-server exit %d after Ctrl-C", code)
	}
}

// SIGTERM stops a probe at once, even at a rate whose next request is a
// minute away, and the result is still written: the real binary, a real
// signal. It used to wait out the interval (vegeta slept deaf to Stop).
func TestProbeHonoursSIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "selfheal")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	srv := flakytest.Start(t, "1h ok")
	out := filepath.Join(t.TempDir(), "r.json")
	cmd := exec.CommandContext(t.Context(), bin, "probe", "--url", srv.URL(), "--rate", "0.0166", "--timeout", "1s",
		"--progress-every", "100ms", "--out", out)
	var stdout, stderr syncBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for !strings.Contains(stdout.String(), "sent 0") { // the load is running
		time.Sleep(10 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("exit: %v\nstdout %s\nstderr %s", err, stdout.String(), stderr.String())
		}
	case <-time.After(30 * time.Second): // half the interval
		cmd.Process.Kill()
		t.Fatalf("still running 30 s after SIGTERM\nstdout %s", stdout.String())
	}
	res, err := result.ReadFile(out)
	if err != nil {
		t.Fatalf("no result after SIGTERM: %v", err)
	}
	if res.Requests.Total != 0 || !strings.Contains(strings.Join(res.Notes, "\n"), "Interrupted") {
		t.Errorf("requests %d, notes %q; want nothing sent and the run marked interrupted", res.Requests.Total, res.Notes)
	}
}

// When --out cannot be written at the end (its directory went away), the
// result is written to a temporary file and the error says where.
func TestProbeOutLostAtTheEnd(t *testing.T) {
	srv := flakytest.Start(t, "1m ok")
	dir := filepath.Join(t.TempDir(), "results")
	out := filepath.Join(dir, "r.json")
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go func() {
		for srv.Served()[200] < 5 {
			time.Sleep(10 * time.Millisecond)
		}
		// The directory checked at the start becomes a file.
		os.RemoveAll(dir)
		os.WriteFile(dir, []byte("in the way"), 0o644)
		cancel()
	}()
	code, stdout, stderr := runWith(ctx, strings.NewReader(""), "probe", "--url", srv.URL(), "--rate", "50", "--out", out)
	if code != 1 {
		t.Fatalf("exit %d; want 1\n%s\n%s", code, stdout, stderr)
	}
	m := regexp.MustCompile(`the result was written to (\S+) instead`).FindStringSubmatch(stderr.String())
	if m == nil {
		t.Fatalf("stderr does not say where the result went: %s", stderr)
	}
	defer os.Remove(m[1])
	res, err := result.ReadFile(m[1])
	if err != nil || res.Requests.Total < 5 {
		t.Fatalf("the saved result: %v, %+v", err, res)
	}
}
