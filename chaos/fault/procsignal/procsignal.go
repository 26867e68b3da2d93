// Package procsignal sends a signal to the main process of a pod's
// container from the kind node that runs it: SIGKILL for a crash (the
// kubelet restarts the container), SIGSTOP for a hang (the process stays
// frozen until a liveness probe has it killed, or the revert sends SIGCONT).
//
// The signal is sent from the node, not from inside the container: the
// kernel drops a signal sent to a PID namespace's init from inside that
// namespace unless the process handles it, and a container's main process
// is that init (the MySQL image's entrypoint execs the server, so mysqld is
// PID 1 of its container). From the node's PID namespace SIGKILL and
// SIGSTOP always arrive.
//
// A PID is only ever signalled after checking, in the same command, that
// the process still belongs to the container found at injection (its
// cgroup path holds containerd's container id): after a restart the PID
// may belong to another process, and the restarted container has a new id.
package procsignal

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/selfheal/selfheal/chaos/fault"
	"github.com/selfheal/selfheal/chaos/kube"
	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/internal/kindnode"
)

// The Undo kinds. Both carry Params namespace, pod, container, node, pid,
// container-id, pod-uid and, when the pod belongs to one, statefulset.
const (
	// KillKind: a killed process has nothing to put back; the repair
	// waits for the restarted container to be Ready again.
	KillKind = "process-killed"
	// StopKind: a stopped process is resumed (SIGCONT) if it is still
	// the same process, then the repair waits as for KillKind.
	StopKind = "process-stopped"
)

// Mode is what the fault does to the process.
type Mode int

// The modes.
const (
	Kill Mode = iota // SIGKILL: a crash
	Stop             // SIGSTOP: a hang, until SIGCONT
)

func (m Mode) signal() string {
	if m == Stop {
		return "STOP"
	}
	return "KILL"
}

func (m Mode) kind() string {
	if m == Stop {
		return StopKind
	}
	return KillKind
}

// Process is the signalled process: where it runs and what it belongs to.
type Process struct {
	Namespace, Pod, Container string
	PodUID                    string
	// StatefulSet owns the pod, "" when none does.
	StatefulSet string
	Node        string
	// ContainerID is containerd's id of the container the process is the
	// main process of.
	ContainerID string
	PID         int
}

func (p Process) String() string {
	return fmt.Sprintf("PID %d (container %s of pod %s/%s, on node %s)", p.PID, p.Container, p.Namespace, p.Pod, p.Node)
}

func (p Process) params() map[string]string {
	return map[string]string{
		"namespace": p.Namespace, "pod": p.Pod, "container": p.Container, "pod-uid": p.PodUID,
		"statefulset": p.StatefulSet, "node": p.Node, "container-id": p.ContainerID, "pid": strconv.Itoa(p.PID),
	}
}

func processFrom(u fault.Undo) (Process, error) {
	p := Process{Namespace: u.Params["namespace"], Pod: u.Params["pod"], Container: u.Params["container"], PodUID: u.Params["pod-uid"],
		StatefulSet: u.Params["statefulset"], Node: u.Params["node"], ContainerID: u.Params["container-id"]}
	pid, err := strconv.Atoi(u.Params["pid"])
	if err != nil || pid <= 1 || p.Namespace == "" || p.Pod == "" || p.Node == "" || p.ContainerID == "" {
		return Process{}, fmt.Errorf("the record does not name a process (namespace, pod, node, container-id, pid): %v", u.Params)
	}
	p.PID = pid
	return p, nil
}

// Fault signals the main process of one container of one pod.
type Fault struct {
	client         *kube.Client
	mode           Mode
	namespace, pod string
	container      string
	docker         kindnode.Docker

	// proofTimeout bounds, and proofEvery paces, the reading of the
	// process's state after the signal.
	proofTimeout, proofEvery time.Duration

	mu        sync.Mutex
	stopped   *Process  // a stopped process not resumed yet
	stoppedAt time.Time // when it was stopped
	notes     []string
}

// Option configures the fault.
type Option func(*Fault)

// WithDocker replaces the docker CLI (tests).
func WithDocker(d kindnode.Docker) Option { return func(f *Fault) { f.docker = d } }

// New signals the main process of container `container` of pod
// namespace/pod.
func New(c *kube.Client, mode Mode, namespace, pod, container string, opts ...Option) *Fault {
	f := &Fault{client: c, mode: mode, namespace: namespace, pod: pod, container: container, docker: kindnode.CLI,
		proofTimeout: 10 * time.Second, proofEvery: 100 * time.Millisecond}
	for _, o := range opts {
		o(f)
	}
	return f
}

// Name implements fault.Fault.
func (f *Fault) Name() string {
	if f.mode == Stop {
		return "process-stop"
	}
	return "process-kill"
}

// Inject finds the process, records it, and signals it.
func (f *Fault) Inject(ctx context.Context, m fault.Marker) error {
	p, err := Locate(ctx, f.client, f.docker, f.namespace, f.pod, f.container)
	if err != nil {
		return err
	}
	sig := f.mode.signal()
	m.Logf("SIG%s to %s", sig, p)
	detail := fmt.Sprintf("%s SIG%s", p, sig)
	if f.mode == Stop {
		detail = fmt.Sprintf("%s stopped (SIGSTOP)", p)
	}
	if err := m.Breaking(ctx, fault.Undo{Kind: f.mode.kind(), Detail: detail, Params: p.params()}); err != nil {
		return err
	}
	if f.mode == Stop {
		f.mu.Lock()
		f.stopped, f.stoppedAt = &p, time.Now() // before the call: a stop cut short must still be resumed
		f.mu.Unlock()
	}
	state, err := Signal(ctx, f.docker, p, sig)
	if err != nil {
		return fmt.Errorf("sending SIG%s to %s: %w", sig, p, err)
	}
	if state == "" {
		return fmt.Errorf("sending SIG%s to %s: the process exited before it could be signalled", sig, p)
	}
	m.Injected(fmt.Sprintf("SIG%s to %s, which was %s", sig, p, state))
	f.prove(ctx, m, p)
	return nil
}

// prove reads the process's state from its node, as the signal was sent,
// until it shows the signal took effect: stopped (T) after SIGSTOP, gone
// or a zombie after SIGKILL. A stop shows at once, a kill once the process
// has exited, within moments; what was last read is recorded when the
// bound passes first.
func (f *Fault) prove(ctx context.Context, m fault.Marker, p Process) {
	sig := f.mode.signal()
	want := "T (stopped)"
	took := stopped
	if f.mode == Kill {
		want = "gone"
		took = func(state string) bool {
			return state == "" || strings.HasPrefix(state, "Z") || strings.HasPrefix(state, "X")
		}
	}
	var state string
	read := false
	look := func(ctx context.Context) (bool, string, error) {
		s, err := State(ctx, f.docker, p)
		if err != nil {
			return false, "", err
		}
		state, read = s, true
		return took(s), "", nil
	}
	start := time.Now()
	err := kube.WaitFor(ctx, look, f.proofEvery, f.proofTimeout)
	after := time.Since(start).Round(100 * time.Millisecond)
	words := state
	if state == "" {
		words = "gone (no process of the container at that PID)"
	}
	e := result.Evidence{Check: fmt.Sprintf("State: in /proc/%d/status on node %s, while its cgroup names container %s", p.PID, p.Node, kindnode.ShortID(p.ContainerID))}
	switch {
	case err == nil:
		e.Held, e.Observed = true, fmt.Sprintf("%s, %s after SIG%s", words, after, sig)
	case !read:
		e.Observed = fmt.Sprintf("the state could not be read in the %s after SIG%s: %v", after, sig, err)
	default:
		e.Observed = fmt.Sprintf("%s %s after SIG%s, never %s", words, after, sig, want)
	}
	m.Proved(e)
}

// Revert resumes a stopped process, if it still exists: one the kubelet
// restarted is gone, and so is what there was to revert. A killed process
// has nothing to put back: the scenario's steady-state check waits for the
// restarted container.
func (f *Fault) Revert(ctx context.Context, m fault.Marker) error {
	f.mu.Lock()
	p := f.stopped
	f.mu.Unlock()
	if p == nil {
		return nil
	}
	state, err := Signal(ctx, f.docker, *p, "CONT")
	if err != nil {
		return fmt.Errorf("resuming %s: %w", p, err)
	}
	f.mu.Lock()
	f.stopped = nil
	held := time.Since(f.stoppedAt).Round(time.Second)
	f.mu.Unlock()
	var note string
	switch {
	case state == "":
		m.Logf("%s no longer exists (its container was restarted): nothing to resume", p)
		note = fmt.Sprintf("The stopped process was gone at the revert, %s after the stop: its container had been restarted (the timeline says why); nothing was left to resume.", held)
	case !stopped(state):
		m.Logf("%s was not stopped any more (%s): nothing to resume", p, state)
		note = fmt.Sprintf("The stopped process was running again at the revert (%s), though nothing here resumed it.", state)
	default:
		m.Reverted(fmt.Sprintf("SIGCONT to %s, which was %s", p, state))
		note = fmt.Sprintf("The process was still frozen at the revert, %s after the stop: nothing had restarted it; SIGCONT resumed it.", held)
	}
	f.mu.Lock()
	f.notes = append(f.notes, note)
	f.mu.Unlock()
	return nil
}

// Notes say what the revert found: whether anything had restarted the
// stopped process.
func (f *Fault) Notes() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.notes...)
}

// Locate finds the main process of a running container, as its node sees
// it. It refuses a pod that is not running there, and a container whose
// running task is not the one the pod's status names (restarting).
func Locate(ctx context.Context, c *kube.Client, docker kindnode.Docker, namespace, name, container string) (Process, error) {
	pod, err := c.Kubernetes.CoreV1().Pods(namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return Process{}, fmt.Errorf("reading pod %s/%s: %w", namespace, name, err)
	}
	status, err := runningContainer(pod, container)
	if err != nil {
		return Process{}, fmt.Errorf("pod %s/%s: %w", namespace, name, err)
	}
	task, err := kindnode.ContainerTask(ctx, docker, pod.Spec.NodeName, namespace, name, container)
	if err != nil {
		return Process{}, err
	}
	if want := strings.TrimPrefix(status.ContainerID, "containerd://"); want != task.ID {
		return Process{}, fmt.Errorf("pod %s/%s: the running task of container %s on node %s is %s, but the pod's status names container %s (restarting?)",
			namespace, name, container, pod.Spec.NodeName, task.ID, status.ContainerID)
	}
	if task.PID <= 1 {
		return Process{}, fmt.Errorf("pod %s/%s: container %s has PID %d on node %s, which is never signalled", namespace, name, container, task.PID, pod.Spec.NodeName)
	}
	p := Process{Namespace: namespace, Pod: name, Container: container, PodUID: string(pod.UID), Node: pod.Spec.NodeName, ContainerID: task.ID, PID: task.PID}
	if owner := metav1.GetControllerOf(pod); owner != nil && owner.Kind == "StatefulSet" {
		p.StatefulSet = owner.Name
	}
	return p, nil
}

// runningContainer is the status of a container that runs in a running,
// scheduled pod that is not being deleted.
func runningContainer(pod *corev1.Pod, container string) (*corev1.ContainerStatus, error) {
	switch {
	case pod.DeletionTimestamp != nil:
		return nil, fmt.Errorf("being deleted")
	case pod.Spec.NodeName == "":
		return nil, fmt.Errorf("not scheduled on a node")
	case pod.Status.Phase != corev1.PodRunning:
		return nil, fmt.Errorf("phase %s, not Running", pod.Status.Phase)
	}
	for i := range pod.Status.ContainerStatuses {
		s := &pod.Status.ContainerStatuses[i]
		if s.Name != container {
			continue
		}
		if s.State.Running == nil || s.ContainerID == "" {
			return nil, fmt.Errorf("container %s is not running (%s)", container, describeState(s.State))
		}
		return s, nil
	}
	return nil, fmt.Errorf("no status for container %s", container)
}

func describeState(s corev1.ContainerState) string {
	switch {
	case s.Waiting != nil:
		return "waiting: " + s.Waiting.Reason
	case s.Terminated != nil:
		return "terminated: " + s.Terminated.Reason
	}
	return "no state"
}

// signalScript signals PID $2 with SIG$3 only if the process's cgroup is
// that of container $1, and prints its state before the signal
// ("S (sleeping)", "T (stopped)"), or nothing when the process is gone or
// is another container's: check and signal in one command, so that no
// PID reused in between is signalled.
const signalScript = `grep -qF -- "$1" "/proc/$2/cgroup" 2>/dev/null || exit 0
s=$(grep '^State:' "/proc/$2/status" | cut -f2)
kill -"$3" "$2" && echo "$s"`

// stateScript prints the state of PID $2 ("T (stopped)") if the process's
// cgroup is that of container $1, and nothing when the process is gone or
// is another container's: the signal script's check, without the signal.
const stateScript = `grep -qF -- "$1" "/proc/$2/cgroup" 2>/dev/null || exit 0
grep '^State:' "/proc/$2/status" | cut -f2`

// State reads the state of p's process from its node, as Signal does
// before it signals; "" means the process no longer exists.
func State(ctx context.Context, docker kindnode.Docker, p Process) (string, error) {
	out, err := kindnode.Exec(ctx, docker, p.Node, "sh", "-c", stateScript, "sh", p.ContainerID, strconv.Itoa(p.PID))
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(out), nil
}

// Signal sends SIG`sig` (KILL, STOP, CONT) to p's process from its node
// if the process is still p's container's, and returns its state before
// the signal; "" means the process no longer exists (nothing signalled).
func Signal(ctx context.Context, docker kindnode.Docker, p Process, sig string) (string, error) {
	out, err := kindnode.Exec(ctx, docker, p.Node, "sh", "-c", signalScript, "sh", p.ContainerID, strconv.Itoa(p.PID), sig)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(out), nil
}

// stopped says whether a state from Signal is a stopped process's ("T
// (stopped)"; "t (tracing stop)" is a debugger's, and not ours to resume).
func stopped(state string) bool { return strings.HasPrefix(state, "T") }

// NewRepairer puts back what a dead run left, for Undos of kind (KillKind
// or StopKind): it resumes a stopped process that is still there (never
// another process that took its PID), then waits until the pod, and its
// StatefulSet if it has one, are Ready again; all within timeout.
func NewRepairer(kind string, c *kube.Client, docker kindnode.Docker, timeout time.Duration) fault.Repairer {
	r := repairer{kind: kind, client: c, docker: docker, timeout: timeout}
	return fault.RepairFunc(kind, timeout, r.repair)
}

type repairer struct {
	kind    string
	client  *kube.Client
	docker  kindnode.Docker
	timeout time.Duration
}

func (r repairer) repair(ctx context.Context, u fault.Undo) (string, error) {
	p, err := processFrom(u)
	if err != nil {
		return "", err
	}
	if err := r.podLeft(ctx, p); err != nil {
		return "", err
	}
	var did []string
	if r.kind == StopKind {
		state, err := Signal(ctx, r.docker, p, "CONT")
		if err != nil {
			return "", fmt.Errorf("resuming %s: %w (by hand: docker exec %s kill -CONT %d, after checking that /proc/%d/cgroup names container %s)",
				p, err, p.Node, p.PID, p.PID, p.ContainerID)
		}
		if stopped(state) {
			did = append(did, fmt.Sprintf("SIGCONT to %s, which was %s", p, state))
		}
	}
	ready := r.ready(p)
	if ok, _, err := ready(ctx); err == nil && ok {
		return strings.Join(did, "; "), nil
	}
	start := time.Now()
	if err := kube.WaitFor(ctx, ready, time.Second, r.timeout); err != nil {
		return strings.Join(did, "; "), err
	}
	return strings.Join(append(did, fmt.Sprintf("pod %s/%s Ready again after %s", p.Namespace, p.Pod, time.Since(start).Round(100*time.Millisecond))), "; "), nil
}

// podLeft is fault.Gone when the pod that ran p no longer exists: deleted,
// or created anew under its name (another uid, as a StatefulSet does). Its
// processes went with it, and the workload's own controller, not this
// repair, brings it back (the next run waits for the steady state).
func (r repairer) podLeft(ctx context.Context, p Process) error {
	name := fmt.Sprintf("pod %s/%s", p.Namespace, p.Pod)
	pod, err := r.client.Kubernetes.CoreV1().Pods(p.Namespace).Get(ctx, p.Pod, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return fault.Gone(name)
	case err != nil:
		return fmt.Errorf("reading %s: %w", name, err)
	case p.PodUID != "" && string(pod.UID) != p.PodUID:
		return fault.Gone(fmt.Sprintf("%s of uid %s (the pod of that name now is another, uid %s)", name, p.PodUID, pod.UID))
	}
	return nil
}

// ready holds when the pod is Ready and not being deleted, and its
// StatefulSet, if any, has every replica Ready and updated.
func (r repairer) ready(p Process) kube.Check {
	pod := func(ctx context.Context) (bool, string, error) {
		got, err := r.client.Kubernetes.CoreV1().Pods(p.Namespace).Get(ctx, p.Pod, metav1.GetOptions{})
		if err != nil {
			return false, "", fmt.Errorf("reading pod %s/%s: %w", p.Namespace, p.Pod, err)
		}
		return got.DeletionTimestamp == nil && kube.PodReady(got), fmt.Sprintf("pod %s/%s not Ready", p.Namespace, p.Pod), nil
	}
	if p.StatefulSet == "" {
		return pod
	}
	return kube.All(pod, r.client.StatefulSetSteady(p.Namespace, p.StatefulSet))
}
