package app

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// ReadFile reads a description from a YAML file and validates it. Relative
// deploy paths are taken from the file's directory. An unknown or
// repeated field is an error naming it, as a misspelt one would otherwise
// be silently left out.
func ReadFile(path string) (App, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return App{}, fmt.Errorf("reading the app description: %w", err)
	}
	a, err := Parse(data, filepath.Dir(path))
	if err != nil {
		return a, fmt.Errorf("app description %s: %w", path, err)
	}
	return a, nil
}

// Parse reads a description from YAML (or JSON) and validates it; dir is
// where relative deploy paths start.
func Parse(data []byte, dir string) (App, error) {
	var a App
	j, err := yaml.YAMLToJSONStrict(data)
	if err != nil {
		return a, fmt.Errorf("not YAML: %w", err)
	}
	strict, err := kjson.UnmarshalStrict(j, &a, kjson.DisallowUnknownFields, kjson.DisallowDuplicateFields)
	if err != nil {
		return a, fmt.Errorf("decoding: %w", err)
	}
	if len(strict) > 0 {
		return a, fmt.Errorf("decoding: %w", errors.Join(strict...))
	}
	a.Deploy.Manifests = under(dir, a.Deploy.Manifests)
	a.Deploy.Kustomization = under(dir, a.Deploy.Kustomization)
	return a, a.Validate()
}

func under(dir, path string) string {
	if path == "" || filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(dir, path)
}
