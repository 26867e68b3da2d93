package wpconfig

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/selfheal/selfheal/chaos/fault"
	"github.com/selfheal/selfheal/chaos/fault/faulttest"
	"github.com/selfheal/selfheal/chaos/kube"
)

// The lines around DB_HOST as the official wordpress image's
// wp-config-docker.php has them (and selfheal's image copies).
const officialConfig = `<?php
define( 'DB_NAME', getenv_docker('WORDPRESS_DB_NAME', 'wordpress') );
define( 'DB_USER', getenv_docker('WORDPRESS_DB_USER', 'example username') );
define( 'DB_PASSWORD', getenv_docker('WORDPRESS_DB_PASSWORD', 'example password') );
define( 'DB_HOST', getenv_docker('WORDPRESS_DB_HOST', 'mysql') );
define( 'DB_CHARSET', getenv_docker('WORDPRESS_DB_CHARSET', 'utf8') );
`

// sed runs the real sed -i -E on path, as the fault does in the pod.
func sed(t *testing.T, expr, path string) {
	t.Helper()
	if out, err := exec.Command("sed", "-i", "-E", expr, path).CombinedOutput(); err != nil {
		t.Fatalf("sed %q: %v: %s", expr, err, out)
	}
}

func TestCorruptAndRestoreRoundTrip(t *testing.T) {
	for _, original := range []string{
		"define( 'DB_HOST', getenv_docker('WORDPRESS_DB_HOST', 'mysql') );",
		"define('DB_HOST', 'db.example|with&odd\\chars:3306');",
	} {
		t.Run(original, func(t *testing.T) {
			cfg := strings.Replace(officialConfig, "define( 'DB_HOST', getenv_docker('WORDPRESS_DB_HOST', 'mysql') );", original, 1)
			path := filepath.Join(t.TempDir(), "wp-config.php")
			os.WriteFile(path, []byte(cfg), 0o644)

			sed(t, corruptExpr(), path)
			broken, _ := os.ReadFile(path)
			want := "define( 'DB_HOST', '127.0.0.1:1' ); // selfheal-fault"
			if strings.Count(string(broken), Marker) != 1 || !strings.Contains(string(broken), want+"\n") {
				t.Fatalf("after the fault:\n%s\nwant exactly one line %q", broken, want)
			}
			if strings.Contains(string(broken), original) {
				t.Fatal("the original DB_HOST line survived the fault")
			}
			if got := strings.Count(string(broken), "\n"); got != strings.Count(cfg, "\n") {
				t.Fatalf("the fault changed the number of lines: %d, want %d", got, strings.Count(cfg, "\n"))
			}

			sed(t, restoreExpr(original), path)
			restored, _ := os.ReadFile(path)
			if string(restored) != cfg {
				t.Fatalf("restore did not give the original file back:\n%s\nwant\n%s", restored, cfg)
			}
		})
	}
}

// localExec runs the fault's commands on a local copy of wp-config.php, as
// the pod's shell would; fail makes every exec fail (a container that is
// not running).
func localExec(t *testing.T, path string, fail bool) execFunc {
	return func(_ context.Context, _, _, _ string, command ...string) (kube.ExecResult, error) {
		if fail {
			return kube.ExecResult{}, errors.New("container not found")
		}
		args := make([]string, len(command))
		for i, a := range command {
			args[i] = strings.ReplaceAll(a, Path, path)
		}
		out, err := exec.Command(args[0], args[1:]...).Output()
		return kube.ExecResult{Stdout: string(out)}, err
	}
}

func TestRepairFromTheUndoAlone(t *testing.T) {
	original := "define( 'DB_HOST', getenv_docker('WORDPRESS_DB_HOST', 'mysql') );"
	undo := fault.Undo{Kind: RepairKind, Params: map[string]string{"namespace": "ns", "pod": "wp-a", "container": "wordpress", "original": original}}
	tests := []struct {
		name      string
		pod       bool
		corrupted bool
		execFails bool
		want      string // in what the repair says; "" for nothing done
		deleted   bool
	}{
		{"pod gone", false, true, false, "", false},
		{"healed by a restart", true, false, false, "", false},
		{"still corrupted", true, true, false, "original DB_HOST line written back", false},
		{"container not reachable", true, true, true, "pod wp-a deleted", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "wp-config.php")
			os.WriteFile(path, []byte(officialConfig), 0o644)
			if tt.corrupted {
				sed(t, corruptExpr(), path)
			}
			cs := fake.NewClientset()
			if tt.pod {
				cs.Tracker().Add(&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "wp-a", Namespace: "ns"}})
			}
			r := &Repairer{client: &kube.Client{Kubernetes: cs}, exec: localExec(t, path, tt.execFails)}
			did, err := r.Repair(context.Background(), undo)
			if err != nil {
				t.Fatal(err)
			}
			if (tt.want == "") != (did == "") || !strings.Contains(did, tt.want) {
				t.Fatalf("repair said %q, want %q", did, tt.want)
			}
			_, gerr := cs.CoreV1().Pods("ns").Get(context.Background(), "wp-a", metav1.GetOptions{})
			if deleted := tt.pod && gerr != nil; deleted != tt.deleted {
				t.Errorf("pod deleted %v, want %v", deleted, tt.deleted)
			}
			if tt.pod && !tt.execFails {
				if got, _ := os.ReadFile(path); string(got) != officialConfig {
					t.Errorf("file after the repair:\n%s", got)
				}
			}
		})
	}
}

func TestNoCorruptionWithoutARecord(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wp-config.php")
	os.WriteFile(path, []byte(officialConfig), 0o644)
	ready := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "wp-a", Namespace: "ns", Labels: map[string]string{"app": "wp"}},
		Status: corev1.PodStatus{Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}}}
	f := New(&kube.Client{Kubernetes: fake.NewClientset(ready)}, "ns", "app=wp")
	f.execFn = localExec(t, path, false)
	if err := f.Inject(context.Background(), &faulttest.Marks{BreakErr: errors.New("record unwritable")}); err == nil {
		t.Fatal("injected without a record")
	}
	if got, _ := os.ReadFile(path); string(got) != officialConfig {
		t.Errorf("the file was corrupted although the record could not be written:\n%s", got)
	}
}

// The file is read back after the corruption: one corrupted line is
// evidence that held; an exec that answered without running sed (a
// dropped connection) leaves none, evidence that did not hold, and the
// injection fails.
func TestProvesTheLineWasCorrupted(t *testing.T) {
	for _, tt := range []struct {
		name     string
		dropSed  bool
		held     bool
		observed string
	}{
		{"corrupted", false, true, "1 corrupted DB_HOST line (127.0.0.1:1)"},
		{"sed never ran", true, false, "0 corrupted DB_HOST lines, want 1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "wp-config.php")
			os.WriteFile(path, []byte(officialConfig), 0o644)
			ready := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "wp-a", Namespace: "ns", Labels: map[string]string{"app": "wp"}},
				Status: corev1.PodStatus{Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}}}
			f := New(&kube.Client{Kubernetes: fake.NewClientset(ready)}, "ns", "app=wp")
			local := localExec(t, path, false)
			f.execFn = func(ctx context.Context, ns, pod, c string, command ...string) (kube.ExecResult, error) {
				if tt.dropSed && command[0] == "sed" {
					return kube.ExecResult{}, nil
				}
				return local(ctx, ns, pod, c, command...)
			}
			m := &faulttest.Marks{}
			err := f.Inject(context.Background(), m)
			if (err == nil) != tt.held || len(m.Evidence) != 1 {
				t.Fatalf("err %v evidence %+v", err, m.Evidence)
			}
			if e := m.Evidence[0]; e.Held != tt.held || e.Observed != tt.observed || e.Check != "grep -c selfheal-fault /var/www/html/wp-config.php in pod wp-a (exec), after the injection" {
				t.Errorf("evidence %+v, want held %v saying %q", e, tt.held, tt.observed)
			}
		})
	}
}

// The pod broken is the one whose container restarted longest ago, so a
// repetition does not wait out the kubelet's back-off of the last one.
func TestPicksThePodRestartedLongestAgo(t *testing.T) {
	now := time.Now()
	pod := func(name string, restarted time.Time, ready bool) *corev1.Pod {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", Labels: map[string]string{"app": "wp"}}}
		if ready {
			p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}
		}
		cs := corev1.ContainerStatus{Name: "wordpress"}
		if !restarted.IsZero() {
			cs.RestartCount = 1
			cs.LastTerminationState.Terminated = &corev1.ContainerStateTerminated{FinishedAt: metav1.NewTime(restarted)}
		}
		p.Status.ContainerStatuses = []corev1.ContainerStatus{cs}
		return p
	}
	tests := []struct {
		name string
		pods []*corev1.Pod
		want string
	}{
		{"never restarted first", []*corev1.Pod{pod("wp-a", now.Add(-time.Minute), true), pod("wp-b", time.Time{}, true)}, "wp-b"},
		{"the older restart first", []*corev1.Pod{pod("wp-a", now.Add(-time.Minute), true), pod("wp-b", now.Add(-5*time.Minute), true)}, "wp-b"},
		{"by name among equals", []*corev1.Pod{pod("wp-b", time.Time{}, true), pod("wp-a", time.Time{}, true)}, "wp-a"},
		{"only Ready pods", []*corev1.Pod{pod("wp-a", now.Add(-time.Minute), true), pod("wp-b", time.Time{}, false)}, "wp-a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs := fake.NewClientset()
			for _, p := range tt.pods {
				cs.Tracker().Add(p)
			}
			f := New(&kube.Client{Kubernetes: cs}, "ns", "app=wp")
			got, err := f.pick(context.Background())
			if err != nil || got.Name != tt.want {
				t.Fatalf("picked %v (%v), want %s", got, err, tt.want)
			}
		})
	}
}
