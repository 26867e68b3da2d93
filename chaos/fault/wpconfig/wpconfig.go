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
// cannot see the fault), it writes the original line back itself.
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
	// container is the WordPress container of the fixture's pods.
	container = "wordpress"
)

// Fault is the wp-config break.
type Fault struct {
	client    *kube.Client
	namespace string
	selector  string

	mu       sync.Mutex
	pod      string
	original string // the DB_HOST line before the fault
	restarts int32  // container restarts before the fault
	notes    []string
}

// New breaks a pod matching selector in namespace.
func New(c *kube.Client, namespace, selector string) *Fault {
	return &Fault{client: c, namespace: namespace, selector: selector}
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
// having run).
func (f *Fault) Inject(ctx context.Context, m fault.Marker) error {
	pod, err := f.pick(ctx)
	if err != nil {
		return err
	}
	original, err := f.exec(ctx, pod.Name, "sh", "-c", "grep -m1 -E \"^define\\( *'DB_HOST'\" "+Path)
	if err != nil {
		return fmt.Errorf("reading the DB_HOST line of %s in %s: %w", Path, pod.Name, err)
	}
	f.mu.Lock()
	f.pod, f.original, f.restarts = pod.Name, strings.TrimSpace(original), restartCount(pod, container)
	f.mu.Unlock()
	if _, err := f.exec(ctx, pod.Name, "sed", "-i", "-E", corruptExpr(), Path); err != nil {
		return fmt.Errorf("corrupting %s in %s: %w", Path, pod.Name, err)
	}
	m.Injected(fmt.Sprintf("pod %s on %s: DB_HOST in wp-config.php set to %s", pod.Name, pod.Spec.NodeName, BadHost))
	if n, err := f.markerCount(ctx, pod.Name); err != nil || n != 1 {
		return fmt.Errorf("the corruption of %s in %s could not be confirmed (marker lines %d): %v", Path, pod.Name, n, err)
	}
	return nil
}

// pick returns the first Ready, running pod by name: any would do, a
// stable choice makes runs comparable.
func (f *Fault) pick(ctx context.Context) (*corev1.Pod, error) {
	pods, err := f.client.Kubernetes.CoreV1().Pods(f.namespace).List(ctx, metav1.ListOptions{LabelSelector: f.selector})
	if err != nil {
		return nil, fmt.Errorf("listing pods %s in %s: %w", f.selector, f.namespace, err)
	}
	sort.Slice(pods.Items, func(i, j int) bool { return pods.Items[i].Name < pods.Items[j].Name })
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
	restarted := restartCount(pod, container) > before
	n, err := f.markerCount(ctx, podName)
	if err != nil {
		return fmt.Errorf("checking %s in %s: %w", Path, podName, err)
	}
	switch {
	case n == 0 && restarted:
		f.note(fmt.Sprintf("The container restart restored wp-config.php in %s (checked: no corrupted line after %d restart(s)).", podName, restartCount(pod, container)-before))
		return nil
	case n == 0:
		return nil
	case restarted:
		f.note(fmt.Sprintf("FINDING: %s restarted but wp-config.php is still corrupted: the file survives restarts (a volume at /var/www/html?), so the liveness restart cannot heal this fault.", podName))
	default:
		f.note(fmt.Sprintf("The container of %s was never restarted: nothing in the fixture noticed the broken config (selfheal restored the file).", podName))
	}
	return f.restore(ctx, m, podName, original)
}

func (f *Fault) restore(ctx context.Context, m fault.Marker, pod, original string) error {
	if original == "" {
		return fmt.Errorf("cannot restore %s in %s: the original DB_HOST line is unknown; delete the pod", Path, pod)
	}
	if _, err := f.exec(ctx, pod, "sed", "-i", "-E", restoreExpr(original), Path); err != nil {
		return fmt.Errorf("restoring %s in %s: %w", Path, pod, err)
	}
	if n, err := f.markerCount(ctx, pod); err != nil || n != 0 {
		return fmt.Errorf("restoring %s in %s did not take (marker lines %d): %v", Path, pod, n, err)
	}
	m.Reverted(fmt.Sprintf("pod %s: original DB_HOST line written back", pod))
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

func (f *Fault) markerCount(ctx context.Context, pod string) (int, error) {
	// grep -c exits 1 when it counts 0: that is an answer, not an error.
	out, err := f.exec(ctx, pod, "sh", "-c", "grep -c '"+Marker+"' "+Path+" || true")
	if err != nil {
		return -1, err
	}
	var n int
	if _, err := fmt.Sscan(strings.TrimSpace(out), &n); err != nil {
		return -1, fmt.Errorf("counting marker lines: unexpected output %q", out)
	}
	return n, nil
}

func (f *Fault) exec(ctx context.Context, pod string, cmd ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, execTimeout)
	defer cancel()
	res, err := f.client.Exec(ctx, f.namespace, pod, container, cmd...)
	return res.Stdout, err
}

func (f *Fault) note(s string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.notes = append(f.notes, s)
}

func restartCount(p *corev1.Pod, container string) int32 {
	for _, cs := range p.Status.ContainerStatuses {
		if cs.Name == container {
			return cs.RestartCount
		}
	}
	return 0
}
