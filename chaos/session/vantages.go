package session

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/selfheal/selfheal/chaos/app"
	"github.com/selfheal/selfheal/chaos/kube"
	"github.com/selfheal/selfheal/chaos/load"
	"github.com/selfheal/selfheal/chaos/loader"
	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/chaos/scenario"
	"github.com/selfheal/selfheal/chaos/vantage"
	"github.com/selfheal/selfheal/fixtures"
	"github.com/selfheal/selfheal/fixtures/cluster"
)

// Vantages are the vantage points measured beside the outside load
// (chaos/vantage; docs/measurement.md, "Vantage points"). The zero value
// measures from the outside alone.
type Vantages struct {
	// Loaders is how many loader pods load the app's Service from inside
	// the cluster (0: none).
	Loaders int
	// LoaderRate is each loader's requests per second (0: the outside
	// load's rate).
	LoaderRate float64
	// LoaderNodes are the nodes the loaders run on, in turn (default:
	// every node without the control-plane role).
	LoaderNodes []string
	// LoaderPaths are the paths the loaders ask for (default: the outside
	// load's). A static path lets loaders send far more than the app's
	// pages could serve beside the outside load.
	LoaderPaths []string
	// Control loads a static server on the control-plane node from the
	// harness, through its own NodePort: the control probe.
	Control bool
	// BothConnections measures every load point with new and with reused
	// connections, apart (the outside's top-level figures keep new ones).
	BothConnections bool
}

// Any says whether a vantage point besides the outside is asked for.
func (v Vantages) Any() bool { return v.Loaders > 0 || v.Control || v.BothConnections }

// vantageSetUpTimeout bounds the control server's start and the image
// load of the loaders.
const vantageSetUpTimeout = 3 * time.Minute

// setUpVantages prepares the vantage points the session asked for, before
// any scenario: the loaders' image in the nodes (kind) and their
// namespace, the control server answering from here. What cannot be set
// up stops the session, naming it.
func (s *Session) setUpVantages(ctx context.Context) ([]scenario.Vantage, error) {
	v := s.cfg.Vantages
	if !v.Any() {
		return nil, nil
	}
	var out []scenario.Vantage
	outside := s.app.App.Load
	if v.BothConnections {
		h, err := vantage.NewHarness(result.VantagePoint{Name: result.VantageName(result.VantageOutside, result.ConnectionsReused, true),
			Kind: result.VantageOutside, Connections: result.ConnectionsReused, From: "the harness, to " + hostOf(outside.Base)},
			outside.URLs(), append(slices.Clone(s.cfg.Load), load.KeepAlive(true))...)
		if err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	if v.Control {
		c, err := s.setUpControl(ctx)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	if v.Loaders > 0 {
		l, err := s.setUpLoaders(ctx)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, nil
}

// setUpControl deploys the control server and returns the control probe,
// loaded as the outside load is (its rate, timeout and connections).
func (s *Session) setUpControl(ctx context.Context) (scenario.Vantage, error) {
	con := s.cfg.Console
	start := time.Now()
	con.Logf("control probe: deploying a static server on the control-plane node behind NodePort %d (namespace %s)", vantage.ControlNodePort, vantage.Namespace)
	images, err := s.vantageImages()
	if err != nil {
		return nil, err
	}
	if err := vantage.DeployControl(ctx, s.client.Kubernetes, images.Busybox, vantage.ControlURL(), vantageSetUpTimeout); err != nil {
		return nil, fmt.Errorf("the control probe (SELFHEAL_CONTROL_PROBE): %w", err)
	}
	con.Logf("control probe: %s answers (%s)", vantage.ControlURL(), time.Since(start).Round(100*time.Millisecond))
	keepAlive := outsideKeepAlive(s.cfg.Load)
	return vantage.NewControl(vantage.ControlURL(), keepAlive, s.cfg.Load...)
}

// vantageImages are the images of the cluster's mode: the control
// server's busybox and the loader (built here in both modes). A cluster
// of no known mode pulls busybox as online clusters do.
func (s *Session) vantageImages() (fixtures.ImageSet, error) {
	mode := fixtures.ModeOnline
	if fixtures.Mode(s.cfg.ImageMode) == fixtures.ModeOffline {
		mode = fixtures.ModeOffline
	}
	return fixtures.Images(mode)
}

// outsideKeepAlive is the keep-alive of the outside load's options.
func outsideKeepAlive(opts []load.Option) bool {
	g, err := load.New([]string{"http://127.0.0.1/"}, opts...)
	return err == nil && g.Settings().KeepAlive
}

// setUpLoaders checks the loaders' nodes, puts their image into the kind
// nodes and prepares their namespace (removing loaders a killed run left).
func (s *Session) setUpLoaders(ctx context.Context) (scenario.Vantage, error) {
	v := s.cfg.Vantages
	con := s.cfg.Console
	nodes, err := s.loaderNodes(ctx)
	if err != nil {
		return nil, fmt.Errorf("the loaders (SELFHEAL_LOADER_NODES): %w", err)
	}
	images, err := s.vantageImages()
	if err != nil {
		return nil, err
	}
	image := images.Loader
	if s.isKind {
		lctx, cancel := context.WithTimeout(ctx, 2*vantageSetUpTimeout)
		defer cancel()
		if _, err := cluster.LoadBuilt(lctx, s.cfg.Cluster, image, "loader", cluster.WithLog(consoleWriter{con})); err != nil {
			return nil, fmt.Errorf("the loaders' image %s in kind cluster %s: %w", image, s.cfg.Cluster, err)
		}
	}
	gen, err := load.New([]string{"http://127.0.0.1/"}, s.cfg.Load...)
	if err != nil {
		return nil, err
	}
	out := gen.Settings()
	rate := v.LoaderRate
	if rate <= 0 {
		rate = out.Rate
	}
	keepAlive := loader.KeepAliveOff
	switch {
	case v.BothConnections:
		keepAlive = loader.KeepAliveBoth
	case out.KeepAlive:
		keepAlive = loader.KeepAliveOn
	}
	base, err := s.serviceBase(ctx)
	if err != nil {
		return nil, fmt.Errorf("the loaders' target: %w", err)
	}
	outside := s.app.App.Load
	paths := v.LoaderPaths
	if len(paths) == 0 {
		paths = outside.Paths
	}
	spec := vantage.Spec{Count: v.Loaders, Nodes: nodes, Rate: rate, Timeout: time.Duration(out.TimeoutMS * float64(time.Millisecond)),
		KeepAlive: keepAlive, Targets: app.Load{Base: base, Paths: paths}.URLs(), Host: hostOf(outside.Base), Image: image,
		Service: s.app.App.Namespace + "/" + s.app.App.Serving.Service}
	l, err := vantage.NewLoaders(s.client.Kubernetes, vantage.API{Client: s.client}, spec, vantage.WithLog(con.Logf))
	if err != nil {
		return nil, err
	}
	if err := l.Prepare(ctx); err != nil {
		return nil, err
	}
	con.Logf("loaders: %d at %g requests/s each on %s, to %s (from each scenario's start to its end)", v.Loaders, rate, strings.Join(nodes, ", "), base)
	return l, nil
}

// serviceBase is where the loaders enter: the app's Service at its
// ClusterIP, read from the API here, on the Service port whose NodePort
// the outside load enters by (else its first port). Not its DNS name: a
// name is looked up for every new connection, which took a loader pod
// from 4.9-6.9 % to 8.4-9.6 % of a core at 100 requests/s
// (docs/measurement.md, "Vantage points") and would charge the loaders'
// own failed lookups to the app during dns-outage. A headless Service
// has no ClusterIP and is entered by its cluster DNS name, written
// absolute (the trailing dot) so that a lookup does not walk the pod's
// search domains first.
func (s *Session) serviceBase(ctx context.Context) (string, error) {
	a := s.app.App
	svc, err := s.client.Kubernetes.CoreV1().Services(a.Namespace).Get(ctx, a.Serving.Service, metav1.GetOptions{})
	if err != nil {
		return "", fmt.Errorf("reading Service %s/%s: %w", a.Namespace, a.Serving.Service, err)
	}
	if len(svc.Spec.Ports) == 0 {
		return "", fmt.Errorf("Service %s/%s has no port", a.Namespace, a.Serving.Service)
	}
	port := svc.Spec.Ports[0].Port
	if u, err := url.Parse(a.Load.Base); err == nil {
		for _, p := range svc.Spec.Ports {
			if fmt.Sprint(p.NodePort) == u.Port() {
				port = p.Port
			}
		}
	}
	host := svc.Spec.ClusterIP
	if host == "" || host == corev1.ClusterIPNone {
		host = fmt.Sprintf("%s.%s.svc.cluster.local.", a.Serving.Service, a.Namespace)
	}
	return "http://" + net.JoinHostPort(host, strconv.Itoa(int(port))), nil
}

// loaderNodes are the nodes asked for, each checked to exist, or every
// node without the control-plane role.
func (s *Session) loaderNodes(ctx context.Context) ([]string, error) {
	list, err := s.client.Kubernetes.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("listing the nodes: %w", err)
	}
	var names, workers []string
	for _, n := range list.Items {
		names = append(names, n.Name)
		if !kube.ControlPlane(&n) {
			workers = append(workers, n.Name)
		}
	}
	asked := s.cfg.Vantages.LoaderNodes
	if len(asked) == 0 {
		if len(workers) == 0 {
			return nil, fmt.Errorf("no node without the control-plane role among %s: name the nodes", strings.Join(names, ", "))
		}
		return workers, nil
	}
	for _, a := range asked {
		if !slices.Contains(names, a) {
			return nil, fmt.Errorf("no node %q in the cluster (its nodes: %s)", a, strings.Join(names, ", "))
		}
	}
	return asked, nil
}

func hostOf(base string) string {
	u, err := url.Parse(base)
	if err != nil {
		return base
	}
	return u.Host
}

// consoleWriter turns the lines fixtures/cluster prints into console lines.
type consoleWriter struct{ con Console }

func (w consoleWriter) Write(p []byte) (int, error) {
	for _, line := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		if line != "" {
			w.con.Logf("%s", line)
		}
	}
	return len(p), nil
}
