package vantage

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/selfheal/selfheal/chaos/kube"
)

// The control server takes the harness's path and nothing of the app's:
// its own NodePort, served on the node it enters by, on the control plane.
func TestControlObjects(t *testing.T) {
	svc, dep := controlObjects(Namespace, "selfheal.local/busybox:1.35")
	p := svc.Spec.Ports[0]
	if svc.Spec.Type != corev1.ServiceTypeNodePort || p.NodePort != ControlNodePort || svc.Spec.ExternalTrafficPolicy != corev1.ServiceExternalTrafficPolicyLocal {
		t.Errorf("service %+v", svc.Spec)
	}
	spec := dep.Spec.Template.Spec
	c := spec.Containers[0]
	switch {
	case spec.NodeSelector[kube.ControlPlaneRole] != "" || len(spec.NodeSelector) != 1:
		t.Errorf("node selector %v: want the control plane", spec.NodeSelector)
	case c.Image != "selfheal.local/busybox:1.35" || !strings.Contains(strings.Join(c.Command, " "), "httpd -f -p 8080 -h /www"):
		t.Errorf("container %s %q", c.Image, c.Command)
	case !*spec.SecurityContext.RunAsNonRoot || *c.SecurityContext.AllowPrivilegeEscalation || c.SecurityContext.Capabilities.Drop[0] != "ALL":
		t.Errorf("not Pod Security restricted: %+v %+v", spec.SecurityContext, c.SecurityContext)
	case c.ReadinessProbe == nil || dep.Labels[LabelManagedBy] != ManagedBy || dep.Labels[LabelComponent] != ComponentControl:
		t.Errorf("readiness %v labels %v", c.ReadinessProbe, dep.Labels)
	}
}

// A control server that is ready but refused from here means the host
// port is not published: said at once, with what to do.
func TestWaitAnswerNamesAMissingPort(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now: connections are refused
	start := time.Now()
	err = waitAnswer(context.Background(), "http://"+addr+"/", 2*time.Second)
	if err == nil || !strings.Contains(err.Error(), "does not publish port 30082") || !strings.Contains(err.Error(), "make cluster-down cluster") {
		t.Errorf("waitAnswer = %v", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("took %v", time.Since(start))
	}
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	if err := waitAnswer(context.Background(), srv.URL+"/", 2*time.Second); err != nil {
		t.Errorf("a server that answers: %v", err)
	}
}
