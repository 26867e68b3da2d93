package html

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"html/template"
	"io"

	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/chaos/stats"
	"github.com/selfheal/selfheal/reports/view"
)

//go:embed assets/variants.html.tmpl
var variantsAssets embed.FS

// WriteVariants renders the variants page (variants.html of a run over
// fixture variants) in the report's self-contained style: the same
// stylesheet, the repeated scenarios' strips as its charts, nothing
// loaded.
func WriteVariants(ctx context.Context, w io.Writer, v *view.Variants) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	css, err := assets.ReadFile("assets/report.css")
	if err != nil {
		return fmt.Errorf("reading embedded stylesheet: %w", err)
	}
	tmpl, err := template.New("variants").Funcs(template.FuncMap{
		"f":           f,
		"stripOf":     stripOf,
		"verdictIcon": funcs["verdictIcon"],
		// The compare page's colours: a verdict's for better and for no
		// clear difference, a failed figure's for worse.
		"verdictClass": func(v stats.Verdict) string {
			switch v {
			case stats.Better:
				return string(result.VerdictPass)
			case stats.Worse:
				return string(view.StateBad)
			}
			return string(result.VerdictNone)
		},
	}).ParseFS(variantsAssets, "assets/variants.html.tmpl")
	if err != nil {
		return fmt.Errorf("parsing the variants template: %w", err)
	}
	var buf bytes.Buffer
	if err := tmpl.ExecuteTemplate(&buf, "variants", variantsPage{v, template.CSS(css)}); err != nil {
		return fmt.Errorf("rendering the variants page: %w", err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("writing the variants page: %w", err)
	}
	return nil
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
