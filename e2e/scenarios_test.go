package e2e

import (
	"context"
	"os"
	"testing"

	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/e2e-framework/pkg/features"

	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/chaos/variant"
	"github.com/selfheal/selfheal/reports/text"
	"github.com/selfheal/selfheal/reports/view"
)

// resultKey carries a scenario's result from its first assessment to the
// next.
type resultKey struct{}

// TestScenarios runs each planned cell (a catalog scenario against a
// fixture variant; baseline unless SELFHEAL_VARIANTS or -labels variant=
// asks for others) as a feature named <scenario> or <scenario>@<variant>,
// labelled scenario=<name>, fault=<family>, set=<core|extra>,
// variant=<name>: run one with `go test ./e2e -args -labels
// scenario=node-halt`.
func TestScenarios(t *testing.T) {
	var feats []features.Feature
	for _, c := range matrix.Cells {
		b := features.New(c.Name())
		for k, v := range c.Labels() {
			b = b.WithLabel(k, v)
		}
		feats = append(feats, b.
			Assess("runs under load and reverts its fault", runScenario(c)).
			Assess("keeps its budgets", checkBudgets).
			Feature())
	}
	testenv.Test(t, feats...)
}

func runScenario(c variant.Cell) features.Func {
	return func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
		s := suiteFrom(ctx)
		if s.session == nil {
			t.Fatal("the suite's setup did not finish; see the log above")
		}
		res, err := s.session.RunCell(ctx, c)
		if res != nil {
			text.Summary(os.Stdout, res)
		}
		if err != nil {
			s.failed = true
			t.Fatalf("%s: %v", c.Name(), err)
		}
		return context.WithValue(ctx, resultKey{}, res)
	}
}

func checkBudgets(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
	res, _ := ctx.Value(resultKey{}).(*result.Result)
	if res == nil {
		t.Fatal("no result to check")
	}
	caveat := view.HostCaveat(res)
	for _, b := range res.Budgets {
		switch {
		case b.Pass:
		case res.Conditions != nil && res.Conditions.Excused:
			t.Logf("%s: budget missed: %s; not failed: %s, and SELFHEAL_FAIL_STARVED=false", res.Scenario, b.Message, caveat)
		case caveat != "":
			suiteFrom(ctx).failed = true
			t.Errorf("%s: budget missed: %s (%s)", res.Scenario, b.Message, caveat)
		default:
			suiteFrom(ctx).failed = true
			t.Errorf("%s: budget missed: %s", res.Scenario, b.Message)
		}
	}
	return ctx
}
