package timeline

import (
	"fmt"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/selfheal/selfheal/chaos/kube"
)

// deployState is what a rollout reader watches on a Deployment or
// StatefulSet.
type deployState struct {
	images   string
	counts   string
	complete bool
}

func images(spec corev1.PodSpec) string {
	var out []string
	for _, c := range spec.Containers {
		out = append(out, c.Image)
	}
	return strings.Join(out, ",")
}

func deploymentState(d *appsv1.Deployment) deployState {
	return deployState{
		images: images(d.Spec.Template.Spec),
		counts: fmt.Sprintf("replicas %d, updated %d, ready %d, available %d, unavailable %d",
			d.Status.Replicas, d.Status.UpdatedReplicas, d.Status.ReadyReplicas, d.Status.AvailableReplicas, d.Status.UnavailableReplicas),
		complete: kube.RolloutComplete(d),
	}
}

func statefulSetState(s *appsv1.StatefulSet) deployState {
	return deployState{
		images:   images(s.Spec.Template.Spec),
		counts:   fmt.Sprintf("replicas %d, ready %d, updated %d", s.Status.Replicas, s.Status.ReadyReplicas, s.Status.UpdatedReplicas),
		complete: kube.StatefulSetRolloutComplete(s),
	}
}

func daemonSetState(d *appsv1.DaemonSet) deployState {
	return deployState{
		images: images(d.Spec.Template.Spec),
		counts: fmt.Sprintf("desired %d, updated %d, ready %d, available %d, unavailable %d", d.Status.DesiredNumberScheduled,
			d.Status.UpdatedNumberScheduled, d.Status.NumberReady, d.Status.NumberAvailable, d.Status.NumberUnavailable),
		complete: kube.DaemonSetRolloutComplete(d),
	}
}

// workloadHandler records image changes, status counters and rollouts
// completing, for one kind of workload.
func (r *Recorder) workloadHandler(kind string, states map[string]deployState, stateOf func(any) (string, deployState, bool)) cache.ResourceEventHandler {
	observe := func(obj any, initial bool) {
		name, now, ok := stateOf(obj)
		if !ok {
			return
		}
		r.mu.Lock()
		before, known := states[name]
		states[name] = now
		r.mu.Unlock()
		if initial || !known {
			return
		}
		if before.images != now.images {
			r.record(kind, name, "RolloutStarted", before.images+" → "+now.images, nil)
		}
		if before.counts != now.counts {
			r.record(kind, name, "Progress", now.counts, nil)
		}
		if !before.complete && now.complete {
			r.record(kind, name, "RolloutComplete", now.counts, nil)
		}
	}
	return detailed(observe, func(_, obj any) { observe(obj, false) }, func(obj any) {
		if name, _, ok := stateOf(obj); ok {
			r.mu.Lock()
			delete(states, name)
			r.mu.Unlock()
			r.record(kind, name, "Deleted", "", nil)
		}
	})
}

func (r *Recorder) deploymentHandler() cache.ResourceEventHandler {
	return r.workloadHandler("deployment", r.deploys, func(obj any) (string, deployState, bool) {
		d, ok := obj.(*appsv1.Deployment)
		if !ok {
			return "", deployState{}, false
		}
		return d.Name, deploymentState(d), true
	})
}

func (r *Recorder) statefulSetHandler() cache.ResourceEventHandler {
	return r.workloadHandler("statefulset", r.sets, func(obj any) (string, deployState, bool) {
		s, ok := obj.(*appsv1.StatefulSet)
		if !ok {
			return "", deployState{}, false
		}
		return s.Name, statefulSetState(s), true
	})
}

func (r *Recorder) daemonSetHandler() cache.ResourceEventHandler {
	return r.workloadHandler("daemonset", r.daemons, func(obj any) (string, deployState, bool) {
		d, ok := obj.(*appsv1.DaemonSet)
		if !ok {
			return "", deployState{}, false
		}
		return d.Name, daemonSetState(d), true
	})
}
