package timeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/cache"
)

// An API server that stops answering for a while (a restart) is one gap
// on the timeline, from the first unanswered probe to the first answer,
// whatever the number of probes in between; the recorder goes on.
func TestRecorderShowsAnAPIGap(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var down, probes atomic.Int32
	probe := func(context.Context) error {
		probes.Add(1)
		if down.Load() == 1 {
			return errors.New("connection refused")
		}
		return nil
	}
	cs := fake.NewClientset(node("worker", corev1.ConditionTrue))
	r, err := Start(ctx, cs, ns, WithAPIProbe(probe, 5*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Stop()
	waitProbes := func(n int32) {
		t.Helper()
		until := probes.Load() + n
		for deadline := time.Now().Add(5 * time.Second); probes.Load() < until; {
			if time.Now().After(deadline) {
				t.Fatalf("the API is not probed (%d probes)", probes.Load())
			}
			time.Sleep(time.Millisecond)
		}
	}
	waitProbes(3)
	if strings.Contains(dump(r), "kube-apiserver") {
		t.Fatalf("an answering API server is no event:\n%s", dump(r))
	}
	down.Store(1)
	gone := waitFor(t, r, "api kube-apiserver Unreachable the API server does not answer")
	waitProbes(5)
	down.Store(0)
	back := waitFor(t, r, "api kube-apiserver Ready the API server answers again, after")
	if !gone.At.Before(back.At) || !strings.Contains(gone.Message, "connection refused") {
		t.Errorf("gap %s → %s (%q): want the failure, then the return", gone.At, back.At, gone.Message)
	}
	if strings.Count(dump(r), "kube-apiserver") != 2 {
		t.Errorf("a gap is two events, whatever the probes in between:\n%s", dump(r))
	}
	if strings.Contains(back.Message, "(1 failed probes)") || strings.Contains(back.Message, "(0 failed") {
		t.Errorf("return %q must count the failed probes (5 or more)", back.Message)
	}
	// The recorder still sees the cluster after the gap.
	if _, err := cs.CoreV1().Pods(ns).Create(ctx, pod("wp-9", "worker", false, 0), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, r, "wp-9")
}

func TestRecorderAPIWatchOff(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The fake clientset has no REST client: no default probe, no watch.
	r, err := Start(ctx, fake.NewClientset(), ns)
	if err != nil {
		t.Fatal(err)
	}
	r.Stop()
	if r.apiProbe != nil {
		t.Error("a probe was made up for a clientset that cannot ask /readyz")
	}
}

// While the API server is away, informers' failures to reach it are not
// printed (the gap is on the timeline); other failures, or any without an
// API watch, are.
func TestWatchErrorsWhileTheAPIIsAway(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: &os.SyscallError{Syscall: "connect", Err: syscall.ECONNREFUSED}}
	tests := []struct {
		name    string
		probe   bool
		err     error
		printed bool
	}{
		{"refused, API watched", true, refused, false},
		{"EOF, API watched", true, io.ErrUnexpectedEOF, false},
		{"forbidden, API watched", true, apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, "", errors.New("no")), true},
		{"refused, no API watch", false, refused, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var printed []error
			prev := utilruntime.ErrorHandlers
			utilruntime.ErrorHandlers = []utilruntime.ErrorHandler{func(_ context.Context, err error, _ string, _ ...any) { printed = append(printed, err) }}
			defer func() { utilruntime.ErrorHandlers = prev }()
			r := &Recorder{}
			if tt.probe {
				r.apiProbe = func(context.Context) error { return nil }
			}
			refl := cache.NewReflector(&cache.ListWatch{}, &corev1.Pod{}, cache.NewStore(cache.MetaNamespaceKeyFunc), 0)
			r.watchError(context.Background(), refl, tt.err)
			if (len(printed) > 0) != tt.printed {
				t.Errorf("printed %v, want printed %v", printed, tt.printed)
			}
		})
	}
}

// One unanswered probe is no gap (a probe can wait on the client's rate
// limit); two in a row are, dated from the first.
func TestAPIGapTakesTwoFailedProbes(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	down := errors.New("connection refused")
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	tests := []struct {
		name  string
		fails []bool // probe i (sent at i s) failed
		want  []string
	}{
		{"steady", []bool{false, false, false}, nil},
		{"one slow probe", []bool{false, true, false, true, false}, nil},
		{"a gap", []bool{false, true, true, true, false, false}, []string{"1 Unreachable last answer 1s before", "4 Ready after 4s without an answer (3 failed probes)"}},
		{"still down at the end", []bool{false, true, true}, []string{"1 Unreachable"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := apiGap{lastOK: at(0)}
			var got []string
			for i, f := range tt.fails {
				var err error
				if f {
					err = down
				}
				if e, ok := g.probed(at(i), at(i), err); ok {
					got = append(got, fmt.Sprintf("%d %s %s", int(e.At.Sub(t0)/time.Second), e.Reason, e.Message))
				}
			}
			if len(got) != len(tt.want) {
				t.Fatalf("events %q, want %q", got, tt.want)
			}
			for i, w := range tt.want {
				for _, part := range strings.SplitN(w, " ", 3) {
					if !strings.Contains(got[i], part) {
						t.Errorf("event %q lacks %q", got[i], part)
					}
				}
			}
		})
	}
}
