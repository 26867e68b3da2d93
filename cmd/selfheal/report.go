package main

import (
	"context"
	"errors"
)

// runReport is owned by the HTML-report work; placeholder until then.
func runReport(ctx context.Context, env *cliEnv, args []string) error {
	return errors.New("report: not built yet")
}
