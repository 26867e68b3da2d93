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

//go:embed assets/compare.html.tmpl
var compareAssets embed.FS

// WriteComparison renders the page of `selfheal compare` in the report's
// self-contained style (the same stylesheet, nothing loaded).
func WriteComparison(ctx context.Context, w io.Writer, c *view.Comparison) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	css, err := assets.ReadFile("assets/report.css")
	if err != nil {
		return fmt.Errorf("reading embedded stylesheet: %w", err)
	}
	tmpl, err := template.New("compare").Funcs(template.FuncMap{
		"sides": func(c comparePage) []view.CompareSide { return []view.CompareSide{c.Base, c.New} },
		// The report's colours: a verdict's for better and for no clear
		// difference, a failed figure's for worse.
		"verdictClass": func(v stats.Verdict) string {
			switch v {
			case stats.Better:
				return string(result.VerdictPass)
			case stats.Worse:
				return string(view.StateBad)
			}
			return string(result.VerdictNone)
		},
	}).ParseFS(compareAssets, "assets/compare.html.tmpl")
	if err != nil {
		return fmt.Errorf("parsing the compare template: %w", err)
	}
	var buf bytes.Buffer
	if err := tmpl.ExecuteTemplate(&buf, "compare", comparePage{c, template.CSS(css)}); err != nil {
		return fmt.Errorf("rendering the comparison: %w", err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("writing the comparison: %w", err)
	}
	return nil
}

type comparePage struct {
	*view.Comparison
	CSS template.CSS
}
