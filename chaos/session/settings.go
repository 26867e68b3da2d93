package session

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/selfheal/selfheal/chaos/catalog"
	"github.com/selfheal/selfheal/chaos/history"
	"github.com/selfheal/selfheal/chaos/host"
	"github.com/selfheal/selfheal/chaos/load"
	"github.com/selfheal/selfheal/chaos/loader"
	"github.com/selfheal/selfheal/chaos/plan"
	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/chaos/scenario"
	"github.com/selfheal/selfheal/chaos/stats"
	"github.com/selfheal/selfheal/chaos/variant"
	"github.com/selfheal/selfheal/fixtures"
	"github.com/selfheal/selfheal/fixtures/cluster"
)

// Settings are the knobs of a run of scenarios. `go test ./e2e` reads
// them from SELFHEAL_* variables; `selfheal run` reads the same variables
// and then its flags, a flag overriding its variable. SettingsTable says
// which variable and flag set each one.
type Settings struct {
	Cluster string
	Mode    fixtures.Mode
	// Registry is where the cluster pulls the project's images from (the
	// zero Registry: none); Check sets it from the two variables.
	Registry cluster.Registry
	// ReportDir is where results go; "" leaves the front end's default.
	ReportDir string
	// RunID names the run's directory; "" is the start time.
	RunID string
	// KeepCluster says when the suite keeps a cluster it created (the CLI
	// never creates one).
	KeepCluster  KeepCluster
	AllowNonKind bool
	Rate         float64
	Timeout      time.Duration
	KeepAlive    bool
	// BothConnections measures with new and reused connections apart
	// (SELFHEAL_KEEPALIVE=both); KeepAlive is then false, the top level's.
	BothConnections bool
	// Loaders, LoaderRate, LoaderNodes and ControlProbe are the vantage
	// points beside the outside load (Vantages).
	Loaders      int
	LoaderRate   float64
	LoaderNodes  []string
	LoaderPaths  []string
	ControlProbe bool
	// Warmup is the load before each injection; 0 keeps the scenario's.
	Warmup time.Duration
	// WarmupLimit is how long the warm-up waits for a clean baseline; 0
	// keeps the scenario's.
	WarmupLimit time.Duration
	// Budgets are the overrides and Aggregate the budgets on repetitions
	// taken together, every value and scenario name checked.
	Budgets   scenario.Overrides
	Aggregate scenario.AggregateBudgets
	// Repeat is how many times each cell runs, or auto: until its
	// comparison is clear or RepeatMax is reached, judged on the figures
	// RepeatMetrics names (plan.Auto, chaos/stats.Sequential).
	Repeat        plan.Repeat
	RepeatMax     int
	RepeatMetrics []result.MetricKey
	// History derives budgets from earlier runs.
	History history.Settings
	// HostThresholds are the host thresholds over the defaults, and
	// FailStarved whether a budget missed on a starved machine fails.
	HostThresholds []result.HostThreshold
	FailStarved    bool
	// NodeFaults is the door node-halt and mysql-node-halt go through,
	// AgentImage the node agent's image when that is the agent ("" for
	// the one built here, versions.env's AGENT_IMAGE).
	NodeFaults catalog.NodeFaults
	AgentImage string

	// registry and endpoint are SELFHEAL_REGISTRY and
	// SELFHEAL_REGISTRY_ENDPOINT as given, read together by Check.
	registry, endpoint string

	// from records where each setting came from ("SELFHEAL_RATE=0.01",
	// "--rate 0.01"), for messages about settings that clash.
	from map[string]string
}

// KeepCluster is when the suite keeps a cluster it created.
type KeepCluster string

// Keep policies.
const (
	KeepNever     KeepCluster = "never"
	KeepAlways    KeepCluster = "always"
	KeepOnFailure KeepCluster = "on-failure"
)

// Setting is one knob: its variable, its flag ("" when only the suite
// reads it) and how a value is read.
type Setting struct {
	Env, Flag string
	Usage     string
	// Bool flags may be given without a value.
	Bool bool
	set  func(s *Settings, v string) error
}

// runIDPattern keeps a run id a plain directory name under ReportDir.
var runIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// SettingsTable lists every setting, in the order the README shows them.
func SettingsTable() []Setting {
	return []Setting{
		{Env: "SELFHEAL_CLUSTER", Flag: "cluster", Usage: "name of the kind cluster (node faults stop its containers)",
			set: func(s *Settings, v string) error {
				s.Cluster = v
				return cluster.CheckName(v)
			}},
		{Env: cluster.ModeEnv, Flag: "mode", Usage: "image mode of the cluster: auto (= offline), offline or online (stock images, never run here)",
			set: func(s *Settings, v string) (err error) {
				s.Mode, err = fixtures.ParseMode(v)
				return err
			}},
		{Env: cluster.RegistryEnv, Usage: "registry the project's images were pushed to (selfheal images push): the cluster pulls them from it, HOST[:PORT][/PATH]",
			set: func(s *Settings, v string) (err error) {
				s.registry, err = fixtures.ParseRegistry(v)
				return err
			}},
		{Env: cluster.RegistryEndpointEnv, Usage: "URL the nodes reach that registry at, e.g. http://selfheal-registry:5000 (needed for one on localhost)",
			set: func(s *Settings, v string) error {
				s.endpoint = v
				return nil
			}},
		{Env: "SELFHEAL_REPORT_DIR", Flag: "report-dir", Usage: "where results and reports go, a directory per run (default _out/report)",
			set: func(s *Settings, v string) error {
				if strings.TrimSpace(v) == "" {
					return errors.New("want a directory, e.g. _out/report")
				}
				s.ReportDir = v
				return nil
			}},
		{Env: "SELFHEAL_RUN_ID", Flag: "run-id", Usage: "the run's directory name under the report directory (default: the start time)",
			set: func(s *Settings, v string) error {
				if !runIDPattern.MatchString(v) || v == "." || v == ".." {
					return fmt.Errorf("%q is not a plain directory name: use letters, digits, '.', '_' and '-', e.g. nightly-42", v)
				}
				s.RunID = v
				return nil
			}},
		{Env: "SELFHEAL_KEEP_CLUSTER", Usage: "keep a cluster the suite created: never, always, on-failure (a reused cluster is always kept)",
			set: func(s *Settings, v string) error {
				switch k := KeepCluster(v); k {
				case KeepNever, KeepAlways, KeepOnFailure:
					s.KeepCluster = k
					return nil
				}
				return errors.New("want never, always or on-failure")
			}},
		{Env: "SELFHEAL_RATE", Flag: "rate", Usage: fmt.Sprintf("requests per second, all targets together (default %v)", DefaultRate),
			set: func(s *Settings, v string) error {
				r, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
				if err != nil {
					return fmt.Errorf("want requests per second above 0, e.g. %v", DefaultRate)
				}
				s.Rate = r
				return load.CheckRate(r)
			}},
		{Env: "SELFHEAL_TIMEOUT", Flag: "timeout", Usage: "per-request timeout (default 2s)",
			set: func(s *Settings, v string) error {
				d, err := time.ParseDuration(v)
				if err != nil || d <= 0 {
					return errors.New("want a duration above 0, e.g. 2s")
				}
				s.Timeout = d
				return nil
			}},
		{Env: "SELFHEAL_KEEPALIVE", Flag: "keep-alive", Bool: true,
			Usage: "reuse connections (a kept-alive connection stays on one pod; the default opens one per request); both: measure each way apart, the top-level figures with new ones",
			set: func(s *Settings, v string) (err error) {
				s.BothConnections = strings.EqualFold(strings.TrimSpace(v), loader.KeepAliveBoth)
				if s.BothConnections {
					s.KeepAlive = false
					return nil
				}
				if s.KeepAlive, err = strconv.ParseBool(v); err != nil {
					return errors.New("want true, false or both")
				}
				return nil
			}},
		{Env: "SELFHEAL_LOADERS", Flag: "loaders", Usage: "loader pods that load the app's Service from inside the cluster, a vantage point of their own (default 0: none)",
			set: func(s *Settings, v string) error {
				n, err := strconv.Atoi(strings.TrimSpace(v))
				if err != nil || n < 0 || n > MaxLoaders {
					return fmt.Errorf("want a whole number of loaders from 0 to %d, e.g. 4", MaxLoaders)
				}
				s.Loaders = n
				return nil
			}},
		{Env: "SELFHEAL_LOADER_RATE", Flag: "loader-rate", Usage: "requests per second of each loader, all targets together (default: the rate)",
			set: func(s *Settings, v string) error {
				r, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
				if err != nil || math.IsNaN(r) || math.IsInf(r, 0) || r <= 0 {
					return errors.New("want requests per second above 0, e.g. 50")
				}
				s.LoaderRate = r
				return nil
			}},
		{Env: "SELFHEAL_LOADER_NODES", Flag: "loader-nodes", Usage: "nodes the loaders run on, in turn, e.g. selfheal-worker,selfheal-worker2 (default: every node but the control plane)",
			set: func(s *Settings, v string) error {
				nodes, err := parseNodes(v)
				s.LoaderNodes = nodes
				return err
			}},
		{Env: "SELFHEAL_LOADER_PATHS", Flag: "loader-paths", Usage: "the paths the loaders ask for, e.g. a static one, /wp-includes/css/dist/block-library/style.min.css (default: the outside load's)",
			set: func(s *Settings, v string) error {
				paths, err := parsePaths(v)
				s.LoaderPaths = paths
				return err
			}},
		{Env: "SELFHEAL_CONTROL_PROBE", Flag: "control-probe", Bool: true,
			Usage: "also load a static server on the control-plane node through its own NodePort (127.0.0.1:30082), so that a failure of the harness's path is not charged to the app",
			set: func(s *Settings, v string) (err error) {
				if s.ControlProbe, err = strconv.ParseBool(v); err != nil {
					return errors.New("want true or false")
				}
				return nil
			}},
		{Env: "SELFHEAL_WARMUP", Flag: "warmup", Usage: "load before each injection (default 15s)",
			set: func(s *Settings, v string) error {
				d, err := time.ParseDuration(v)
				if err != nil || d <= 0 {
					return errors.New("want a duration above 0, e.g. 15s")
				}
				s.Warmup = d
				return nil
			}},
		{Env: "SELFHEAL_WARMUP_LIMIT", Flag: "warmup-limit", Usage: "how long the warm-up waits for a clean baseline (default 2m)",
			set: func(s *Settings, v string) error {
				d, err := time.ParseDuration(v)
				if err != nil || d <= 0 {
					return errors.New("want a duration above 0, e.g. 2m")
				}
				s.WarmupLimit = d
				return nil
			}},
		{Env: "SELFHEAL_HOST_THRESHOLDS", Flag: "host-thresholds", Usage: "host thresholds over the defaults, SIGNAL=CONTENDED/STARVED, e.g. steal=10/30,outside_pressure=20/40",
			set: func(s *Settings, v string) (err error) {
				s.HostThresholds, err = host.ParseThresholds(v)
				return err
			}},
		{Env: "SELFHEAL_FAIL_STARVED", Flag: "fail-starved", Bool: true, Usage: "a budget missed on a starved machine still fails (false: reported, not failed; default true)",
			set: func(s *Settings, v string) (err error) {
				if s.FailStarved, err = strconv.ParseBool(v); err != nil {
					return errors.New("want true or false")
				}
				return nil
			}},
		{Env: "SELFHEAL_BUDGETS", Flag: "budgets",
			Usage: "budget overrides, e.g. node-halt.recovery=2m,*.5xx=0 (metrics: " + strings.Join(scenario.OverrideMetrics(), ", ") +
				"), and budgets on repetitions taken together, e.g. node-halt.recovery.p50=60s,*.pass_rate=1; the flag replaces the variable",
			set: func(s *Settings, v string) error {
				o, agg, err := scenario.ParseBudgets(v)
				if err != nil {
					return err
				}
				if err := o.CheckScenarios(catalog.Names()); err != nil {
					return err
				}
				if _, err := catalog.Lookup(agg.Scenarios()...); err != nil {
					return fmt.Errorf("aggregate budgets: %w", err)
				}
				s.Budgets, s.Aggregate = o, agg
				return nil
			}},
		{Env: "SELFHEAL_REPEAT", Flag: "repeat", Usage: "run each selected cell N times in a row, then take the repetitions together (default 1); auto: until its comparison with baseline (or with earlier runs) is clear, up to --repeat-max",
			set: func(s *Settings, v string) (err error) {
				s.Repeat, err = plan.ParseRepeat(v)
				return err
			}},
		{Env: "SELFHEAL_REPEAT_MAX", Flag: "repeat-max", Usage: fmt.Sprintf("with --repeat auto, the most repetitions a cell takes (default %d)", DefaultRepeatMax),
			set: func(s *Settings, v string) error {
				n, err := strconv.Atoi(strings.TrimSpace(v))
				if err != nil {
					return fmt.Errorf("%q is not a whole number of repetitions (e.g. %d)", v, DefaultRepeatMax)
				}
				s.RepeatMax = n
				return plan.CheckRepeat(n)
			}},
		{Env: "SELFHEAL_REPEAT_METRICS", Flag: "repeat-metrics", Usage: "with --repeat auto, the figures whose comparison decides, e.g. downtime,errors (default " + strings.Join(metricShorts(DefaultRepeatMetrics()), ",") + ")",
			set: func(s *Settings, v string) (err error) {
				s.RepeatMetrics, err = parseMetrics(v)
				return err
			}},
		{Env: "SELFHEAL_HISTORY", Flag: "history", Usage: "budgets from the earlier runs in the report directory: " + history.SpecHelp + " (default p=0.95,last=30,min=19,floor=1s)",
			set: func(s *Settings, v string) (err error) {
				s.History, err = history.Parse(v)
				return err
			}},
		{Env: "SELFHEAL_NODE_FAULTS", Flag: "node-faults", Usage: "how node-halt and mysql-node-halt halt a node: docker (kill the kind node's container; the default) or agent (selfheal's node agent stops its kubelet and container runtime and isolates its network; any cluster)",
			set: func(s *Settings, v string) (err error) {
				s.NodeFaults, err = catalog.ParseNodeFaults(v)
				return err
			}},
		{Env: "SELFHEAL_AGENT_IMAGE", Flag: "agent-image", Usage: "the node agent's image, where the cluster's nodes can pull it (default: the one built here and loaded into the kind nodes)",
			set: func(s *Settings, v string) error {
				if strings.TrimSpace(v) == "" || strings.ContainsAny(v, " \t\n") {
					return errors.New("want an image reference, e.g. registry.example/selfheal-agent:1")
				}
				s.AgentImage = v
				return nil
			}},
		{Env: "SELFHEAL_ALLOW_NON_KIND", Flag: "allow-non-kind", Bool: true,
			Usage: "inject faults even into a cluster that is not the kind cluster (refused otherwise)",
			set: func(s *Settings, v string) (err error) {
				if s.AllowNonKind, err = strconv.ParseBool(v); err != nil {
					return errors.New("want 1 or true (0 or false: refuse a cluster that is not kind)")
				}
				return nil
			}},
	}
}

// DefaultSettings are the settings when nothing is set.
func DefaultSettings() Settings {
	return Settings{
		Cluster: cluster.DefaultName, Mode: fixtures.ModeAuto, KeepCluster: KeepNever,
		Rate: DefaultRate, Timeout: load.DefaultTimeout, KeepAlive: DefaultKeepAlive,
		Budgets: scenario.Overrides{}, Aggregate: scenario.AggregateBudgets{}, Repeat: plan.Repeat{N: 1},
		RepeatMax: DefaultRepeatMax, RepeatMetrics: DefaultRepeatMetrics(),
		History: defaultHistory, FailStarved: true, NodeFaults: catalog.NodeFaultsDocker,
	}
}

// SettingsFromEnv reads every SELFHEAL_* variable over the defaults,
// then the overrides over them (the suite's -repeat flag), and checks the
// result. An error names the variable, or the override, and its value.
func SettingsFromEnv(getenv func(string) string, overrides ...Override) (Settings, error) {
	s := DefaultSettings()
	for _, st := range SettingsTable() {
		v := getenv(st.Env)
		if v == "" {
			continue
		}
		if err := st.set(&s, v); err != nil {
			return s, fmt.Errorf("%s=%q: %w", st.Env, v, err)
		}
		s.note(st, fmt.Sprintf("%s=%s", st.Env, v))
	}
	for _, o := range overrides {
		if err := s.override(o); err != nil {
			return s, err
		}
	}
	return s, s.Check()
}

// Override sets the setting of variable Env to Value from another source
// that wins over the variable; From names that source in messages
// ("-repeat auto").
type Override struct{ Env, Value, From string }

func (s *Settings) override(o Override) error {
	for _, st := range SettingsTable() {
		if st.Env != o.Env {
			continue
		}
		if err := st.set(s, o.Value); err != nil {
			return fmt.Errorf("%s: %w", o.From, err)
		}
		s.note(st, o.From)
		return nil
	}
	return fmt.Errorf("%s: no setting is read from %s", o.From, o.Env)
}

// RegisterFlags adds the settings that have a flag to fs; parsing fs then
// overrides what SettingsFromEnv read. Call Check after parsing.
func (s *Settings) RegisterFlags(fs *flag.FlagSet) {
	for _, st := range SettingsTable() {
		if st.Flag == "" {
			continue
		}
		usage := fmt.Sprintf("%s ($%s)", st.Usage, st.Env)
		set := func(v string) error {
			if err := st.set(s, v); err != nil {
				return err
			}
			s.note(st, fmt.Sprintf("--%s %s", st.Flag, v))
			return nil
		}
		if st.Bool {
			fs.BoolFunc(st.Flag, usage, set)
		} else {
			fs.Func(st.Flag, usage, set)
		}
	}
}

func (s *Settings) note(st Setting, from string) {
	if s.from == nil {
		s.from = map[string]string{}
	}
	s.from[st.Env] = from
}

// source says where the setting of variable env came from, for messages.
func (s *Settings) source(env, fallback string) string {
	if f := s.from[env]; f != "" {
		return f
	}
	return fallback
}

// Check refuses settings that are each valid but cannot work together,
// and load settings the load generator would refuse later, after the
// cluster was prepared. It touches nothing outside the process.
func (s *Settings) Check() error {
	r, err := cluster.ParseRegistry(s.registry, s.endpoint)
	if err != nil {
		return fmt.Errorf("%s=%q, %s=%q: %w", cluster.RegistryEnv, s.registry, cluster.RegistryEndpointEnv, s.endpoint, err)
	}
	s.Registry = r
	if err := s.checkRepeat(); err != nil {
		return err
	}
	if err := s.checkVantages(); err != nil {
		return err
	}
	if _, err := load.New([]string{"http://127.0.0.1/"}, s.Load()...); err != nil {
		// The setters checked everything but the load's own limits.
		return fmt.Errorf("%s: %w", s.source("SELFHEAL_RATE", fmt.Sprintf("rate %v", s.Rate)), err)
	}
	warmup := s.Timing().Warmup
	if warmup == 0 {
		warmup = scenario.DefaultTiming().Warmup
	}
	// A rate whose interval is longer than the warm-up sends no request
	// before the injection: there would be no baseline, and no measurement
	// worth the name after it.
	if interval := float64(time.Second) / s.Rate; interval > float64(warmup) {
		return fmt.Errorf("%s: one request every %s, longer than the %s warm-up (%s): no request would be sent before the injection; use a rate of at least %.3g/s",
			s.source("SELFHEAL_RATE", fmt.Sprintf("rate %v", s.Rate)), durationWords(interval), warmup,
			s.source("SELFHEAL_WARMUP", "default"), float64(time.Second)/float64(warmup))
	}
	return nil
}

// durationWords writes an interval that may not fit in a time.Duration.
func durationWords(ns float64) string {
	if ns > float64(math.MaxInt64) {
		return fmt.Sprintf("%.3g hours", ns/float64(time.Hour))
	}
	return time.Duration(ns).Round(time.Millisecond).String()
}

// MaxLoaders is the most loader pods a run may ask for.
const MaxLoaders = 64

// parseNodes reads a list of node names: DNS-1123 subdomains, each once.
func parseNodes(v string) ([]string, error) {
	var nodes []string
	for _, n := range strings.Split(v, ",") {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		if errs := validation.IsDNS1123Subdomain(n); len(errs) > 0 {
			return nil, fmt.Errorf("%q is not a node name: %s", n, strings.Join(errs, "; "))
		}
		if slices.Contains(nodes, n) {
			return nil, fmt.Errorf("node %s named twice (loaders take the nodes in turn: set SELFHEAL_LOADERS for more per node)", n)
		}
		nodes = append(nodes, n)
	}
	if len(nodes) == 0 {
		return nil, errors.New("want node names, e.g. selfheal-worker,selfheal-worker2")
	}
	return nodes, nil
}

// parsePaths reads a list of URL paths: each from "/", each once.
func parsePaths(v string) ([]string, error) {
	var paths []string
	for _, p := range strings.Split(v, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if !strings.HasPrefix(p, "/") || strings.ContainsAny(p, " \t") {
			return nil, fmt.Errorf("%q is not a URL path: want one from /, e.g. /wp-includes/css/dist/block-library/style.min.css", p)
		}
		if slices.Contains(paths, p) {
			return nil, fmt.Errorf("path %s named twice", p)
		}
		paths = append(paths, p)
	}
	if len(paths) == 0 {
		return nil, errors.New("want paths, e.g. /,/?p=1")
	}
	return paths, nil
}

// Vantages are the vantage points of the settings.
func (s *Settings) Vantages() Vantages {
	return Vantages{Loaders: s.Loaders, LoaderRate: s.LoaderRate, LoaderNodes: s.LoaderNodes, LoaderPaths: s.LoaderPaths,
		Control: s.ControlProbe, BothConnections: s.BothConnections}
}

// checkVantages refuses loader settings without loaders, and a loader
// rate the load could not pace.
func (s *Settings) checkVantages() error {
	if s.Loaders == 0 {
		for _, env := range []string{"SELFHEAL_LOADER_RATE", "SELFHEAL_LOADER_NODES", "SELFHEAL_LOADER_PATHS"} {
			if from := s.from[env]; from != "" {
				return fmt.Errorf("%s: there are no loaders to apply it to (%s)", from, s.source("SELFHEAL_LOADERS", "SELFHEAL_LOADERS is 0"))
			}
		}
		return nil
	}
	if s.LoaderRate == 0 {
		return nil
	}
	if _, err := load.New([]string{"http://127.0.0.1/"}, load.Rate(s.LoaderRate)); err != nil {
		return fmt.Errorf("%s: %w", s.source("SELFHEAL_LOADER_RATE", fmt.Sprintf("loader rate %v", s.LoaderRate)), err)
	}
	return nil
}

// Config is the session configuration the settings give: the one path
// from the SELFHEAL_* variables and selfheal run's flags to a session, for
// the suite and the CLI alike. The caller adds what is its own: the
// cluster (Kubeconfig, Context, Images), the plan and the variant, the
// console, the command; sampling are its host sampling options.
func (s *Settings) Config(sampling ...host.Option) Config {
	return Config{
		Cluster: s.Cluster, AllowNonKind: s.AllowNonKind,
		Load: s.Load(), Vantages: s.Vantages(), Budgets: s.Budgets, Aggregate: s.Aggregate, AutoMetrics: s.RepeatMetrics, Timing: s.Timing(), Host: s.Host(sampling...),
		History: s.History, ReportDir: s.ReportDir, RunID: s.RunID,
		NodeFaults: s.NodeFaults, AgentImage: s.AgentImage,
	}
}

// Images are the images of the settings' cluster, which exists: those its
// node image belongs to when they agree with the mode and registry asked
// for, else those of the mode and registry (cluster.ImagesFor, which
// writes to log). The suite given a kubeconfig and selfheal run resolve
// them here.
func (s *Settings) Images(ctx context.Context, log io.Writer) (fixtures.ImageSet, error) {
	return cluster.ImagesFor(ctx, s.Cluster, s.Mode, s.Registry.Name, log)
}

// Load are the load options of the settings.
func (s *Settings) Load() []load.Option {
	return []load.Option{load.Rate(s.Rate), load.Timeout(s.Timeout), load.KeepAlive(s.KeepAlive)}
}

// Timing is the timing the settings override in every scenario.
func (s *Settings) Timing() scenario.Timing {
	return scenario.Timing{Warmup: s.Warmup, WarmupLimit: s.WarmupLimit}
}

// Host is the host policy of the settings; sampling options are the
// caller's.
func (s *Settings) Host(sampling ...host.Option) scenario.HostPolicy {
	return scenario.HostPolicy{Thresholds: s.HostThresholds, ExcuseStarved: !s.FailStarved, Sampling: sampling}
}

// defaultHistory is history.Parse's reading of nothing: the defaults.
var defaultHistory = func() history.Settings {
	h, err := history.Parse("")
	if err != nil {
		panic(err) // the defaults are constants
	}
	return h
}()

// CheckReportDir makes sure results can be written to dir before a run
// starts, so a run does not end with its results lost: it creates dir
// and a file in it, and removes the file.
func CheckReportDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("report directory %s: %w", dir, err)
	}
	f, err := os.CreateTemp(dir, ".selfheal-write-check-*")
	if err != nil {
		return fmt.Errorf("report directory %s is not writable: %w", dir, err)
	}
	f.Close()
	return os.Remove(filepath.Join(dir, filepath.Base(f.Name())))
}

// DefaultRepeatMax is the most repetitions a cell takes with --repeat
// auto unless told.
const DefaultRepeatMax = 10

// DefaultRepeatMetrics are the figures --repeat auto decides on unless
// told: what users saw (downtime, and the failed requests as 5xx answers
// and transport errors). A small family keeps the correction small: with
// three, a difference like statefulset-1's is called at 5 a side.
func DefaultRepeatMetrics() []result.MetricKey {
	return []result.MetricKey{result.KeyDowntime, result.Key5xx, result.KeyTransportErrors}
}

// parseMetrics reads a family of figures as a user writes it:
// "downtime,errors" (the short names of the metric table, or its keys).
func parseMetrics(v string) ([]result.MetricKey, error) {
	var out []result.MetricKey
	for _, f := range strings.Split(v, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		m, ok := result.MetricByKey(f)
		if !ok {
			return nil, fmt.Errorf("no figure named %q; known: %s", f, strings.Join(metricShorts(allMetricKeys()), ", "))
		}
		if slices.Contains(out, m.Key) {
			return nil, fmt.Errorf("%s named twice", f)
		}
		out = append(out, m.Key)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("want at least one figure, e.g. %s", strings.Join(metricShorts(DefaultRepeatMetrics()), ","))
	}
	return out, nil
}

func allMetricKeys() []result.MetricKey {
	var out []result.MetricKey
	for _, m := range result.Metrics() {
		out = append(out, m.Key)
	}
	return out
}

func metricShorts(keys []result.MetricKey) []string {
	var out []string
	for _, k := range keys {
		if m, ok := result.MetricByKey(k); ok {
			out = append(out, m.Short)
		}
	}
	return out
}

// checkRepeat refuses --repeat-max and --repeat-metrics without --repeat
// auto (they would be ignored), and a maximum at which the sequential
// rule could never call anything.
func (s *Settings) checkRepeat() error {
	if !s.Repeat.Auto {
		for _, env := range []string{"SELFHEAL_REPEAT_MAX", "SELFHEAL_REPEAT_METRICS"} {
			if from := s.from[env]; from != "" {
				return fmt.Errorf("%s: only --repeat auto (SELFHEAL_REPEAT=auto) uses it, and the repetitions are %s", from, s.source("SELFHEAL_REPEAT", s.Repeat.String()))
			}
		}
		return nil
	}
	if _, err := s.FirstLook(); err != nil {
		return fmt.Errorf("%s, %s: %w", s.source("SELFHEAL_REPEAT_MAX", fmt.Sprintf("at most %d repetitions", s.RepeatMax)),
			s.source("SELFHEAL_REPEAT_METRICS", strings.Join(metricShorts(s.RepeatMetrics), ",")), err)
	}
	return nil
}

// FirstLook is the first batch of --repeat auto: the first number of
// repetitions a side at which anything can be called (chaos/stats).
func (s *Settings) FirstLook() (int, error) {
	return stats.FirstLook(stats.DefaultAlpha, s.RepeatMax, len(s.RepeatMetrics))
}

// Plan is the cells of a run over m: each cell Repeat.N times, or with
// --repeat auto the first batch and the plan of the rounds after it.
func (s *Settings) Plan(m variant.Matrix) (plan.Plan, *plan.Auto, error) {
	if !s.Repeat.Auto {
		p, err := plan.New(m, s.Repeat.N)
		return p, nil, err
	}
	start, err := s.FirstLook()
	if err != nil {
		return nil, nil, err
	}
	a, err := plan.NewAuto(m, start, s.RepeatMax)
	if err != nil {
		return nil, nil, err
	}
	return a.First(), a, nil
}
