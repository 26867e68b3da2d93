package scenario

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/selfheal/selfheal/chaos/fault"
	"github.com/selfheal/selfheal/chaos/load"
	"github.com/selfheal/selfheal/chaos/result"
)

// A scenario that fails before its load starts still has a result: an
// error with its reason, so it shows in the result files, the report and
// JUnit. Before, Run returned no result and the scenario vanished.
func TestRunnerErrorResultBeforeTheLoad(t *testing.T) {
	never := func(context.Context) (bool, string, error) { return false, "mysql-0 not Ready", nil }
	tests := []struct {
		name    string
		prepare func(context.Context) error
		steady  func(*app) func(context.Context) (bool, string, error)
		load    []load.Option
		want    string
	}{
		{name: "prepare fails", prepare: func(context.Context) error { return errors.New("no worker to spread to") },
			want: "preparing: no worker to spread to"},
		{name: "steady state times out", steady: func(*app) func(context.Context) (bool, string, error) { return never },
			want: "not at its desired state before the fault"},
		{name: "load cannot start", load: []load.Option{load.Rate(1e-12)}, want: "too low"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newApp(t)
			f := &breakFor{app: a}
			s := Scenario{Name: "early", Description: "fails early", Prepare: tt.prepare, Fault: f, Steady: a.steady, Timing: fastTiming()}
			s.Timing.SteadyTimeout = 300 * time.Millisecond
			if tt.steady != nil {
				s.Steady = tt.steady(a)
			}
			r := NewRunner([]string{a.srv.URL}, WithLoad(append([]load.Option{load.Rate(50)}, tt.load...)...), WithRunInfo(result.RunInfo{ID: "run-1"}))
			res, err := r.Run(context.Background(), s)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			if res == nil {
				t.Fatal("no result")
			}
			if res.Outcome() != result.VerdictError || !strings.Contains(res.Error, tt.want) {
				t.Errorf("verdict %q error %q; want error naming %q", res.Outcome(), res.Error, tt.want)
			}
			if res.Schema != result.Schema || res.Scenario != "early" || res.Description != "fails early" || res.Run == nil || res.Run.ID != "run-1" {
				t.Errorf("result lacks what a report needs: %+v", res)
			}
			if res.Requests.Total != 0 || res.Recovery() != result.RecoveryNotObserved || len(res.Budgets) != 0 {
				t.Errorf("requests %d recovery %q budgets %v; want nothing measured", res.Requests.Total, res.Recovery(), res.Budgets)
			}
			if res.Ended.Before(res.Started) {
				t.Errorf("ended %s before started %s", res.Ended, res.Started)
			}
			if !f.injectAt.IsZero() {
				t.Error("the fault was injected")
			}
			// It round-trips through the result file format.
			var buf bytes.Buffer
			if err := json.NewEncoder(&buf).Encode(res); err != nil {
				t.Fatal(err)
			}
			var back result.Result
			if err := json.Unmarshal(buf.Bytes(), &back); err != nil || back.Outcome() != result.VerdictError || back.Error != res.Error {
				t.Errorf("decoded %+v, %v", back, err)
			}
		})
	}
}

// holdUntilRevert is a fault nothing heals until it is reverted, like the
// database's node halted: the workload still looks steady (its pods are
// Ready), the service fails, and after the revert it comes back after
// back (never when back is 0).
type holdUntilRevert struct {
	app    *app
	back   time.Duration
	mu     sync.Mutex
	revert time.Time
	served time.Time // when the app served again
}

func (f *holdUntilRevert) Name() string { return "hold" }

func (f *holdUntilRevert) Inject(ctx context.Context, m fault.Marker) error {
	f.app.broken.Store(true)
	m.Injected("503 until reverted")
	m.Proved(result.Evidence{Check: "the test app's broken flag", Observed: "set", Held: f.app.broken.Load()})
	return nil
}

func (f *holdUntilRevert) Revert(ctx context.Context, m fault.Marker) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.revert.IsZero() {
		return nil
	}
	f.revert = time.Now()
	m.Reverted("started again")
	if f.back > 0 {
		time.AfterFunc(f.back, func() {
			f.mu.Lock()
			f.served = time.Now()
			f.mu.Unlock()
			f.app.broken.Store(false)
		})
	}
	return nil
}

func TestRunnerRecoveryAfterRevert(t *testing.T) {
	always := func(context.Context) (bool, string, error) { return true, "", nil }
	tests := []struct {
		name    string
		back    time.Duration
		verdict result.Verdict
	}{
		{"back after the revert", 800 * time.Millisecond, result.VerdictPass},
		// Before the after-revert budget this passed: not recovering
		// before the revert was all that was checked.
		{"never back", 0, result.VerdictFail},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newApp(t)
			f := &holdUntilRevert{app: a, back: tt.back}
			tm := Timing{Warmup: 500 * time.Millisecond, Deadline: time.Second, Confirmation: 500 * time.Millisecond,
				SteadyTimeout: 2 * time.Second, Tail: 200 * time.Millisecond}
			s := Scenario{Name: "hold", Fault: f, Steady: always, Timing: tm,
				Budgets: Budgets{MustNotRecover: true, RecoveryAfterRevert: Dur(3 * time.Second)}}
			res, err := runner(a, nil).Run(context.Background(), s)
			if err != nil {
				t.Fatal(err)
			}
			if res.Recovered || res.Verdict != tt.verdict {
				t.Errorf("recovered %v verdict %s; want not recovered, %s (budgets %+v)", res.Recovered, res.Verdict, tt.verdict, res.Budgets)
			}
			ar := res.AfterRevert
			if ar == nil {
				t.Fatal("no after_revert")
			}
			if tt.back == 0 {
				if ar.State != result.RecoveryNotRecovered || ar.RecoveryMS != nil {
					t.Errorf("after revert %+v; want not recovered", ar)
				}
				return
			}
			// Ground truth: the instants the fault itself reverted and the
			// app served again. Edges are good to one request interval
			// (20 ms) plus scheduling.
			want := f.served.Sub(f.revert)
			if ar.State != result.RecoveryRecovered || ar.RecoveryMS == nil {
				t.Fatalf("after revert %+v; want recovered about %s after the revert", ar, want)
			}
			got := time.Duration(*ar.RecoveryMS * float64(time.Millisecond))
			if d := got - want; d < -25*time.Millisecond || d > 45*time.Millisecond {
				t.Errorf("recovery after the revert %s; the app served again %s after it", got, want)
			}
		})
	}
}
