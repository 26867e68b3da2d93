package scale

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/utils/ptr"

	"github.com/selfheal/selfheal/chaos/fault"
	"github.com/selfheal/selfheal/chaos/fault/faulttest"
	"github.com/selfheal/selfheal/chaos/kube"
)

// cluster is a fake API server with a Deployment controller and an
// endpoints controller reduced to what the fault sees: a scale update
// changes the replica count at once (and marks the pods it removes
// terminating), the status and the Service's endpoints follow after `lag`
// (the pods starting, or terminating through their preStop sleep), and
// the pods themselves only after twice that, as a StatefulSet removes
// them one after the other. Everything that changes goes to the log.
type cluster struct {
	cs  *fake.Clientset
	lag time.Duration // < 0: the pods never settle
	// undone: every scale update is answered and then undone at once,
	// as an autoscaler holding the count would.
	undone bool

	faulttest.Log
}

var slices = discoveryv1.SchemeGroupVersion.WithResource("endpointslices")
var pods = corev1.SchemeGroupVersion.WithResource("pods")

func newCluster(t *testing.T, replicas int32, lag time.Duration) *cluster {
	t.Helper()
	c := &cluster{cs: fake.NewClientset(&appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "wp", Namespace: "ns", Generation: 1},
		Spec:       appsv1.DeploymentSpec{Replicas: ptr.To(replicas)},
	}), lag: lag}
	// Another workload's pod, which the fault must not count.
	for _, o := range []runtime.Object{endpoints(replicas, 0), pod("db-0", "db")} {
		if err := c.cs.Tracker().Add(o); err != nil {
			t.Fatal(err)
		}
	}
	c.settle(replicas, false)
	c.settlePods(replicas, false)
	faulttest.Scales(c.cs, "app=wp", func(s *autoscalingv1.Scale) (*autoscalingv1.Scale, error) {
		d, err := c.deployment(s.Name)
		if err != nil {
			return nil, err
		}
		if c.undone {
			c.Add(fmt.Sprintf("scale %d undone", s.Spec.Replicas))
			return s, nil
		}
		was, n := *d.Spec.Replicas, s.Spec.Replicas
		d.Spec.Replicas, d.Generation = ptr.To(n), d.Generation+1
		if err := c.cs.Tracker().Update(faulttest.Deployments, d, "ns"); err != nil {
			return nil, err
		}
		// Scaled in, the removed pods and their endpoints turn terminating
		// at once.
		if n < was {
			if err := c.cs.Tracker().Update(slices, endpoints(n, was-n), "ns"); err != nil {
				return nil, err
			}
			for i := n; i < was; i++ {
				if obj, err := c.cs.Tracker().Get(pods, "ns", fmt.Sprintf("wp-%d", i)); err == nil {
					p := obj.(*corev1.Pod).DeepCopy()
					p.DeletionTimestamp = ptr.To(metav1.Now())
					c.cs.Tracker().Update(pods, p, "ns")
				}
			}
		}
		c.Add(fmt.Sprintf("scale %d", n))
		if c.lag >= 0 {
			time.AfterFunc(c.lag, func() { c.settle(n, true) })
			time.AfterFunc(2*c.lag, func() { c.settlePods(n, true) })
		}
		return s, nil
	})
	return c
}

func (c *cluster) deployment(name string) (*appsv1.Deployment, error) {
	obj, err := c.cs.Tracker().Get(faulttest.Deployments, "ns", name)
	if err != nil {
		return nil, err
	}
	return obj.(*appsv1.Deployment).DeepCopy(), nil
}

// settle is the controllers catching up: n pods Ready and in the
// endpoints, no other.
func (c *cluster) settle(n int32, log bool) {
	d, err := c.deployment("wp")
	if err != nil || *d.Spec.Replicas != n {
		return // scaled again meanwhile
	}
	d.Status = appsv1.DeploymentStatus{ObservedGeneration: d.Generation, Replicas: n, UpdatedReplicas: n, ReadyReplicas: n, AvailableReplicas: n}
	c.cs.Tracker().Update(faulttest.Deployments, d, "ns")
	c.cs.Tracker().Update(slices, endpoints(n, 0), "ns")
	if log {
		c.Add(fmt.Sprintf("serving %d", n))
	}
}

// settlePods leaves exactly n pods of the workload, none terminating.
func (c *cluster) settlePods(n int32, log bool) {
	if d, err := c.deployment("wp"); err != nil || *d.Spec.Replicas != n {
		return
	}
	for i := range int32(10) {
		name := fmt.Sprintf("wp-%d", i)
		c.cs.Tracker().Delete(pods, "ns", name)
		if i < n {
			c.cs.Tracker().Add(pod(name, "wp"))
		}
	}
	if log {
		c.Add(fmt.Sprintf("pods %d", n))
	}
}

func pod(name, app string) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", Labels: map[string]string{"app": app}}}
}

func endpoints(ready, terminating int32) *discoveryv1.EndpointSlice {
	s := &discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Name: "wp-1", Namespace: "ns", Labels: map[string]string{discoveryv1.LabelServiceName: "wp"}}}
	for i := range ready + terminating {
		s.Endpoints = append(s.Endpoints, discoveryv1.Endpoint{NodeName: ptr.To("w1"),
			Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(i < ready), Terminating: ptr.To(i >= ready)}})
	}
	return s
}

func (c *cluster) replicas(t *testing.T) int32 {
	t.Helper()
	d, err := c.deployment("wp")
	if err != nil {
		t.Fatal(err)
	}
	return *d.Spec.Replicas
}

func (c *cluster) fault(opts ...Option) *Fault {
	return New(&kube.Client{Kubernetes: c.cs}, "ns", "wp", "wp", append([]Option{WithSettle(0), WithTimeout(5 * time.Second)}, opts...)...)
}

// marks is the engine's side; the record goes to the cluster's log so
// that its order against the cluster's changes shows.
func (c *cluster) marks() *faulttest.Marks {
	return &faulttest.Marks{OnRecord: func(u fault.Undo) { c.Add("record " + u.Params["replicas"]) }}
}

func TestScalesOutWaitsForTheNewPodsAndScalesBackIn(t *testing.T) {
	c := newCluster(t, 2, 400*time.Millisecond) // the fault polls every 500 ms
	f, m := c.fault(), c.marks()
	if err := f.Inject(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	// The record before any change; the scale-in only once the four pods
	// serve; the fault returns once the removed ones are gone, not merely
	// out of the endpoints.
	if got, want := c.String(), "record 2, scale 4, serving 4, pods 4, scale 2, serving 2, pods 2"; got != want {
		t.Errorf("events %q, want %q", got, want)
	}
	if want := []string{"scale out: deployment wp 2 → 4 replicas", "scale in: deployment wp 4 → 2 replicas"}; fmt.Sprint(m.Injections) != fmt.Sprint(want) {
		t.Errorf("injections %q, want %q", m.Injections, want)
	}
	if u := m.Undos; len(u) != 1 || u[0].Kind != RepairKind || u[0].Params["kind"] != kube.KindDeployment || u[0].Params["name"] != "wp" {
		t.Errorf("undos %+v", u)
	}
	// Back at its own count, the workload is at its desired state: the
	// steady-state check reads the count from the workload.
	for range 2 {
		if err := f.Revert(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	if len(m.Reverts) != 0 || strings.Count(c.String(), "scale") != 2 {
		t.Errorf("revert after a full inject changed something: reverted %q, events %q", m.Reverts, c.String())
	}
	if ok, why, err := (&kube.Client{Kubernetes: c.cs}).WorkloadSteady("ns", kube.KindDeployment, "wp", "wp")(context.Background()); !ok || err != nil {
		t.Errorf("not steady at the original count: %s %v", why, err)
	}
}

// Each step is read back: the scale subresource reads the new count and
// the pods follow (held); a count answered but undone at once is evidence
// that did not hold, and the fault stops there.
func TestProvesTheCountAndThePods(t *testing.T) {
	c := newCluster(t, 2, 100*time.Millisecond)
	m := c.marks()
	if err := c.fault().Inject(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	want := []string{"reads 4 replicas; 4 pods (want 4), 0 terminating, every one Ready and in the endpoints of Service wp", "reads 2 replicas; 2 pods (want 2), 0 terminating"}
	if len(m.Evidence) != 2 {
		t.Fatalf("evidence %+v, want one piece per step", m.Evidence)
	}
	for i, e := range m.Evidence {
		if !e.Held || !strings.Contains(e.Observed, want[i]) || !strings.Contains(e.Check, "the scale subresource of deployment ns/wp") {
			t.Errorf("evidence %d: %+v, want it held, saying %q", i, e, want[i])
		}
	}

	c = newCluster(t, 2, 100*time.Millisecond)
	c.undone = true
	m = c.marks()
	err := c.fault().Inject(context.Background(), m)
	if err == nil || !strings.Contains(err.Error(), "did not take") || len(m.Evidence) != 1 || m.Evidence[0].Held ||
		!strings.Contains(m.Evidence[0].Observed, "reads 2 replicas right after it was set to 4") {
		t.Fatalf("err %v evidence %+v; want evidence that did not hold and the fault stopped", err, m.Evidence)
	}
}

func TestRevertAfterAPartialInject(t *testing.T) {
	// The new pods never get Ready: the fault gives up scaled out, and
	// the revert scales back, once.
	c := newCluster(t, 2, -1)
	f, m := c.fault(WithTimeout(300*time.Millisecond)), c.marks()
	if err := f.Inject(context.Background(), m); err == nil || !strings.Contains(err.Error(), "scale out to 4 replicas") {
		t.Fatalf("err = %v", err)
	}
	if c.replicas(t) != 4 {
		t.Fatalf("replicas %d", c.replicas(t))
	}
	for range 2 {
		if err := f.Revert(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	if c.replicas(t) != 2 || fmt.Sprint(m.Reverts) != "[deployment ns/wp scaled back from 4 to 2 replicas]" {
		t.Errorf("replicas %d, reverted %q", c.replicas(t), m.Reverts)
	}
}

func TestRevertWithoutInjectChangesNothing(t *testing.T) {
	c := newCluster(t, 2, 0)
	m := c.marks()
	if err := c.fault().Revert(context.Background(), m); err != nil || c.String() != "" || len(m.Reverts) > 0 {
		t.Fatalf("err %v events %q reverted %q", err, c.String(), m.Reverts)
	}
}

func TestNothingScaledWithoutARecord(t *testing.T) {
	c := newCluster(t, 2, 0)
	f := c.fault()
	err := f.Inject(context.Background(), &faulttest.Marks{BreakErr: errors.New("record unwritable")})
	if err == nil || c.String() != "" || c.replicas(t) != 2 {
		t.Fatalf("err %v events %q: a fault that cannot be recorded must not be injected", err, c.String())
	}
	if err := f.Revert(context.Background(), c.marks()); err != nil || c.String() != "" {
		t.Fatalf("revert of an unrecorded fault: err %v events %q", err, c.String())
	}
}

func TestRefusesWhatItCannotScale(t *testing.T) {
	tests := []struct {
		name     string
		kind     string
		replicas int32
		want     string
	}{
		{"daemonset", kube.KindDaemonSet, 2, "DaemonSet has no replica count"},
		{"unknown kind", "CronJob", 2, `cannot scale a "CronJob"`},
		{"no replica", kube.KindDeployment, 0, "has 0 replicas"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCluster(t, tt.replicas, 0)
			m := c.marks()
			err := c.fault(WithKind(tt.kind)).Inject(context.Background(), m)
			if err == nil || !strings.Contains(err.Error(), tt.want) || len(m.Undos) > 0 || c.String() != "" {
				t.Fatalf("err %v, undos %v, events %q; want %q before any record or change", err, m.Undos, c.String(), tt.want)
			}
		})
	}
}

func TestRepairFromTheUndoAlone(t *testing.T) {
	// A run died scaled out. The controllers never catch up (lag < 0): the
	// repairer only sets the count, and a settling that lands between the
	// two repairs would show in the events the second one must leave alone.
	c := newCluster(t, 4, -1)
	r := NewRepairer(&kube.Client{Kubernetes: c.cs}, 5*time.Second)
	u := fault.Undo{Kind: RepairKind, Params: map[string]string{"namespace": "ns", "kind": kube.KindDeployment, "name": "wp", "replicas": "2"}}
	did, err := r.Repair(context.Background(), u)
	if err != nil || did != "deployment ns/wp scaled back from 4 to 2 replicas" || c.replicas(t) != 2 {
		t.Fatalf("did %q err %v replicas %d", did, err, c.replicas(t))
	}
	if did, err := r.Repair(context.Background(), u); err != nil || did != "" || c.String() != "scale 2" {
		t.Fatalf("already repaired: did %q err %v events %q", did, err, c.String())
	}
	for _, bad := range []map[string]string{
		{"namespace": "ns", "kind": kube.KindDeployment, "name": "wp"},
		{"namespace": "ns", "kind": kube.KindDeployment, "name": "wp", "replicas": "0"},
		{"namespace": "ns", "kind": kube.KindDaemonSet, "name": "wp", "replicas": "2"},
	} {
		if _, err := r.Repair(context.Background(), fault.Undo{Kind: RepairKind, Params: bad}); err == nil {
			t.Errorf("repaired from %v", bad)
		}
	}
}

// TestRepairLeavesWhatIsNotTheFaults: a workload that no longer exists, or
// whose count someone changed since, is nothing to repair (the record's
// entry goes, chaos/guard); the count someone else set stays.
func TestRepairLeavesWhatIsNotTheFaults(t *testing.T) {
	u := fault.Undo{Kind: RepairKind, Params: map[string]string{"namespace": "ns", "kind": kube.KindDeployment, "name": "wp", "replicas": "2"}}
	tests := []struct {
		name     string
		replicas int32 // what the cluster has; 0: the Deployment is gone
		want     string
	}{
		{"gone", 0, "deployment ns/wp no longer exists"},
		{"changed by someone", 3, "deployment ns/wp's replica count is 3, not the 4 the fault left"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCluster(t, max(tt.replicas, 1), -1)
			if tt.replicas == 0 {
				if err := c.cs.Tracker().Delete(faulttest.Deployments, "ns", "wp"); err != nil {
					t.Fatal(err)
				}
			}
			did, err := NewRepairer(&kube.Client{Kubernetes: c.cs}, time.Minute).Repair(context.Background(), u)
			if !errors.Is(err, fault.ErrNothingToRepair) || !strings.Contains(err.Error(), tt.want) || did != "" {
				t.Fatalf("did %q err %v; want nothing to repair: %s", did, err, tt.want)
			}
			if c.String() != "" {
				t.Errorf("the repair changed the cluster: %q", c.String())
			}
		})
	}
}
