package html

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"io"
	"io/fs"

	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/chaos/stats"
	"github.com/selfheal/selfheal/reports/view"
)

// writePage renders the page template name (in file of fsys) with the
// report's stylesheet inlined, so the page loads nothing, and writes it
// to w only once it rendered whole.
func writePage(ctx context.Context, w io.Writer, fsys fs.FS, file, name string, funcs template.FuncMap, data func(css template.CSS) any) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	css, err := assets.ReadFile("assets/report.css")
	if err != nil {
		return fmt.Errorf("reading embedded stylesheet: %w", err)
	}
	tmpl, err := template.New(name).Funcs(funcs).ParseFS(fsys, file)
	if err != nil {
		return fmt.Errorf("parsing the %s template: %w", name, err)
	}
	var buf bytes.Buffer
	if err := tmpl.ExecuteTemplate(&buf, name, data(template.CSS(css))); err != nil {
		return fmt.Errorf("rendering the %s page: %w", name, err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("writing the %s page: %w", name, err)
	}
	return nil
}

// compareClass gives a comparison verdict the report's colours: a
// verdict's for better and for no clear difference, a failed figure's for
// worse.
func compareClass(v stats.Verdict) string {
	switch v {
	case stats.Better:
		return string(result.VerdictPass)
	case stats.Worse:
		return string(view.StateBad)
	}
	return string(result.VerdictNone)
}
