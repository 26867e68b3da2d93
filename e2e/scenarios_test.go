package e2e

import (
	"context"
	"os"
	"testing"

	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/e2e-framework/pkg/features"

	"github.com/selfheal/selfheal/chaos/plan"
	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/reports/text"
	"github.com/selfheal/selfheal/reports/view"
)

// resultKey carries a scenario's result from its first assessment to the
// next.
type resultKey struct{}

// TestScenarios runs every cell of the plan (a catalog scenario against
// a fixture variant, baseline unless SELFHEAL_VARIANTS or -labels
// variant= asks for others; one repetition of it with -repeat /
// SELFHEAL_REPEAT) as a feature named <scenario>, <scenario>@<variant>,
// and with repetitions <scenario>#<i>, labelled scenario=<name>,
// fault=<family>, set=<core|extra>, variant=<name>, repetition=<i>: run
// one scenario with `go test ./e2e -args -labels scenario=node-halt`.
// After the last repetition of a repeated cell, a feature takes its
// repetitions together and judges the aggregate budgets. With -repeat
// auto the cells are the first batch; after it, and after each further
// round, the session takes the looks (session.Session.Look) and the next
// round runs as features of its own, until every comparison is clear or
// at its maximum.
func TestScenarios(t *testing.T) {
	var feats []features.Feature
	for i, c := range cells {
		feats = append(feats, cellFeature(c))
		if !c.Auto && c.Repeated() && cells.Last(i) {
			feats = append(feats, repeatsFeature(c))
		}
	}
	ctx := testenv.Test(t, feats...)
	for auto != nil {
		s := suiteFrom(ctx)
		if s.session == nil || ctx.Err() != nil {
			return
		}
		next, finished := s.session.Look()
		feats = nil
		for _, c := range finished {
			feats = append(feats, repeatsFeature(c))
		}
		for _, c := range next.Select(filter, plan.Cell.Name) {
			feats = append(feats, cellFeature(c))
		}
		if len(feats) == 0 {
			return
		}
		ctx = testenv.Test(t, feats...)
	}
}

func cellFeature(c plan.Cell) features.Feature {
	b := features.New(c.Name())
	for k, v := range c.Labels() {
		b = b.WithLabel(k, v)
	}
	return b.
		Assess("runs under load and reverts its fault", runCell(c)).
		Assess("keeps its budgets", checkBudgets).
		Feature()
}

// repeatsFeature is labelled like the cell's repetitions, but with
// repetition=all, so that selecting one repetition leaves it out.
func repeatsFeature(c plan.Cell) features.Feature {
	b := features.New(c.Cell.Name() + " repetitions")
	for k, v := range c.Cell.Labels() {
		b = b.WithLabel(k, v)
	}
	return b.WithLabel("repetition", "all").
		Assess("keeps its aggregate budgets", checkRepeats(c)).
		Feature()
}

func runCell(c plan.Cell) features.Func {
	return func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
		s := suiteFrom(ctx)
		if s.session == nil {
			t.Fatal("the suite's setup did not finish; see the log above")
		}
		if ctx.Err() != nil {
			t.Skipf("%s: not started, the suite was interrupted", c.Name())
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

func checkRepeats(c plan.Cell) features.Func {
	return func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
		s := suiteFrom(ctx)
		if s.session == nil {
			t.Fatal("the suite's setup did not finish; see the log above")
		}
		rp, ok := s.session.Repeats(c)
		if !ok {
			t.Skipf("%s: no repetition ran", c.Cell.Name())
		}
		text.Repeats(os.Stdout, rp)
		for _, b := range rp.Budgets {
			if !b.Pass {
				s.failed = true
				t.Errorf("%s: aggregate budget missed: %s", rp.Label, b.Message)
			}
		}
		return ctx
	}
}
