package variant

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/selfheal/selfheal/chaos/app"
	"github.com/selfheal/selfheal/chaos/catalog"
	"github.com/selfheal/selfheal/chaos/scenario"
)

// Cell is one scenario run against one variant of the app.
type Cell struct {
	Variant Variant
	Entry   catalog.Entry
	// Timing is the variant's timing for this scenario (zero fields: the
	// scenario's own).
	Timing scenario.Timing
}

// Name names the cell for people and feature names: the scenario for
// baseline, "image-roll@statefulset-1" for another variant.
func (c Cell) Name() string {
	if c.Variant.Name == Baseline {
		return c.Entry.Name
	}
	return c.Entry.Name + "@" + c.Variant.Name
}

// Labels are the scenario's e2e-framework labels plus variant=<name>.
func (c Cell) Labels() map[string]string {
	l := c.Entry.Labels()
	l["variant"] = c.Variant.Name
	return l
}

// Matrix is the cells of a run in the order they run: every cell of a
// variant back to back (the app is deployed once per variant), variants in
// the order asked (the default matrix: catalog order, baseline first),
// scenarios in catalog order within a variant.
type Matrix struct {
	Cells []Cell
	// Explicit is set when variants were asked for: results then go into
	// a directory per variant, so each side of a comparison is one
	// directory. A run that asked for none keeps today's layout.
	Explicit bool
	// Skipped are the pairs left out because the scenario refuses the
	// variant, with the reason (only pairs the plan chose itself: a pair
	// asked for by name that cannot run is an error).
	Skipped []string
}

// Variants are the matrix's variants in run order.
func (m Matrix) Variants() []Variant {
	var out []Variant
	for _, c := range m.Cells {
		if len(out) == 0 || out[len(out)-1].Name != c.Variant.Name {
			out = append(out, c.Variant)
		}
	}
	return out
}

// Request is what a user asked for.
type Request struct {
	// Variants by name; none means baseline alone, as before variants
	// existed.
	Variants []string
	// Scenarios by name; none means, per variant, the scenarios it
	// matters to (baseline: those of the other variants asked, or every
	// scenario when it is alone).
	Scenarios []string
	// Default plans the default matrix (restricted to Variants and
	// Scenarios when they are given).
	Default bool
}

// Plan turns a request into a matrix of base's scenarios against the
// variants of set. A pair that was asked for by name (a variant and a
// scenario both given) and that the scenario refuses is an error naming
// why; a pair the plan chose itself is left out with its reason
// (Matrix.Skipped). Every name is checked before anything runs. What a
// scenario needs of the cluster is judged later, at the pre-flight.
func Plan(base app.App, set Set, req Request) (Matrix, error) {
	if err := set.Check(); err != nil {
		return Matrix{}, err
	}
	entries, err := catalog.Lookup(req.Scenarios...)
	if err != nil {
		return Matrix{}, err
	}
	variants, err := set.Lookup(req.Variants...)
	if err != nil {
		return Matrix{}, err
	}
	m := Matrix{Explicit: len(req.Variants) > 0 || req.Default}
	p := planner{base: base}
	if req.Default {
		if len(req.Variants) == 0 {
			variants = set
		}
		if len(req.Scenarios) == 0 {
			entries = catalog.Entries()
		}
		return p.add(m, variants, func(v Variant) []string { return intersect(v.Default, entries) }, false)
	}
	if len(variants) == 0 {
		variants = set[:1]
	}
	if len(req.Scenarios) > 0 {
		return p.add(m, variants, func(Variant) []string { return names(entries) }, true)
	}
	return p.add(m, variants, func(v Variant) []string { return ownScenarios(v, variants) }, false)
}

// Shape is the app of variant v on base as it will run (app.Resolve of
// its objects); nil for an app deployed already, whose shape is read from
// the cluster.
func Shape(ctx context.Context, base app.App, v Variant) (*app.Shape, error) {
	a, err := v.Apply(base)
	if err != nil {
		return nil, err
	}
	if a.Deploy.Existing {
		return nil, nil
	}
	objs, err := a.Objects(ctx)
	if err != nil {
		return nil, fmt.Errorf("variant %s: %w", v.Name, err)
	}
	s, err := app.Resolve(a, objs)
	if err != nil {
		return nil, fmt.Errorf("variant %s: %w", v.Name, err)
	}
	return &s, nil
}

type planner struct{ base app.App }

// ownScenarios are the scenarios v matters to; baseline asked beside
// other variants runs theirs, the reference they are compared with.
func ownScenarios(v Variant, asked []Variant) []string {
	if v.Name != Baseline || len(asked) == 1 {
		return v.Scenarios
	}
	var union []string
	for _, o := range asked {
		if o.Name != Baseline {
			union = append(union, o.Scenarios...)
		}
	}
	return union
}

// add appends to m the cells of each variant with the scenarios
// scenariosOf gives, in catalog order; explicit says the pairs were asked
// by name.
func (p planner) add(m Matrix, variants []Variant, scenariosOf func(Variant) []string, explicit bool) (Matrix, error) {
	var refused []error
	for _, v := range variants {
		shape, err := Shape(context.Background(), p.base, v)
		if err != nil {
			return Matrix{}, err
		}
		want := scenariosOf(v)
		for _, e := range catalog.Entries() {
			if !slices.Contains(want, e.Name) {
				continue
			}
			if err := e.Refusal(catalog.Facts{App: shape}); err != nil {
				if explicit {
					refused = append(refused, fmt.Errorf("variant %s: %w", v.Name, err))
				} else {
					m.Skipped = append(m.Skipped, fmt.Sprintf("%s@%s: %v", e.Name, v.Name, err))
				}
				continue
			}
			m.Cells = append(m.Cells, Cell{Variant: v, Entry: e, Timing: v.Timing[e.Name]})
		}
	}
	if len(refused) > 0 {
		return Matrix{}, errors.Join(refused...)
	}
	if len(m.Cells) == 0 {
		return Matrix{}, fmt.Errorf("nothing to run: no scenario asked for matters to variant(s) %s, or each was refused (see selfheal run --list-variants)%s",
			variantNames(variants), skippedWords(m.Skipped))
	}
	return m, nil
}

func skippedWords(skipped []string) string {
	if len(skipped) == 0 {
		return ""
	}
	return ": " + strings.Join(skipped, "; ")
}

func intersect(want []string, entries []catalog.Entry) []string {
	var out []string
	for _, e := range entries {
		if slices.Contains(want, e.Name) {
			out = append(out, e.Name)
		}
	}
	return out
}

func names(entries []catalog.Entry) []string {
	var out []string
	for _, e := range entries {
		out = append(out, e.Name)
	}
	return out
}

func variantNames(vs []Variant) string {
	var out []string
	for _, v := range vs {
		out = append(out, v.Name)
	}
	return strings.Join(out, ", ")
}

// ParseList reads variant names as a user writes them: comma-separated,
// spaces ignored ("no-pdb, baseline").
func ParseList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
