package session

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/selfheal/selfheal/chaos/host"
	"github.com/selfheal/selfheal/chaos/load"
	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/fixtures"
)

func envOf(kv map[string]string) func(string) string {
	return func(k string) string { return kv[k] }
}

func TestSettingsFromEnv(t *testing.T) {
	s, err := SettingsFromEnv(envOf(map[string]string{
		"SELFHEAL_CLUSTER": "ci-7", "SELFHEAL_IMAGE_MODE": "offline", "SELFHEAL_REPORT_DIR": "/tmp/r",
		"SELFHEAL_RUN_ID": "nightly-42", "SELFHEAL_KEEP_CLUSTER": "on-failure", "SELFHEAL_RATE": "2.5",
		"SELFHEAL_TIMEOUT": "1s", "SELFHEAL_KEEPALIVE": "true", "SELFHEAL_WARMUP": "20s",
		"SELFHEAL_BUDGETS": "node-halt.recovery=2m,*.5xx=0", "SELFHEAL_ALLOW_NON_KIND": "1",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if s.Cluster != "ci-7" || s.Mode != fixtures.ModeOffline || s.ReportDir != "/tmp/r" || s.RunID != "nightly-42" ||
		s.KeepCluster != KeepOnFailure || s.Rate != 2.5 || s.Timeout != time.Second || !s.KeepAlive ||
		s.Warmup != 20*time.Second || s.Budgets["node-halt"]["recovery"] != "2m" || s.Budgets["*"]["5xx"] != "0" || !s.AllowNonKind {
		t.Errorf("settings %+v", s)
	}
	r, err := SettingsFromEnv(envOf(map[string]string{"SELFHEAL_REGISTRY": "localhost:5001", "SELFHEAL_REGISTRY_ENDPOINT": "http://selfheal-registry:5000"}))
	if err != nil || r.Registry.Name != "localhost:5001" || r.Registry.Endpoint != "http://selfheal-registry:5000" {
		t.Errorf("registry: %+v, %v", r.Registry, err)
	}
	d, err := SettingsFromEnv(envOf(nil))
	if err != nil {
		t.Fatal(err)
	}
	if d.Cluster != "selfheal" || d.Rate != DefaultRate || d.KeepAlive != DefaultKeepAlive || d.KeepCluster != KeepNever {
		t.Errorf("defaults %+v", d)
	}
}

// Every bad value is refused when the settings are read, naming the
// variable and the value: before Docker, a cluster or the network.
func TestSettingsFromEnvRefuses(t *testing.T) {
	tests := []struct{ env, value, want string }{
		{"SELFHEAL_BUDGETS", "*.downtime=abc", `SELFHEAL_BUDGETS="*.downtime=abc": budget override "*.downtime=abc": downtime="abc"`},
		{"SELFHEAL_BUDGETS", "*.5xx=-1", `5xx="-1": want a count`},
		{"SELFHEAL_BUDGETS", "*.recovered=maybe", `recovered="maybe": want true, false or any`},
		{"SELFHEAL_BUDGETS", "nod-halt.downtime=30s", "no scenario named nod-halt; known: wp-config-break"},
		{"SELFHEAL_RATE", "NaN", `SELFHEAL_RATE="NaN": rate must be a number of requests per second above 0, got NaN`},
		{"SELFHEAL_RATE", "+Inf", `SELFHEAL_RATE="+Inf"`},
		{"SELFHEAL_RATE", "0", `SELFHEAL_RATE="0"`},
		{"SELFHEAL_RATE", "2e6", `SELFHEAL_RATE="2e6": rate 2e+06 is beyond`},
		{"SELFHEAL_RATE", "0.01", "SELFHEAL_RATE=0.01: one request every 1m40s, longer than the 15s warm-up"},
		{"SELFHEAL_RATE", "1e-12", `SELFHEAL_RATE="1e-12": rate 1e-12 requests per second is too low`},
		{"SELFHEAL_TIMEOUT", "0s", `SELFHEAL_TIMEOUT="0s": want a duration above 0`},
		{"SELFHEAL_WARMUP", "soon", `SELFHEAL_WARMUP="soon"`},
		{"SELFHEAL_WARMUP", "-1s", `SELFHEAL_WARMUP="-1s"`},
		{"SELFHEAL_KEEPALIVE", "yes", `SELFHEAL_KEEPALIVE="yes": want true, false or both`},
		{"SELFHEAL_LOADERS", "-1", `SELFHEAL_LOADERS="-1": want a whole number of loaders from 0 to 64`},
		{"SELFHEAL_LOADERS", "65", `SELFHEAL_LOADERS="65"`},
		{"SELFHEAL_LOADERS", "two", `SELFHEAL_LOADERS="two"`},
		{"SELFHEAL_LOADER_RATE", "0", `SELFHEAL_LOADER_RATE="0": want requests per second above 0`},
		{"SELFHEAL_LOADER_RATE", "50", "SELFHEAL_LOADER_RATE=50: there are no loaders to apply it to (SELFHEAL_LOADERS is 0)"},
		{"SELFHEAL_LOADER_NODES", "selfheal-worker", "SELFHEAL_LOADER_NODES=selfheal-worker: there are no loaders"},
		{"SELFHEAL_LOADER_NODES", "Worker_1", `SELFHEAL_LOADER_NODES="Worker_1": "Worker_1" is not a node name`},
		{"SELFHEAL_LOADER_NODES", "a,b,a", "node a named twice"},
		{"SELFHEAL_LOADER_NODES", " , ", "want node names"},
		{"SELFHEAL_CONTROL_PROBE", "on", `SELFHEAL_CONTROL_PROBE="on": want true or false`},
		{"SELFHEAL_LOADER_PATHS", "style.css", `"style.css" is not a URL path`},
		{"SELFHEAL_LOADER_PATHS", "/", "SELFHEAL_LOADER_PATHS=/: there are no loaders"},
		{"SELFHEAL_ALLOW_NON_KIND", "yes", `SELFHEAL_ALLOW_NON_KIND="yes"`},
		{"SELFHEAL_KEEP_CLUSTER", "sometimes", "want never, always or on-failure"},
		{"SELFHEAL_IMAGE_MODE", "airgap", "unknown image mode"},
		{"SELFHEAL_CLUSTER", "../../x", "not a DNS-1123 label"},
		{"SELFHEAL_RUN_ID", "../../x", "not a plain directory name"},
		{"SELFHEAL_RUN_ID", "..", "not a plain directory name"},
		{"SELFHEAL_REPORT_DIR", " ", "want a directory"},
		{"SELFHEAL_REGISTRY", "http://localhost:5001", "without a scheme"},
		{"SELFHEAL_REGISTRY", "localhost:5001", `SELFHEAL_REGISTRY="localhost:5001", SELFHEAL_REGISTRY_ENDPOINT="": registry localhost:5001 is on this machine's localhost`},
		{"SELFHEAL_REGISTRY_ENDPOINT", "http://selfheal-registry:5000", "without a registry"},
		{"SELFHEAL_REPEAT", "some", `SELFHEAL_REPEAT="some": "some" is not a whole number of repetitions (e.g. 3) nor "auto"`},
		{"SELFHEAL_REPEAT_MAX", "12", "SELFHEAL_REPEAT_MAX=12: only --repeat auto (SELFHEAL_REPEAT=auto) uses it, and the repetitions are 1"},
		{"SELFHEAL_REPEAT_METRICS", "downtime,downtime", "downtime named twice"},
		{"SELFHEAL_REPEAT_METRICS", " , ", "want at least one figure, e.g. downtime,5xx,errors"},
	}
	for _, tt := range tests {
		t.Run(tt.env+"="+tt.value, func(t *testing.T) {
			_, err := SettingsFromEnv(envOf(map[string]string{tt.env: tt.value}))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v; want %q", err, tt.want)
			}
		})
	}
}

// The vantage points' settings: loaders, their rate and nodes, the
// control probe, both connection modes.
func TestSettingsVantages(t *testing.T) {
	s, err := SettingsFromEnv(envOf(map[string]string{"SELFHEAL_LOADERS": "4", "SELFHEAL_LOADER_RATE": "50",
		"SELFHEAL_LOADER_NODES": "selfheal-worker, selfheal-worker2", "SELFHEAL_CONTROL_PROBE": "true", "SELFHEAL_KEEPALIVE": "both",
		"SELFHEAL_LOADER_PATHS": "/static.css,/"}))
	if err != nil {
		t.Fatal(err)
	}
	v := s.Vantages()
	if v.Loaders != 4 || v.LoaderRate != 50 || len(v.LoaderNodes) != 2 || v.LoaderNodes[1] != "selfheal-worker2" ||
		!v.Control || !v.BothConnections || s.KeepAlive || !v.Any() || len(v.LoaderPaths) != 2 || v.LoaderPaths[0] != "/static.css" {
		t.Errorf("vantages %+v (keep-alive %v)", v, s.KeepAlive)
	}
	if d := DefaultSettings(); d.Vantages().Any() {
		t.Errorf("the defaults ask for vantage points: %+v", d.Vantages())
	}
	// A flag clash names the flag.
	s = DefaultSettings()
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	s.RegisterFlags(fs)
	if err := fs.Parse([]string{"--loader-rate", "20"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Check(); err == nil || !strings.Contains(err.Error(), "--loader-rate 20: there are no loaders") {
		t.Errorf("a loader rate without loaders: %v", err)
	}
	if err := fs.Parse([]string{"--keep-alive=both", "--loaders", "2", "--control-probe"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Check(); err != nil || !s.BothConnections || s.Loaders != 2 || !s.ControlProbe {
		t.Errorf("flags: %+v, %v", s.Vantages(), err)
	}
}

// A flag overrides its variable; SELFHEAL_KEEP_CLUSTER has no flag.
func TestSettingsFlagsOverrideEnv(t *testing.T) {
	s, err := SettingsFromEnv(envOf(map[string]string{"SELFHEAL_RATE": "5", "SELFHEAL_BUDGETS": "*.5xx=0", "SELFHEAL_KEEPALIVE": "true"}))
	if err != nil {
		t.Fatal(err)
	}
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	s.RegisterFlags(fs)
	if fs.Lookup("keep-cluster") != nil {
		t.Error("SELFHEAL_KEEP_CLUSTER has a flag; the CLI never creates a cluster")
	}
	if err := fs.Parse([]string{"--rate", "20", "--budgets", "node-halt.recovery=1m", "--keep-alive=false", "--allow-non-kind"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Check(); err != nil {
		t.Fatal(err)
	}
	if s.Rate != 20 || s.KeepAlive || !s.AllowNonKind || len(s.Budgets) != 1 || s.Budgets["node-halt"]["recovery"] != "1m" {
		t.Errorf("settings after flags: %+v", s)
	}

	// A clash names the flag that caused it.
	s = DefaultSettings()
	fs = flag.NewFlagSet("x", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	s.RegisterFlags(fs)
	if err := fs.Parse([]string{"--rate", "0.05", "--warmup", "10s"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Check(); err == nil || !strings.Contains(err.Error(), "--rate 0.05: one request every 20s, longer than the 10s warm-up (--warmup 10s)") {
		t.Errorf("clash: %v", err)
	}
	if err := fs.Parse([]string{"--rate", "NaN"}); err == nil || !strings.Contains(err.Error(), `invalid value "NaN" for flag -rate`) {
		t.Errorf("--rate NaN: %v", err)
	}
}

// --repeat auto takes its maximum and its figures; a maximum at which
// nothing could ever be called is refused, naming how many it needs, and
// the first batch is the first look that can call anything.
func TestSettingsRepeatAuto(t *testing.T) {
	s, err := SettingsFromEnv(envOf(map[string]string{"SELFHEAL_REPEAT": "auto", "SELFHEAL_REPEAT_MAX": "12", "SELFHEAL_REPEAT_METRICS": "downtime,errors"}))
	if err != nil {
		t.Fatal(err)
	}
	if !s.Repeat.Auto || s.RepeatMax != 12 || len(s.RepeatMetrics) != 2 || s.RepeatMetrics[1] != result.KeyTransportErrors {
		t.Errorf("settings %+v", s)
	}
	if n, err := s.FirstLook(); err != nil || n != 5 {
		t.Errorf("first look %d, %v; want 5", n, err)
	}
	_, err = SettingsFromEnv(envOf(map[string]string{"SELFHEAL_REPEAT": "auto", "SELFHEAL_REPEAT_MAX": "3"}))
	if err == nil || !strings.Contains(err.Error(), "SELFHEAL_REPEAT_MAX=3, downtime,5xx,errors: with at most 3 repetitions a side no difference can be called") || !strings.Contains(err.Error(), "allow at least 5") {
		t.Errorf("a maximum of 3: %v", err)
	}
	// The suite's -repeat wins over SELFHEAL_REPEAT, and is named when wrong.
	env := envOf(map[string]string{"SELFHEAL_REPEAT": "3", "SELFHEAL_REPEAT_MAX": "12"})
	if s, err := SettingsFromEnv(env, Override{Env: "SELFHEAL_REPEAT", Value: "auto", From: "-repeat auto"}); err != nil || !s.Repeat.Auto || s.RepeatMax != 12 {
		t.Errorf("-repeat auto over SELFHEAL_REPEAT=3: %+v, %v", s.Repeat, err)
	}
	if _, err := SettingsFromEnv(env, Override{Env: "SELFHEAL_REPEAT", Value: "x", From: "-repeat x"}); err == nil || !strings.HasPrefix(err.Error(), `-repeat x: "x" is not a whole number`) {
		t.Errorf("-repeat x: %v", err)
	}
	d := DefaultSettings()
	if d.Repeat.Auto || d.Repeat.N != 1 || d.RepeatMax != DefaultRepeatMax || len(d.RepeatMetrics) != 3 {
		t.Errorf("defaults %+v", d)
	}
}

func TestCheckReportDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	if err := CheckReportDir(dir); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("the check left %v behind", entries)
	}
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := CheckReportDir(filepath.Join(file, "sub")); err == nil {
		t.Error("a directory under a file was accepted")
	}
}

// Settings.Config is the one path from the settings to a session: every
// setting arrives, and a session given none has the settings' defaults.
func TestSettingsConfig(t *testing.T) {
	s, err := SettingsFromEnv(envOf(map[string]string{
		"SELFHEAL_CLUSTER": "ci-7", "SELFHEAL_REPORT_DIR": "/tmp/r", "SELFHEAL_RUN_ID": "nightly-42", "SELFHEAL_RATE": "2.5",
		"SELFHEAL_TIMEOUT": "1s", "SELFHEAL_KEEPALIVE": "true", "SELFHEAL_WARMUP": "20s", "SELFHEAL_WARMUP_LIMIT": "3m",
		"SELFHEAL_BUDGETS": "node-halt.recovery=2m,node-halt.recovery.p50=1m", "SELFHEAL_ALLOW_NON_KIND": "1",
		"SELFHEAL_FAIL_STARVED": "false", "SELFHEAL_HISTORY": "off",
	}))
	if err != nil {
		t.Fatal(err)
	}
	c := s.Config(host.WithInterval(time.Minute))
	if c.Cluster != "ci-7" || c.ReportDir != "/tmp/r" || c.RunID != "nightly-42" || !c.AllowNonKind ||
		c.Timing.Warmup != 20*time.Second || c.Timing.WarmupLimit != 3*time.Minute || c.Budgets["node-halt"]["recovery"] != "2m" ||
		len(c.Aggregate) == 0 || !c.Host.ExcuseStarved || len(c.Host.Sampling) != 1 || !c.History.Off {
		t.Errorf("config %+v", c)
	}
	if got := loadOf(t, c.Load); got.Rate != 2.5 || got.Timeout != "1s" || !got.KeepAlive {
		t.Errorf("load %+v, want 2.5/s, 1s, keep-alive", got)
	}
	d := DefaultSettings()
	if got := loadOf(t, withDefaults(Config{}).Load); got.Rate != d.Rate || got.KeepAlive != d.KeepAlive || got.Rate != DefaultRate {
		t.Errorf("a session given no load runs %+v, want the settings' defaults (%v/s, keep-alive %v)", got, d.Rate, d.KeepAlive)
	}
}

func loadOf(t *testing.T, opts []load.Option) result.Load {
	t.Helper()
	g, err := load.New([]string{"http://127.0.0.1/"}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return g.Settings()
}
