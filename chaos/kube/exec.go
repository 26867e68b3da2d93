// Package kube holds the client-go helpers that fault injectors and the
// scenario engine share: exec in a pod, and the checks that tell whether a
// workload is at its desired state.
package kube

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/httpstream"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/remotecommand"
)

// Client is what the helpers need of a cluster: the typed clientset and
// the REST config (exec streams need the latter).
type Client struct {
	Kubernetes kubernetes.Interface
	Config     *rest.Config
}

// NewClient builds a Client from a REST config.
func NewClient(cfg *rest.Config) (*Client, error) {
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("building a Kubernetes client: %w", err)
	}
	return &Client{Kubernetes: cs, Config: cfg}, nil
}

// ExecResult is what a command printed.
type ExecResult struct {
	Stdout, Stderr string
}

// Exec runs command in a container and returns its output. It speaks
// WebSocket first and falls back to SPDY on an upgrade failure, as kubectl
// does (SPDY alone fails intermittently on Kubernetes 1.34 and later). A non-zero
// exit is an error carrying the exit code and stderr. Pass a ctx with a
// deadline: exec into a pod on a stopped node hangs until it.
func (c *Client) Exec(ctx context.Context, namespace, pod, container string, command ...string) (ExecResult, error) {
	var stdout, stderr bytes.Buffer
	err := c.Stream(ctx, namespace, pod, container, remotecommand.StreamOptions{Stdout: &stdout, Stderr: &stderr}, command...)
	res := ExecResult{Stdout: stdout.String(), Stderr: stderr.String()}
	if err != nil {
		return res, fmt.Errorf("%w; stderr: %s", err, strings.TrimSpace(res.Stderr))
	}
	return res, nil
}

// Stream runs command in a container with the streams of opts attached
// (stdin too, when set: a conversation with the command), as Exec does,
// and returns when the command ends.
func (c *Client) Stream(ctx context.Context, namespace, pod, container string, opts remotecommand.StreamOptions, command ...string) error {
	req := c.Kubernetes.CoreV1().RESTClient().Post().
		Resource("pods").Namespace(namespace).Name(pod).SubResource("exec").
		VersionedParams(&corev1.PodExecOptions{Container: container, Command: command,
			Stdin: opts.Stdin != nil, Stdout: opts.Stdout != nil, Stderr: opts.Stderr != nil}, scheme.ParameterCodec)
	ws, err := remotecommand.NewWebSocketExecutor(c.Config, http.MethodGet, req.URL().String())
	if err != nil {
		return fmt.Errorf("exec in %s/%s: websocket executor: %w", namespace, pod, err)
	}
	spdy, err := remotecommand.NewSPDYExecutor(c.Config, http.MethodPost, req.URL())
	if err != nil {
		return fmt.Errorf("exec in %s/%s: spdy executor: %w", namespace, pod, err)
	}
	exec, err := remotecommand.NewFallbackExecutor(ws, spdy, func(err error) bool {
		return httpstream.IsUpgradeFailure(err) || httpstream.IsHTTPSProxyError(err)
	})
	if err != nil {
		return fmt.Errorf("exec in %s/%s: %w", namespace, pod, err)
	}
	if err := exec.StreamWithContext(ctx, opts); err != nil {
		return fmt.Errorf("exec %q in %s/%s (container %s): %w", strings.Join(command, " "), namespace, pod, container, err)
	}
	return nil
}
