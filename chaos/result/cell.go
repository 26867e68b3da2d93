package result

// BaselineVariant is the variant of a result that names none: results from
// before variants ran against today's fixture (chaos/variant.Baseline).
const BaselineVariant = "baseline"

// VariantName is the fixture variant r ran against, BaselineVariant when
// it names none.
func (r *Result) VariantName() string {
	if r.Run == nil || r.Run.Variant == "" {
		return BaselineVariant
	}
	return r.Run.Variant
}

// Label names r's scenario for people, with its variant unless baseline:
// "pod-eviction", "pod-eviction@no-pdb". Two results of one run are told
// apart by it (and by the repetition).
func (r *Result) Label() string {
	if v := r.VariantName(); v != BaselineVariant {
		return r.Scenario + "@" + v
	}
	return r.Scenario
}
