// Package e2e is the guestbook's scenario suite, written as a team that
// brings its own app writes one: it imports selfheal's public API only
// (chaos/app for the description, chaos/suite for the e2e-framework
// features, chaos/session for the SELFHEAL_* settings), reads app.yaml,
// and runs every scenario the app offers what it needs, one feature per
// scenario, on the kind cluster -kubeconfig names, with the images
// `make example-images` built and loaded. At the end the results, the
// HTML report, JUnit and the dashboard files are in SELFHEAL_REPORT_DIR.
//
//	make example-e2e                               # every scenario that applies
//	make example-e2e EXAMPLE_FLAGS='-labels set=core'
package e2e

import (
	"context"
	"fmt"
	"os"
	"testing"

	"sigs.k8s.io/e2e-framework/pkg/env"
	"sigs.k8s.io/e2e-framework/pkg/envconf"

	"github.com/selfheal/selfheal/chaos/app"
	"github.com/selfheal/selfheal/chaos/session"
	"github.com/selfheal/selfheal/chaos/suite"
)

var (
	testenv env.Environment
	chaos   *suite.Suite
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	cfg, err := envconf.NewFromFlags()
	if err != nil {
		fmt.Fprintf(os.Stderr, "guestbook e2e: %v\n", err)
		return 2
	}
	if cfg.KubeconfigFile() == "" {
		fmt.Fprintln(os.Stderr, "guestbook e2e: no -kubeconfig: this suite runs on the kind cluster selfheal brought up (make cluster; make example-images)")
		return 2
	}
	guestbook, err := app.ReadFile("../app.yaml") // names the field that is wrong, before any work
	if err != nil {
		fmt.Fprintf(os.Stderr, "guestbook e2e: %v\n", err)
		return 2
	}
	settings, err := session.SettingsFromEnv(os.Getenv)
	if err != nil {
		fmt.Fprintf(os.Stderr, "guestbook e2e: bad settings, nothing was started: %v\n", err)
		return 2
	}
	chaos, err = suite.New(cfg, guestbook, suite.WithSettings(settings), suite.WithCommand("go test ./examples/guestbook/e2e"))
	if err != nil {
		fmt.Fprintf(os.Stderr, "guestbook e2e: %v\n", err)
		return 2
	}
	ctx, stop := chaos.Context(context.Background()) // Ctrl-C and go test -timeout revert the fault in place
	defer stop()
	testenv, err = env.NewWithContext(ctx, cfg)
	if err != nil {
		fmt.Fprintf(os.Stderr, "guestbook e2e: %v\n", err)
		return 2
	}
	testenv.Setup(chaos.Setup)   // deploys the guestbook, says which scenarios cannot run and why
	testenv.Finish(chaos.Finish) // results, report.html, junit.xml, metrics.prom, grafana-annotations.jsonl
	return testenv.Run(m)
}

func TestScenarios(t *testing.T) {
	testenv.Test(t, chaos.Features()...)
}
