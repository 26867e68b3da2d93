// Package failfast checks that `go test ./e2e` refuses bad settings at
// once, naming the variable and the value, before it touches Docker, a
// cluster or the network. It builds the suite's test binary and runs it,
// since the suite's TestMain cannot be run from inside its own package
// without bringing up a cluster.
package failfast

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSuiteRefusesBadSettings(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the e2e test binary")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool on PATH")
	}
	bin := filepath.Join(t.TempDir(), "e2e.test")
	build := exec.Command(gobin, "test", "-c", "-o", bin, "github.com/selfheal/selfheal/e2e")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the suite: %v\n%s", err, out)
	}
	tests := []struct{ env, value, want string }{
		{"SELFHEAL_BUDGETS", "*.downtime=abc", `SELFHEAL_BUDGETS="*.downtime=abc"`},
		{"SELFHEAL_BUDGETS", "*.5xx=-1", `5xx="-1": want a count`},
		{"SELFHEAL_BUDGETS", "*.recovered=maybe", `recovered="maybe": want true, false or any`},
		{"SELFHEAL_BUDGETS", "nod-halt.downtime=30s", "no scenario named nod-halt"},
		{"SELFHEAL_RATE", "NaN", `SELFHEAL_RATE="NaN"`},
		{"SELFHEAL_RATE", "1e-9", "longer than the 15s warm-up"},
		{"SELFHEAL_CLUSTER", "../../x", "not a DNS-1123 label"},
		{"SELFHEAL_RUN_ID", "../x", "not a plain directory name"},
		{"SELFHEAL_ALLOW_NON_KIND", "yes", `SELFHEAL_ALLOW_NON_KIND="yes"`},
	}
	empty := t.TempDir() // PATH: no docker, no kind, whatever the old code would run
	for _, tt := range tests {
		t.Run(tt.env+"="+tt.value, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			// Should the settings pass, the suite fails harmlessly: offline
			// mode probes no registry, and the kubeconfig does not exist.
			cmd := exec.CommandContext(ctx, bin, "-test.run", "^$", "-kubeconfig", filepath.Join(empty, "missing.kubeconfig"))
			cmd.Dir = filepath.Join("..")
			cmd.Env = []string{"PATH=" + empty, "HOME=" + empty, "SELFHEAL_IMAGE_MODE=offline",
				"SELFHEAL_REPORT_DIR=" + filepath.Join(t.TempDir(), "report"), tt.env + "=" + tt.value}
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 2 {
				t.Fatalf("exit %v, want 2\nstdout: %s\nstderr: %s", err, stdout.String(), stderr.String())
			}
			if !strings.Contains(stderr.String(), "bad settings, nothing was started") || !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("stderr %q; want it to name %q", stderr.String(), tt.want)
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout %q; want nothing (no step may have started)", stdout.String())
			}
		})
	}
}
