// Package variant names the set-ups of an app that operators compare (a
// StatefulSet against a Deployment, probes of each kind, with and without
// a preStop sleep or a PodDisruptionBudget...), which scenarios each one
// matters to, and plans a scenario × variant matrix whose cells sharing a
// variant run back to back, so the app is deployed once per variant.
//
// A variant is a patch of the app's description (chaos/app): Patches
// makes one from strategic-merge patches of the objects the app deploys,
// the way kustomize patches them; the WordPress fixture's variants change
// its settings (fixtures/wordpress.Variants). Variants are data, as the
// scenarios of chaos/catalog are: the e2e suite, chaos/suite and
// `selfheal run` all plan from here.
package variant

import (
	"fmt"
	"sort"
	"strings"

	"github.com/selfheal/selfheal/chaos/app"
	"github.com/selfheal/selfheal/chaos/catalog"
	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/chaos/scenario"
)

// Baseline is the name of the app as described, the variant every other
// one is compared with (chaos/result spells it once, for results that
// name none).
const Baseline = result.BaselineVariant

// Variant is a named change to the app.
type Variant struct {
	Name string
	// Question is the one question the variant answers, in a line.
	Question string
	// Patch changes the app's description; nil changes nothing (the
	// baseline).
	Patch func(app.App) (app.App, error)
	// Scenarios are the scenarios the variant matters to, in catalog
	// order; asking for the variant alone runs these.
	Scenarios []string
	// Default are the scenarios the default matrix pairs it with.
	Default []string
	// Timing overrides a scenario's timing for this variant, where the
	// variant changes what there is to wait for.
	Timing map[string]scenario.Timing
}

// Base is the baseline of an app that names no variants of its own: the
// app as described, which every scenario of the catalog matters to.
func Base() Variant {
	return Variant{Name: Baseline, Question: "The app as described: the reference every variant is compared with.", Scenarios: catalog.Names()}
}

// Apply is the app of the variant: base with the variant's patch.
func (v Variant) Apply(base app.App) (app.App, error) {
	if v.Patch == nil {
		return base, nil
	}
	a, err := v.Patch(base)
	if err != nil {
		return a, fmt.Errorf("variant %s: %w", v.Name, err)
	}
	if err := a.Validate(); err != nil {
		return a, fmt.Errorf("variant %s: %w", v.Name, err)
	}
	return a, nil
}

// Set is the variants of an app, baseline first.
type Set []Variant

// Names lists the variant names, baseline first.
func (s Set) Names() []string {
	var names []string
	for _, v := range s {
		names = append(names, v.Name)
	}
	return names
}

// Find returns the variant named name.
func (s Set) Find(name string) (Variant, bool) {
	for _, v := range s {
		if v.Name == name {
			return v, true
		}
	}
	return Variant{}, false
}

// Lookup returns the named variants in the order asked, or an error naming
// the unknown ones and the known ones. A name asked twice is kept once.
func (s Set) Lookup(names ...string) ([]Variant, error) {
	var out []Variant
	var unknown []string
	seen := map[string]bool{}
	for _, n := range names {
		v, ok := s.Find(n)
		switch {
		case !ok:
			unknown = append(unknown, fmt.Sprintf("%q", n))
		case !seen[n]:
			out = append(out, v)
		}
		seen[n] = true
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, fmt.Errorf("unknown variant(s) %s; known: %s", strings.Join(unknown, ", "), strings.Join(s.Names(), ", "))
	}
	return out, nil
}

// Check says what is wrong with the set: a baseline first, unique names,
// each one's scenarios, defaults and timing naming scenarios of the
// catalog it matters to.
func (s Set) Check() error {
	var errs []string
	if len(s) == 0 || s[0].Name != Baseline || s[0].Patch != nil {
		errs = append(errs, "the first variant must be "+Baseline+", the app as described (no patch)")
	}
	seen := map[string]bool{}
	for _, v := range s {
		if seen[v.Name] {
			errs = append(errs, fmt.Sprintf("variant %s is named twice", v.Name))
		}
		seen[v.Name] = true
		if _, err := catalog.Lookup(v.Scenarios...); err != nil {
			errs = append(errs, fmt.Sprintf("variant %s: %v", v.Name, err))
		}
		for _, d := range v.Default {
			if !contains(v.Scenarios, d) {
				errs = append(errs, fmt.Sprintf("variant %s: default scenario %s is not one it matters to", v.Name, d))
			}
		}
		for sc := range v.Timing {
			if !contains(v.Scenarios, sc) {
				errs = append(errs, fmt.Sprintf("variant %s: timing for %s, which it does not matter to", v.Name, sc))
			}
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("variants: %s", strings.Join(errs, "; "))
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
