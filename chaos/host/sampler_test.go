package host

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/selfheal/selfheal/chaos/result"
)

// sampleSnapshot reads testdata/name/t0 then t1, the recorded elapsed time
// apart, and returns the interval between them.
func sampleSnapshot(t *testing.T, name string) (Sample, *Sampler) {
	t.Helper()
	dir := filepath.Join("testdata", name)
	b, err := os.ReadFile(filepath.Join(dir, "elapsed"))
	if err != nil {
		t.Fatal(err)
	}
	elapsed, err := time.ParseDuration(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	s := NewSampler(t.Context(), WithProc(filepath.Join(dir, "t0")))
	t0 := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	if _, ok := s.Sample(t0); ok {
		t.Fatal("the first reading returned a sample; it can only prime the sampler")
	}
	s.r.root = filepath.Join(dir, "t1")
	smp, ok := s.Sample(t0.Add(elapsed))
	if !ok {
		t.Fatal("no sample from the second reading")
	}
	return smp, s
}

func TestSampleRecordedSnapshots(t *testing.T) {
	type want map[string]float64
	tests := []struct {
		name    string
		want    want     // exact values, to 0.01
		missing []string // signals reported missing
	}{
		// 200 jiffies over 1 s on 2 CPUs: 100 stolen, 20 user, 80 idle.
		{"steal50", want{result.SignalSteal: 50, result.SignalIOWait: 0, result.SignalCPUPressure: 5, result.SignalMemoryPressure: 0,
			result.SignalIOPressure: 0, result.SignalLoad: 0.55, result.SignalSelfCPU: 5}, nil},
		// 420 ms of 1 s with a task waiting for a CPU.
		{"psi42", want{result.SignalSteal: 0, result.SignalIOWait: 10, result.SignalCPUPressure: 42, result.SignalMemoryPressure: 1,
			result.SignalIOPressure: 5, result.SignalLoad: 1.4, result.SignalSelfCPU: 10}, nil},
		{"nopsi", want{result.SignalSteal: 0, result.SignalIOWait: 0, result.SignalLoad: 3.5, result.SignalSelfCPU: 0},
			[]string{result.SignalCPUPressure, result.SignalMemoryPressure, result.SignalIOPressure, result.SignalOutsidePressure}},
		{"oldkernel", want{result.SignalIOWait: 5, result.SignalLoad: 0.1, result.SignalSelfCPU: 0},
			[]string{result.SignalSteal, result.SignalCPUPressure, result.SignalMemoryPressure, result.SignalIOPressure, result.SignalOutsidePressure}},
	}
	// None of these names a system under test: the cluster's shares are
	// missing, and everything but selfheal counts as from outside.
	noCluster := []string{result.SignalClusterCPU, result.SignalClusterPressure}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.missing = append(tt.missing, noCluster...)
			smp, s := sampleSnapshot(t, tt.name)
			for k, w := range tt.want {
				got, ok := smp.Value(k)
				if !ok || got < w-0.01 || got > w+0.01 {
					t.Errorf("%s = %v (present %v), want %v", k, got, ok, w)
				}
			}
			missing := s.Missing()
			for _, k := range tt.missing {
				if _, ok := smp.Value(k); ok {
					t.Errorf("%s present, want missing", k)
				}
				if missing[k] == "" {
					t.Errorf("%s: no reason given for it missing (%v)", k, missing)
				}
			}
			if len(missing) != len(tt.missing) {
				t.Errorf("missing %v, want exactly %v", missing, tt.missing)
			}
			if s.CPUs() != 2 {
				t.Errorf("%d CPUs, want 2", s.CPUs())
			}
		})
	}
}

// The files copied from this machine (2 CPUs, PSI, steal column): every
// signal is there and in range.
func TestSampleRealSnapshot(t *testing.T) {
	smp, s := sampleSnapshot(t, "real")
	cluster := func(k string) bool { return k == result.SignalClusterCPU || k == result.SignalClusterPressure }
	for k := range s.Missing() {
		if !cluster(k) {
			t.Errorf("%s missing on a kernel with every signal", k)
		}
	}
	for _, sig := range result.HostSignals() {
		if cluster(sig.Key) {
			continue // no system under test was recorded
		}
		v, ok := smp.Value(sig.Key)
		if !ok {
			t.Errorf("%s missing", sig.Key)
			continue
		}
		if v < 0 || (sig.Percent && v > 100) {
			t.Errorf("%s = %v, out of range", sig.Key, v)
		}
	}
	// The copy was taken while other builds kept both CPUs busy: idle
	// did not move, and PSI saw tasks waiting nearly all the time.
	if v, _ := smp.Value(result.SignalCPUPressure); v < 50 {
		t.Errorf("CPU pressure %v; the recorded machine was saturated", v)
	}
}

func TestKernelWithoutPSIIsJudgedOnLoad(t *testing.T) {
	smp, s := sampleSnapshot(t, "nopsi")
	c := Summarize([]Sample{smp}, Phases{}, time.Second, s.CPUs(), s.Missing(), DefaultThresholds())
	if c.Verdict != result.HostStarved {
		t.Errorf("verdict %s, want starved: load 3.5 per CPU stands in for the missing CPU pressure (%v)", c.Verdict, c.Reasons)
	}
	if _, ok := c.Missing[result.SignalCPUPressure]; !ok || !strings.Contains(c.Missing[result.SignalCPUPressure], "no PSI") {
		t.Errorf("missing %v, want CPU pressure named missing for want of PSI", c.Missing)
	}
	if got := c.Figures(); got != "CPU steal 0 %, load per CPU 3.5" {
		t.Errorf("figures %q", got)
	}
}

func TestUnreadableProcIsMissingNotFatal(t *testing.T) {
	s := NewSampler(t.Context(), WithProc(t.TempDir()))
	s.Sample(time.Now())
	smp, ok := s.Sample(time.Now().Add(time.Second))
	if !ok || smp.has != 0 {
		t.Fatalf("sample %+v ok %v, want a sample with no signal", smp, ok)
	}
	if got := len(s.Missing()); got != int(numSignals) {
		t.Errorf("missing %v, want every signal", s.Missing())
	}
}

func TestParseThresholds(t *testing.T) {
	th, err := ParseThresholds("steal=5/20, cpu_pressure=0/60")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][2]float64{}
	for _, x := range th {
		got[x.Signal] = [2]float64{x.Contended, x.Starved}
	}
	if got[result.SignalSteal] != [2]float64{5, 20} || got[result.SignalCPUPressure] != [2]float64{0, 60} || got[result.SignalIOPressure] != [2]float64{30, 60} {
		t.Errorf("thresholds %v", got)
	}
	for _, bad := range []string{"steal", "warp=1/2", "steal=1", "steal=a/b", "steal=30/10", "steal=-1/5"} {
		if _, err := ParseThresholds(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
