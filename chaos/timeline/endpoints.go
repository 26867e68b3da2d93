package timeline

import (
	"fmt"
	"sort"
	"strings"

	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/client-go/tools/cache"
)

// sliceState is the set of endpoints of one EndpointSlice, rendered as a
// comparable string ("pod-a:ready pod-b:terminating").
type sliceState struct {
	service string
	summary string
	ready   int
	total   int
}

func sliceStateOf(s *discoveryv1.EndpointSlice) sliceState {
	st := sliceState{service: s.Labels[discoveryv1.LabelServiceName]}
	var parts []string
	for _, ep := range s.Endpoints {
		name := strings.Join(ep.Addresses, ",")
		if ep.TargetRef != nil {
			name = ep.TargetRef.Name
		}
		state := "not-ready"
		switch {
		case ep.Conditions.Ready == nil || *ep.Conditions.Ready:
			state = "ready"
			st.ready++
		case ep.Conditions.Terminating != nil && *ep.Conditions.Terminating:
			state = "terminating"
			if ep.Conditions.Serving != nil && *ep.Conditions.Serving {
				state = "terminating(serving)"
			}
		}
		st.total++
		parts = append(parts, name+":"+state)
	}
	sort.Strings(parts)
	st.summary = strings.Join(parts, " ")
	return st
}

func (r *Recorder) sliceHandler() cache.ResourceEventHandler {
	observe := func(obj any, initial bool) {
		s, ok := obj.(*discoveryv1.EndpointSlice)
		if !ok {
			return
		}
		now := sliceStateOf(s)
		r.mu.Lock()
		before, known := r.slices[s.Name]
		r.slices[s.Name] = now
		r.mu.Unlock()
		if initial || (known && before.summary == now.summary) {
			return
		}
		r.record("endpoints", now.service, "EndpointsChanged", fmt.Sprintf("%d/%d ready: %s", now.ready, now.total, orNone(now.summary)), nil)
	}
	return detailed(observe, func(_, obj any) { observe(obj, false) }, func(obj any) {
		if s, ok := obj.(*discoveryv1.EndpointSlice); ok {
			r.mu.Lock()
			delete(r.slices, s.Name)
			r.mu.Unlock()
		}
	})
}
