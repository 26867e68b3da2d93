package timeline

import (
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/client-go/tools/cache"
)

// eventTime is when the cluster says an event happened: eventTime has
// microseconds, the deprecated fields only seconds (metav1.Time).
func eventTime(e *eventsv1.Event) time.Time {
	switch {
	case e.Series != nil && !e.Series.LastObservedTime.IsZero():
		return e.Series.LastObservedTime.Time
	case !e.EventTime.IsZero():
		return e.EventTime.Time
	case !e.DeprecatedLastTimestamp.IsZero():
		return e.DeprecatedLastTimestamp.Time
	default:
		return e.CreationTimestamp.Time
	}
}

func eventCount(e *eventsv1.Event) int32 {
	if e.Series != nil {
		return e.Series.Count
	}
	if e.DeprecatedCount > 0 {
		return e.DeprecatedCount
	}
	return 1
}

// eventHandler records Kubernetes Events. onlyKind, when set, keeps only
// events about objects of that kind (node events in "default").
func (r *Recorder) eventHandler(namespace string) cache.ResourceEventHandler {
	onlyNodes := namespace == ""
	seen := map[string]int32{} // event name → count already recorded; guarded by r.mu
	observe := func(obj any) {
		e, ok := obj.(*eventsv1.Event)
		if !ok || (onlyNodes && e.Regarding.Kind != "Node") {
			return
		}
		at := eventTime(e)
		// Old events come with the initial list and after a re-list: only
		// what happened since the recorder started is news.
		if at.Before(r.start.Truncate(time.Second)) {
			return
		}
		count := eventCount(e)
		r.mu.Lock()
		if seen[e.Namespace+"/"+e.Name] >= count {
			r.mu.Unlock()
			return
		}
		seen[e.Namespace+"/"+e.Name] = count
		r.mu.Unlock()
		r.record("event", eventObject(e), e.Reason, eventMessage(e, count), timePtr(at))
	}
	return cache.ResourceEventHandlerFuncs{
		AddFunc:    observe,
		UpdateFunc: func(_, obj any) { observe(obj) },
	}
}

func eventObject(e *eventsv1.Event) string {
	name := e.Regarding.Name
	if e.Regarding.FieldPath != "" {
		// spec.containers{wordpress} → wordpress
		fp := e.Regarding.FieldPath
		if i := strings.Index(fp, "{"); i >= 0 && strings.HasSuffix(fp, "}") {
			name += "/" + fp[i+1:len(fp)-1]
		}
	}
	return strings.ToLower(e.Regarding.Kind) + " " + name
}

func eventMessage(e *eventsv1.Event, count int32) string {
	msg := strings.TrimSpace(e.Note)
	if e.Type == corev1.EventTypeWarning {
		msg = "Warning: " + msg
	}
	if count > 1 {
		msg += fmt.Sprintf(" (x%d)", count)
	}
	return msg
}
