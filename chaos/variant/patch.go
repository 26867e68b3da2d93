package variant

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
	"sigs.k8s.io/e2e-framework/klient/k8s"
	"sigs.k8s.io/e2e-framework/klient/k8s/resources"
	"sigs.k8s.io/yaml"

	"github.com/selfheal/selfheal/chaos/app"
)

// ObjectPatch is a strategic-merge patch of one object the app deploys,
// as kustomize's patches of that kind are: Kind and Name say which
// object, Patch is the patch in YAML or JSON (Kubernetes' own merge rules:
// containers merge by name, `$patch: delete` removes).
type ObjectPatch struct {
	Kind  string `json:"kind"`
	Name  string `json:"name"`
	Patch string `json:"patch"`
}

// Patches is a variant's Patch made of object patches: the app deploys
// its objects with each patch applied. An app deployed already has no
// objects of selfheal's to patch.
func Patches(ps ...ObjectPatch) func(app.App) (app.App, error) {
	return func(a app.App) (app.App, error) {
		if a.Deploy.Existing {
			return a, fmt.Errorf("%s is deployed already: there are no objects to patch", a.Name)
		}
		base := a
		a.Deploy = app.Deploy{Source: patched{base: base, patches: ps}}
		return a, nil
	}
}

// patched is an app's objects with patches applied.
type patched struct {
	base    app.App
	patches []ObjectPatch
}

// Objects implements app.Source.
func (p patched) Objects(ctx context.Context) ([]k8s.Object, error) {
	objs, err := p.base.Objects(ctx)
	if err != nil {
		return nil, err
	}
	for _, ps := range p.patches {
		i := find(objs, ps.Kind, ps.Name)
		if i < 0 {
			return nil, fmt.Errorf("patch of %s %s: the app deploys no such object", ps.Kind, ps.Name)
		}
		if objs[i], err = patch(objs[i], ps.Patch); err != nil {
			return nil, fmt.Errorf("patch of %s %s: %w", ps.Kind, ps.Name, err)
		}
	}
	return objs, nil
}

// Prune implements app.Pruner: the base's, when it prunes.
func (p patched) Prune(ctx context.Context, r *resources.Resources) error {
	if pr, ok := p.base.Deploy.Source.(app.Pruner); ok {
		return pr.Prune(ctx, r)
	}
	return nil
}

func find(objs []k8s.Object, kind, name string) int {
	for i, o := range objs {
		if o.GetObjectKind().GroupVersionKind().Kind == kind && o.GetName() == name {
			return i
		}
	}
	return -1
}

// patch applies a strategic-merge patch to a typed object (the merge keys
// come from its Go type, as kubectl's do).
func patch(o k8s.Object, p string) (k8s.Object, error) {
	if _, ok := o.(*unstructured.Unstructured); ok {
		return nil, fmt.Errorf("a strategic-merge patch needs a built-in kind, not %T", o)
	}
	pj, err := yaml.YAMLToJSON([]byte(p))
	if err != nil {
		return nil, fmt.Errorf("the patch is not YAML: %w", err)
	}
	orig, err := json.Marshal(o)
	if err != nil {
		return nil, err
	}
	fresh := reflect.New(reflect.TypeOf(o).Elem()).Interface().(k8s.Object)
	out, err := strategicpatch.StrategicMergePatch(orig, pj, fresh)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(out, fresh); err != nil {
		return nil, err
	}
	fresh.GetObjectKind().SetGroupVersionKind(o.GetObjectKind().GroupVersionKind())
	return fresh, nil
}
