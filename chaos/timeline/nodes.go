package timeline

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/selfheal/selfheal/chaos/kube"
)

func (r *Recorder) nodeHandler() cache.ResourceEventHandler {
	return detailed(
		func(obj any, initial bool) {
			n, ok := obj.(*corev1.Node)
			if !ok {
				return
			}
			ready, _ := kube.NodeReadyCondition(n)
			r.mu.Lock()
			r.nodes[n.Name] = ready
			r.mu.Unlock()
			if !initial {
				r.record("node", n.Name, "Registered", "node object created", timePtr(n.CreationTimestamp.Time))
			}
		},
		func(old, obj any) {
			n, ok := obj.(*corev1.Node)
			if !ok {
				return
			}
			ready, cond := kube.NodeReadyCondition(n)
			r.mu.Lock()
			was, known := r.nodes[n.Name]
			r.nodes[n.Name] = ready
			r.mu.Unlock()
			if known && was != ready {
				reason, msg := "NotReady", "Ready condition unknown"
				if cond != nil {
					msg = string(cond.Status) + ": " + cond.Reason
					if cond.Message != "" {
						msg += " (" + cond.Message + ")"
					}
					if cond.Status == corev1.ConditionUnknown {
						reason = "Unknown"
					}
				}
				if ready {
					reason = "Ready"
				}
				var at *timeT
				if cond != nil {
					at = timePtr(cond.LastTransitionTime.Time)
				}
				r.record("node", n.Name, reason, msg, at)
			}
			if o, ok := old.(*corev1.Node); ok {
				r.diffTaints(n, o)
			}
		},
		func(obj any) {
			if n, ok := obj.(*corev1.Node); ok {
				r.mu.Lock()
				delete(r.nodes, n.Name)
				r.mu.Unlock()
				r.record("node", n.Name, "Deleted", "node object deleted", nil)
			}
		},
	)
}

// diffTaints records NoExecute taints coming and going: they are what
// evicts pods from a lost node (after their tolerationSeconds).
func (r *Recorder) diffTaints(now, before *corev1.Node) {
	has := func(n *corev1.Node) map[string]bool {
		m := map[string]bool{}
		for _, t := range n.Spec.Taints {
			if t.Effect == corev1.TaintEffectNoExecute || t.Effect == corev1.TaintEffectNoSchedule {
				m[t.Key+":"+string(t.Effect)] = true
			}
		}
		return m
	}
	was, is := has(before), has(now)
	var added, removed []string
	for _, k := range sortedKeys(is) {
		if !was[k] {
			added = append(added, k)
		}
	}
	for _, k := range sortedKeys(was) {
		if !is[k] {
			removed = append(removed, k)
		}
	}
	if len(added) > 0 {
		r.record("node", now.Name, "Tainted", strings.Join(added, ", "), nil)
	}
	if len(removed) > 0 {
		r.record("node", now.Name, "Untainted", strings.Join(removed, ", "), nil)
	}
}
