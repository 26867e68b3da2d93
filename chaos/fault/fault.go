// Package fault defines what a fault injector is. The injectors live in
// subpackages, one per fault: wpconfig, nodehalt, imageroll, evict.
package fault

import "context"

// Fault breaks one thing and puts it back.
type Fault interface {
	// Name is the fault's short name, as it appears in results ("wp-config-break").
	Name() string
	// Inject breaks things. It calls m.Injected at each injection instant,
	// right after the breaking call returned (a fault may inject several
	// times, e.g. evicting pods in turn), and returns when the fault is
	// fully injected.
	Inject(ctx context.Context, m Marker) error
	// Revert undoes whatever Inject did, so the cluster is as it was. It
	// is idempotent, and safe to call after a failed or partial Inject, or
	// when Inject never ran. It calls m.Reverted for each thing it put back.
	Revert(ctx context.Context, m Marker) error
}

// Marker records fault instants; the scenario engine gives one to Inject
// and Revert. The instant is taken when the method is called.
type Marker interface {
	Injected(detail string)
	Reverted(detail string)
	// Logf reports progress to the person watching (never to the result).
	Logf(format string, args ...any)
}
