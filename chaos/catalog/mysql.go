package catalog

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/selfheal/selfheal/chaos/fault/procsignal"
	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/chaos/scenario"
	"github.com/selfheal/selfheal/fixtures/app"
)

// What the MySQL server faults break and the healing they expect, for the
// catalog's entries (`selfheal run --list`, the README's table).
const (
	mysqlCrashBreaks = "the MySQL server is killed (SIGKILL to mysqld, PID 1 of its container, from its node)"
	mysqlCrashHeals  = "the kubelet restarts the container; MySQL passes readiness again and WordPress reaches it"
	mysqlHangBreaks  = "the MySQL server is frozen (SIGSTOP to mysqld from its node) and stays frozen"
	mysqlHangHeals   = "only MySQL's exec liveness probe sees it, because its command carries a client timeout (mysqladmin --connect-timeout=2 ping): " +
		"the kubelet restarts the container, SIGKILL after the grace period; with tcpSocket probes (variant mysql-probes-tcp) or the bare mysqladmin ping " +
		"(variant mysql-probes-bare: the kubelet does not cut a hung exec probe at its timeout) nothing heals it: not recovered, then resumed (SIGCONT) after 75 s"
)

// The MySQL server faults signal mysqld, the main process (PID 1) of the
// mysql container of the StatefulSet's only pod, from its node.
const mysqlPod = app.MySQL + "-0"

// mysqlSettings are the MySQL pod's settings that decide how a server
// fault heals, read from the pod template the fixture deploys
// (app.Config.MySQLPod), so the bounds follow the manifests and the
// variant rather than restate them.
type mysqlSettings struct {
	liveness, readiness *corev1.Probe
	// grace is what the kubelet waits after SIGTERM before SIGKILL when
	// the liveness probe restarts the container.
	grace time.Duration
}

func readMySQL(c app.Config) (mysqlSettings, error) {
	spec, err := c.MySQLPod(context.Background())
	if err != nil {
		return mysqlSettings{}, fmt.Errorf("reading MySQL's pod template: %w", err)
	}
	for _, ctr := range spec.Containers {
		if ctr.Name != app.MySQLContainer {
			continue
		}
		s := mysqlSettings{liveness: ctr.LivenessProbe, readiness: ctr.ReadinessProbe, grace: 30 * time.Second}
		if spec.TerminationGracePeriodSeconds != nil {
			s.grace = seconds(*spec.TerminationGracePeriodSeconds)
		}
		if l := s.liveness; l != nil && l.TerminationGracePeriodSeconds != nil {
			s.grace = seconds(*l.TerminationGracePeriodSeconds)
		}
		return s, nil
	}
	return mysqlSettings{}, fmt.Errorf("MySQL's pod template has no container %q", app.MySQLContainer)
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

// seesHang says whether the liveness probe notices a frozen server: an
// exec probe (mysqladmin ping) with a client connect timeout gives up on
// the greeting that never comes; without one it waits for ever, and the
// kubelet does not cut it at timeoutSeconds (measured: first failure
// 127 s after the stop); a tcpSocket probe only needs the kernel to accept
// the connection, which it does for a stopped process's listening socket.
func (s mysqlSettings) seesHang() bool {
	_, ok := clientTimeout(s.liveness)
	return ok
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

// mysqlRefuses: the bounds come from MySQL's pod template; a fixture whose
// template cannot be read has none to give.
func mysqlRefuses(c app.Config) error {
	_, err := readMySQL(c)
	return err
}

func mysqlCrash(env Env) scenario.Scenario {
	c := env.App
	s, _ := readMySQL(c) // mysqlRefuses keeps an unreadable template from running
	recovery := mysqlRestartSlack
	var bounds []result.Bound
	if d := s.readyDelay(); d > 0 {
		bounds = append(bounds, result.Bound{Metric: result.KeyHealing, MS: ms(d),
			Reason: fmt.Sprintf("the restarted MySQL container is probed for readiness no sooner than initialDelaySeconds (%s) after it starts, and MySQL Ready is part of the steady state", d)})
	}
	return scenario.Scenario{
		Name: result.ScenarioMySQLCrash,
		Description: "Kill the MySQL server (SIGKILL to mysqld, PID 1 of the mysql container of " + mysqlPod + ", sent from its node): pages that need the database fail " +
			"until the kubelet has restarted the container (restartPolicy Always), the server has recovered and is Ready, and WordPress reaches it again.",
		Fault:            procsignal.New(env.Client, procsignal.Kill, c.Namespace, mysqlPod, app.MySQLContainer),
		Steady:           steady(env),
		HealingCondition: steadyWords,
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
	c := env.App
	s, _ := readMySQL(c) // mysqlRefuses keeps an unreadable template from running
	sc := scenario.Scenario{
		Name:             result.ScenarioMySQLHang,
		Fault:            procsignal.New(env.Client, procsignal.Stop, c.Namespace, mysqlPod, app.MySQLContainer),
		Steady:           steady(env),
		HealingCondition: steadyWords,
	}
	const what = "Freeze the MySQL server (SIGSTOP to mysqld, PID 1 of the mysql container of " + mysqlPod + ", sent from its node) and leave it frozen: " +
		"connections are accepted by the kernel and never answered, so pages that need the database hang and WordPress's readiness takes its pods out of service. "
	if !s.seesHang() {
		sc.Description = what + fmt.Sprintf("MySQL's liveness probe cannot see it (a tcpSocket probe only checks that the port accepts connections, which it still does; "+
			"an exec probe with no client timeout waits for the greeting for ever, and the kubelet does not cut it at its timeout): nothing restarts the server, "+
			"the expected result is 'not recovered'. After %s the server is resumed (SIGCONT) and the app must come back.", mysqlHangHold)
		sc.Budgets = scenario.Budgets{MustNotRecover: true, RecoveryAfterRevert: scenario.Dur(mysqlResumed)}
		sc.Bounds = []result.Bound{{Metric: result.KeyRecovery, MS: ms(mysqlHangHold),
			Reason: fmt.Sprintf("no probe sees the frozen server, which serves nothing until this scenario resumes it after %s", mysqlHangHold)}}
		sc.Timing = scenario.Timing{Hold: mysqlHangHold, Deadline: mysqlHangHold}
		return sc
	}
	period, timeout, failures := probeTimes(s.liveness)
	kill := s.hangKill()
	recovery := kill + mysqlRestartSlack
	sc.Description = what + fmt.Sprintf("Only MySQL's exec liveness probe (mysqladmin ping) can heal it: after %d failed probes (each times out after %s) the kubelet restarts the container; "+
		"the frozen server cannot act on the SIGTERM and is killed when the %s grace period ends. A server still frozen when the scenario ends is resumed (SIGCONT).",
		failures, timeout, s.grace)
	sc.Budgets = scenario.Budgets{
		MustRecover: true,
		Recovery:    scenario.Dur(recovery),
		Healing:     scenario.Dur(recovery + mysqlHealingSlack),
	}
	reason := fmt.Sprintf("MySQL's liveness probe (every %s, timeout %s, failureThreshold %d) has failed %d times in a row at best %s after the stop; "+
		"the frozen server cannot act on SIGTERM, so it is gone only at the SIGKILL %s (terminationGracePeriodSeconds) later",
		period, timeout, failures, failures, kill-s.grace, s.grace)
	sc.Bounds = []result.Bound{{Metric: result.KeyRecovery, MS: ms(kill), Reason: reason + ": nothing can serve before"}}
	if d := s.readyDelay(); d > 0 {
		sc.Bounds = append(sc.Bounds, result.Bound{Metric: result.KeyHealing, MS: ms(kill + d),
			Reason: reason + fmt.Sprintf(", and the restarted container is probed for readiness no sooner than %s after it starts", d)})
	}
	// Past the healing budget nothing changes the verdict.
	sc.Timing = scenario.Timing{Deadline: recovery + mysqlHealingSlack}
	return sc
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
