package html

import (
	"context"
	"embed"
	"html/template"
	"io"

	"github.com/selfheal/selfheal/reports/view"
)

//go:embed assets/compare.html.tmpl
var compareAssets embed.FS

// WriteComparison renders the page of `selfheal compare` in the report's
// self-contained style (the same stylesheet, nothing loaded).
func WriteComparison(ctx context.Context, w io.Writer, c *view.Comparison) error {
	fm := template.FuncMap{
		"sides":        func(c comparePage) []view.CompareSide { return []view.CompareSide{c.Base, c.New} },
		"verdictClass": compareClass,
	}
	return writePage(ctx, w, compareAssets, "assets/compare.html.tmpl", "compare", fm,
		func(css template.CSS) any { return comparePage{c, css} })
}

type comparePage struct {
	*view.Comparison
	CSS template.CSS
}
