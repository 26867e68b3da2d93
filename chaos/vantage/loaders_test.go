package vantage_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/selfheal/selfheal/chaos/loader"
	"github.com/selfheal/selfheal/chaos/measure"
	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/chaos/vantage"
	"github.com/selfheal/selfheal/internal/flaky"
	"github.com/selfheal/selfheal/internal/flaky/flakytest"
)

// Two nodes whose clocks are off by seconds, in opposite directions: the
// corrected send times must still put each outage where the server lived
// it. Uncorrected, worker's requests would fail 3 s after worker2's.
var skewed = map[string]time.Duration{"worker": 3 * time.Second, "worker2": -1500 * time.Millisecond}

const (
	gtRate    = 50 // each loader
	gtTimeout = 500 * time.Millisecond
	// gtAttempts: as chaos/load's ground truth, a stall of the machine
	// between a send and its time stamp is invisible to any measurement
	// by send time; a bug misses every attempt.
	gtAttempts = 3
	gtSchedule = "1500ms ok, 1s 503, 1500ms ok, 800ms refuse, 1500ms ok"
)

// TestInsideGroundTruth loads a server that fails on a known schedule
// from two in-process loaders on skewed clocks, through everything the
// harness does with real ones (their Jobs, their logs followed and read
// again after a cut, the clock exchange through exec with legs of
// unequal length), and compares the merged outages with the instants the
// server switched phases: within one loader's request interval plus the
// uncertainty the clock readings state.
func TestInsideGroundTruth(t *testing.T) {
	for _, cut := range []bool{false, true} {
		t.Run(fmt.Sprintf("log cut=%v", cut), func(t *testing.T) {
			for attempt := 1; ; attempt++ {
				problems := insideGroundTruth(t, cut)
				if len(problems) == 0 {
					return
				}
				if attempt == gtAttempts {
					for _, p := range problems {
						t.Error(p)
					}
					return
				}
				t.Logf("attempt %d missed the ground truth, trying again:\n  %s", attempt, strings.Join(problems, "\n  "))
			}
		})
	}
}

func insideGroundTruth(t *testing.T, cut bool) (problems []string) {
	fail := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	cl := newCluster(t, skewed)
	cl.leg = [2]time.Duration{time.Millisecond, 6 * time.Millisecond}
	if cut {
		cl.cutAfter = 3000
	}
	var (
		mu    sync.Mutex
		marks []measure.Mark
	)
	srv := flakytest.Start(t, gtSchedule, flaky.OnEdge(func(e flaky.Edge) {
		if e.Phase.Fails() {
			mu.Lock()
			marks = append(marks, measure.Mark{At: e.At, Fault: e.Phase.Cause(), Detail: e.Phase.String()})
			mu.Unlock()
		}
	}))
	l, err := vantage.NewLoaders(cl.cs, cl, vantage.Spec{Count: 2, Nodes: []string{"worker", "worker2"}, Rate: gtRate, Timeout: gtTimeout,
		KeepAlive: loader.KeepAliveOff, Targets: []string{srv.URL() + "/"}, Image: "selfheal.local/loader:test", Service: "shop/web"},
		vantage.WithRetry(20*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	running, err := l.Start(t.Context(), "ground-truth")
	if err != nil {
		t.Fatal(err)
	}
	<-srv.Done()
	seen := running.Stop(t.Context())
	if len(seen) != 1 {
		t.Fatalf("%d vantage points seen; want 1", len(seen))
	}
	s := seen[0]
	if s.Point.Name != "inside" || s.Point.Kind != result.VantageInside || s.Point.Connections != result.ConnectionsNew || s.Error != "" {
		t.Fatalf("vantage point %+v, error %q", s.Point, s.Error)
	}
	if want := "2 loader pods on worker, worker2, to Service shop/web at " + strings.TrimPrefix(srv.URL(), "http://"); s.Point.From != want {
		t.Errorf("the vantage point is from %q; want %q", s.Point.From, want)
	}
	uncertainty := checkLoaders(t, s.Loaders, fail)
	mu.Lock()
	s.Input.Injections = append([]measure.Mark(nil), marks...)
	mu.Unlock()
	s.Input.Params = measure.Params{ConfirmationWindow: 500 * time.Millisecond}
	v, err := measure.Vantage(s.Point, s.Input)
	if err != nil {
		t.Fatal(err)
	}
	tol := time.Second/gtRate + uncertainty + 25*time.Millisecond
	var windows [][2]time.Time
	edges := srv.Edges()
	for i := 0; i+1 < len(edges); i++ {
		if edges[i].Phase.Fails() {
			windows = append(windows, [2]time.Time{edges[i].At, edges[i+1].At})
		}
	}
	main := fringeless(t, v.Outages, windows, tol)
	if len(main) != len(windows) {
		for _, o := range v.Outages {
			t.Logf("outage %s +%v (%d × %s)", o.Start.Format("15:04:05.000"), o.End.Sub(o.Start), o.Requests, o.Cause)
		}
		fail("%d outages measured from inside (besides flickers at the edges); the server failed in %d windows", len(main), len(windows))
		return problems
	}
	for i, w := range windows {
		o := main[i]
		t.Logf("window %d: outage start %+v, end %+v (tolerance %v)", i, o.Start.Sub(w[0]), o.End.Sub(w[1]), tol)
		if absDur(o.Start.Sub(w[0])) > tol || absDur(o.End.Sub(w[1])) > tol {
			fail("outage %d at %s..%s; the server failed %s..%s (tolerance %v)", i,
				o.Start.Format("15:04:05.000"), o.End.Format("15:04:05.000"), w[0].Format("15:04:05.000"), w[1].Format("15:04:05.000"), tol)
		}
	}
	v.Outages = main
	if want := []string{"503", "refused"}; v.Outages[0].Cause != want[0] || v.Outages[1].Cause != want[1] {
		fail("causes %s, %s; want %v", v.Outages[0].Cause, v.Outages[1].Cause, want)
	}
	return problems
}

// fringeless leaves out the flickers at the windows' edges: merged from
// loaders whose clocks are known to within the uncertainty, requests of
// different loaders near an edge may be out of order, so an edge can show
// as an outage of a request or two, no longer than the tolerance and
// within it of the edge (docs/measurement.md, "Vantage points"). Any
// other outage is kept, to be matched with a window.
func fringeless(t *testing.T, outages []result.Outage, windows [][2]time.Time, tol time.Duration) []result.Outage {
	var main []result.Outage
	for _, o := range outages {
		flicker := false
		if o.End.Sub(o.Start) <= tol && o.Requests <= 2 {
			for _, w := range windows {
				for _, edge := range w {
					flicker = flicker || (absDur(o.Start.Sub(edge)) <= tol && absDur(o.End.Sub(edge)) <= tol)
				}
			}
		}
		if flicker {
			t.Logf("flicker at an edge: %s +%v (%d × %s)", o.Start.Format("15:04:05.000"), o.End.Sub(o.Start), o.Requests, o.Cause)
			continue
		}
		main = append(main, o)
	}
	return main
}

// checkLoaders checks what each loader sent came back whole, and that its
// applied clock offset is its node's within the uncertainty stated; it
// returns the largest uncertainty.
func checkLoaders(t *testing.T, ls []result.Loader, fail func(string, ...any)) time.Duration {
	if len(ls) != 2 {
		t.Fatalf("%d loaders; want 2", len(ls))
	}
	var worst time.Duration
	for _, l := range ls {
		want := skewed[l.Node]
		got := time.Duration(l.AppliedMS * float64(time.Millisecond))
		unc := time.Duration(l.UncertaintyMS * float64(time.Millisecond))
		worst = max(worst, unc)
		t.Logf("loader %s on %s: %d samples, %.1f/s, offset %v ± %v (true %v), %d readings", l.Pod, l.Node, l.Samples, l.Achieved, got, unc, want, len(l.Clock))
		switch {
		case !l.Ended || l.Lost != "":
			fail("loader %s: not ended (%s)", l.Pod, l.Lost)
		case absDur(got-want) > unc:
			fail("loader %s: offset %v ± %v; its node is %v off", l.Pod, got, unc, want)
		case len(l.Clock) != 2:
			fail("loader %s: %d clock readings; want one before and one after", l.Pod, len(l.Clock))
		case unc < 3*time.Millisecond:
			fail("loader %s: uncertainty %v, below half the 7 ms round trip", l.Pod, unc)
		case l.Samples < 250 || l.Achieved < 0.9*gtRate:
			fail("loader %s: %d samples at %.1f/s; want about %d at %d/s", l.Pod, l.Samples, l.Achieved, 6*gtRate, gtRate)
		}
	}
	return worst
}

func absDur(d time.Duration) time.Duration { return max(d, -d) }

// Every request a loader sent is counted once, however often its log is
// read: the follow cut in the middle of a line, then read again from a
// second before.
func TestLogCutCountsEachRequestOnce(t *testing.T) {
	cl := newCluster(t, map[string]time.Duration{"worker": 0})
	cl.cutAfter = 2000
	srv := flakytest.Start(t, "2s ok")
	l, err := vantage.NewLoaders(cl.cs, cl, vantage.Spec{Count: 1, Nodes: []string{"worker"}, Rate: 100, Timeout: gtTimeout,
		KeepAlive: loader.KeepAliveBoth, Targets: []string{srv.URL() + "/"}, Image: "x"}, vantage.WithRetry(20*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	running, err := l.Start(t.Context(), "cut")
	if err != nil {
		t.Fatal(err)
	}
	<-srv.Done()
	seen := running.Stop(t.Context())
	if len(seen) != 2 || seen[0].Point.Name != "inside" || seen[1].Point.Name != "inside-reused" || seen[1].Point.Connections != result.ConnectionsReused {
		t.Fatalf("vantage points %+v; want inside and inside-reused", seen)
	}
	served := srv.Served()[200]
	got := len(seen[0].Input.Samples) + len(seen[1].Input.Samples)
	if got != served || got < 300 {
		t.Errorf("%d requests read back; the server answered %d", got, served)
	}
	for _, s := range seen {
		if l := s.Loaders[0]; !l.Ended || l.Samples != len(s.Input.Samples) {
			t.Errorf("%s: loader %+v, %d samples", s.Point.Name, l, len(s.Input.Samples))
		}
		if s.Input.Load.Rate != 100 || s.Input.Load.KeepAlive != (s.Point.Connections == result.ConnectionsReused) {
			t.Errorf("%s: load settings %+v", s.Point.Name, s.Input.Load)
		}
	}
}

// A loader whose container ends before its last line (its node halted,
// its pod evicted) is reported lost, with what it sent until then.
func TestLostLoaderIsSaid(t *testing.T) {
	cl := newCluster(t, map[string]time.Duration{"worker": 0, "worker2": 0})
	srv := flakytest.Start(t, "3s ok")
	l, err := vantage.NewLoaders(cl.cs, cl, vantage.Spec{Count: 2, Nodes: []string{"worker", "worker2"}, Rate: 20, Timeout: gtTimeout,
		KeepAlive: loader.KeepAliveOff, Targets: []string{srv.URL() + "/"}, Image: "x"}, vantage.WithRetry(20*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	running, err := l.Start(t.Context(), "lost")
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	// worker2 dies: its loader's log stops mid-run, without a last line.
	pods, err := cl.cs.CoreV1().Pods(vantage.Namespace).List(t.Context(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pods.Items {
		if p.Spec.NodeName == "worker2" {
			ct, _ := cl.container(p.Name)
			ct.log.close()
			ct.cancel()
			_ = cl.cs.Tracker().Delete(podsGVR, p.Namespace, p.Name)
		}
	}
	<-srv.Done()
	seen := running.Stop(t.Context())
	var lost, ended int
	for _, ld := range seen[0].Loaders {
		switch {
		case ld.Node == "worker2" && !ld.Ended && strings.Contains(ld.Lost, "pod was deleted") && ld.Samples > 0:
			lost++
		case ld.Node == "worker" && ld.Ended:
			ended++
		default:
			t.Errorf("loader %+v", ld)
		}
	}
	if lost != 1 || ended != 1 || !strings.Contains(seen[0].Error, "1 of 2 loaders did not report to the end") {
		t.Errorf("lost %d, ended %d, error %q", lost, ended, seen[0].Error)
	}
}

// A loader pod that never runs fails the start, saying why, and leaves
// no Job behind.
func TestStartFailsWhenALoaderCannotRun(t *testing.T) {
	cl := newCluster(t, map[string]time.Duration{"worker": 0})
	l, err := vantage.NewLoaders(cl.cs, cl, vantage.Spec{Count: 2, Nodes: []string{"worker", "nowhere"}, Rate: 10,
		KeepAlive: loader.KeepAliveOff, Targets: []string{"http://127.0.0.1:1/"}, Image: "x"}, vantage.WithStartTimeout(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	_, err = l.Start(t.Context(), "nowhere")
	if err == nil || !strings.Contains(err.Error(), "nowhere") {
		t.Fatalf("start = %v; want an error naming the node", err)
	}
	jobs, _ := cl.cs.BatchV1().Jobs(vantage.Namespace).List(context.Background(), metav1.ListOptions{})
	if len(jobs.Items) != 0 {
		t.Errorf("%d Jobs left after a failed start", len(jobs.Items))
	}
}

func TestSpecRefusals(t *testing.T) {
	ok := vantage.Spec{Count: 1, Nodes: []string{"w"}, Rate: 10, KeepAlive: "false", Targets: []string{"http://a/"}, Image: "x"}
	for _, tc := range []struct {
		change func(*vantage.Spec)
		want   string
	}{
		{func(s *vantage.Spec) { s.Count = 0 }, "at least 1"},
		{func(s *vantage.Spec) { s.Nodes = nil }, "no node"},
		{func(s *vantage.Spec) { s.Image = "" }, "no image"},
		{func(s *vantage.Spec) { s.KeepAlive = "maybe" }, "keep-alive"},
		{func(s *vantage.Spec) { s.Rate = -1 }, "rate"},
		{func(s *vantage.Spec) { s.Targets = []string{"wordpress"} }, "http://"},
	} {
		s := ok
		tc.change(&s)
		if err := s.Check(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Check(%+v) = %v; want %q", s, err, tc.want)
		}
	}
	if err := ok.Check(); err != nil {
		t.Error(err)
	}
}

// The Jobs ask for nothing a restricted namespace forbids, pin their pod
// to its node, and carry the labels one selector removes.
func TestLoaderJobs(t *testing.T) {
	cl := newCluster(t, map[string]time.Duration{"worker": 0, "worker2": 0})
	srv := flakytest.Start(t, "2s ok")
	l, err := vantage.NewLoaders(cl.cs, cl, vantage.Spec{Count: 3, Nodes: []string{"worker", "worker2"}, Rate: 5,
		KeepAlive: loader.KeepAliveOff, Targets: []string{srv.URL() + "/"}, Image: "selfheal.local/loader:1", Host: "127.0.0.1:30080"})
	if err != nil {
		t.Fatal(err)
	}
	running, err := l.Start(t.Context(), "pod-eviction")
	if err != nil {
		t.Fatal(err)
	}
	jobs, err := cl.cs.BatchV1().Jobs(vantage.Namespace).List(t.Context(), metav1.ListOptions{})
	if err != nil || len(jobs.Items) != 3 {
		t.Fatalf("%d Jobs, %v", len(jobs.Items), err)
	}
	nodes := map[string]int{}
	for _, j := range jobs.Items {
		checkJob(t, j)
		nodes[j.Spec.Template.Spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms[0].MatchExpressions[0].Values[0]]++
	}
	if nodes["worker"] != 2 || nodes["worker2"] != 1 {
		t.Errorf("loaders per node %v; want 2 and 1, round-robin", nodes)
	}
	running.Stop(t.Context())
	jobs, _ = cl.cs.BatchV1().Jobs(vantage.Namespace).List(t.Context(), metav1.ListOptions{})
	if len(jobs.Items) != 0 {
		t.Errorf("%d Jobs left after the stop", len(jobs.Items))
	}
}

func checkJob(t *testing.T, j batchv1.Job) {
	t.Helper()
	spec := j.Spec.Template.Spec
	c := spec.Containers[0]
	sc := c.SecurityContext
	switch {
	case j.Labels[vantage.LabelManagedBy] != vantage.ManagedBy || j.Labels[vantage.LabelComponent] != vantage.ComponentLoader ||
		j.Spec.Template.Labels[vantage.LabelFleet] == "" || j.Labels[vantage.LabelScenario] != "pod-eviction":
		t.Errorf("Job %s labels %v", j.Name, j.Labels)
	case *j.Spec.BackoffLimit != 0 || j.Spec.ActiveDeadlineSeconds == nil || spec.RestartPolicy != "Never":
		t.Errorf("Job %s restarts or lives for ever: %+v", j.Name, j.Spec)
	case spec.SecurityContext.RunAsNonRoot == nil || !*spec.SecurityContext.RunAsNonRoot || *sc.AllowPrivilegeEscalation ||
		len(sc.Capabilities.Drop) != 1 || sc.Capabilities.Drop[0] != "ALL" || spec.SecurityContext.SeccompProfile == nil:
		t.Errorf("Job %s is not Pod Security restricted: %+v %+v", j.Name, spec.SecurityContext, sc)
	case *spec.AutomountServiceAccountToken:
		t.Errorf("Job %s mounts a service account token", j.Name)
	case c.Resources.Limits.Cpu().MilliValue() != 0:
		t.Errorf("Job %s limits CPU (throttling bends send times)", j.Name)
	case c.Image != "selfheal.local/loader:1" || c.Command[0] != vantage.LoaderBinary || !strings.Contains(strings.Join(c.Args, " "), "--host 127.0.0.1:30080"):
		t.Errorf("Job %s runs %s %q %q", j.Name, c.Image, c.Command, c.Args)
	case !hasEnv(c.Env, loader.Env()):
		t.Errorf("Job %s runs with env %v; want the loader's %q (measured with it)", j.Name, c.Env, loader.Env())
	}
}

// hasEnv says whether env holds every "KEY=value" of want.
func hasEnv(env []corev1.EnvVar, want []string) bool {
	for _, w := range want {
		if !slices.ContainsFunc(env, func(e corev1.EnvVar) bool { return e.Name+"="+e.Value == w }) {
			return false
		}
	}
	return true
}
