// Package wpconfig breaks one WordPress pod's database settings: it execs
// into the container (client-go, no kubectl) and rewrites the DB_HOST line
// of wp-config.php to an address that refuses connections. Every PHP page
// of that pod then answers 500 until its liveness probe restarts the
// container, whose fresh writable layer gets a fresh wp-config.php.
//
// The line has the same shape in the official wordpress image and in
// selfheal's own (fixtures/images/apps/README.md):
//
//	define( 'DB_HOST', getenv_docker('WORDPRESS_DB_HOST', 'mysql') );
//
// Revert checks that the restart really restored the file (and says so in
// the result's notes); when the container was not restarted (a probe that
// cannot see the fault), it writes the original line back itself. The
// Repairer does the same from the active-fault record in a later run, and
// deletes the pod (its Deployment replaces it) when the line cannot be
// written back.
package wpconfig

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/selfheal/selfheal/chaos/fault"
	"github.com/selfheal/selfheal/chaos/kube"
	"github.com/selfheal/selfheal/chaos/result"
)

const (
	// Path is wp-config.php in both images.
	Path = "/var/www/html/wp-config.php"
	// Marker tags the corrupted line, so a check can tell it apart.
	Marker = "selfheal-fault"
	// BadHost refuses at once and needs no DNS: the failure is immediate
	// and the same every time.
	BadHost = "127.0.0.1:1"
	// execTimeout bounds each exec: exec into a pod on a lost node hangs.
	execTimeout = 20 * time.Second
	// RepairKind is the Undo kind of a corrupted wp-config.php: Params
	// namespace, pod, container and original (the DB_HOST line).
	RepairKind = "wp-config"
)

// Fault is the wp-config break.
type Fault struct {
	client    *kube.Client
	namespace string
	selector  string
	container string
	execFn    execFunc

	mu       sync.Mutex
	pod      string
	original string // the DB_HOST line before the fault
	restarts int32  // container restarts before the fault
	notes    []string
}

// New breaks a pod matching selector in namespace.
func New(c *kube.Client, namespace, selector string) *Fault {
	return &Fault{client: c, namespace: namespace, selector: selector, container: "wordpress", execFn: c.Exec}
}

// Name implements fault.Fault.
func (f *Fault) Name() string { return "wp-config-break" }

// Notes are findings for the result: whether the restart restored the file.
func (f *Fault) Notes() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.notes...)
}

// Inject corrupts DB_HOST in one Ready pod and confirms it by reading the
// file back (an exec whose connection drops can report success without
// having run): its evidence that the fault took effect.
func (f *Fault) Inject(ctx context.Context, m fault.Marker) error {
	pod, err := f.pick(ctx)
	if err != nil {
		return err
	}
	original, err := f.exec(ctx, pod.Name, "sh", "-c", "grep -m1 -E \"^define\\( *'DB_HOST'\" "+Path)
	if err != nil {
		return fmt.Errorf("reading the DB_HOST line of %s in %s: %w", Path, pod.Name, err)
	}
	undo := fault.Undo{Kind: RepairKind, Detail: fmt.Sprintf("DB_HOST in %s of pod %s corrupted", Path, pod.Name),
		Params: map[string]string{"namespace": f.namespace, "pod": pod.Name, "container": f.container, "original": strings.TrimSpace(original)}}
	if err := m.Breaking(ctx, undo); err != nil {
		return err
	}
	f.mu.Lock()
	f.pod, f.original, f.restarts = pod.Name, strings.TrimSpace(original), restartCount(pod, f.container)
	f.mu.Unlock()
	if _, err := f.exec(ctx, pod.Name, "sed", "-i", "-E", corruptExpr(), Path); err != nil {
		return fmt.Errorf("corrupting %s in %s: %w", Path, pod.Name, err)
	}
	m.Injected(fmt.Sprintf("pod %s on %s: DB_HOST in wp-config.php set to %s", pod.Name, pod.Spec.NodeName, BadHost))
	n, err := f.target(pod.Name).markerCount(ctx)
	e := result.Evidence{Check: fmt.Sprintf("grep -c %s %s in pod %s (exec), after the injection", Marker, Path, pod.Name)}
	switch {
	case err != nil:
		e.Observed = "the file could not be read: " + err.Error()
	case n == 1:
		e.Held, e.Observed = true, fmt.Sprintf("1 corrupted DB_HOST line (%s)", BadHost)
	default:
		e.Observed = fmt.Sprintf("%d corrupted DB_HOST lines, want 1", n)
	}
	m.Proved(e)
	if !e.Held {
		return fmt.Errorf("the corruption of %s in %s could not be confirmed: %s", Path, pod.Name, e.Observed)
	}
	return nil
}

// pick returns the Ready, running pod whose container restarted longest
// ago (never is longest), the first by name among equals. The kubelet's
// restart back-off (10 s, doubling up to 5 min, forgotten after 10 min
// of running) follows a container: breaking the same pod again within
// minutes measures that back-off, not the liveness probe (a real matrix
// repetition waited 1 min 20 s for it and missed its healing budget).
func (f *Fault) pick(ctx context.Context) (*corev1.Pod, error) {
	pods, err := f.client.Kubernetes.CoreV1().Pods(f.namespace).List(ctx, metav1.ListOptions{LabelSelector: f.selector})
	if err != nil {
		return nil, fmt.Errorf("listing pods %s in %s: %w", f.selector, f.namespace, err)
	}
	sort.SliceStable(pods.Items, func(i, j int) bool {
		a, b := lastRestart(&pods.Items[i], f.container), lastRestart(&pods.Items[j], f.container)
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
	return nil, fmt.Errorf("no Ready pod matches %s in namespace %s", f.selector, f.namespace)
}

// Revert makes sure the pod's wp-config.php is good again: restored by a
// container restart (checked), or written back here.
func (f *Fault) Revert(ctx context.Context, m fault.Marker) error {
	f.mu.Lock()
	podName, original, before := f.pod, f.original, f.restarts
	f.mu.Unlock()
	if podName == "" {
		return nil // never injected
	}
	pod, err := f.client.Kubernetes.CoreV1().Pods(f.namespace).Get(ctx, podName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		f.note(fmt.Sprintf("Pod %s was replaced before the revert; its broken file went with it.", podName))
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading pod %s: %w", podName, err)
	}
	restarted := restartCount(pod, f.container) > before
	n, err := f.target(podName).markerCount(ctx)
	if err != nil {
		return fmt.Errorf("checking %s in %s: %w", Path, podName, err)
	}
	switch {
	case n == 0 && restarted:
		f.note(fmt.Sprintf("The container restart restored wp-config.php in %s (checked: no corrupted line after %d restart(s)).", podName, restartCount(pod, f.container)-before))
		return nil
	case n == 0:
		return nil
	case restarted:
		f.note(fmt.Sprintf("FINDING: %s restarted but wp-config.php is still corrupted: the file survives restarts (a volume at /var/www/html?), so the liveness restart cannot heal this fault.", podName))
	default:
		f.note(fmt.Sprintf("The container of %s was never restarted: nothing in the fixture noticed the broken config (selfheal restored the file).", podName))
	}
	if err := f.target(podName).restore(ctx, original); err != nil {
		return err
	}
	m.Reverted(fmt.Sprintf("pod %s: original DB_HOST line written back", podName))
	return nil
}

// execFunc runs a command in a container (kube.Client.Exec; tests run it
// on a local file).
type execFunc func(ctx context.Context, namespace, pod, container string, command ...string) (kube.ExecResult, error)

// target is one container's wp-config.php.
type target struct {
	exec                 execFunc
	namespace, pod, ctnr string
}

func (f *Fault) target(pod string) target {
	return target{exec: f.execFn, namespace: f.namespace, pod: pod, ctnr: f.container}
}

func (t target) restore(ctx context.Context, original string) error {
	if original == "" {
		return fmt.Errorf("cannot restore %s in %s: the original DB_HOST line is unknown; delete the pod", Path, t.pod)
	}
	if _, err := t.run(ctx, "sed", "-i", "-E", restoreExpr(original), Path); err != nil {
		return fmt.Errorf("restoring %s in %s: %w", Path, t.pod, err)
	}
	if n, err := t.markerCount(ctx); err != nil || n != 0 {
		return fmt.Errorf("restoring %s in %s did not take (marker lines %d): %v", Path, t.pod, n, err)
	}
	return nil
}

// corruptExpr is the sed -E expression that breaks the DB_HOST line.
func corruptExpr() string {
	return fmt.Sprintf(`s|^define\( *'DB_HOST',.*$|define( 'DB_HOST', '%s' ); // %s|`, BadHost, Marker)
}

// restoreExpr is the sed -E expression that puts original back in place of
// the line corruptExpr wrote.
func restoreExpr(original string) string {
	return fmt.Sprintf(`s|^define\( 'DB_HOST', '%s' \); // %s$|%s|`, BadHost, Marker, sedReplacement(original))
}

// sedReplacement escapes what sed treats specially on the right-hand side.
func sedReplacement(s string) string {
	return strings.NewReplacer(`\`, `\\`, `&`, `\&`, `|`, `\|`).Replace(s)
}

func (t target) markerCount(ctx context.Context) (int, error) {
	// grep -c exits 1 when it counts 0: that is an answer, not an error.
	out, err := t.run(ctx, "sh", "-c", "grep -c '"+Marker+"' "+Path+" || true")
	if err != nil {
		return -1, err
	}
	var n int
	if _, err := fmt.Sscan(strings.TrimSpace(out), &n); err != nil {
		return -1, fmt.Errorf("counting marker lines: unexpected output %q", out)
	}
	return n, nil
}

func (t target) run(ctx context.Context, cmd ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, execTimeout)
	defer cancel()
	res, err := t.exec(ctx, t.namespace, t.pod, t.ctnr, cmd...)
	return res.Stdout, err
}

func (f *Fault) exec(ctx context.Context, pod string, cmd ...string) (string, error) {
	return f.target(pod).run(ctx, cmd...)
}

// Repairer puts back a wp-config.php a dead run left corrupted.
type Repairer struct {
	client *kube.Client
	exec   execFunc
}

// NewRepairer repairs through c.
func NewRepairer(c *kube.Client) *Repairer { return &Repairer{client: c, exec: c.Exec} }

// Kind implements fault.Repairer.
func (r *Repairer) Kind() string { return RepairKind }

// Repair implements fault.Repairer: nothing to do when the pod is gone or
// its file is good (a liveness restart healed it); else the original line
// is written back, and when that cannot be done the pod is deleted, so its
// Deployment replaces it with a fresh file.
func (r *Repairer) Repair(ctx context.Context, u fault.Undo) (string, error) {
	p := u.Params
	t := target{exec: r.exec, namespace: p["namespace"], pod: p["pod"], ctnr: p["container"]}
	if t.namespace == "" || t.pod == "" || t.ctnr == "" {
		return "", fmt.Errorf("the record does not name the pod: %v", p)
	}
	if _, err := r.client.Kubernetes.CoreV1().Pods(t.namespace).Get(ctx, t.pod, metav1.GetOptions{}); apierrors.IsNotFound(err) {
		return "", nil
	} else if err != nil {
		return "", fmt.Errorf("reading pod %s/%s: %w", t.namespace, t.pod, err)
	}
	n, err := t.markerCount(ctx)
	if err == nil && n == 0 {
		return "", nil
	}
	why := fmt.Sprintf("could not be checked (%v)", err)
	if err == nil {
		if err = t.restore(ctx, p["original"]); err == nil {
			return fmt.Sprintf("pod %s: original DB_HOST line written back to %s", t.pod, Path), nil
		}
		why = fmt.Sprintf("could not be written back (%v)", err)
	}
	if err := r.client.Kubernetes.CoreV1().Pods(t.namespace).Delete(ctx, t.pod, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		return "", fmt.Errorf("the corrupted %s of pod %s/%s %s, and deleting the pod failed: %w", Path, t.namespace, t.pod, why, err)
	}
	return fmt.Sprintf("pod %s deleted (its %s %s); its Deployment replaces it", t.pod, Path, why), nil
}

func (f *Fault) note(s string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.notes = append(f.notes, s)
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
