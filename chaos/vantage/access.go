package vantage

import (
	"context"
	"io"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/remotecommand"

	"github.com/selfheal/selfheal/chaos/kube"
)

// Access is how the harness reaches a loader pod's container: its log,
// streamed through the API, and exec, for the clock exchange. These are
// Kubernetes' own paths: nothing of the loader listens on a port.
type Access interface {
	// Logs streams the container's log from since (zero: from its
	// start); follow keeps the stream open until the container ends.
	Logs(ctx context.Context, namespace, pod, container string, since time.Time, follow bool) (io.ReadCloser, error)
	// Exec runs command in the container with stdin and stdout attached,
	// until it ends.
	Exec(ctx context.Context, namespace, pod, container string, stdin io.Reader, stdout io.Writer, command ...string) error
}

// API is Access through the Kubernetes API (client-go).
type API struct {
	Client *kube.Client
}

// Logs is the pod's log subresource.
func (a API) Logs(ctx context.Context, namespace, pod, container string, since time.Time, follow bool) (io.ReadCloser, error) {
	opts := &corev1.PodLogOptions{Container: container, Follow: follow}
	if !since.IsZero() {
		t := metav1.NewTime(since)
		opts.SinceTime = &t
	}
	return a.Client.Kubernetes.CoreV1().Pods(namespace).GetLogs(pod, opts).Stream(ctx)
}

// Exec is the pod's exec subresource (WebSocket, SPDY as a fallback).
func (a API) Exec(ctx context.Context, namespace, pod, container string, stdin io.Reader, stdout io.Writer, command ...string) error {
	return a.Client.Stream(ctx, namespace, pod, container, remotecommand.StreamOptions{Stdin: stdin, Stdout: stdout}, command...)
}
