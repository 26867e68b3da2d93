package app

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/e2e-framework/klient/k8s"
)

// Shape is the app as it runs: the description with its workloads
// resolved from the objects it deploys (or, for an app deployed already,
// from the cluster). The scenarios read their targets, words and bounds
// from it.
type Shape struct {
	App     App
	Serving Resolved
	// Database is nil when the app has none.
	Database *Resolved
}

// Resolved is one workload as its object has it.
type Resolved struct {
	Kind Kind
	Name string
	// Pods selects the workload's pods (its spec.selector).
	Pods string
	// Replicas is the number of pods asked for; 0 for a DaemonSet, whose
	// pods follow the nodes (PerNode).
	Replicas int32
	PerNode  bool
	Template corev1.PodTemplateSpec
	// Container is the container that matters (Workload.Container, or the
	// only one).
	Container corev1.Container
	// MaxSurge and MaxUnavailable are the rolling update's, as the
	// controller reads them; a StatefulSet rolls one pod at a time,
	// deleting it before its replacement starts: "0" and "1".
	MaxSurge, MaxUnavailable string
}

// Resolve finds the description's workloads among objs, the objects it
// deploys (App.Objects).
func Resolve(a App, objs []k8s.Object) (Shape, error) {
	all := func(Workload) ([]k8s.Object, error) { return objs, nil }
	return resolve(a, "among the objects the app deploys", all)
}

// ResolveLive finds the description's workloads in the cluster: for an
// app deployed already (Deploy.Existing), or to check what runs.
func ResolveLive(ctx context.Context, a App, c kubernetes.Interface) (Shape, error) {
	find := func(w Workload) ([]k8s.Object, error) {
		apps := c.AppsV1()
		var out []k8s.Object
		switch w.Kind {
		case Deployment:
			l, err := apps.Deployments(a.Namespace).List(ctx, metav1.ListOptions{})
			if err != nil {
				return nil, err
			}
			for i := range l.Items {
				out = append(out, &l.Items[i])
			}
		case StatefulSet:
			l, err := apps.StatefulSets(a.Namespace).List(ctx, metav1.ListOptions{})
			if err != nil {
				return nil, err
			}
			for i := range l.Items {
				out = append(out, &l.Items[i])
			}
		case DaemonSet:
			l, err := apps.DaemonSets(a.Namespace).List(ctx, metav1.ListOptions{})
			if err != nil {
				return nil, err
			}
			for i := range l.Items {
				out = append(out, &l.Items[i])
			}
		}
		return out, nil
	}
	return resolve(a, "in namespace "+a.Namespace, find)
}

func kindOf(o k8s.Object) Kind {
	switch o.(type) {
	case *appsv1.Deployment:
		return Deployment
	case *appsv1.StatefulSet:
		return StatefulSet
	case *appsv1.DaemonSet:
		return DaemonSet
	}
	return ""
}

func resolve(a App, where string, find func(Workload) ([]k8s.Object, error)) (Shape, error) {
	s := Shape{App: a}
	var err error
	if s.Serving, err = resolveOne(a.Serving.Workload, field.NewPath("serving"), where, find); err != nil {
		return s, err
	}
	if a.Database != nil {
		db, err := resolveOne(a.Database.Workload, field.NewPath("database"), where, find)
		if err != nil {
			return s, err
		}
		s.Database = &db
	}
	return s, nil
}

func resolveOne(w Workload, p *field.Path, where string, find func(Workload) ([]k8s.Object, error)) (Resolved, error) {
	all, err := find(w)
	if err != nil {
		return Resolved{}, fmt.Errorf("%s: listing %ss %s: %w", p, w.Kind, where, err)
	}
	var match []k8s.Object
	sel, _ := labels.Parse(w.Selector) // checked by Validate
	for _, o := range all {
		if kindOf(o) != w.Kind {
			continue
		}
		if w.Name != "" && o.GetName() == w.Name || w.Name == "" && sel.Matches(labels.Set(o.GetLabels())) {
			match = append(match, o)
		}
	}
	switch {
	case len(match) == 0 && w.Name != "":
		return Resolved{}, fmt.Errorf("%s: no %s %s %s", p.Child("name"), w.Kind, w.Name, where)
	case len(match) == 0:
		return Resolved{}, fmt.Errorf("%s: no %s with labels %s %s", p.Child("selector"), w.Kind, w.Selector, where)
	case len(match) > 1:
		var names []string
		for _, o := range match {
			names = append(names, o.GetName())
		}
		return Resolved{}, fmt.Errorf("%s: %d %ss match %s (%s): name one", p.Child("selector"), len(match), w.Kind, where, strings.Join(names, ", "))
	}
	r, err := resolved(match[0])
	if err != nil {
		return r, fmt.Errorf("%s: %w", p, err)
	}
	if r.Container, err = container(r.Template.Spec, w.Container); err != nil {
		return r, fmt.Errorf("%s: %w", p.Child("container"), err)
	}
	return r, nil
}

func resolved(o k8s.Object) (Resolved, error) {
	r := Resolved{Kind: kindOf(o), Name: o.GetName()}
	var sel *metav1.LabelSelector
	switch w := o.(type) {
	case *appsv1.Deployment:
		sel, r.Template, r.Replicas = w.Spec.Selector, w.Spec.Template, replicas(w.Spec.Replicas)
		r.MaxSurge, r.MaxUnavailable = "25%", "25%" // the API's defaults
		if ru := w.Spec.Strategy.RollingUpdate; ru != nil {
			r.MaxSurge, r.MaxUnavailable = orDefault(ru.MaxSurge, r.MaxSurge), orDefault(ru.MaxUnavailable, r.MaxUnavailable)
		}
	case *appsv1.StatefulSet:
		sel, r.Template, r.Replicas = w.Spec.Selector, w.Spec.Template, replicas(w.Spec.Replicas)
		r.MaxSurge, r.MaxUnavailable = "0", "1"
	case *appsv1.DaemonSet:
		sel, r.Template, r.PerNode = w.Spec.Selector, w.Spec.Template, true
		r.MaxSurge, r.MaxUnavailable = "0", "1"
		if ru := w.Spec.UpdateStrategy.RollingUpdate; ru != nil {
			r.MaxSurge, r.MaxUnavailable = orDefault(ru.MaxSurge, r.MaxSurge), orDefault(ru.MaxUnavailable, r.MaxUnavailable)
		}
	}
	if sel == nil {
		return r, fmt.Errorf("%s %s has no selector", r.Kind, r.Name)
	}
	ls, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil || ls.Empty() {
		return r, fmt.Errorf("%s %s: selector %v selects nothing usable: %v", r.Kind, r.Name, sel, err)
	}
	r.Pods = ls.String()
	return r, nil
}

func replicas(n *int32) int32 {
	if n == nil {
		return 1
	}
	return *n
}

func orDefault(v *intstr.IntOrString, def string) string {
	if v == nil {
		return def
	}
	return v.String()
}

// container is the container named name, or the only one when name is
// empty.
func container(spec corev1.PodSpec, name string) (corev1.Container, error) {
	var names []string
	for _, c := range spec.Containers {
		if c.Name == name {
			return c, nil
		}
		names = append(names, c.Name)
	}
	switch {
	case name == "" && len(spec.Containers) == 1:
		return spec.Containers[0], nil
	case name == "":
		return corev1.Container{}, fmt.Errorf("the pods have %d containers (%s): name one", len(names), strings.Join(names, ", "))
	}
	return corev1.Container{}, fmt.Errorf("the pods have no container %q (they have %s)", name, strings.Join(names, ", "))
}

// Liveness and Readiness are the container's probes, nil when it has
// none.
func (r Resolved) Liveness() *corev1.Probe  { return r.Container.LivenessProbe }
func (r Resolved) Readiness() *corev1.Probe { return r.Container.ReadinessProbe }

// PreStopSleep is how long the container's preStop hook keeps it serving
// once it is terminating: a sleep action, or an exec of `sleep N`; 0 for
// no hook (or one that is not a sleep).
func (r Resolved) PreStopSleep() time.Duration {
	l := r.Container.Lifecycle
	if l == nil || l.PreStop == nil {
		return 0
	}
	if s := l.PreStop.Sleep; s != nil {
		return time.Duration(s.Seconds) * time.Second
	}
	if e := l.PreStop.Exec; e != nil && len(e.Command) == 2 && e.Command[0] == "sleep" {
		if n, err := strconv.Atoi(e.Command[1]); err == nil {
			return time.Duration(n) * time.Second
		}
	}
	return 0
}

// Grace is what the kubelet waits after SIGTERM before SIGKILL when a
// liveness probe restarts the container (the probe's own grace period
// wins over the pod's; 30 s when neither says).
func (r Resolved) Grace() time.Duration {
	g := 30 * time.Second
	if t := r.Template.Spec.TerminationGracePeriodSeconds; t != nil {
		g = time.Duration(*t) * time.Second
	}
	if l := r.Liveness(); l != nil && l.TerminationGracePeriodSeconds != nil {
		g = time.Duration(*l.TerminationGracePeriodSeconds) * time.Second
	}
	return g
}

// Pod0 is the database pod a StatefulSet always has, "" for another
// kind (its pods have no name before they run).
func (r Resolved) Pod0() string {
	if r.Kind != StatefulSet {
		return ""
	}
	return r.Name + "-0"
}

// Describe is the summary of the app for results (App.Summary, or the
// serving workload and the database in a line).
func (s Shape) Describe() string {
	if s.App.Summary != "" {
		return s.App.Summary
	}
	var b strings.Builder
	w := s.Serving
	switch {
	case w.PerNode:
		fmt.Fprintf(&b, "%s DaemonSet %s (maxSurge %s, maxUnavailable %s)", s.App.Name, w.Name, w.MaxSurge, w.MaxUnavailable)
	default:
		fmt.Fprintf(&b, "%s %s %s x%d (maxSurge %s, maxUnavailable %s)", s.App.Name, w.Kind, w.Name, w.Replicas, w.MaxSurge, w.MaxUnavailable)
	}
	fmt.Fprintf(&b, ", liveness %s, readiness %s", ProbeWords(w.Liveness()), ProbeWords(w.Readiness()))
	if d := w.PreStopSleep(); d > 0 {
		fmt.Fprintf(&b, ", preStop sleep %s", d)
	}
	if db := s.Database; db != nil {
		fmt.Fprintf(&b, "; %s %s %s x%d, liveness %s", s.App.Database.Title, db.Kind, db.Name, db.Replicas, ProbeWords(db.Liveness()))
	}
	return b.String()
}

// ProbeWords says what a probe checks, in a few words.
func ProbeWords(p *corev1.Probe) string {
	switch {
	case p == nil:
		return "none"
	case p.HTTPGet != nil:
		return "httpGet " + p.HTTPGet.Path
	case p.TCPSocket != nil:
		return "tcpSocket :" + p.TCPSocket.Port.String()
	case p.GRPC != nil:
		return "grpc"
	case p.Exec != nil:
		return "exec " + strings.Join(p.Exec.Command, " ")
	}
	return "unknown"
}
