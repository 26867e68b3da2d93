package timeline

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/utils/ptr"

	"github.com/selfheal/selfheal/chaos/result"
)

const ns = "app"

func pod(name, node string, ready bool, restarts int32) *corev1.Pod {
	status := corev1.ConditionFalse
	if ready {
		status = corev1.ConditionTrue
	}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec:       corev1.PodSpec{NodeName: node},
		Status: corev1.PodStatus{
			Phase:      corev1.PodRunning,
			Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: status}},
			ContainerStatuses: []corev1.ContainerStatus{{
				Name: "wordpress", Ready: ready, RestartCount: restarts,
				LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{Reason: "Error", ExitCode: 137}},
			}},
		},
	}
}

func node(name string, ready corev1.ConditionStatus) *corev1.Node {
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Status:     corev1.NodeStatus{Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: ready, Reason: "KubeletReady"}}},
	}
}

// waitFor polls the recorder until an event matching want appears.
func waitFor(t *testing.T, r *Recorder, want string) result.Event {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		for _, e := range r.Between(time.Time{}, time.Time{}) {
			if strings.Contains(line(e), want) {
				return e
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no event %q; have:\n%s", want, dump(r))
	return result.Event{}
}

func line(e result.Event) string {
	return fmt.Sprintf("%s %s %s %s", e.Kind, e.Object, e.Reason, e.Message)
}

func dump(r *Recorder) string {
	var b strings.Builder
	for _, e := range r.Between(time.Time{}, time.Time{}) {
		b.WriteString(line(e) + "\n")
	}
	return b.String()
}

func TestRecorderSeesChanges(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	existing := pod("wp-1", "worker", true, 0)
	cs := fake.NewClientset(existing, node("worker", corev1.ConditionTrue))
	r, err := Start(ctx, cs, ns)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Stop()
	if got := r.Between(time.Time{}, time.Time{}); len(got) != 0 {
		t.Fatalf("the initial state is the baseline, not events; got %v", got)
	}

	pods := cs.CoreV1().Pods(ns)
	steps := []struct {
		name string
		do   func() error
		want string
	}{
		{"not ready", func() error {
			_, err := pods.UpdateStatus(ctx, pod("wp-1", "worker", false, 0), metav1.UpdateOptions{})
			return err
		},
			"pod wp-1 NotReady 0/1 containers ready on worker"},
		{"restart", func() error {
			_, err := pods.UpdateStatus(ctx, pod("wp-1", "worker", false, 1), metav1.UpdateOptions{})
			return err
		},
			"container wp-1/wordpress Restarted restart #1; last run ended Error, exit code 137"},
		{"ready", func() error {
			_, err := pods.UpdateStatus(ctx, pod("wp-1", "worker", true, 1), metav1.UpdateOptions{})
			return err
		},
			"pod wp-1 Ready 1/1"},
		{"new pod", func() error {
			_, err := pods.Create(ctx, pod("wp-2", "worker2", false, 0), metav1.CreateOptions{})
			return err
		},
			"pod wp-2 Created on worker2"},
		{"pod deleted", func() error { return pods.Delete(ctx, "wp-2", metav1.DeleteOptions{}) },
			"pod wp-2 Deleted"},
		{"node lost", func() error {
			n := node("worker", corev1.ConditionUnknown)
			n.Spec.Taints = []corev1.Taint{{Key: "node.kubernetes.io/unreachable", Effect: corev1.TaintEffectNoExecute}}
			_, err := cs.CoreV1().Nodes().Update(ctx, n, metav1.UpdateOptions{})
			return err
		}, "node worker Unknown"},
		{"node tainted", func() error { return nil }, "node worker Tainted node.kubernetes.io/unreachable:NoExecute"},
		{"endpoints", func() error {
			_, err := cs.DiscoveryV1().EndpointSlices(ns).Create(ctx, &discoveryv1.EndpointSlice{
				ObjectMeta:  metav1.ObjectMeta{Name: "wp-abc", Namespace: ns, Labels: map[string]string{discoveryv1.LabelServiceName: "wordpress"}},
				AddressType: discoveryv1.AddressTypeIPv4,
				Endpoints: []discoveryv1.Endpoint{
					{Addresses: []string{"10.0.0.1"}, TargetRef: &corev1.ObjectReference{Name: "wp-1"}, Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)}},
					{Addresses: []string{"10.0.0.2"}, TargetRef: &corev1.ObjectReference{Name: "wp-2"}, Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(false), Terminating: ptr.To(true), Serving: ptr.To(true)}},
				},
			}, metav1.CreateOptions{})
			return err
		}, "endpoints wordpress EndpointsChanged 1/2 ready: wp-1:ready wp-2:terminating(serving)"},
		{"probe failure event", func() error {
			_, err := cs.EventsV1().Events(ns).Create(ctx, &eventsv1.Event{
				ObjectMeta: metav1.ObjectMeta{Name: "wp-1.1", Namespace: ns},
				EventTime:  metav1.NewMicroTime(time.Now()),
				Regarding:  corev1.ObjectReference{Kind: "Pod", Name: "wp-1", FieldPath: "spec.containers{wordpress}"},
				Reason:     "Unhealthy", Type: corev1.EventTypeWarning, Note: "Liveness probe failed: HTTP probe failed with statuscode: 500",
			}, metav1.CreateOptions{})
			return err
		}, "event pod wp-1/wordpress Unhealthy Warning: Liveness probe failed"},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		waitFor(t, r, s.want)
	}
}

func TestRecorderIgnoresOldEvents(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	old := &eventsv1.Event{
		ObjectMeta: metav1.ObjectMeta{Name: "old", Namespace: ns},
		EventTime:  metav1.NewMicroTime(time.Now().Add(-time.Hour)),
		Regarding:  corev1.ObjectReference{Kind: "Pod", Name: "wp-1"}, Reason: "Killing",
	}
	cs := fake.NewClientset(old)
	r, err := Start(ctx, cs, ns)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Stop()
	r.Add(result.Event{Kind: "fault", Object: "marker", Reason: "Marker"})
	waitFor(t, r, "fault marker Marker")
	for _, e := range r.Between(time.Time{}, time.Time{}) {
		if e.Reason == "Killing" {
			t.Fatalf("an event from an hour ago was recorded: %v", e)
		}
	}
}

func TestLimit(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r, err := Start(ctx, fake.NewClientset(), ns, WithLimit(2))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Stop()
	for i := 0; i < 5; i++ {
		r.Add(result.Event{Kind: "fault", Object: fmt.Sprint(i)})
	}
	if got := len(r.Between(time.Time{}, time.Time{})); got != 2 || r.Dropped() != 3 {
		t.Fatalf("kept %d, dropped %d; want 2 and 3", got, r.Dropped())
	}
}
