package catalog

import (
	"context"
	"fmt"
	"sync"

	"github.com/selfheal/selfheal/chaos/fault"
)

// onPod is a fault on a pod that has no name before it runs (a
// Deployment's): the pod is found when the fault is injected, and the
// fault built for it then does the work, its revert included.
type onPod struct {
	find  func(ctx context.Context) (string, error)
	build func(pod string) fault.Fault

	mu sync.Mutex
	f  fault.Fault
}

// Name implements fault.Fault: the name of the fault it builds, which
// does not depend on the pod.
func (o *onPod) Name() string { return o.build("").Name() }

// Inject implements fault.Fault.
func (o *onPod) Inject(ctx context.Context, m fault.Marker) error {
	pod, err := o.find(ctx)
	if err != nil {
		return fmt.Errorf("finding the pod to break: %w", err)
	}
	f := o.build(pod)
	o.mu.Lock()
	o.f = f
	o.mu.Unlock()
	return f.Inject(ctx, m)
}

// Revert implements fault.Fault: nothing to undo before an injection.
func (o *onPod) Revert(ctx context.Context, m fault.Marker) error {
	o.mu.Lock()
	f := o.f
	o.mu.Unlock()
	if f == nil {
		return nil
	}
	return f.Revert(ctx, m)
}

// Notes passes on the built fault's findings (scenario results read them).
func (o *onPod) Notes() []string {
	o.mu.Lock()
	f := o.f
	o.mu.Unlock()
	if n, ok := f.(interface{ Notes() []string }); ok {
		return n.Notes()
	}
	return nil
}
