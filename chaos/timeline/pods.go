package timeline

import (
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/selfheal/selfheal/chaos/kube"
)

type containerState struct {
	restarts int32
	waiting  string
	ready    bool
}

type podState struct {
	node       string
	phase      corev1.PodPhase
	ready      bool
	deleting   bool
	containers map[string]containerState
}

func podStateOf(p *corev1.Pod) podState {
	s := podState{node: p.Spec.NodeName, phase: p.Status.Phase, ready: kube.PodReady(p), deleting: p.DeletionTimestamp != nil, containers: map[string]containerState{}}
	for _, cs := range p.Status.ContainerStatuses {
		st := containerState{restarts: cs.RestartCount, ready: cs.Ready}
		if cs.State.Waiting != nil {
			st.waiting = cs.State.Waiting.Reason
		}
		s.containers[cs.Name] = st
	}
	return s
}

func (r *Recorder) podHandler() cache.ResourceEventHandler {
	return detailed(
		func(obj any, initial bool) {
			p, ok := obj.(*corev1.Pod)
			if !ok {
				return
			}
			s := podStateOf(p)
			r.mu.Lock()
			r.pods[p.Namespace+"/"+p.Name] = s
			r.mu.Unlock()
			if !initial {
				msg := "pending, not scheduled yet"
				if s.node != "" {
					msg = "on " + s.node
				}
				r.record("pod", p.Name, "Created", msg, timePtr(p.CreationTimestamp.Time))
			}
		},
		func(_, obj any) {
			p, ok := obj.(*corev1.Pod)
			if !ok {
				return
			}
			key := p.Namespace + "/" + p.Name
			now := podStateOf(p)
			r.mu.Lock()
			before := r.pods[key]
			r.pods[key] = now
			r.mu.Unlock()
			r.diffPod(p, before, now)
		},
		func(obj any) {
			p, ok := obj.(*corev1.Pod)
			if !ok {
				return
			}
			r.mu.Lock()
			delete(r.pods, p.Namespace+"/"+p.Name)
			r.mu.Unlock()
			r.record("pod", p.Name, "Deleted", "gone from the API (was on "+orNone(p.Spec.NodeName)+")", nil)
		},
	)
}

// diffPod records what changed between two states of a pod.
func (r *Recorder) diffPod(p *corev1.Pod, before, now podState) {
	if before.node == "" && now.node != "" {
		r.record("pod", p.Name, "Scheduled", "to "+now.node, nil)
	}
	if before.phase != now.phase && now.phase != "" {
		r.record("pod", p.Name, string(now.phase), phaseMessage(p), nil)
	}
	if before.ready != now.ready {
		reason := "NotReady"
		if now.ready {
			reason = "Ready"
		}
		r.record("pod", p.Name, reason, readyMessage(p), readyTime(p))
	}
	if !before.deleting && now.deleting {
		msg := "deletion requested"
		if p.DeletionGracePeriodSeconds != nil {
			msg = fmt.Sprintf("deletion requested, grace period %ds", *p.DeletionGracePeriodSeconds)
		}
		r.record("pod", p.Name, "Terminating", msg, timePtr(p.DeletionTimestamp.Time))
	}
	for _, cs := range p.Status.ContainerStatuses {
		was, now := before.containers[cs.Name], now.containers[cs.Name]
		if now.restarts > was.restarts {
			r.record("container", p.Name+"/"+cs.Name, "Restarted", restartMessage(cs), terminatedAt(cs))
		}
		if now.waiting != was.waiting && now.waiting != "" {
			msg := now.waiting
			if cs.State.Waiting.Message != "" {
				msg += ": " + cs.State.Waiting.Message
			}
			r.record("container", p.Name+"/"+cs.Name, now.waiting, msg, nil)
		}
	}
}

func phaseMessage(p *corev1.Pod) string {
	msg := "phase " + string(p.Status.Phase)
	if p.Status.Reason != "" {
		msg += " (" + p.Status.Reason + ")"
	}
	if p.Spec.NodeName != "" {
		msg += " on " + p.Spec.NodeName
	}
	return msg
}

func readyMessage(p *corev1.Pod) string {
	ready, total := 0, len(p.Status.ContainerStatuses)
	for _, cs := range p.Status.ContainerStatuses {
		if cs.Ready {
			ready++
		}
	}
	msg := fmt.Sprintf("%d/%d containers ready on %s", ready, total, orNone(p.Spec.NodeName))
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady && c.Reason != "" {
			msg += " (" + c.Reason + ")"
		}
	}
	return msg
}

func readyTime(p *corev1.Pod) *timeT {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return timePtr(c.LastTransitionTime.Time)
		}
	}
	return nil
}

func restartMessage(cs corev1.ContainerStatus) string {
	parts := []string{fmt.Sprintf("restart #%d", cs.RestartCount)}
	if t := cs.LastTerminationState.Terminated; t != nil {
		parts = append(parts, fmt.Sprintf("last run ended %s, exit code %d", orNone(t.Reason), t.ExitCode))
		if t.Message != "" {
			parts = append(parts, strings.TrimSpace(t.Message))
		}
	}
	return strings.Join(parts, "; ")
}

func terminatedAt(cs corev1.ContainerStatus) *timeT {
	if t := cs.LastTerminationState.Terminated; t != nil {
		return timePtr(t.FinishedAt.Time)
	}
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
