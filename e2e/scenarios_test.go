package e2e

import "testing"

// TestScenarios runs every cell of the plan (a catalog scenario against
// a variant of the WordPress fixture, baseline unless SELFHEAL_VARIANTS or
// -labels variant= asks for others; one repetition of it with -repeat /
// SELFHEAL_REPEAT) as a feature named <scenario>, <scenario>@<variant>,
// and with repetitions <scenario>#<i>, labelled scenario=<name>,
// fault=<family>, set=<core|extra>, variant=<name>, repetition=<i>: run
// one scenario with `go test ./e2e -args -labels scenario=node-halt`.
// After the last repetition of a repeated cell, a feature takes its
// repetitions together and judges the aggregate budgets. With -repeat
// auto the cells are the first batch, and each further round the looks
// ask for runs as features of its own. The features are chaos/suite's,
// the public API any e2e suite builds on.
func TestScenarios(t *testing.T) {
	chaos.Test(t, testenv)
}
