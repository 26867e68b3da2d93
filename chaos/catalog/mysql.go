package catalog

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/selfheal/selfheal/chaos/app"
	"github.com/selfheal/selfheal/chaos/fault"
	"github.com/selfheal/selfheal/chaos/fault/procsignal"
	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/chaos/scenario"
)

// databaseProcessNeeds: the database faults signal the main process of
// the database's container from its node.
var databaseProcessNeeds = []Need{
	{Capability: Database, Why: "it signals the database's main process"},
	{Capability: KindNodes, Why: "the signal is sent from the node, inside its container"},
}

func mysqlCrashWords(s app.Shape) (string, string) {
	db, proc := dbName(s), processName(s)
	return fmt.Sprintf("the %s server is killed (SIGKILL to %s, PID 1 of its container, from its node)", db, proc),
		fmt.Sprintf("the kubelet restarts the container; %s passes readiness again and %s reaches it", db, s.App.Name)
}

func mysqlHangWords(s app.Shape) (string, string) {
	db, proc := dbName(s), processName(s)
	breaks := fmt.Sprintf("the %s server is frozen (SIGSTOP to %s from its node) and stays frozen", db, proc)
	if s.Database != nil && seesHang(s.Database.Liveness()) {
		live := s.Database.Liveness()
		because := "its command carries a client timeout (" + probeCommand(live) + ")"
		if live.Exec == nil {
			because = "the kubelet's own client gives up at its timeout"
		}
		return breaks, fmt.Sprintf("only %s's %s liveness probe sees it, because %s: the kubelet restarts the container, SIGKILL after the grace period; "+
			"with tcpSocket probes, or an exec probe without a client timeout (the kubelet does not cut a hung exec probe at its timeout), nothing heals it: "+
			"not recovered, then resumed (SIGCONT) after %d s", db, probeKind(live), because, int(mysqlHangHold.Seconds()))
	}
	return breaks, fmt.Sprintf("%s's liveness probe cannot see a frozen server: nothing heals it: not recovered, then resumed (SIGCONT) after %d s", db, int(mysqlHangHold.Seconds()))
}

// processName is the database's main process in words.
func processName(s app.Shape) string {
	if s.App.Database != nil && s.App.Database.Process != "" {
		return s.App.Database.Process
	}
	return "its main process"
}

// dbPod is the database pod the process faults signal, in words and for
// the fault: a StatefulSet's pod 0, or the first Ready pod of another
// kind, found when the fault is injected.
func dbPod(env Env) (name, words string) {
	db := env.App.Database
	if p := db.Pod0(); p != "" {
		return p, p
	}
	return "", "a Ready pod of " + string(db.Kind) + " " + db.Name
}

// processFault signals the database's main process: at a StatefulSet's
// pod 0, or at the pod found when it is injected.
func processFault(env Env, mode procsignal.Mode) fault.Fault {
	a, db := env.App.App, env.App.Database
	container := db.Container.Name
	if pod, _ := dbPod(env); pod != "" {
		return procsignal.New(env.Client, mode, a.Namespace, pod, container)
	}
	return &onPod{find: func(ctx context.Context) (string, error) { return env.Client.ReadyPod(ctx, a.Namespace, db.Pods) },
		build: func(pod string) fault.Fault { return procsignal.New(env.Client, mode, a.Namespace, pod, container) }}
}

// mysqlSettings are the database pod's settings that decide how a server
// fault heals, read from the pod template the app deploys (app.Resolve),
// so the bounds follow the manifests and the variant rather than restate
// them.
type mysqlSettings struct {
	liveness, readiness *corev1.Probe
	// grace is what the kubelet waits after SIGTERM before SIGKILL when
	// the liveness probe restarts the container.
	grace time.Duration
}

func readDatabase(s app.Shape) mysqlSettings {
	db := s.Database
	return mysqlSettings{liveness: db.Liveness(), readiness: db.Readiness(), grace: db.Grace()}
}

func seconds(n int64) time.Duration { return time.Duration(n) * time.Second }

// probeTimes are a probe's period, timeout and failure threshold, with the
// API's defaults for what the manifest leaves out.
func probeTimes(p *corev1.Probe) (period, timeout time.Duration, failures int) {
	period, timeout, failures = 10*time.Second, time.Second, 3
	if p.PeriodSeconds > 0 {
		period = seconds(int64(p.PeriodSeconds))
	}
	if p.TimeoutSeconds > 0 {
		timeout = seconds(int64(p.TimeoutSeconds))
	}
	if p.FailureThreshold > 0 {
		failures = int(p.FailureThreshold)
	}
	if c, ok := clientTimeout(p); ok && c < timeout {
		// The command gives up first: a probe fails when it does.
		timeout = c
	}
	return period, timeout, failures
}

// clientTimeoutArg is the MySQL client's own connect timeout in an exec
// probe's command.
var clientTimeoutArg = regexp.MustCompile(`--connect-timeout=(\d+)`)

// clientTimeout is the connect timeout an exec probe's MySQL client
// carries, if any: against a frozen server it is what makes the probe
// fail (seesHang).
func clientTimeout(p *corev1.Probe) (time.Duration, bool) {
	if p == nil || p.Exec == nil {
		return 0, false
	}
	m := clientTimeoutArg.FindStringSubmatch(strings.Join(p.Exec.Command, " "))
	if m == nil {
		return 0, false
	}
	n, err := strconv.Atoi(m[1])
	return seconds(int64(n)), err == nil && n > 0
}

// seesHang says whether liveness probe p notices a frozen server: an
// exec probe (mysqladmin ping) with a client connect timeout gives up on
// the greeting that never comes; without one it waits for ever, and the
// kubelet does not cut it at timeoutSeconds (measured: first failure
// 127 s after the stop); a tcpSocket probe only needs the kernel to accept
// the connection, which it does for a stopped process's listening socket.
// An httpGet or gRPC probe is the kubelet's own client, which does give up
// at timeoutSeconds.
func seesHang(p *corev1.Probe) bool {
	if p == nil {
		return false
	}
	if p.HTTPGet != nil || p.GRPC != nil {
		return true
	}
	_, ok := clientTimeout(p)
	return ok
}

func (s mysqlSettings) seesHang() bool { return seesHang(s.liveness) }

// probeCommand is what a probe runs, in words: an exec probe's command,
// the shell's -c left out.
func probeCommand(p *corev1.Probe) string {
	if p == nil || p.Exec == nil {
		return app.ProbeWords(p)
	}
	cmd := p.Exec.Command
	if len(cmd) == 3 && (cmd[0] == "sh" || cmd[0] == "bash") && cmd[1] == "-c" {
		return cmd[2]
	}
	return strings.Join(cmd, " ")
}

// hangKill is the earliest a frozen server is gone: the first liveness
// probe may start right after the stop and fails when its timeout expires,
// the failureThreshold-th fails (failureThreshold-1) periods later, and
// the stopped process cannot act on the kubelet's SIGTERM (mysqld takes it
// in a signal thread, frozen with the rest), so only the SIGKILL at the end
// of the grace period ends it.
func (s mysqlSettings) hangKill() time.Duration {
	period, timeout, failures := probeTimes(s.liveness)
	return time.Duration(failures-1)*period + timeout + s.grace
}

// readyDelay is the earliest a restarted MySQL container can be Ready.
func (s mysqlSettings) readyDelay() time.Duration {
	if s.readiness == nil {
		return 0
	}
	return seconds(int64(s.readiness.InitialDelaySeconds))
}

// mysqlRestartSlack is what a MySQL container restart costs the app on a
// healthy fixture, past the instant the old server is gone: up to 10 s of
// restart back-off (a second restart within 10 minutes, as when
// mysql-crash and mysql-hang run one after the other), 15 s for mariadbd's
// crash recovery, start and first readiness success (initial delay 5 s,
// then every 5 s), up to 30 s while CoreDNS answers the headless Service's
// name from its cache (a MySQL pod that is not Ready has no address), and
// 40 s for WordPress's readiness (every 5 s) and the back-off of a
// WordPress liveness restart (its /wp-login.php probe needs the database).
const mysqlRestartSlack = 95 * time.Second

// mysqlHealingSlack: healing waits for every WordPress pod to be Ready
// and in the endpoints; the last one can trail the first recovered request
// by a readiness period and a liveness back-off.
const mysqlHealingSlack = 30 * time.Second

// mysqlHangHold is how long the stop is held when no probe can heal it
// (tcpSocket probes): past the earliest an exec liveness probe has the
// server killed (55 s with the manifests' settings), so the result shows
// that no restart came when one could have, then SIGCONT. Not much longer:
// the frozen server's listen backlog (back_log 80) fills with connections
// nobody accepts (WordPress workers, probes: a few a second once WordPress
// restarts), and once it is full even a tcpSocket probe times out.
const mysqlHangHold = 75 * time.Second

// mysqlResumed bounds the recovery after a frozen server is resumed: it
// answers at once, but WordPress containers that liveness restarted during
// the hold may sit out a back-off, and their readiness must pass again.
// As for mysql-node-halt, slower than 2 minutes the app is not coming back
// by itself.
const mysqlResumed = 2 * time.Minute

func mysqlCrash(env Env) scenario.Scenario {
	a := env.App.App
	db, proc := a.Database.Title, processName(env.App)
	_, pod := dbPod(env)
	s := readDatabase(env.App)
	recovery := mysqlRestartSlack
	var bounds []result.Bound
	if d := s.readyDelay(); d > 0 {
		bounds = append(bounds, result.Bound{Metric: result.KeyHealing, MS: ms(d),
			Reason: fmt.Sprintf("the restarted %s container is probed for readiness no sooner than initialDelaySeconds (%s) after it starts, and %s Ready is part of the steady state", db, d, db)})
	}
	return scenario.Scenario{
		Name: result.ScenarioMySQLCrash,
		Description: fmt.Sprintf("Kill the %s server (SIGKILL to %s, PID 1 of the %s container of %s, sent from its node): pages that need the database fail "+
			"until the kubelet has restarted the container (restartPolicy Always), the server has recovered and is Ready, and %s reaches it again.",
			db, proc, env.App.Database.Container.Name, pod, a.Name),
		Fault:            processFault(env, procsignal.Kill),
		Steady:           steady(env),
		HealingCondition: env.App.SteadyWords(),
		Budgets: scenario.Budgets{
			MustRecover: true,
			// No liveness wait: the restart begins as soon as the kubelet
			// sees the container exit; what follows is mysqlRestartSlack.
			Recovery: scenario.Dur(recovery),
			Healing:  scenario.Dur(recovery + mysqlHealingSlack),
		},
		Bounds: bounds,
		// Past the healing budget nothing changes the verdict.
		Timing: scenario.Timing{Deadline: recovery + mysqlHealingSlack},
	}
}

func mysqlHang(env Env) scenario.Scenario {
	a := env.App.App
	db := a.Database.Title
	_, pod := dbPod(env)
	s := readDatabase(env.App)
	sc := scenario.Scenario{
		Name:             result.ScenarioMySQLHang,
		Fault:            processFault(env, procsignal.Stop),
		Steady:           steady(env),
		HealingCondition: env.App.SteadyWords(),
	}
	what := fmt.Sprintf("Freeze the %s server (SIGSTOP to %s, PID 1 of the %s container of %s, sent from its node) and leave it frozen: "+
		"connections are accepted by the kernel and never answered, so pages that need the database hang and %s's readiness takes its pods out of service. ",
		db, processName(env.App), env.App.Database.Container.Name, pod, a.Name)
	if !s.seesHang() {
		sc.Description = what + fmt.Sprintf("%s's liveness probe cannot see it (a tcpSocket probe only checks that the port accepts connections, which it still does; "+
			"an exec probe with no client timeout waits for the greeting for ever, and the kubelet does not cut it at its timeout): nothing restarts the server, "+
			"the expected result is 'not recovered'. After %s the server is resumed (SIGCONT) and the app must come back.", db, mysqlHangHold)
		sc.Budgets = scenario.Budgets{MustNotRecover: true, RecoveryAfterRevert: scenario.Dur(mysqlResumed)}
		sc.Bounds = []result.Bound{{Metric: result.KeyRecovery, MS: ms(mysqlHangHold),
			Reason: fmt.Sprintf("no probe sees the frozen server, which serves nothing until this scenario resumes it after %s", mysqlHangHold)}}
		sc.Timing = scenario.Timing{Hold: mysqlHangHold, Deadline: mysqlHangHold}
		return sc
	}
	period, timeout, failures := probeTimes(s.liveness)
	kill := s.hangKill()
	recovery := kill + mysqlRestartSlack
	sc.Description = what + fmt.Sprintf("Only %s's %s liveness probe (%s) can heal it: after %d failed probes (each times out after %s) the kubelet restarts the container; "+
		"the frozen server cannot act on the SIGTERM and is killed when the %s grace period ends. A server still frozen when the scenario ends is resumed (SIGCONT).",
		db, probeKind(s.liveness), probeCommand(s.liveness), failures, timeout, s.grace)
	sc.Budgets = scenario.Budgets{
		MustRecover: true,
		Recovery:    scenario.Dur(recovery),
		Healing:     scenario.Dur(recovery + mysqlHealingSlack),
	}
	reason := fmt.Sprintf("%s's liveness probe (every %s, timeout %s, failureThreshold %d) has failed %d times in a row at best %s after the stop; "+
		"the frozen server cannot act on SIGTERM, so it is gone only at the SIGKILL %s (terminationGracePeriodSeconds) later",
		db, period, timeout, failures, failures, kill-s.grace, s.grace)
	sc.Bounds = []result.Bound{{Metric: result.KeyRecovery, MS: ms(kill), Reason: reason + ": nothing can serve before"}}
	if d := s.readyDelay(); d > 0 {
		sc.Bounds = append(sc.Bounds, result.Bound{Metric: result.KeyHealing, MS: ms(kill + d),
			Reason: reason + fmt.Sprintf(", and the restarted container is probed for readiness no sooner than %s after it starts", d)})
	}
	// Past the healing budget nothing changes the verdict.
	sc.Timing = scenario.Timing{Deadline: recovery + mysqlHealingSlack}
	return sc
}

// probeKind is the kind of a probe's handler, in a word.
func probeKind(p *corev1.Probe) string {
	switch {
	case p == nil:
		return "no"
	case p.Exec != nil:
		return "exec"
	case p.HTTPGet != nil:
		return "httpGet"
	case p.GRPC != nil:
		return "gRPC"
	}
	return "tcpSocket"
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
