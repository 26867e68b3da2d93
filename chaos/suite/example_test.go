package suite_test

import (
	"context"
	"fmt"
	"os"

	"sigs.k8s.io/e2e-framework/pkg/env"
	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/e2e-framework/pkg/envfuncs"
	"sigs.k8s.io/e2e-framework/support/kind"

	"github.com/selfheal/selfheal/chaos/app"
	"github.com/selfheal/selfheal/chaos/session"
	"github.com/selfheal/selfheal/chaos/suite"
	"github.com/selfheal/selfheal/chaos/variant"
)

// An e2e suite of another repository, for its own app: the app's
// description, the scenarios it wants, a budget of its own, a variant of
// its own (fewer replicas), on a kind cluster the framework creates. In a
// real suite the body is TestMain's, ending in os.Exit(testenv.Run(m)),
// and a test runs the features: chaos.Test(t, testenv).
// `go test ./... -args -labels scenario=pod-eviction` then runs one.
func Example() {
	cfg, err := envconf.NewFromFlags()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	shop, err := app.ReadFile("testdata/shop/app.yaml")
	if err != nil {
		fmt.Fprintln(os.Stderr, err) // names the field: "serving.service: Required value"
		return
	}
	settings, err := session.SettingsFromEnv(os.Getenv) // SELFHEAL_RATE, SELFHEAL_BUDGETS...
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	oneReplica := variant.Variant{Name: "one-replica", Question: "What does a single web replica cost when a pod goes?",
		Scenarios: []string{"pod-eviction", "image-roll"},
		Patch:     variant.Patches(variant.ObjectPatch{Kind: "Deployment", Name: "web", Patch: "spec: {replicas: 1}"})}
	chaos, err := suite.New(cfg, shop,
		suite.WithSettings(settings),
		suite.WithKindCluster("shop"),
		suite.WithScenarios("pod-eviction", "image-roll", "node-halt", "mysql-crash", "wp-config-break"),
		suite.WithVariants(variant.Set{variant.Base(), oneReplica}, variant.Baseline, "one-replica"),
		suite.WithBudgets("pod-eviction.downtime=2s,*.pass_rate=1"),
		suite.WithRepeat(3))
	if err != nil {
		fmt.Fprintln(os.Stderr, err) // before any work: nothing was started
		return
	}
	ctx, stop := chaos.Context(context.Background()) // Ctrl-C and go test -timeout revert the fault in place
	defer stop()
	testenv, err := env.NewWithContext(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	testenv.Setup(
		envfuncs.CreateCluster(kind.NewProvider(), "shop"),
		envfuncs.LoadImageToCluster("shop", "shop/web:1"),
		envfuncs.LoadImageToCluster("shop", "shop/web:2"), // the image roll's second image
		chaos.Setup, // deploys the app, says which scenarios cannot run there
	)
	testenv.Finish(chaos.Finish, envfuncs.DestroyCluster("shop")) // results, report.html, junit.xml
	for _, f := range chaos.Features() {
		fmt.Println(f.Name(), f.Labels()["variant"])
	}
}
