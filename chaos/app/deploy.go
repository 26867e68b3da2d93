package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/e2e-framework/klient/decoder"
	"sigs.k8s.io/e2e-framework/klient/k8s"
	"sigs.k8s.io/e2e-framework/klient/k8s/resources"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// FieldManager is who owns the fields selfheal applies.
const FieldManager = "selfheal"

// Objects are the objects the description deploys, in the order they are
// applied, each in Namespace; nil for an app that is deployed already.
func (a App) Objects(ctx context.Context) ([]k8s.Object, error) {
	var objs []k8s.Object
	var err error
	switch d := a.Deploy; {
	case d.Source != nil:
		objs, err = d.Source.Objects(ctx)
	case d.Manifests != "":
		objs, err = manifests(ctx, d.Manifests)
	case d.Kustomization != "":
		objs, err = kustomize(ctx, d.Kustomization)
	default:
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("the objects of %s: %w", a.Name, err)
	}
	return objs, inNamespace(objs, a.Namespace)
}

// manifests decodes every *.yaml and *.yml file of dir, in name order.
func manifests(ctx context.Context, dir string) ([]k8s.Object, error) {
	var files []string
	for _, pat := range []string{"*.yaml", "*.yml"} {
		m, err := filepath.Glob(filepath.Join(dir, pat))
		if err != nil {
			return nil, err
		}
		files = append(files, m...)
	}
	sort.Strings(files)
	if len(files) == 0 {
		return nil, fmt.Errorf("no *.yaml or *.yml file in %s", dir)
	}
	var objs []k8s.Object
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		decoded, err := decoder.DecodeAll(ctx, bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("decoding %s: %w", f, err)
		}
		objs = append(objs, decoded...)
	}
	return objs, nil
}

// kustomize builds dir as `kustomize build` does (sigs.k8s.io/kustomize's
// own library), with its default options: no plugins, files from under
// dir only.
func kustomize(ctx context.Context, dir string) ([]k8s.Object, error) {
	m, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		return nil, fmt.Errorf("kustomize build %s: %w", dir, err)
	}
	y, err := m.AsYaml()
	if err != nil {
		return nil, fmt.Errorf("kustomize build %s: %w", dir, err)
	}
	objs, err := decoder.DecodeAll(ctx, bytes.NewReader(y))
	if err != nil {
		return nil, fmt.Errorf("decoding the build of %s: %w", dir, err)
	}
	return objs, nil
}

// clusterScoped are the kinds an app's manifests may hold that live
// outside any namespace; every other object belongs in the app's.
var clusterScoped = map[string]bool{
	"Namespace": true, "ClusterRole": true, "ClusterRoleBinding": true, "StorageClass": true,
	"PriorityClass": true, "PersistentVolume": true, "CustomResourceDefinition": true, "IngressClass": true,
}

// inNamespace puts every namespaced object without a namespace into ns,
// and refuses one in another namespace: the scenarios, the steady state
// and the timeline look in ns only.
func inNamespace(objs []k8s.Object, ns string) error {
	var elsewhere []string
	for _, o := range objs {
		kind := o.GetObjectKind().GroupVersionKind().Kind
		switch {
		case clusterScoped[kind]:
		case o.GetNamespace() == "":
			o.SetNamespace(ns)
		case o.GetNamespace() != ns:
			elsewhere = append(elsewhere, fmt.Sprintf("%s %s/%s", kind, o.GetNamespace(), o.GetName()))
		}
	}
	if len(elsewhere) > 0 {
		return fmt.Errorf("objects outside the app's namespace %s: %s", ns, strings.Join(elsewhere, ", "))
	}
	return nil
}

// Apply creates the namespace and applies every object server-side, so
// applying a changed description over a running app changes exactly the
// fields that differ; a Source that is a Pruner then removes what an
// earlier set-up left. An app deployed already only needs its namespace
// to exist.
func (a App) Apply(ctx context.Context, r *resources.Resources) error {
	if a.Deploy.Existing {
		if err := r.Get(ctx, a.Namespace, "", &corev1.Namespace{}); err != nil {
			return fmt.Errorf("the app is said to be deployed already, but namespace %s: %w", a.Namespace, err)
		}
		return nil
	}
	objs, err := a.Objects(ctx)
	if err != nil {
		return err
	}
	if err := ensureNamespace(ctx, r, a.Namespace); err != nil {
		return err
	}
	for _, o := range objs {
		if err := apply(ctx, r, o); err != nil {
			return err
		}
	}
	if p, ok := a.Deploy.Source.(Pruner); ok {
		return p.Prune(ctx, r)
	}
	return nil
}

func ensureNamespace(ctx context.Context, r *resources.Resources, name string) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"app.kubernetes.io/part-of": "selfheal"}}}
	err := r.Create(ctx, ns)
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating namespace %s: %w", name, err)
	}
	return nil
}

func apply(ctx context.Context, r *resources.Resources, o k8s.Object) error {
	data, err := json.Marshal(o)
	if err != nil {
		return fmt.Errorf("encoding %T %s: %w", o, o.GetName(), err)
	}
	force := true
	err = r.Patch(ctx, o, k8s.Patch{PatchType: types.ApplyPatchType, Data: data}, func(po *metav1.PatchOptions) {
		po.FieldManager = FieldManager
		po.Force = &force
	})
	if err != nil {
		return fmt.Errorf("applying %s %s/%s: %w", o.GetObjectKind().GroupVersionKind().Kind, o.GetNamespace(), o.GetName(), err)
	}
	return nil
}
