package host

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/selfheal/selfheal/chaos/result"
)

// nodePIDs are the first processes of the recorded node containers
// (testdata/README.md).
func nodePIDs(context.Context) ([]int, error) { return []int{4242, 4343, 4444}, nil }

// sampleTree reads testdata/name/t0 then t1 as both the proc file system
// and the root of the cgroup mounts, with the recorded node containers as
// the system under test (pids; nil names none).
func sampleTree(t *testing.T, name string, pids func(context.Context) ([]int, error)) (Sample, *Sampler) {
	t.Helper()
	dir := filepath.Join("testdata", name)
	t0 := filepath.Join(dir, "t0")
	opts := []Option{WithProc(t0), WithRoot(t0)}
	if pids != nil {
		opts = append(opts, WithSystemUnderTest(pids))
	}
	s := NewSampler(t.Context(), opts...)
	at := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	if _, ok := s.Sample(at); ok {
		t.Fatal("the first reading returned a sample")
	}
	t1 := filepath.Join(dir, "t1")
	s.r.root, s.r.fs = t1, t1
	smp, ok := s.Sample(at.Add(time.Second))
	if !ok {
		t.Fatal("no sample from the second reading")
	}
	return smp, s
}

// CPU time and CPU pressure are attributed to the cluster (its node
// containers' cgroups), selfheal and everything else, against hand-set
// counters (testdata/README.md). Only pressure from outside makes the
// machine contended: the cluster loading its own 2-CPU machine (CPU
// pressure 45 %) is clean, where it read starved before; a neighbour
// taking 60 % of the CPUs is contended.
func TestCPUAttributedToItsSource(t *testing.T) {
	type want map[string]float64
	tests := []struct {
		name    string
		tree    string
		pids    func(context.Context) ([]int, error)
		want    want
		missing []string
		verdict result.HostVerdict
	}{
		// 200 jiffies: cluster 150, selfheal 10, others 168-10-150 = 8;
		// pressure 45 % split 150:10:8 of the 168 jiffies of tasks.
		{"the cluster's own load, cgroup v1", "kind-own", nodePIDs, want{
			result.SignalCPUPressure: 45, result.SignalClusterCPU: 75, result.SignalOtherCPU: 4,
			result.SignalClusterPressure: 45 * 150.0 / 168, result.SignalOutsidePressure: 45 * 8.0 / 168, result.SignalSelfCPU: 10,
		}, nil, result.HostClean},
		{"the cluster's own load, cgroup v2", "kind-own-v2", nodePIDs, want{
			result.SignalClusterCPU: 75, result.SignalOtherCPU: 4, result.SignalOutsidePressure: 45 * 8.0 / 168,
		}, nil, result.HostClean},
		// 200 jiffies: cluster 60, selfheal 6, others 120, steal 4; pressure
		// 60 % of which 120/186 from outside: 38.7 %, contended.
		{"a neighbour beside it", "kind-neighbour", nodePIDs, want{
			result.SignalClusterCPU: 30, result.SignalOtherCPU: 60, result.SignalSteal: 2,
			result.SignalOutsidePressure: 60 * 120.0 / 186, result.SignalClusterPressure: 60 * 60.0 / 186,
		}, nil, result.HostContended},
		// One node's cgroup is gone at t1: the two others count (the
		// halted node's last CPU is counted as others' for that second).
		{"a node halted", "kind-halted", nodePIDs, want{
			result.SignalClusterCPU: 55, result.SignalOtherCPU: 24, result.SignalOutsidePressure: 45 * 48.0 / 168,
		}, nil, result.HostClean},
		// No system under test named (a probe): all but selfheal is from
		// outside, which is the old verdict on the same machine.
		{"no system under test", "kind-own", nil, want{
			result.SignalOtherCPU: 79, result.SignalOutsidePressure: 45 * 158.0 / 168,
		}, []string{result.SignalClusterCPU, result.SignalClusterPressure}, result.HostStarved},
		// Named but not found: said so, and counted as from outside.
		{"containers not found", "kind-own", func(context.Context) ([]int, error) { return nil, errors.New("docker: not found") }, want{
			result.SignalOtherCPU: 79,
		}, []string{result.SignalClusterCPU, result.SignalClusterPressure}, result.HostStarved},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			smp, s := sampleTree(t, tt.tree, tt.pids)
			for k, w := range tt.want {
				got, ok := smp.Value(k)
				if !ok || got < w-0.01 || got > w+0.01 {
					t.Errorf("%s = %v (present %v), want %v", k, got, ok, w)
				}
			}
			missing := s.Missing()
			for _, k := range tt.missing {
				if _, ok := smp.Value(k); ok || missing[k] == "" {
					t.Errorf("%s present or missing without a reason (%v)", k, missing)
				}
			}
			if len(missing) != len(tt.missing) {
				t.Errorf("missing %v, want exactly %v", missing, tt.missing)
			}
			c := Summarize([]Sample{smp}, Phases{}, time.Second, s.CPUs(), missing, DefaultThresholds())
			if c.Verdict != tt.verdict {
				t.Errorf("verdict %s (%v), want %s", c.Verdict, c.Reasons, tt.verdict)
			}
		})
	}
}

// Why the cluster's CPU is missing is said: nothing named, no container,
// a PID whose cgroup cannot be read.
func TestClusterMissingSaysWhy(t *testing.T) {
	for _, tt := range []struct {
		name string
		pids func(context.Context) ([]int, error)
		want string
	}{
		{"none named", nil, "no system under test named"},
		{"no container", func(context.Context) ([]int, error) { return nil, nil }, "no running container"},
		{"no such PID", func(context.Context) ([]int, error) { return []int{99}, nil }, "the cgroup of PID 99"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, s := sampleTree(t, "kind-own", tt.pids)
			if why := s.Missing()[result.SignalClusterCPU]; !strings.Contains(why, tt.want) {
				t.Errorf("missing reason %q, want %q", why, tt.want)
			}
		})
	}
}

// The cgroup files of the recorded trees are where a Docker engine puts
// them: the paths found from mountinfo and /proc/<pid>/cgroup.
func TestFindsTheNodesCgroups(t *testing.T) {
	for tree, want := range map[string]string{
		"kind-own":    "sys/fs/cgroup/cpuacct/docker/3f1c0d6a9b8e7f605142332a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c/cpuacct.usage",
		"kind-own-v2": "sys/fs/cgroup/system.slice/docker-3f1c0d6a9b8e7f605142332a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c.scope/cpu.stat",
	} {
		proc := filepath.Join("testdata", tree, "t0")
		s := findSUT(t.Context(), proc, nodePIDs)
		if len(s.files) != 3 || s.files[0].path != "/"+want {
			t.Errorf("%s: files %+v, want 3, the first %s", tree, s.files, want)
			continue
		}
		if _, err := os.Stat(filepath.Join(proc, s.files[0].path)); err != nil {
			t.Errorf("%s: %v", tree, err)
		}
	}
}
