package session

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/selfheal/selfheal/chaos/catalog"
	"github.com/selfheal/selfheal/chaos/compare"
	"github.com/selfheal/selfheal/chaos/expect"
	"github.com/selfheal/selfheal/chaos/plan"
	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/chaos/variant"
	"github.com/selfheal/selfheal/reports/html"
	"github.com/selfheal/selfheal/reports/text"
	"github.com/selfheal/selfheal/reports/view"
)

// Variant is the app's variant deployed now.
func (s *Session) Variant() variant.Variant { return s.variant }

// UseVariant deploys variant v over the running app (server-side apply
// changes only the fields that differ; the app's source may prune what
// the variant drops) and waits for the steady state. Nothing happens when v is
// deployed already: a matrix runs a variant's cells back to back. A
// variant that did not reach the steady state is not tried again: its
// error is returned at once.
func (s *Session) UseVariant(ctx context.Context, v variant.Variant) error {
	if err, ok := s.unusable[v.Name]; ok {
		return err
	}
	if v.Name == s.variant.Name {
		return nil
	}
	desc, err := v.Apply(s.cfg.App)
	if err != nil {
		return err
	}
	began := time.Now()
	s.cfg.Console.Logf("switching %s from variant %s to %s", desc.Name, s.variant.Name, v.Name)
	// From here the cluster runs (some of) v, whatever happens next.
	s.variant = v
	s.info.Variant = v.Name
	shape, err := s.deploy(ctx, desc, switchTimeout)
	if err == nil || shape.App.Name != "" {
		s.app = shape
		s.info.Fixture = shape.Describe()
	}
	s.runner = s.newRunner()
	took := time.Since(began)
	s.costs = append(s.costs, cellCost{name: "switch to " + v.Name, wall: took, isSwitch: true})
	if err != nil {
		err = fmt.Errorf("deploying variant %s: %w", v.Name, err)
		if ctx.Err() == nil {
			if s.unusable == nil {
				s.unusable = map[string]error{}
			}
			s.unusable[v.Name] = err
		}
		return err
	}
	s.cfg.Console.Logf("variant %s deployed and steady in %s", v.Name, took.Round(100*time.Millisecond))
	return nil
}

// switchTimeout bounds a variant switch: rolling two WordPress pods takes
// well under a minute on a small machine; a variant still not steady after
// this will not be (a DaemonSet with nowhere to run, a probe that never
// passes).
const switchTimeout = 5 * time.Minute

// RunCell runs one cell of the plan (a repetition of a scenario against
// a variant): it switches to the cell's variant when another is deployed,
// then runs the scenario with the variant's timing for it. A cell whose
// variant could not be deployed gets a result with the verdict error and
// why, like a cell that failed before its load started. A cell the
// pre-flight refuses (Refusal) is not run and has no result: its error is
// a *catalog.RefusedError.
func (s *Session) RunCell(ctx context.Context, c plan.Cell) (*result.Result, error) {
	began := time.Now()
	if err := s.Refusal(ctx, c); err != nil {
		return nil, err
	}
	if err := s.UseVariant(ctx, c.Variant); err != nil {
		sc, serr := s.Scenario(c.Entry)
		if serr != nil {
			return nil, errors.Join(err, serr)
		}
		info := s.info
		info.Variant = c.Variant.Name // the cell's, not the one deployed
		res := errorResult(sc, info, began, err)
		return res, errors.Join(err, s.record(c, res))
	}
	return s.run(ctx, c)
}

// resultName is a cell's result file in the run's directory: one
// directory per variant when the run asked for variants, so each side of
// a comparison is a directory (selfheal compare RUN/baseline RUN/no-pdb).
func (s *Session) resultName(c plan.Cell) string {
	if !s.cfg.VariantDirs {
		return c.FileName()
	}
	return filepath.Join(c.Variant.Name, c.FileName())
}

// cellCost is the wall time of a cell and how much of it the load ran
// (warm-up, fault, confirmation, revert, tail): the rest is overhead
// (steady-state checks, preparation, analysis). A variant switch is a
// cost of its own, with no load.
type cellCost struct {
	name         string
	wall, loaded time.Duration
	isSwitch     bool
}

func (s *Session) account(name string, began time.Time, res *result.Result) {
	c := cellCost{name: name, wall: time.Since(began)}
	if res.Requests.Total > 0 {
		c.loaded = res.Ended.Sub(res.Started)
	}
	s.costs = append(s.costs, c)
	s.cfg.Console.Logf("[%s] the cell took %s: load %s, outside the load %s", name,
		c.wall.Round(100*time.Millisecond), c.loaded.Round(100*time.Millisecond), (c.wall - c.loaded).Round(100*time.Millisecond))
}

// Overheads says where the session's time went outside the scenarios'
// own timing: variant switches, and per cell the time the load was not
// running. Empty before any cell ran.
func (s *Session) Overheads() string {
	var switches, outside, wall time.Duration
	nSwitch, nCell := 0, 0
	for _, c := range s.costs {
		wall += c.wall
		if c.isSwitch {
			switches += c.wall
			nSwitch++
			continue
		}
		outside += c.wall - c.loaded
		nCell++
	}
	if nCell == 0 {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d cell(s) in %s", nCell, wall.Round(time.Second))
	fmt.Fprintf(&b, "; outside the load: %s per cell on average", (outside / time.Duration(nCell)).Round(100*time.Millisecond))
	if nSwitch > 0 {
		fmt.Fprintf(&b, "; %d variant switch(es) took %s (%s each on average, %s per cell)", nSwitch, switches.Round(time.Second),
			(switches / time.Duration(nSwitch)).Round(100*time.Millisecond), (switches / time.Duration(nCell)).Round(100*time.Millisecond))
	}
	return b.String()
}

// ClaimsFile is the run directory's file of the write-ups' claims checked
// against this run's results.
const ClaimsFile = "expectations.txt"

// checkClaims checks the write-ups' claims (chaos/expect) whose scenario
// and variant this run measured, says how each came out, and writes them
// to ClaimsFile. A run that asked for no variant has none to check.
func (s *Session) checkClaims() error {
	if !s.cfg.VariantDirs {
		return nil
	}
	var b strings.Builder
	notRun := 0
	for _, f := range expect.Evaluate(expect.Claims(), s.results) {
		if f.Status == expect.NotRun && len(f.Evidence) == 0 {
			notRun++
			continue
		}
		fmt.Fprintln(&b, f)
	}
	if b.Len() == 0 {
		return nil
	}
	if notRun > 0 {
		fmt.Fprintf(&b, "(%d more claim(s) need scenario@variant cells this run did not measure: selfheal run --matrix runs them all)\n", notRun)
	}
	s.cfg.Console.Logf("the write-ups' claims, checked against this run:\n%s", b.String())
	path := filepath.Join(s.runDir, ClaimsFile)
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("writing the claims checked: %w", err)
	}
	return nil
}

// writeVariants writes the run's variants page (VariantsFile): every
// variant against baseline per scenario, why, and which to pick. A run
// over one variant has none.
func (s *Session) writeVariants(ctx context.Context) error {
	page, err := view.BuildVariants(s.results)
	if errors.Is(err, view.ErrNoVariants) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("building the variants page: %w", err)
	}
	var buf bytes.Buffer
	if err := html.WriteVariants(ctx, &buf, page); err != nil {
		return err
	}
	path := filepath.Join(s.runDir, html.VariantsFile)
	if err := result.WriteFileAtomic(path, buf.Bytes()); err != nil {
		return fmt.Errorf("writing the variants page: %w", err)
	}
	var b strings.Builder
	for _, r := range page.Recommendations {
		fmt.Fprintf(&b, "\n  %s: %s\n    %s", r.Scenario, r.Text, r.Mover)
	}
	s.cfg.Console.Logf("which variant to pick, per scenario:%s", b.String())
	s.cfg.Console.Logf("variants compared, with why and a recommendation per scenario: %s", path)
	return nil
}

// compareVariants compares each variant this run measured with baseline,
// on the scenarios both ran (chaos/compare, as `selfheal compare
// RUN/baseline RUN/<variant>` does): it prints the comparison and writes
// compare-<variant>.html in the run's directory. A run without baseline
// results has nothing to compare with.
func (s *Session) compareVariants(ctx context.Context) error {
	byVariant := map[string][]*result.Result{}
	var order []string
	for _, r := range s.results {
		v := r.VariantName()
		if _, ok := byVariant[v]; !ok {
			order = append(order, v)
		}
		byVariant[v] = append(byVariant[v], r)
	}
	base := byVariant[variant.Baseline]
	if len(base) == 0 {
		return nil
	}
	for _, v := range order {
		if v == variant.Baseline {
			continue
		}
		rep, err := compare.Compare(compare.Side{Label: variant.Baseline, Results: base}, compare.Side{Label: v, Results: byVariant[v]})
		if errors.Is(err, compare.ErrNothingInCommon) {
			continue
		}
		if err != nil {
			return fmt.Errorf("comparing variant %s with baseline: %w", v, err)
		}
		page := view.BuildComparison(rep)
		var txt, page2 bytes.Buffer
		text.Comparison(&txt, page)
		s.cfg.Console.Logf("variant %s against baseline:\n%s", v, txt.String())
		if err := html.WriteComparison(ctx, &page2, page); err != nil {
			return err
		}
		path := filepath.Join(s.runDir, "compare-"+v+".html")
		if err := result.WriteFileAtomic(path, page2.Bytes()); err != nil {
			return fmt.Errorf("writing the comparison of %s: %w", v, err)
		}
		s.cfg.Console.Logf("comparison of %s with baseline: %s", v, path)
	}
	return nil
}

// Refusal is the pre-flight of cell c: why its scenario cannot run on
// this cluster against the app of its variant (a *catalog.RefusedError
// naming each capability missing), nil when it can.
func (s *Session) Refusal(ctx context.Context, c plan.Cell) error {
	shape := &s.app
	if c.Variant.Name != s.variant.Name {
		var err error
		if shape, err = variant.Shape(ctx, s.cfg.App, c.Variant); err != nil {
			return err
		}
		if shape == nil { // an app deployed already: what runs now
			shape = &s.app
		}
	}
	cluster := s.cluster
	return c.Entry.Refusal(catalog.Facts{App: shape, Cluster: &cluster})
}

// Preflight judges every cell of p before any runs: the cells that can
// run here, and why each of the others cannot (by scenario, naming what
// it lacks: "node-halt needs the local kind cluster's node containers").
func (s *Session) Preflight(ctx context.Context, p plan.Plan) (plan.Plan, []error) {
	var ok plan.Plan
	var refused []error
	seen := map[string]bool{}
	for _, c := range p {
		err := s.Refusal(ctx, c)
		if err == nil {
			ok = append(ok, c)
			continue
		}
		if !seen[c.Cell.Name()] {
			refused = append(refused, err)
			seen[c.Cell.Name()] = true
		}
	}
	return ok, refused
}
