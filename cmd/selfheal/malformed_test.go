package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// malformed is one bad invocation of the CLI: flags, variables or files.
// In args, {dir} is a fresh empty directory for this case (where outputs
// would go), {fx} the shared fixture directory, {trap} a host:port that
// counts connections, {kubeconfig} a kubeconfig whose API server is the
// trap.
type malformed struct {
	args []string
	env  map[string]string
	code int
	// stderr must contain every one of these.
	stderr []string
	// stdout must contain these on exit 0; on any other exit it must be
	// empty (no partial output).
	stdout []string
	// files are those {dir} may hold afterwards (names); any other file
	// there is partial output.
	files []string
}

// TestMalformedInvocations runs bad invocations through the real command
// functions. Each must exit 2 (or 1 with a clear error) before any work
// starts: no panic, nothing on stdout, no file written; or exit 0 with a
// summary that says what happened. Nothing may reach Docker, a cluster or
// the network: PATH holds no program, and every URL and kubeconfig points
// at a listener that counts connections, which must stay at zero.
func TestMalformedInvocations(t *testing.T) {
	var conns atomic.Int64
	trap, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer trap.Close()
	go func() {
		for {
			c, err := trap.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			c.Close()
		}
	}()
	empty := t.TempDir()
	t.Setenv("PATH", empty)
	t.Setenv("HOME", empty)
	t.Setenv("KUBECONFIG", "")
	t.Setenv("SELFHEAL_IMAGE_MODE", "")

	fx := t.TempDir()
	kubeconfig := filepath.Join(fx, "trap.kubeconfig")
	writeFixture(t, kubeconfig, fmt.Sprintf("apiVersion: v1\nkind: Config\nclusters:\n- name: trap\n  cluster:\n    server: https://%s\ncontexts:\n- name: trap\n  context:\n    cluster: trap\ncurrent-context: trap\n", trap.Addr()))
	probeJSON, err := os.ReadFile(filepath.Join("..", "..", "reports", "testdata", "probe", "probe.json"))
	if err != nil {
		t.Fatal(err)
	}
	writeFixture(t, filepath.Join(fx, "probe.json"), string(probeJSON))
	writeFixture(t, filepath.Join(fx, "truncated", "good.json"), string(probeJSON))
	writeFixture(t, filepath.Join(fx, "truncated", "cut.json"), string(probeJSON[:len(probeJSON)/3]))
	writeFixture(t, filepath.Join(fx, "twodocs.json"), string(probeJSON)+string(probeJSON[:len(probeJSON)/2]))
	writeFixture(t, filepath.Join(fx, "garbage.kubeconfig"), "hello: [")
	writeFixture(t, filepath.Join(fx, "notes.json"), "hello")
	writeFixture(t, filepath.Join(fx, "metrics.json"), `{"latencies": {}}`)
	writeFixture(t, filepath.Join(fx, "mixed", "probe.json"), string(probeJSON))
	writeFixture(t, filepath.Join(fx, "mixed", "vegeta.json"), `{"latencies": {}}`)
	writeFixture(t, filepath.Join(fx, "afile"), "")
	if err := os.MkdirAll(filepath.Join(fx, "adir"), 0o755); err != nil {
		t.Fatal(err)
	}
	nightly := filepath.Join("..", "..", "reports", "testdata", "nightly")

	kc := []string{"--kubeconfig", "{kubeconfig}"}
	run := func(extra ...string) []string { return append(append([]string{"run"}, kc...), extra...) }
	url := "http://{trap}/"
	probe := func(extra ...string) []string {
		return append([]string{"probe", "--url", url, "--duration", "60s", "--out", "{dir}/r.json"}, extra...)
	}
	tests := []malformed{
		// The command line itself.
		{args: nil, code: 2, stderr: []string{"Usage: selfheal <command>"}},
		{args: []string{"frobnicate"}, code: 2, stderr: []string{`unknown command "frobnicate"`}},

		// selfheal run: flags.
		{args: run("--budgets", "*.downtime=abc"), code: 2, stderr: []string{`budget override "*.downtime=abc": downtime="abc": want a duration`}},
		{args: run("--budgets", "*.5xx=-1"), code: 2, stderr: []string{`5xx="-1": want a count >= 0`}},
		{args: run("--budgets", "*.recovered=maybe"), code: 2, stderr: []string{`recovered="maybe": want true, false or any`}},
		{args: run("--budgets", "nod-halt.downtime=30s"), code: 2, stderr: []string{"nod-halt.downtime=30s: no scenario named nod-halt; known: wp-config-break"}},
		{args: run("--budgets", "node-halt.uptime=5s"), code: 2, stderr: []string{`unknown metric "uptime"`}},
		{args: run("--budgets", "downtime=5s"), code: 2, stderr: []string{"want SCENARIO.METRIC=VALUE"}},
		{args: run("--budgets", "node-halt.recovery=1m,node-halt.recovery=2m"), code: 2, stderr: []string{"node-halt.recovery is given twice"}},
		{args: run("--rate", "NaN"), code: 2, stderr: []string{`invalid value "NaN" for flag -rate`}},
		{args: run("--rate", "Inf"), code: 2, stderr: []string{`invalid value "Inf" for flag -rate`}},
		{args: run("--rate", "-1"), code: 2, stderr: []string{`invalid value "-1" for flag -rate`}},
		{args: run("--rate", "0"), code: 2, stderr: []string{`invalid value "0" for flag -rate`}},
		{args: run("--rate", "2e6"), code: 2, stderr: []string{`invalid value "2e6" for flag -rate: rate 2e+06 is beyond`}},
		{args: run("--rate", "0.01"), code: 2, stderr: []string{"--rate 0.01: one request every 1m40s, longer than the 15s warm-up"}},
		{args: run("--timeout", "0s"), code: 2, stderr: []string{`invalid value "0s" for flag -timeout`}},
		{args: run("--timeout", "soon"), code: 2, stderr: []string{`invalid value "soon" for flag -timeout`}},
		{args: run("--warmup", "-1s"), code: 2, stderr: []string{`invalid value "-1s" for flag -warmup`}},
		{args: run("--mode", "cloud"), code: 2, stderr: []string{`unknown image mode "cloud"`}},
		{args: run("--cluster", "../../x"), code: 2, stderr: []string{`cluster name "../../x" is not a DNS-1123 label`}},
		{args: run("--cluster", "Selfheal"), code: 2, stderr: []string{"not a DNS-1123 label"}},
		{args: run("--run-id", "../x"), code: 2, stderr: []string{`"../x" is not a plain directory name`}},
		{args: run("--scenario", "node-hlat"), code: 2, stderr: []string{"unknown scenario(s) node-hlat"}},
		{args: run("node-halt"), code: 2, stderr: []string{`unexpected argument "node-halt"`}},
		{args: run("--keep-alive=maybe"), code: 2, stderr: []string{`invalid boolean value "maybe" for -keep-alive`}},
		{args: run("--loaders", "4", "--loader-rate", "-5"), code: 2, stderr: []string{`invalid value "-5" for flag -loader-rate`}},
		{args: run("--loaders", "2", "--loader-nodes", "worker,worker"), code: 2, stderr: []string{"node worker named twice"}},
		{args: run("--control-probe=sometimes"), code: 2, stderr: []string{`invalid boolean value "sometimes" for -control-probe`}},
		{args: run("--bogus"), code: 2, stderr: []string{"flag provided but not defined: -bogus"}},
		{args: []string{"run", "--kubeconfig", "{fx}/missing"}, code: 2, stderr: []string{"--kubeconfig", "not a kubeconfig file"}},
		{args: []string{"run", "--kubeconfig", "{fx}/adir"}, code: 2, stderr: []string{"not a kubeconfig file (a directory)"}},
		{args: []string{"run", "--kubeconfig", "{fx}/garbage.kubeconfig"}, code: 2, stderr: []string{"--kubeconfig: reading kubeconfig {fx}/garbage.kubeconfig"}},
		{args: []string{"run", "--kubeconfig", "{fx}/notes.json"}, code: 2, stderr: []string{"--kubeconfig: reading kubeconfig {fx}/notes.json"}},
		{args: run("--context", "elsewhere"), code: 2, stderr: []string{`--kubeconfig: reading kubeconfig {kubeconfig}`, `context "elsewhere" does not exist`}},
		{args: []string{"run"}, env: map[string]string{"KUBECONFIG": "{fx}/garbage.kubeconfig"}, code: 2, stderr: []string{"KUBECONFIG: reading kubeconfig {fx}/garbage.kubeconfig"}},
		{args: run("--report-dir", "{fx}/afile/sub"), code: 2, stderr: []string{"report directory", "afile/sub"}},

		// selfheal run: the suite's variables, and flags over them.
		{args: run(), env: map[string]string{"SELFHEAL_BUDGETS": "*.downtime=abc"}, code: 2, stderr: []string{`SELFHEAL_BUDGETS="*.downtime=abc"`}},
		{args: run(), env: map[string]string{"SELFHEAL_BUDGETS": "nod-halt.downtime=30s"}, code: 2, stderr: []string{"no scenario named nod-halt"}},
		{args: run(), env: map[string]string{"SELFHEAL_RATE": "NaN"}, code: 2, stderr: []string{`SELFHEAL_RATE="NaN"`}},
		{args: run(), env: map[string]string{"SELFHEAL_RATE": "abc"}, code: 2, stderr: []string{`SELFHEAL_RATE="abc"`}},
		{args: run(), env: map[string]string{"SELFHEAL_RATE": "0.01"}, code: 2, stderr: []string{"SELFHEAL_RATE=0.01: one request every 1m40s"}},
		{args: run(), env: map[string]string{"SELFHEAL_TIMEOUT": "-1s"}, code: 2, stderr: []string{`SELFHEAL_TIMEOUT="-1s"`}},
		{args: run(), env: map[string]string{"SELFHEAL_KEEPALIVE": "yes"}, code: 2, stderr: []string{`SELFHEAL_KEEPALIVE="yes": want true, false or both`}},
		{args: run(), env: map[string]string{"SELFHEAL_LOADERS": "many"}, code: 2, stderr: []string{`SELFHEAL_LOADERS="many": want a whole number of loaders`}},
		{args: run(), env: map[string]string{"SELFHEAL_LOADER_NODES": "selfheal-worker"}, code: 2, stderr: []string{"SELFHEAL_LOADER_NODES=selfheal-worker: there are no loaders"}},
		{args: run(), env: map[string]string{"SELFHEAL_ALLOW_NON_KIND": "yes"}, code: 2, stderr: []string{`SELFHEAL_ALLOW_NON_KIND="yes"`}},
		{args: run(), env: map[string]string{"SELFHEAL_IMAGE_MODE": "airgap"}, code: 2, stderr: []string{`SELFHEAL_IMAGE_MODE="airgap"`}},
		{args: run(), env: map[string]string{"SELFHEAL_CLUSTER": "../../x"}, code: 2, stderr: []string{`SELFHEAL_CLUSTER="../../x"`}},
		{args: run(), env: map[string]string{"SELFHEAL_RUN_ID": "../../x"}, code: 2, stderr: []string{`SELFHEAL_RUN_ID="../../x"`}},
		{args: run(), env: map[string]string{"SELFHEAL_WARMUP": "soon"}, code: 2, stderr: []string{`SELFHEAL_WARMUP="soon"`}},
		{args: run(), env: map[string]string{"SELFHEAL_KEEP_CLUSTER": "sometimes"}, code: 2, stderr: []string{`SELFHEAL_KEEP_CLUSTER="sometimes"`}},
		{args: []string{"run"}, env: map[string]string{"KUBECONFIG": "{fx}/missing"}, code: 2, stderr: []string{"KUBECONFIG", "not a kubeconfig file"}},
		{args: run("--rate", "NaN"), env: map[string]string{"SELFHEAL_RATE": "5"}, code: 2, stderr: []string{`invalid value "NaN" for flag -rate`}},
		{args: run("--warmup", "5s"), env: map[string]string{"SELFHEAL_RATE": "0.1"}, code: 2, stderr: []string{"SELFHEAL_RATE=0.1: one request every 10s, longer than the 5s warm-up (--warmup 5s)"}},
		{args: []string{"run", "--list"}, env: map[string]string{"SELFHEAL_RATE": "20"}, code: 0, stdout: []string{"mysql-node-halt"}},

		// selfheal probe.
		{args: []string{"probe"}, code: 2, stderr: []string{"at least one --url is required"}},
		{args: probe("--rate", "NaN"), code: 2, stderr: []string{"--rate: rate must be a number of requests per second above 0, got NaN"}},
		{args: probe("--rate", "Inf"), code: 2, stderr: []string{"got +Inf"}},
		{args: probe("--rate", "1e-9"), code: 2, stderr: []string{"rate 1e-09 requests per second sends one request every", "longer than the duration 1m0s"}},
		{args: probe("--rate", "1e-6"), code: 2, stderr: []string{"rate 1e-06 requests per second sends one request every 277h46m40s, longer than the duration 1m0s"}},
		{args: probe("--rate", "1e-12"), code: 2, stderr: []string{"rate 1e-12 requests per second is too low", "cannot be paced"}},
		{args: probe("--rate", "0"), code: 2, stderr: []string{"above 0, got 0"}},
		{args: probe("--rate", "fast"), code: 2, stderr: []string{`invalid value "fast" for flag -rate`}},
		{args: probe("--timeout", "0s"), code: 2, stderr: []string{"--timeout must be positive"}},
		{args: probe("--duration", "-1s"), code: 2, stderr: []string{"--duration must not be negative"}},
		{args: probe("--confirm", "0"), code: 2, stderr: []string{"--confirm must be above 0, got 0s"}},
		{args: probe("--confirm", "-1s"), code: 2, stderr: []string{"--confirm must be above 0, got -1s"}},
		{args: probe("--progress-every", "1ns"), code: 2, stderr: []string{"--progress-every 1ns is too often: at least 100ms"}},
		{args: probe("--progress-every", "-1s"), code: 2, stderr: []string{"--progress-every must not be negative"}},
		{args: []string{"probe", "--url", "http://127.0.0.1:99999/", "--out", "{dir}/r.json"}, code: 2, stderr: []string{"port 99999 is not a TCP port"}},
		{args: []string{"probe", "--url", "http://127.0.0.1:0/", "--out", "{dir}/r.json"}, code: 2, stderr: []string{"port 0 is not a TCP port"}},
		{args: []string{"probe", "--url", "a.example/", "--out", "{dir}/r.json"}, code: 2, stderr: []string{"must be an http:// or https:// URL"}},
		{args: []string{"probe", "--url", "ftp://{trap}/", "--out", "{dir}/r.json"}, code: 2, stderr: []string{"must be an http:// or https:// URL"}},
		{args: probe("--url", url), code: 2, stderr: []string{"given twice"}},
		{args: probe("--inject-at", "90s"), code: 2, stderr: []string{"--inject-at 1m30s is not within --duration 1m0s"}},
		{args: probe("--inject-at", "soon"), code: 2, stderr: []string{"not a duration"}},
		{args: []string{"probe", "--url", url, "--out", "{fx}/adir"}, code: 2, stderr: []string{"--out", "is a directory"}},
		{args: []string{"probe", "--url", url, "--out", "{fx}/afile/r.json"}, code: 2, stderr: []string{"--out", "cannot create its directory"}},
		{args: []string{"probe", "--url", url, "--out", ""}, code: 2, stderr: []string{"--out must name a file"}},
		{args: probe("http://b/"), code: 2, stderr: []string{`unexpected argument "http://b/"`}},

		// selfheal flaky-server.
		{args: []string{"flaky-server", "--schedule", "3s 999"}, code: 2, stderr: []string{"status 999 is not an HTTP status code"}},
		{args: []string{"flaky-server", "--schedule", "3s 600"}, code: 2, stderr: []string{"status 600"}},
		{args: []string{"flaky-server", "--schedule", "3s 100"}, code: 2, stderr: []string{"status 100 is informational"}},
		{args: []string{"flaky-server", "--schedule", "3s teapot"}, code: 2, stderr: []string{"teapot"}},
		{args: []string{"flaky-server", "--schedule", ""}, code: 2, stderr: []string{"--schedule"}},
		{args: []string{"flaky-server", "--listen", "127.0.0.1:99999"}, code: 2, stderr: []string{`--listen: listen address "127.0.0.1:99999": port "99999"`}},
		{args: []string{"flaky-server", "--listen", "nonsense"}, code: 2, stderr: []string{"--listen", "want HOST:PORT"}},
		{args: []string{"flaky-server", "--listen", "a b:80"}, code: 2, stderr: []string{"neither an IP address nor a host name"}},
		{args: []string{"flaky-server", "extra"}, code: 2, stderr: []string{`unexpected argument "extra"`}},

		// selfheal cluster.
		{args: []string{"cluster"}, code: 2, stderr: []string{"missing action"}},
		{args: []string{"cluster", "sideways"}, code: 2, stderr: []string{`unknown action "sideways"`}},
		{args: []string{"cluster", "up", "-mode", "airgap"}, code: 2, stderr: []string{"unknown image mode"}},
		{args: []string{"cluster", "up", "-ready-timeout", "0s"}, code: 2, stderr: []string{"-ready-timeout must be positive"}},
		{args: []string{"cluster", "up", "-name", "a/b"}, code: 2, stderr: []string{`-name: cluster name "a/b" is not a DNS-1123 label`}},
		{args: []string{"cluster", "up", "-registry", "localhost:5001"}, code: 2, stderr: []string{"which a node cannot reach by that name"}},
		{args: []string{"cluster", "up", "-registry", "http://localhost:5001"}, code: 2, stderr: []string{"without a scheme"}},
		{args: []string{"cluster", "up", "-registry-endpoint", "http://r:5000"}, code: 2, stderr: []string{"without a registry"}},
		// selfheal images.
		{args: []string{"images"}, code: 2, stderr: []string{"missing action"}},
		{args: []string{"images", "sideways"}, code: 2, stderr: []string{`unknown action "sideways"`}},
		{args: []string{"images", "save", "a", "b"}, code: 2, stderr: []string{`unexpected arguments ["b"]`}},
		{args: []string{"images", "key", "x"}, code: 2, stderr: []string{`unexpected arguments ["x"]`}},
		{args: []string{"images", "push"}, code: 2, stderr: []string{"want the registry to push to"}},
		{args: []string{"images", "push", "https://registry.example.com"}, code: 2, stderr: []string{"without a scheme"}},
		{args: []string{"images", "push", "selfheal"}, code: 2, stderr: []string{"would mean Docker Hub"}},
		{args: []string{"cluster", "down", "-name", "../../x"}, code: 2, stderr: []string{`cluster name "../../x" is not a DNS-1123 label`}},
		{args: []string{"cluster", "status", "-name", "Selfheal"}, code: 2, stderr: []string{"not a DNS-1123 label"}},
		{args: []string{"cluster", "down", "extra"}, code: 2, stderr: []string{"unexpected arguments"}},
		{args: []string{"agent"}, code: 2, stderr: []string{"missing action: want install, status or remove"}},
		{args: []string{"agent", "reboot"}, code: 2, stderr: []string{`unknown action "reboot"`}},
		{args: []string{"agent", "install", "--wait", "0s"}, code: 2, stderr: []string{"--wait must be positive"}},
		{args: []string{"agent", "remove", "--cluster", "../x"}, code: 2, stderr: []string{"--cluster", "not a DNS-1123 label"}},
		{args: []string{"agent", "status", "--kubeconfig", "{fx}/missing"}, code: 2, stderr: []string{"--kubeconfig", "not a kubeconfig file"}},
		{args: []string{"agent", "status", "extra"}, code: 2, stderr: []string{`unexpected argument "extra"`}},
		{args: []string{"run", "--node-faults", "ssh"}, code: 2, stderr: []string{"-node-faults", `unknown node-fault door "ssh"`}},
		{args: []string{"run", "--list"}, env: map[string]string{"SELFHEAL_NODE_FAULTS": "sideways"}, code: 2, stderr: []string{`SELFHEAL_NODE_FAULTS="sideways"`, "want docker"}},
		{args: []string{"run", "--agent-image", " "}, code: 2, stderr: []string{"-agent-image", "want an image reference"}},

		// selfheal report.
		{args: []string{"report"}, code: 2, stderr: []string{"no result files given"}},
		{args: []string{"report", "--out", "{dir}/r.html", "{fx}/truncated"}, code: 2, stderr: []string{"cut.json", "cut short"}},
		{args: []string{"report", "--out", "{dir}/r.html", "{fx}/notes.json"}, code: 2, stderr: []string{"notes.json", "not JSON"}},
		{args: []string{"report", "--out", "{dir}/r.html", "{fx}/twodocs.json"}, code: 2, stderr: []string{"{fx}/twodocs.json: more than one document"}},
		{args: []string{"compare", "{fx}/probe.json", "{fx}/twodocs.json"}, code: 2, stderr: []string{"NEW: reading result {fx}/twodocs.json: more than one document"}},
		{args: []string{"report", "--out", "{dir}/r.html", "{fx}/metrics.json"}, code: 2, stderr: []string{"metrics.json", `no "schema" field`}},
		{args: []string{"report", "--out", "{dir}/r.html", "{fx}/nope.json"}, code: 2, stderr: []string{"nope.json", "name an existing result file"}},
		{args: []string{"report", "--out", "{fx}/adir", "{fx}/probe.json"}, code: 2, stderr: []string{"is a directory"}},
		{args: []string{"report", "--out", "{dir}/r.html", "--junit", "{fx}/afile/j.xml", "{fx}/probe.json"}, code: 2, stderr: []string{"--junit", "cannot create its directory"}},
		{args: []string{"report", "--out", "{dir}/r.html", "--junit", "{dir}/r.html", "{fx}/probe.json"}, code: 2, stderr: []string{"give the JUnit XML its own file"}},
		{args: []string{"report", "--out", "{dir}/r.html", "--detail-runs", "0", "{fx}/probe.json"}, code: 2, stderr: []string{"--detail-runs 0"}},
		{args: []string{"report", "--colour", "{fx}/probe.json"}, code: 2, stderr: []string{"flag provided but not defined: -colour"}},
		{args: []string{"report", "--out", "{dir}/r.html", "{fx}/probe.json", "{fx}/probe.json"}, code: 0,
			stderr: []string{"warning: {fx}/probe.json is given twice: counted once"}, stdout: []string{"1 result in 1 run"}, files: []string{"r.html"}},
		{args: []string{"report", "--out", "{dir}/r.html", "{fx}/mixed", "{fx}/probe.json"}, code: 0,
			stderr: []string{"skipped {fx}/mixed/vegeta.json", "warning: {fx}/probe.json is the same result as {fx}/mixed/probe.json: counted once"},
			stdout: []string{"1 result in 1 run"}, files: []string{"r.html"}},
		{args: []string{"report", "--out", "{dir}/r.html", "--junit", "{dir}/j.xml", nightly}, code: 0,
			stdout: []string{"12 results in 3 runs", "wrote {dir}/j.xml"}, files: []string{"r.html", "j.xml"}},
	}
	if len(tests) < 60 {
		t.Fatalf("%d cases; the issue asks for at least 60", len(tests))
	}
	for i, tt := range tests {
		t.Run(fmt.Sprintf("%02d %s", i, strings.Join(tt.args, " ")), func(t *testing.T) {
			dir := t.TempDir()
			expand := strings.NewReplacer("{dir}", dir, "{fx}", fx, "{trap}", trap.Addr().String(), "{kubeconfig}", kubeconfig).Replace
			args := make([]string, len(tt.args))
			for i, a := range tt.args {
				args[i] = expand(a)
			}
			env := map[string]string{}
			for k, v := range tt.env {
				env[k] = expand(v)
			}
			code, stdout, stderr := runCaught(t, args, env)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, stdout, stderr)
			}
			for _, w := range tt.stderr {
				if !strings.Contains(stderr, expand(w)) {
					t.Errorf("stderr lacks %q:\n%s", expand(w), stderr)
				}
			}
			if code != 0 && stdout != "" {
				t.Errorf("partial output on stdout:\n%s", stdout)
			}
			for _, w := range tt.stdout {
				if !strings.Contains(stdout, expand(w)) {
					t.Errorf("stdout lacks %q:\n%s", expand(w), stdout)
				}
			}
			var left []string
			filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					left = append(left, strings.TrimPrefix(p, dir+string(filepath.Separator)))
				}
				return nil
			})
			slices.Sort(left)
			if want := slices.Sorted(slices.Values(tt.files)); !slices.Equal(left, want) {
				t.Errorf("files written: %v, want %v", left, want)
			}
		})
	}
	if n := conns.Load(); n != 0 {
		t.Errorf("%d connection(s) reached the trap: a bad invocation touched the network or a cluster", n)
	}
}

// runCaught runs the CLI in-process. A panic fails the case with its
// stack; a command still running after a while (it started work, and did
// not stop when cancelled) fails it too.
func runCaught(t *testing.T, args []string, env map[string]string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb syncBuffer
	e := &cliEnv{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(k string) string { return env[k] }}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	type ended struct {
		code  int
		panic any
		stack []byte
	}
	done := make(chan ended, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- ended{panic: p, stack: debug.Stack()}
			}
		}()
		done <- ended{code: run(ctx, e, args)}
	}()
	select {
	case end := <-done:
		if end.panic != nil {
			t.Fatalf("panic: %v\n%s", end.panic, end.stack)
		}
		return end.code, out.String(), errb.String()
	case <-time.After(20 * time.Second):
		t.Fatalf("still running 20 s after it started (cancelled at 10 s): it went to work\nstdout: %s\nstderr: %s", out.String(), errb.String())
	}
	return 0, "", ""
}

func writeFixture(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}
