package vantage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"syscall"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"

	"github.com/selfheal/selfheal/chaos/kube"
	"github.com/selfheal/selfheal/chaos/load"
	"github.com/selfheal/selfheal/chaos/result"
)

// ControlURL is where the harness reaches the control server: the host
// port the kind config publishes for ControlNodePort, as 30080 is the
// app's.
func ControlURL() string { return fmt.Sprintf("http://127.0.0.1:%d/", ControlNodePort) }

// DeployControl server-side applies the control server (busybox httpd on
// the control-plane node behind NodePort ControlNodePort) and waits until
// url answers from the harness. A refused connection once the server is
// ready means the cluster does not publish the port: it was created
// before the kind config did (fixtures/kind/cluster.yaml).
func DeployControl(ctx context.Context, cs kubernetes.Interface, image, url string, timeout time.Duration) error {
	if err := ensureNamespace(ctx, cs, Namespace); err != nil {
		return err
	}
	svc, dep := controlObjects(Namespace, image)
	if err := apply("Deployment", dep.Name, dep, func(d []byte) error {
		_, err := cs.AppsV1().Deployments(Namespace).Patch(ctx, dep.Name, types.ApplyPatchType, d, applyOptions())
		return err
	}); err != nil {
		return err
	}
	if err := apply("Service", svc.Name, svc, func(d []byte) error {
		_, err := cs.CoreV1().Services(Namespace).Patch(ctx, svc.Name, types.ApplyPatchType, d, applyOptions())
		return err
	}); err != nil {
		return err
	}
	kc := &kube.Client{Kubernetes: cs}
	if err := kube.WaitFor(ctx, kc.DeploymentSteady(Namespace, ControlName, ControlName), time.Second, timeout); err != nil {
		return fmt.Errorf("the control server (%s/%s) is not ready: %w", Namespace, ControlName, err)
	}
	// Ready, and in the Service's endpoints: kube-proxy needs a moment to
	// program the NodePort, no more. A refusal that lasts is the port.
	return waitAnswer(ctx, url, controlAnswerTimeout)
}

// controlAnswerTimeout is how long the control server, once ready, may
// take to answer from the harness.
const controlAnswerTimeout = 20 * time.Second

// apply server-side applies obj (a typed object with its TypeMeta) through
// patch.
func apply(kind, name string, obj any, patch func(data []byte) error) error {
	data, err := json.Marshal(obj)
	if err != nil {
		return fmt.Errorf("encoding the control %s: %w", kind, err)
	}
	if err := patch(data); err != nil {
		return fmt.Errorf("applying the control %s %s/%s: %w", kind, Namespace, name, err)
	}
	return nil
}

func applyOptions() metav1.PatchOptions {
	force := true
	return metav1.PatchOptions{FieldManager: ManagedBy, Force: &force}
}

// waitAnswer waits until url answers 200 from here.
func waitAnswer(ctx context.Context, url string, timeout time.Duration) error {
	client := &http.Client{Timeout: 2 * time.Second}
	var last error
	err := wait.PollUntilContextTimeout(ctx, time.Second, timeout, true, func(ctx context.Context) (bool, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return false, err
		}
		resp, err := client.Do(req)
		if err != nil {
			if ctx.Err() == nil { // not the poll's own deadline
				last = err
			}
			return false, nil
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			last = fmt.Errorf("status %d", resp.StatusCode)
			return false, nil
		}
		return true, nil
	})
	if err == nil {
		return nil
	}
	if errors.Is(last, syscall.ECONNREFUSED) {
		return fmt.Errorf("the control server is ready but %s refuses connections: the cluster does not publish port %d on the host (it was made before fixtures/kind/cluster.yaml did; recreate it: make cluster-down cluster)", url, ControlNodePort)
	}
	return fmt.Errorf("the control server does not answer at %s: %v", url, last)
}

// NewControl is the control probe: the harness loads the control server
// at url with the outside load's settings opts.
func NewControl(url string, keepAlive bool, opts ...load.Option) (*Harness, error) {
	point := result.VantagePoint{Name: string(result.VantageControl), Kind: result.VantageControl,
		Connections: result.ConnectionsOf(keepAlive),
		From:        "the harness, to " + hostOf([]string{url}) + ": a static server on the control-plane node, not the app"}
	return NewHarness(point, []string{url}, append(opts, load.KeepAlive(keepAlive))...)
}
