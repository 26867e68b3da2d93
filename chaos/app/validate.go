package app

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Validate checks the description before any work: every problem, each
// naming its field by its YAML path (Kubernetes' own field errors:
// "serving.kind: Unsupported value: ...").
func (a App) Validate() error {
	var errs field.ErrorList
	if strings.TrimSpace(a.Name) == "" {
		errs = append(errs, field.Required(field.NewPath("name"), "what people call the app, e.g. WordPress"))
	}
	errs = append(errs, dnsLabel(field.NewPath("namespace"), a.Namespace)...)
	errs = append(errs, a.Deploy.validate(field.NewPath("deploy"))...)
	errs = append(errs, a.Serving.validate(field.NewPath("serving"))...)
	errs = append(errs, a.Load.validate(field.NewPath("load"))...)
	if a.NextImage != "" && strings.ContainsAny(a.NextImage, " \t\n") {
		errs = append(errs, field.Invalid(field.NewPath("nextImage"), a.NextImage, "an image reference holds no spaces"))
	}
	if a.Database != nil {
		errs = append(errs, a.Database.validate(field.NewPath("database"))...)
	}
	if a.Writes != nil {
		errs = append(errs, a.Writes.validate(field.NewPath("writes"), a.Database != nil)...)
	}
	if a.ConfigBreak != nil {
		errs = append(errs, a.ConfigBreak.validate(field.NewPath("configBreak"))...)
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("invalid app description: %w", errs.ToAggregate())
}

func dnsLabel(p *field.Path, v string) field.ErrorList {
	if v == "" {
		return field.ErrorList{field.Required(p, "")}
	}
	var errs field.ErrorList
	for _, msg := range validation.IsDNS1123Label(v) {
		errs = append(errs, field.Invalid(p, v, msg))
	}
	return errs
}

func (d Deploy) validate(p *field.Path) field.ErrorList {
	var ways []string
	if d.Manifests != "" {
		ways = append(ways, "manifests")
	}
	if d.Kustomization != "" {
		ways = append(ways, "kustomization")
	}
	if d.Existing {
		ways = append(ways, "existing")
	}
	if d.Source != nil {
		ways = append(ways, "source (Go)")
	}
	switch len(ways) {
	case 0:
		return field.ErrorList{field.Required(p, "one of manifests (a directory of YAML files), kustomization (a directory with a kustomization.yaml) or existing: true")}
	case 1:
	default:
		return field.ErrorList{field.Invalid(p, strings.Join(ways, ", "), "give exactly one way to deploy the app")}
	}
	var errs field.ErrorList
	if d.Manifests != "" {
		if err := isDir(d.Manifests); err != nil {
			errs = append(errs, field.Invalid(p.Child("manifests"), d.Manifests, err.Error()))
		}
	}
	if d.Kustomization != "" {
		if err := isDir(d.Kustomization); err != nil {
			errs = append(errs, field.Invalid(p.Child("kustomization"), d.Kustomization, err.Error()))
		} else if kustomizationFile(d.Kustomization) == "" {
			errs = append(errs, field.Invalid(p.Child("kustomization"), d.Kustomization, "holds no kustomization.yaml, kustomization.yml or Kustomization"))
		}
	}
	return errs
}

func isDir(path string) error {
	st, err := os.Stat(path)
	switch {
	case err != nil:
		return fmt.Errorf("not a directory: %w", err)
	case !st.IsDir():
		return fmt.Errorf("not a directory")
	}
	return nil
}

// kustomizationFile is the kustomization file in dir, "" when none.
func kustomizationFile(dir string) string {
	for _, n := range []string{"kustomization.yaml", "kustomization.yml", "Kustomization"} {
		if st, err := os.Stat(filepath.Join(dir, n)); err == nil && !st.IsDir() {
			return n
		}
	}
	return ""
}

func (w Workload) validate(p *field.Path) field.ErrorList {
	var errs field.ErrorList
	switch w.Kind {
	case Deployment, StatefulSet, DaemonSet:
	case "":
		errs = append(errs, field.Required(p.Child("kind"), "Deployment, StatefulSet or DaemonSet"))
	default:
		errs = append(errs, field.NotSupported(p.Child("kind"), w.Kind, Kinds()))
	}
	switch {
	case w.Name == "" && w.Selector == "":
		errs = append(errs, field.Required(p.Child("name"), "the workload's name, or a selector matching its labels"))
	case w.Name != "" && w.Selector != "":
		errs = append(errs, field.Invalid(p.Child("selector"), w.Selector, "give the name or a selector, not both"))
	case w.Name != "":
		for _, msg := range validation.IsDNS1123Subdomain(w.Name) {
			errs = append(errs, field.Invalid(p.Child("name"), w.Name, msg))
		}
	default:
		if _, err := labels.Parse(w.Selector); err != nil {
			errs = append(errs, field.Invalid(p.Child("selector"), w.Selector, err.Error()))
		}
	}
	if w.Container != "" {
		for _, msg := range validation.IsDNS1123Label(w.Container) {
			errs = append(errs, field.Invalid(p.Child("container"), w.Container, msg))
		}
	}
	return errs
}

func (s Serving) validate(p *field.Path) field.ErrorList {
	errs := s.Workload.validate(p)
	if s.Service == "" {
		return append(errs, field.Required(p.Child("service"), "the Service the load reaches the workload through"))
	}
	for _, msg := range validation.IsDNS1035Label(s.Service) {
		errs = append(errs, field.Invalid(p.Child("service"), s.Service, msg))
	}
	return errs
}

func (l Load) validate(p *field.Path) field.ErrorList {
	var errs field.ErrorList
	u, err := url.Parse(l.Base)
	switch {
	case l.Base == "":
		errs = append(errs, field.Required(p.Child("base"), "where the load enters, e.g. http://127.0.0.1:30080"))
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "":
		errs = append(errs, field.Invalid(p.Child("base"), l.Base, "want an http:// or https:// URL with a host and no query"))
	}
	if len(l.Paths) == 0 {
		errs = append(errs, field.Required(p.Child("paths"), "at least one path, e.g. /"))
	}
	for i, path := range l.Paths {
		errs = append(errs, urlPath(p.Child("paths").Index(i), path)...)
	}
	return errs
}

func urlPath(p *field.Path, path string) field.ErrorList {
	if !strings.HasPrefix(path, "/") {
		return field.ErrorList{field.Invalid(p, path, "a path begins with /")}
	}
	if _, err := url.Parse(path); err != nil || strings.ContainsAny(path, " \t\n#") {
		return field.ErrorList{field.Invalid(p, path, "not a URL path (no spaces, no fragment)")}
	}
	return nil
}

func (d Database) validate(p *field.Path) field.ErrorList {
	errs := d.Workload.validate(p)
	if strings.TrimSpace(d.Title) == "" {
		errs = append(errs, field.Required(p.Child("title"), "what people call the database, e.g. PostgreSQL"))
	}
	if d.Port < 1 || d.Port > 65535 {
		errs = append(errs, field.Invalid(p.Child("port"), d.Port, "the TCP port the app reaches the database on, 1 to 65535"))
	}
	return errs
}

// tableName is what a MySQL table name may hold here: it goes into SQL
// unquoted but for backticks (chaos/writes.Query).
var tableName = regexp.MustCompile(`^[A-Za-z0-9_]{1,64}$`)

func (w Writes) validate(p *field.Path, hasDatabase bool) field.ErrorList {
	var errs field.ErrorList
	if w.Path == "" {
		errs = append(errs, field.Required(p.Child("path"), "the write endpoint under load.base, e.g. /writes"))
	} else {
		errs = append(errs, urlPath(p.Child("path"), w.Path)...)
	}
	c := p.Child("count")
	switch {
	case w.Count.MySQLTable == "" && len(w.Count.Command) == 0:
		errs = append(errs, field.Required(c, "mysqlTable or command: how to count the stored rows per id"))
	case w.Count.MySQLTable != "" && len(w.Count.Command) > 0:
		errs = append(errs, field.Invalid(c.Child("command"), w.Count.Command, "give mysqlTable or command, not both"))
	case w.Count.MySQLTable != "" && !tableName.MatchString(w.Count.MySQLTable):
		errs = append(errs, field.Invalid(c.Child("mysqlTable"), w.Count.MySQLTable, "letters, digits and '_', at most 64"))
	}
	if !hasDatabase {
		errs = append(errs, field.Required(field.NewPath("database"), "writes are counted inside the database's pod"))
	}
	return errs
}

func (b ConfigBreak) validate(p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if len(b.Break) == 0 {
		errs = append(errs, field.Required(p.Child("break"), "the command that breaks the app inside a pod"))
	}
	if len(b.Broken) == 0 {
		errs = append(errs, field.Required(p.Child("broken"), "the command that exits 0 while the pod is broken"))
	}
	if b.Container != "" {
		for _, msg := range validation.IsDNS1123Label(b.Container) {
			errs = append(errs, field.Invalid(p.Child("container"), b.Container, msg))
		}
	}
	return errs
}
