package faulttest

import (
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

// Deployments is the resource of the fake clientset's Deployments.
var Deployments = appsv1.SchemeGroupVersion.WithResource("deployments")

// Scales makes cs answer the scale subresource of its Deployments, which
// the fake clientset's tracker does not know: GetScale reads the
// Deployment's replica count (selector is the scale's status selector),
// UpdateScale hands the new scale to update, which changes what it will
// and answers as the API server would.
func Scales(cs *fake.Clientset, selector string, update func(*autoscalingv1.Scale) (*autoscalingv1.Scale, error)) {
	cs.PrependReactor("get", "deployments", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if a.GetSubresource() != "scale" {
			return false, nil, nil
		}
		obj, err := cs.Tracker().Get(Deployments, a.GetNamespace(), a.(k8stesting.GetAction).GetName())
		if err != nil {
			return true, nil, err
		}
		d := obj.(*appsv1.Deployment)
		return true, &autoscalingv1.Scale{ObjectMeta: metav1.ObjectMeta{Name: d.Name, Namespace: d.Namespace},
			Spec: autoscalingv1.ScaleSpec{Replicas: *d.Spec.Replicas}, Status: autoscalingv1.ScaleStatus{Selector: selector}}, nil
	})
	cs.PrependReactor("update", "deployments", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if a.GetSubresource() != "scale" {
			return false, nil, nil
		}
		s, err := update(a.(k8stesting.UpdateAction).GetObject().(*autoscalingv1.Scale))
		if err != nil {
			return true, nil, err
		}
		return true, s, nil
	})
}
