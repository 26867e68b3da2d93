package nodeagent

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/e2e-framework/klient/decoder"
)

//go:embed manifests.yaml
var manifestsYAML []byte

// Objects are the agent's objects, in the order they are applied.
type Objects struct {
	Namespace      *corev1.Namespace
	ServiceAccount *corev1.ServiceAccount
	Role           *rbacv1.Role
	RoleBinding    *rbacv1.RoleBinding
	DaemonSet      *appsv1.DaemonSet
}

// Objects decodes the embedded manifests and sets the agent's image.
func (a *Agent) Objects() (Objects, error) {
	decoded, err := decoder.DecodeAll(context.Background(), bytes.NewReader(manifestsYAML))
	if err != nil {
		return Objects{}, fmt.Errorf("decoding the node agent's manifests: %w", err)
	}
	var o Objects
	for _, obj := range decoded {
		switch v := obj.(type) {
		case *corev1.Namespace:
			o.Namespace = v
		case *corev1.ServiceAccount:
			o.ServiceAccount = v
		case *rbacv1.Role:
			o.Role = v
		case *rbacv1.RoleBinding:
			o.RoleBinding = v
		case *appsv1.DaemonSet:
			o.DaemonSet = v
		default:
			return Objects{}, fmt.Errorf("the node agent's manifests hold an unexpected %T", obj)
		}
	}
	if o.Namespace == nil || o.ServiceAccount == nil || o.Role == nil || o.RoleBinding == nil || o.DaemonSet == nil {
		return Objects{}, fmt.Errorf("the node agent's manifests lack an object: %+v", o)
	}
	pod := &o.DaemonSet.Spec.Template
	if a.image != "" {
		pod.Spec.Containers[0].Image = a.image
	}
	if a.imageID != "" {
		if pod.Annotations == nil {
			pod.Annotations = map[string]string{}
		}
		pod.Annotations[imageIDAnnotation] = a.imageID
	}
	return o, nil
}

// fieldManager owns the fields selfheal applies (fixtures/app's too).
const fieldManager = "selfheal"

// apply server-side applies the objects in order, taking over any field
// another manager set: the agent's objects are selfheal's alone.
func (a *Agent) apply(ctx context.Context, o Objects) error {
	force := true
	opts := metav1.PatchOptions{FieldManager: fieldManager, Force: &force}
	core, rbac := a.cs.CoreV1(), a.cs.RbacV1()
	o.Namespace.TypeMeta = metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"}
	o.ServiceAccount.TypeMeta = metav1.TypeMeta{APIVersion: "v1", Kind: "ServiceAccount"}
	o.Role.TypeMeta = metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "Role"}
	o.RoleBinding.TypeMeta = metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "RoleBinding"}
	o.DaemonSet.TypeMeta = metav1.TypeMeta{APIVersion: "apps/v1", Kind: "DaemonSet"}
	steps := []struct {
		obj   metav1.Object
		kind  string
		apply func(name string, data []byte) error
	}{
		{o.Namespace, "Namespace", func(n string, d []byte) error {
			_, err := core.Namespaces().Patch(ctx, n, types.ApplyPatchType, d, opts)
			return err
		}},
		{o.ServiceAccount, "ServiceAccount", func(n string, d []byte) error {
			_, err := core.ServiceAccounts(Namespace).Patch(ctx, n, types.ApplyPatchType, d, opts)
			return err
		}},
		{o.Role, "Role", func(n string, d []byte) error {
			_, err := rbac.Roles(Namespace).Patch(ctx, n, types.ApplyPatchType, d, opts)
			return err
		}},
		{o.RoleBinding, "RoleBinding", func(n string, d []byte) error {
			_, err := rbac.RoleBindings(Namespace).Patch(ctx, n, types.ApplyPatchType, d, opts)
			return err
		}},
		{o.DaemonSet, "DaemonSet", func(n string, d []byte) error {
			_, err := a.cs.AppsV1().DaemonSets(Namespace).Patch(ctx, n, types.ApplyPatchType, d, opts)
			return err
		}},
	}
	for _, s := range steps {
		data, err := json.Marshal(s.obj)
		if err == nil {
			err = s.apply(s.obj.GetName(), data)
		}
		if err != nil {
			return fmt.Errorf("applying the node agent's %s %s: %w", s.kind, s.obj.GetName(), err)
		}
	}
	return nil
}
