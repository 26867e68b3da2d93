package main

import (
	"context"
	"errors"
)

// runProbe is owned by the measurement-core work; placeholder until then.
func runProbe(ctx context.Context, env *cliEnv, args []string) error {
	return errors.New("probe: not built yet")
}
