// Package configbreak breaks an app from inside one of its pods, as a bad
// configuration pushed to it would: it execs the app description's break
// command in one container (client-go, no kubectl) and proves the break
// took with its "broken" command, which exits 0 while the container is
// broken. The healing expected is the probes': readiness takes the pod
// out of the Service, liveness restarts the container, whose fresh
// writable layer is unbroken. The WordPress fixture's break corrupts
// DB_HOST in wp-config.php (fixtures/wordpress/configbreak.go).
//
// Revert asks the broken command whether a restart healed the container
// (and says so in the result's notes); when nothing did, it runs the
// description's restore command, or, without one, deletes the pod so that
// its controller replaces it. The Repairer does the same from the
// active-fault record in a later run.
package configbreak

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilexec "k8s.io/client-go/util/exec"

	"github.com/selfheal/selfheal/chaos/fault"
	"github.com/selfheal/selfheal/chaos/kube"
	"github.com/selfheal/selfheal/chaos/result"
)

// RepairKind is the Undo kind of a broken container: Params namespace,
// pod, container, and the broken and restore commands (JSON arrays).
const RepairKind = "config-break"

// execTimeout bounds each exec: exec into a pod on a lost node hangs.
const execTimeout = 20 * time.Second

// Spec is what to break and how.
type Spec struct {
	// Name is the fault's name in results (the scenario's:
	// "wp-config-break").
	Name string
	// Namespace and Selector choose the pods, Container the container.
	Namespace, Selector, Container string
	// Break, Broken and Restore are the description's commands
	// (chaos/app.ConfigBreak); Restore may be empty.
	Break, Broken, Restore []string
	// What says in words what Break does.
	What string
}

// execFunc runs a command in a container (kube.Client.Exec; tests run it
// locally).
type execFunc func(ctx context.Context, namespace, pod, container string, command ...string) (kube.ExecResult, error)

// Fault is the config break.
type Fault struct {
	client *kube.Client
	spec   Spec
	exec   execFunc

	mu       sync.Mutex
	pod      string
	restarts int32 // container restarts before the fault
	notes    []string
}

// New breaks a pod the spec selects.
func New(c *kube.Client, s Spec) *Fault {
	return &Fault{client: c, spec: s, exec: c.Exec}
}

// Name implements fault.Fault.
func (f *Fault) Name() string { return f.spec.Name }

// Notes are findings for the result: whether a restart healed the pod.
func (f *Fault) Notes() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.notes...)
}

func (f *Fault) note(s string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.notes = append(f.notes, s)
}

// Inject breaks one Ready pod's container and proves it with the broken
// command (an exec whose connection drops can report success without
// having run).
func (f *Fault) Inject(ctx context.Context, m fault.Marker) error {
	pod, err := f.pick(ctx)
	if err != nil {
		return err
	}
	t := f.target(pod.Name)
	undo, err := t.undo(f.spec)
	if err != nil {
		return err
	}
	if err := m.Breaking(ctx, undo); err != nil {
		return err
	}
	f.mu.Lock()
	f.pod, f.restarts = pod.Name, restartCount(pod, f.spec.Container)
	f.mu.Unlock()
	if _, err := t.run(ctx, f.spec.Break); err != nil {
		return fmt.Errorf("breaking pod %s: %w", pod.Name, err)
	}
	m.Injected(fmt.Sprintf("pod %s on %s: %s", pod.Name, pod.Spec.NodeName, f.what()))
	broken, err := t.broken(ctx, f.spec.Broken)
	e := result.Evidence{Check: fmt.Sprintf("`%s` in container %s of pod %s", strings.Join(f.spec.Broken, " "), f.spec.Container, pod.Name)}
	switch {
	case err != nil:
		e.Observed = "could not be run: " + err.Error()
	case broken:
		e.Observed, e.Held = "exit 0: the container is broken", true
	default:
		e.Observed = "non-zero exit: the container is not broken"
	}
	m.Proved(e)
	if !e.Held {
		return fmt.Errorf("the break of pod %s could not be confirmed: %s", pod.Name, e.Observed)
	}
	return nil
}

func (f *Fault) what() string {
	if f.spec.What != "" {
		return f.spec.What
	}
	return "broken with `" + strings.Join(f.spec.Break, " ") + "`"
}

// pick returns the Ready, running pod whose container restarted longest
// ago (never is longest), the first by name among equals. The kubelet's
// restart back-off (10 s, doubling up to 5 min, forgotten after 10 min
// of running) follows a container: breaking the same pod again within
// minutes measures that back-off, not the liveness probe (a real matrix
// repetition waited 1 min 20 s for it and missed its healing budget).
func (f *Fault) pick(ctx context.Context) (*corev1.Pod, error) {
	ns, sel := f.spec.Namespace, f.spec.Selector
	pods, err := f.client.Kubernetes.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: sel})
	if err != nil {
		return nil, fmt.Errorf("listing pods %s in %s: %w", sel, ns, err)
	}
	sort.SliceStable(pods.Items, func(i, j int) bool {
		a, b := lastRestart(&pods.Items[i], f.spec.Container), lastRestart(&pods.Items[j], f.spec.Container)
		if !a.Equal(b) {
			return a.Before(b)
		}
		return pods.Items[i].Name < pods.Items[j].Name
	})
	for i := range pods.Items {
		p := &pods.Items[i]
		if p.DeletionTimestamp == nil && kube.PodReady(p) {
			return p, nil
		}
	}
	return nil, fmt.Errorf("no Ready pod matches %s in namespace %s", sel, ns)
}

// Revert makes sure the pod is unbroken: by a container restart
// (checked), or by the restore command, or by deleting the pod.
func (f *Fault) Revert(ctx context.Context, m fault.Marker) error {
	f.mu.Lock()
	podName, before := f.pod, f.restarts
	f.mu.Unlock()
	if podName == "" {
		return nil // never injected
	}
	pod, err := f.client.Kubernetes.CoreV1().Pods(f.spec.Namespace).Get(ctx, podName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		f.note(fmt.Sprintf("Pod %s was replaced before the revert; its broken container went with it.", podName))
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading pod %s: %w", podName, err)
	}
	t := f.target(podName)
	broken, err := t.broken(ctx, f.spec.Broken)
	if err != nil {
		return fmt.Errorf("checking pod %s: %w", podName, err)
	}
	after := restartCount(pod, f.spec.Container)
	restarted := after > before
	switch {
	case !broken && restarted:
		f.note(fmt.Sprintf("The container restart healed %s (checked: not broken after %d restart(s)).", podName, after-before))
		return nil
	case !broken:
		return nil
	case restarted:
		f.note(fmt.Sprintf("FINDING: %s restarted but is still broken: the break survives restarts (a volume?), so the liveness restart cannot heal this fault.", podName))
	default:
		f.note(fmt.Sprintf("The container of %s was never restarted: nothing in the app noticed the break (selfheal put it back).", podName))
	}
	did, err := t.putBack(ctx, f.client, f.spec.Broken, f.spec.Restore)
	if err != nil {
		return err
	}
	m.Reverted(did)
	return nil
}

// target is one container of one pod.
type target struct {
	exec                 execFunc
	namespace, pod, ctnr string
}

func (f *Fault) target(pod string) target {
	return target{exec: f.exec, namespace: f.spec.Namespace, pod: pod, ctnr: f.spec.Container}
}

func (t target) undo(s Spec) (fault.Undo, error) {
	broken, err := json.Marshal(s.Broken)
	if err != nil {
		return fault.Undo{}, err
	}
	restore, err := json.Marshal(s.Restore)
	if err != nil {
		return fault.Undo{}, err
	}
	return fault.Undo{Kind: RepairKind, Detail: fmt.Sprintf("pod %s broken (%s)", t.pod, strings.Join(s.Break, " ")),
		Params: map[string]string{"namespace": t.namespace, "pod": t.pod, "container": t.ctnr, "broken": string(broken), "restore": string(restore)}}, nil
}

func (t target) run(ctx context.Context, cmd []string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, execTimeout)
	defer cancel()
	res, err := t.exec(ctx, t.namespace, t.pod, t.ctnr, cmd...)
	return res.Stdout, err
}

// broken runs the broken command: exit 0 is broken, another exit status
// is not; an exec that could not run at all is an error.
func (t target) broken(ctx context.Context, cmd []string) (bool, error) {
	_, err := t.run(ctx, cmd)
	var exit utilexec.ExitError
	switch {
	case err == nil:
		return true, nil
	case errors.As(err, &exit) && exit.Exited() && exit.ExitStatus() != 0:
		return false, nil
	}
	return false, err
}

// putBack restores a broken container with restore and checks it, or,
// without restore (or when it does not take), deletes the pod: its
// controller replaces it, unbroken.
func (t target) putBack(ctx context.Context, c *kube.Client, brokenCmd, restore []string) (string, error) {
	why := "the app gives no restore command"
	if len(restore) > 0 {
		_, err := t.run(ctx, restore)
		if err == nil {
			broken, cerr := t.broken(ctx, brokenCmd)
			switch {
			case cerr == nil && !broken:
				return fmt.Sprintf("pod %s: restored (`%s`)", t.pod, strings.Join(restore, " ")), nil
			case cerr != nil:
				err = cerr
			default:
				err = errors.New("still broken after it")
			}
		}
		why = fmt.Sprintf("the restore command failed (%v)", err)
	}
	if err := c.Kubernetes.CoreV1().Pods(t.namespace).Delete(ctx, t.pod, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		return "", fmt.Errorf("pod %s/%s is broken, %s, and deleting the pod failed: %w", t.namespace, t.pod, why, err)
	}
	return fmt.Sprintf("pod %s deleted (%s); its controller replaces it", t.pod, why), nil
}

// NewRepairer puts back, through c and within timeout, a container a
// dead run left broken: nothing to do when the pod is gone (fault.Gone)
// or no longer broken (a liveness restart healed it); else as Revert
// does.
func NewRepairer(c *kube.Client, timeout time.Duration) fault.Repairer {
	return newRepairer(c, c.Exec, timeout)
}

func newRepairer(c *kube.Client, exec execFunc, timeout time.Duration) fault.Repairer {
	r := repairer{client: c, exec: exec}
	return fault.RepairFunc(RepairKind, timeout, r.repair)
}

type repairer struct {
	client *kube.Client
	exec   execFunc
}

func (r repairer) repair(ctx context.Context, u fault.Undo) (string, error) {
	p := u.Params
	t := target{exec: r.exec, namespace: p["namespace"], pod: p["pod"], ctnr: p["container"]}
	var brokenCmd, restore []string
	if t.namespace == "" || t.pod == "" || json.Unmarshal([]byte(p["broken"]), &brokenCmd) != nil || len(brokenCmd) == 0 {
		return "", fmt.Errorf("the record does not name the pod and its broken command: %v", p)
	}
	if p["restore"] != "" {
		if err := json.Unmarshal([]byte(p["restore"]), &restore); err != nil {
			return "", fmt.Errorf("the record's restore command %q: %w", p["restore"], err)
		}
	}
	if _, err := r.client.Kubernetes.CoreV1().Pods(t.namespace).Get(ctx, t.pod, metav1.GetOptions{}); apierrors.IsNotFound(err) {
		return "", fault.Gone(fmt.Sprintf("pod %s/%s", t.namespace, t.pod)) // its broken container went with it
	} else if err != nil {
		return "", fmt.Errorf("reading pod %s/%s: %w", t.namespace, t.pod, err)
	}
	broken, err := t.broken(ctx, brokenCmd)
	if err == nil && !broken {
		return "", nil
	}
	if err != nil {
		// It cannot be asked whether a restore took: the pod goes.
		restore = nil
	}
	return t.putBack(ctx, r.client, brokenCmd, restore)
}

// lastRestart is when the container's previous run ended; zero when it
// never restarted.
func lastRestart(p *corev1.Pod, container string) time.Time {
	for _, cs := range p.Status.ContainerStatuses {
		if cs.Name == container && cs.LastTerminationState.Terminated != nil {
			return cs.LastTerminationState.Terminated.FinishedAt.Time
		}
	}
	return time.Time{}
}

func restartCount(p *corev1.Pod, container string) int32 {
	for _, cs := range p.Status.ContainerStatuses {
		if cs.Name == container {
			return cs.RestartCount
		}
	}
	return 0
}
