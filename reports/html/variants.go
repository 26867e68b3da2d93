package html

import (
	"bytes"
	"context"
	"embed"
	"html/template"
	"io"

	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/reports/view"
)

//go:embed assets/variants.html.tmpl
var variantsAssets embed.FS

// WriteVariants renders the variants page (variants.html of a run over
// fixture variants) in the report's self-contained style: the same
// stylesheet, the repeated scenarios' strips as its charts, nothing
// loaded.
func WriteVariants(ctx context.Context, w io.Writer, v *view.Variants) error {
	fm := template.FuncMap{
		"f":            f,
		"stripOf":      stripOf,
		"verdictIcon":  funcs["verdictIcon"],
		"verdictClass": compareClass,
	}
	return writePage(ctx, w, variantsAssets, "assets/variants.html.tmpl", "variants", fm,
		func(css template.CSS) any { return variantsPage{v, css} })
}

// VariantsFile is the variants page's name in a run's directory.
const VariantsFile = "variants.html"

// Variants builds and renders the variants page of results; it returns
// view.ErrNoVariants when they ran against one variant only.
func Variants(ctx context.Context, results []*result.Result, opts ...view.VariantsOption) ([]byte, error) {
	page, err := view.BuildVariants(results, opts...)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := WriteVariants(ctx, &buf, page); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

type variantsPage struct {
	*view.Variants
	CSS template.CSS
}
