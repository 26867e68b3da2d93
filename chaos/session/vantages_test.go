package session

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/selfheal/selfheal/chaos/app"
	"github.com/selfheal/selfheal/chaos/kube"
	"github.com/selfheal/selfheal/chaos/load"
	"github.com/selfheal/selfheal/chaos/result"
)

func node(name string, controlPlane bool) *corev1.Node {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{}}}
	if controlPlane {
		n.Labels["node-role.kubernetes.io/control-plane"] = ""
	}
	return n
}

// The loaders enter by the app's Service at its ClusterIP (by its cluster
// DNS name when it is headless), on the port whose NodePort the outside
// load enters by, and a missing Service is named.
func TestServiceBase(t *testing.T) {
	ports := []corev1.ServicePort{{Name: "metrics", Port: 9090, NodePort: 30999}, {Name: "http", Port: 8080, NodePort: 30080}}
	for _, c := range []struct{ clusterIP, want string }{
		{"10.96.4.7", "http://10.96.4.7:8080"},
		{"fd00:10:96::4:7", "http://[fd00:10:96::4:7]:8080"},
		{corev1.ClusterIPNone, "http://web.shop.svc.cluster.local.:8080"},
	} {
		svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop"}, Spec: corev1.ServiceSpec{ClusterIP: c.clusterIP, Ports: ports}}
		s := &Session{guarded: guarded{client: &kube.Client{Kubernetes: fake.NewClientset(svc)}}}
		s.app.App = app.App{Namespace: "shop", Serving: app.Serving{Service: "web"}, Load: app.Load{Base: "http://127.0.0.1:30080", Paths: []string{"/"}}}
		got, err := s.serviceBase(context.Background())
		if err != nil || got != c.want {
			t.Errorf("ClusterIP %q: service base %q, %v; want %q", c.clusterIP, got, err, c.want)
		}
	}
	s := &Session{guarded: guarded{client: &kube.Client{Kubernetes: fake.NewClientset()}}}
	s.app.App = app.App{Namespace: "shop", Serving: app.Serving{Service: "gone"}}
	if _, err := s.serviceBase(context.Background()); err == nil || !strings.Contains(err.Error(), "shop/gone") {
		t.Errorf("a missing Service: %v", err)
	}
}

// The loaders run on every node but the control plane unless told, and a
// node that is not in the cluster is refused by name, with the nodes
// there are.
func TestLoaderNodes(t *testing.T) {
	cs := fake.NewClientset(node("selfheal-control-plane", true), node("selfheal-worker", false), node("selfheal-worker2", false))
	s := &Session{guarded: guarded{client: &kube.Client{Kubernetes: cs}}}
	got, err := s.loaderNodes(context.Background())
	if err != nil || strings.Join(got, ",") != "selfheal-worker,selfheal-worker2" {
		t.Errorf("default nodes %v, %v; want the two workers", got, err)
	}
	s.cfg.Vantages.LoaderNodes = []string{"selfheal-control-plane"}
	if got, err := s.loaderNodes(context.Background()); err != nil || len(got) != 1 || got[0] != "selfheal-control-plane" {
		t.Errorf("asked for the control plane: %v, %v", got, err)
	}
	s.cfg.Vantages.LoaderNodes = []string{"selfheal-worker3"}
	_, err = s.loaderNodes(context.Background())
	if err == nil || !strings.Contains(err.Error(), `no node "selfheal-worker3"`) || !strings.Contains(err.Error(), "selfheal-worker2") {
		t.Errorf("an unknown node: %v", err)
	}
}

// New and reused connections apart need nothing of the cluster: a second
// harness-side load through the same entry, with kept-alive connections,
// named outside-reused.
func TestBothConnectionsAddsTheReusedOutside(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	s := &Session{cfg: withDefaults(Config{Vantages: Vantages{BothConnections: true}, Load: []load.Option{load.Rate(50)}})}
	s.app.App.Load = app.Load{Base: srv.URL, Paths: []string{"/", "/?p=1"}}
	vs, err := s.setUpVantages(context.Background())
	if err != nil || len(vs) != 1 {
		t.Fatalf("vantage points %v, %v; want one", vs, err)
	}
	run, err := vs[0].Start(t.Context(), "both")
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	seen := run.Stop(t.Context())
	if len(seen) != 1 || seen[0].Point.Name != "outside-reused" || seen[0].Point.Connections != result.ConnectionsReused ||
		!seen[0].Input.Load.KeepAlive || seen[0].Input.Load.Rate != 50 || len(seen[0].Input.Samples) == 0 {
		t.Errorf("seen %+v", seen)
	}
}
