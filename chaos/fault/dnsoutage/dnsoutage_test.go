package dnsoutage

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/utils/ptr"

	"github.com/selfheal/selfheal/chaos/fault"
	"github.com/selfheal/selfheal/chaos/fault/faulttest"
	"github.com/selfheal/selfheal/chaos/kube"
)

// cluster is a fake API server with a CoreDNS Deployment whose scale
// subresource works as the real one does (the fake clientset's tracker
// knows no subresources); a scale change is logged, and the Deployment
// turns Ready at once unless stuck.
type cluster struct {
	cs  *fake.Clientset
	log []string
	// stuck keeps the status at zero available replicas (pods that never
	// pass readiness).
	stuck bool
	// failScale fails the next scale updates; applied says whether each
	// failed one still took effect (a reply lost after the change).
	failScale []bool
	// endpoints keeps the kube-dns Service's EndpointSlice in step with
	// the scale; served keeps two endpoints ready whatever the scale (DNS
	// served by something the fault did not stop).
	endpoints, served bool
}

func newCluster(t *testing.T, replicas int32, objs ...runtime.Object) *cluster {
	t.Helper()
	if replicas >= 0 {
		objs = append(objs, coredns(replicas))
	}
	c := &cluster{cs: fake.NewClientset(objs...)}
	faulttest.Scales(c.cs, "", func(sc *autoscalingv1.Scale) (*autoscalingv1.Scale, error) {
		if len(c.failScale) > 0 {
			applied := c.failScale[0]
			c.failScale = c.failScale[1:]
			if !applied {
				return nil, errors.New("scale refused")
			}
			c.apply(t, sc)
			return nil, errors.New("reply lost after the change")
		}
		c.apply(t, sc)
		return sc, nil
	})
	return c
}

func (c *cluster) apply(t *testing.T, sc *autoscalingv1.Scale) {
	obj, err := c.cs.Tracker().Get(faulttest.Deployments, sc.Namespace, sc.Name)
	if err != nil {
		t.Fatal(err)
	}
	d := obj.(*appsv1.Deployment).DeepCopy()
	d.Spec.Replicas = ptr.To(sc.Spec.Replicas)
	d.Generation++
	d.Status = status(d, c.stuck)
	if err := c.cs.Tracker().Update(faulttest.Deployments, d, d.Namespace); err != nil {
		t.Fatal(err)
	}
	c.log = append(c.log, fmt.Sprintf("scale %d", sc.Spec.Replicas))
	if c.endpoints {
		ready := sc.Spec.Replicas
		if c.served {
			ready = 2
		}
		if err := c.cs.Tracker().Update(slices, dnsEndpoints(ready, 2-min(ready, 2)), Namespace); err != nil {
			t.Fatal(err)
		}
	}
}

var slices = discoveryv1.SchemeGroupVersion.WithResource("endpointslices")

// dnsEndpoints is the kube-dns Service's EndpointSlice: ready endpoints,
// then terminating ones.
func dnsEndpoints(ready, terminating int32) *discoveryv1.EndpointSlice {
	s := &discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Name: "kube-dns-x", Namespace: Namespace, Labels: map[string]string{discoveryv1.LabelServiceName: Service}}}
	for i := range ready + terminating {
		s.Endpoints = append(s.Endpoints, discoveryv1.Endpoint{Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(i < ready), Terminating: ptr.To(i >= ready)}})
	}
	return s
}

func status(d *appsv1.Deployment, stuck bool) appsv1.DeploymentStatus {
	n := *d.Spec.Replicas
	s := appsv1.DeploymentStatus{ObservedGeneration: d.Generation, Replicas: n, UpdatedReplicas: n, ReadyReplicas: n, AvailableReplicas: n}
	if stuck {
		s.ReadyReplicas, s.AvailableReplicas = 0, 0
	}
	return s
}

func coredns(replicas int32) *appsv1.Deployment {
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "coredns", Namespace: Namespace, Generation: 1, Labels: map[string]string{"k8s-app": "kube-dns"}},
		Spec: appsv1.DeploymentSpec{Replicas: ptr.To(replicas)}}
	d.Status = status(d, false)
	return d
}

// marks is the engine's side; the record goes to the cluster's log so
// that its order against the scale shows.
func (c *cluster) marks() *faulttest.Marks {
	return &faulttest.Marks{OnRecord: func(u fault.Undo) { c.log = append(c.log, "record "+u.Params["replicas"]) }}
}

func (c *cluster) fault() *Fault {
	return New(&kube.Client{Kubernetes: c.cs}, WithPoll(10*time.Millisecond), WithReadyTimeout(300*time.Millisecond))
}

func (c *cluster) replicas(t *testing.T) int32 {
	d, err := c.cs.AppsV1().Deployments(Namespace).Get(context.Background(), "coredns", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return *d.Spec.Replicas
}

func TestInjectRecordsBeforeScalingAndRevertPutsTheCountBack(t *testing.T) {
	c := newCluster(t, 2)
	f := c.fault()
	m := c.marks()
	if err := f.Inject(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	// The record comes before the scale: a run killed right after it must
	// leave what it takes to scale back.
	if want := "[record 2 scale 0]"; fmt.Sprint(c.log) != want || len(m.Injections) != 1 || c.replicas(t) != 0 {
		t.Fatalf("log %v injected %v replicas %d; want %s", c.log, m.Injections, c.replicas(t), want)
	}
	u := m.Undos[0]
	if u.Kind != RepairKind || u.Params["namespace"] != Namespace || u.Params["deployment"] != "coredns" {
		t.Errorf("undo %+v", u)
	}
	for range 2 { // idempotent
		if err := f.Revert(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	if fmt.Sprint(c.log) != "[record 2 scale 0 scale 2]" || len(m.Reverts) != 1 || c.replicas(t) != 2 {
		t.Fatalf("log %v reverted %v replicas %d", c.log, m.Reverts, c.replicas(t))
	}
}

// While the fault holds, the kube-dns Service is watched until it has no
// ready endpoint (held); a Service still served when the revert comes is
// evidence that did not hold.
func TestProvesTheDNSServiceLostItsEndpoints(t *testing.T) {
	for _, tt := range []struct {
		name     string
		served   bool
		held     bool
		observed string
	}{
		{"no endpoint left", false, true, "0 ready endpoint(s), 2 not ready or terminating"},
		{"still served", true, false, "last read: 2 ready endpoint(s), 0 not ready or terminating"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := newCluster(t, 2, dnsEndpoints(2, 0))
			c.endpoints, c.served = true, tt.served
			f := c.fault()
			m := c.marks()
			if err := f.Inject(context.Background(), m); err != nil {
				t.Fatal(err)
			}
			time.Sleep(100 * time.Millisecond) // the watch looks several times
			if err := f.Revert(context.Background(), m); err != nil {
				t.Fatal(err)
			}
			if len(m.Evidence) != 1 {
				t.Fatalf("evidence %+v, want one piece", m.Evidence)
			}
			if e := m.Evidence[0]; e.Held != tt.held || !strings.Contains(e.Observed, tt.observed) || e.Check != "the EndpointSlices of Service kube-system/kube-dns, read from the API" {
				t.Errorf("evidence %+v, want held %v saying %q", e, tt.held, tt.observed)
			}
		})
	}
}

func TestRevertAfterAPartialOrNoInject(t *testing.T) {
	tests := []struct {
		name string
		// failScale: the inject's scale call fails, having taken effect
		// (true) or not (false); nil: Inject never runs.
		failScale    []bool
		inject       bool
		wantLog      string
		wantReverted int
	}{
		{"no inject", nil, false, "[]", 0},
		{"scale refused", []bool{false}, true, "[record 2]", 0},
		{"scale applied, reply lost", []bool{true}, true, "[record 2 scale 0 scale 2]", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCluster(t, 2)
			c.failScale = tt.failScale
			f := c.fault()
			m := c.marks()
			if tt.inject {
				if err := f.Inject(context.Background(), m); err == nil || len(m.Injections) != 0 {
					t.Fatalf("inject: err %v injected %v; want the failed scale reported and no injection", err, m.Injections)
				}
			}
			if err := f.Revert(context.Background(), m); err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(c.log) != tt.wantLog || len(m.Reverts) != tt.wantReverted || c.replicas(t) != 2 {
				t.Fatalf("log %v reverted %v replicas %d; want %s, %d reverts, 2 replicas", c.log, m.Reverts, c.replicas(t), tt.wantLog, tt.wantReverted)
			}
		})
	}
}

func TestRefusedEarly(t *testing.T) {
	other := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "coredns-2", Namespace: Namespace, Labels: map[string]string{"k8s-app": "kube-dns"}}, Spec: appsv1.DeploymentSpec{Replicas: ptr.To(int32(1))}}
	elsewhere := coredns(2)
	elsewhere.Namespace = "dns"
	tests := []struct {
		name     string
		replicas int32 // -1: no CoreDNS in kube-system
		objs     []runtime.Object
		breakErr error
		want     string
	}{
		{"no CoreDNS", -1, []runtime.Object{elsewhere}, nil, "no CoreDNS deployment found"},
		{"two of them", 2, []runtime.Object{other}, nil, "2 Deployments labelled k8s-app=kube-dns"},
		{"already at zero", 0, nil, nil, "already scaled to zero"},
		{"record unwritable", 2, nil, errors.New("record unwritable"), "record unwritable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCluster(t, tt.replicas, tt.objs...)
			m := c.marks()
			m.BreakErr = tt.breakErr
			err := c.fault().Inject(context.Background(), m)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err %v, want %q", err, tt.want)
			}
			if len(c.log) > 0 || len(m.Injections) > 0 {
				t.Fatalf("log %v injected %v: nothing may be scaled", c.log, m.Injections)
			}
		})
	}
}

func TestRevertSaysWhenCoreDNSIsNotReadyAndTriesAgain(t *testing.T) {
	c := newCluster(t, 2)
	f := c.fault()
	m := c.marks()
	if err := f.Inject(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	c.stuck = true
	err := f.Revert(context.Background(), m)
	if err == nil || !strings.Contains(err.Error(), "not Ready") || !strings.Contains(err.Error(), "0 of 2 replicas available") {
		t.Fatalf("err %v; want CoreDNS named not Ready with its count", err)
	}
	// Still the fault's to revert: a second Revert waits again.
	c.stuck = false
	d := coredns(2)
	d.Generation = 3
	d.Status = status(d, false)
	if err := c.cs.Tracker().Update(faulttest.Deployments, d, Namespace); err != nil {
		t.Fatal(err)
	}
	if err := f.Revert(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(c.log) != "[record 2 scale 0 scale 2]" || len(m.Reverts) != 1 {
		t.Fatalf("log %v reverted %v: the count is put back once", c.log, m.Reverts)
	}
}

func TestRepairFromTheUndoAlone(t *testing.T) {
	u := fault.Undo{Kind: RepairKind, Params: map[string]string{"namespace": Namespace, "deployment": "coredns", "replicas": "2"}}
	c := newCluster(t, 0)
	r := newRepairer(&kube.Client{Kubernetes: c.cs}, time.Second, 10*time.Millisecond)
	did, err := r.Repair(context.Background(), u)
	if err != nil || !strings.Contains(did, "scaled from 0 back to 2 replicas") || !strings.Contains(did, "Ready after") || c.replicas(t) != 2 {
		t.Fatalf("did %q err %v replicas %d", did, err, c.replicas(t))
	}
	did, err = r.Repair(context.Background(), u) // nothing left
	if err != nil || did != "" || fmt.Sprint(c.log) != "[scale 2]" {
		t.Fatalf("second repair: did %q err %v log %v", did, err, c.log)
	}
	for _, p := range []map[string]string{{"namespace": Namespace, "deployment": "coredns"}, {"namespace": Namespace, "deployment": "coredns", "replicas": "0"}, {"replicas": "2"}} {
		if _, err := r.Repair(context.Background(), fault.Undo{Kind: RepairKind, Params: p}); err == nil {
			t.Errorf("params %v: repaired from a record that does not say what to restore", p)
		}
	}
}

// TestRepairLeavesWhatIsNotTheFaults: a CoreDNS that no longer exists, or
// whose count someone changed since the fault left it at zero, is nothing
// to repair (the record's entry goes, chaos/guard), and the count someone
// set stays; the revert leaves it alone the same way.
func TestRepairLeavesWhatIsNotTheFaults(t *testing.T) {
	u := fault.Undo{Kind: RepairKind, Params: map[string]string{"namespace": Namespace, "deployment": "coredns", "replicas": "2"}}
	tests := []struct {
		name     string
		replicas int32 // what the cluster has; -1: no CoreDNS
		want     string
	}{
		{"gone", -1, "CoreDNS deployment kube-system/coredns no longer exists"},
		{"changed by someone", 1, "replica count is 1, not the 0 the fault left"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCluster(t, tt.replicas)
			did, err := newRepairer(&kube.Client{Kubernetes: c.cs}, time.Minute, 10*time.Millisecond).Repair(context.Background(), u)
			if !errors.Is(err, fault.ErrNothingToRepair) || !strings.Contains(err.Error(), tt.want) || did != "" || len(c.log) > 0 {
				t.Fatalf("did %q err %v log %v; want nothing to repair: %s", did, err, c.log, tt.want)
			}
		})
	}
	t.Run("revert", func(t *testing.T) {
		c := newCluster(t, 2)
		f, m := c.fault(), c.marks()
		if err := f.Inject(context.Background(), m); err != nil {
			t.Fatal(err)
		}
		c.cs.AppsV1().Deployments(Namespace).Delete(context.Background(), "coredns", metav1.DeleteOptions{})
		if err := f.Revert(context.Background(), m); err != nil || len(m.Reverts) > 0 {
			t.Fatalf("revert of a CoreDNS that is gone: err %v reverted %q", err, m.Reverts)
		}
	})
}

func TestRepairSaysWhenCoreDNSIsNotReady(t *testing.T) {
	c := newCluster(t, 0)
	c.stuck = true
	r := newRepairer(&kube.Client{Kubernetes: c.cs}, 200*time.Millisecond, 10*time.Millisecond)
	did, err := r.Repair(context.Background(), fault.Undo{Kind: RepairKind, Params: map[string]string{"namespace": Namespace, "deployment": "coredns", "replicas": "2"}})
	if err == nil || !strings.Contains(err.Error(), "0 of 2 replicas available") || !strings.Contains(did, "back to 2") {
		t.Fatalf("did %q err %v; want the scale said and the wait's failure", did, err)
	}
}
