package variant

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/selfheal/selfheal/chaos/catalog"
	"github.com/selfheal/selfheal/chaos/scenario"
)

// Cell is one scenario run against one variant of the fixture.
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

// Plan turns a request into a matrix. A pair that was asked for by name
// (a variant and a scenario both given) and that the scenario refuses is
// an error naming why; every name is checked before anything runs.
func Plan(req Request) (Matrix, error) {
	entries, err := catalog.Lookup(req.Scenarios...)
	if err != nil {
		return Matrix{}, err
	}
	variants, err := Lookup(req.Variants...)
	if err != nil {
		return Matrix{}, err
	}
	m := Matrix{Explicit: len(req.Variants) > 0 || req.Default}
	if req.Default {
		if len(req.Variants) == 0 {
			variants = Catalog()
		}
		if len(req.Scenarios) == 0 {
			entries = catalog.Entries()
		}
		return m.add(variants, func(v Variant) []string { return intersect(v.Default, entries) }, false)
	}
	if len(variants) == 0 {
		variants, _ = Lookup(Baseline)
	}
	if len(req.Scenarios) > 0 {
		return m.add(variants, func(Variant) []string { return names(entries) }, true)
	}
	return m.add(variants, func(v Variant) []string { return ownScenarios(v, variants) }, false)
}

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

// add appends the cells of each variant with the scenarios scenariosOf
// gives, in catalog order; explicit says the pairs were asked by name.
func (m Matrix) add(variants []Variant, scenariosOf func(Variant) []string, explicit bool) (Matrix, error) {
	var refused []error
	for _, v := range variants {
		cfg, err := v.Config(plannedImages)
		if err != nil {
			return Matrix{}, err
		}
		want := scenariosOf(v)
		for _, e := range catalog.Entries() {
			if !slices.Contains(want, e.Name) {
				continue
			}
			if err := e.Supports(cfg); err != nil {
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
		return Matrix{}, fmt.Errorf("nothing to run: no scenario asked for matters to variant(s) %s (see selfheal run --list-variants)", variantNames(variants))
	}
	return m, nil
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
