package kube

import (
	"context"
	"errors"
	"fmt"

	"k8s.io/client-go/kubernetes"
)

// Readyz returns a probe that asks the API server cs talks to for /readyz
// (its own verdict on whether it serves: storage reachable, informers
// synced), or nil when cs has no REST client to ask with (client-go's fake
// clientset): a caller then needs a probe of its own.
func Readyz(cs kubernetes.Interface) func(ctx context.Context) error {
	if cs == nil || cs.Discovery() == nil {
		return nil
	}
	rc := cs.Discovery().RESTClient()
	if rc == nil {
		return nil
	}
	return func(ctx context.Context) error {
		body, err := rc.Get().AbsPath("/readyz").DoRaw(ctx)
		if err != nil {
			return fmt.Errorf("the API server's /readyz: %w", err)
		}
		if string(body) != "ok" {
			return errors.New("the API server's /readyz answered " + string(body))
		}
		return nil
	}
}
