package vantage

import (
	"fmt"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/selfheal/selfheal/chaos/kube"
	"github.com/selfheal/selfheal/chaos/loader"
)

// Names and labels of what this package creates. Everything carries
// LabelManagedBy=ManagedBy and LabelComponent, so that one selector finds
// it (Remove).
const (
	// Namespace holds the loaders and the control server, apart from the
	// app: a fault aimed at the app's namespace never touches them.
	Namespace       = "selfheal-vantage"
	LabelManagedBy  = "app.kubernetes.io/managed-by"
	ManagedBy       = "selfheal"
	LabelComponent  = "app.kubernetes.io/component"
	LabelName       = "app.kubernetes.io/name"
	ComponentLoader = "loader"
	// LabelFleet names the loaders of one scenario run.
	LabelFleet      = "selfheal.io/loaders"
	LabelScenario   = "selfheal.io/scenario"
	LoaderContainer = "loader"
	// LoaderBinary is the loader's program in its image.
	LoaderBinary  = "selfheal-loader"
	hostnameLabel = "kubernetes.io/hostname"
)

// loaderJob is loader i of fleet id: a Job of one pod pinned to node
// (required node affinity: the scheduler still checks the node can take
// it), which runs cfg until its pod is deleted or its deadline passes.
// The pod asks for no privilege at all (Pod Security "restricted"), no
// service account token and no CPU limit: throttling would bend its send
// times.
func loaderJob(namespace, id, scenario string, i int, node, image string, cfg loader.Config, keepAlive string) *batchv1.Job {
	labels := map[string]string{
		LabelManagedBy: ManagedBy, LabelComponent: ComponentLoader, LabelName: "selfheal-loader",
		LabelFleet: id, LabelScenario: labelValue(scenario),
	}
	grace := int64((cfg.Timeout + 10*time.Second).Seconds())
	deadline := int64(cfg.MaxDuration.Seconds()) + grace
	ttl := int32(300)
	var backoff int32
	no, yes := false, true
	nobody := int64(65534)
	return &batchv1.Job{
		TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
		ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("selfheal-loader-%s-%d", id, i), Namespace: namespace, Labels: labels},
		Spec: batchv1.JobSpec{
			BackoffLimit:            &backoff,
			ActiveDeadlineSeconds:   &deadline,
			TTLSecondsAfterFinished: &ttl,
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					RestartPolicy:                 corev1.RestartPolicyNever,
					TerminationGracePeriodSeconds: &grace,
					AutomountServiceAccountToken:  &no,
					EnableServiceLinks:            &no,
					Affinity: &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{
						RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{
							MatchExpressions: []corev1.NodeSelectorRequirement{{Key: hostnameLabel, Operator: corev1.NodeSelectorOpIn, Values: []string{node}}},
						}}},
					}},
					Tolerations: controlPlaneToleration(),
					SecurityContext: &corev1.PodSecurityContext{
						RunAsNonRoot: &yes, RunAsUser: &nobody, RunAsGroup: &nobody,
						SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
					},
					Containers: []corev1.Container{{
						Name:            LoaderContainer,
						Image:           image,
						ImagePullPolicy: corev1.PullIfNotPresent,
						Command:         []string{LoaderBinary},
						Args:            loader.Args(cfg, keepAlive),
						Env:             envVars(loader.Env()),
						Resources: corev1.ResourceRequirements{
							Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("20m"), corev1.ResourceMemory: resource.MustParse("32Mi")},
							Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("128Mi")},
						},
						SecurityContext: &corev1.SecurityContext{
							AllowPrivilegeEscalation: &no, ReadOnlyRootFilesystem: &yes,
							Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
						},
					}},
				},
			},
		},
	}
}

// controlPlaneToleration lets a pod run on a control-plane node (kubeadm's
// NoSchedule taint): a loader asked to run there, the control server.
func controlPlaneToleration() []corev1.Toleration {
	return []corev1.Toleration{{Key: kube.ControlPlaneRole, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}}
}

// envVars are "KEY=value" pairs as a container's environment.
func envVars(pairs []string) []corev1.EnvVar {
	vars := make([]corev1.EnvVar, 0, len(pairs))
	for _, p := range pairs {
		k, v, _ := strings.Cut(p, "=")
		vars = append(vars, corev1.EnvVar{Name: k, Value: v})
	}
	return vars
}

// labelValue makes s a valid label value (at most 63 characters of
// letters, digits, '-', '_' and '.', alphanumeric at both ends).
func labelValue(s string) string {
	b := []byte(s)
	for i, c := range b {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.'
		if !ok {
			b[i] = '_'
		}
	}
	if len(b) > 63 {
		b = b[:63]
	}
	for len(b) > 0 && !alnum(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	for len(b) > 0 && !alnum(b[0]) {
		b = b[1:]
	}
	return string(b)
}

func alnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' }

// namespaceObject is the namespace of the loaders and the control server.
func namespaceObject(name string) *corev1.Namespace {
	return &corev1.Namespace{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{LabelManagedBy: ManagedBy}},
	}
}

// Control server: a static page served by busybox httpd on the
// control-plane node, behind its own NodePort with externalTrafficPolicy
// Local, so that a request to it takes the harness's path into the
// cluster (the published port, the node, kube-proxy) and nothing of the
// app's: no worker, no Service endpoint elsewhere, no database, no DNS.
const (
	ComponentControl = "control"
	ControlName      = "selfheal-control"
	// ControlNodePort is the control server's NodePort; the kind config
	// publishes it on the host as 127.0.0.1:30082 beside the app's 30080.
	ControlNodePort = 30082
	controlPort     = 8080
)

func controlLabels() map[string]string {
	return map[string]string{LabelManagedBy: ManagedBy, LabelComponent: ComponentControl, LabelName: ControlName}
}

// controlObjects are the control server's Deployment and Service.
func controlObjects(namespace, image string) (*corev1.Service, *appsv1.Deployment) {
	labels := controlLabels()
	local := corev1.ServiceExternalTrafficPolicyLocal
	svc := &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: metav1.ObjectMeta{Name: ControlName, Namespace: namespace, Labels: labels},
		Spec: corev1.ServiceSpec{
			Type:                  corev1.ServiceTypeNodePort,
			ExternalTrafficPolicy: local,
			Selector:              map[string]string{LabelName: ControlName},
			Ports: []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromString("http"),
				NodePort: ControlNodePort, Protocol: corev1.ProtocolTCP}},
		},
	}
	return svc, controlDeployment(namespace, image, labels)
}

// controlDeployment serves one static page with busybox httpd (its image
// is built here: fixtures/images/busybox) from an emptyDir, as nobody,
// on the control-plane node.
func controlDeployment(namespace, image string, labels map[string]string) *appsv1.Deployment {
	one := int32(1)
	no, yes := false, true
	nobody := int64(65534)
	script := "echo selfheal-control >/www/index.html && exec httpd -f -p " + fmt.Sprint(controlPort) + " -h /www"
	return &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{Name: ControlName, Namespace: namespace, Labels: labels},
		Spec: appsv1.DeploymentSpec{
			Replicas: &one,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{LabelName: ControlName}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					AutomountServiceAccountToken: &no,
					EnableServiceLinks:           &no,
					NodeSelector:                 map[string]string{kube.ControlPlaneRole: ""},
					Tolerations:                  controlPlaneToleration(),
					SecurityContext: &corev1.PodSecurityContext{
						RunAsNonRoot: &yes, RunAsUser: &nobody, RunAsGroup: &nobody,
						SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
					},
					Volumes: []corev1.Volume{{Name: "www", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}},
					Containers: []corev1.Container{{
						Name:            "httpd",
						Image:           image,
						ImagePullPolicy: corev1.PullIfNotPresent,
						Command:         []string{"sh", "-c", script},
						Ports:           []corev1.ContainerPort{{Name: "http", ContainerPort: controlPort, Protocol: corev1.ProtocolTCP}},
						VolumeMounts:    []corev1.VolumeMount{{Name: "www", MountPath: "/www"}},
						ReadinessProbe: &corev1.Probe{
							ProbeHandler:  corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/", Port: intstr.FromString("http")}},
							PeriodSeconds: 5,
						},
						Resources: corev1.ResourceRequirements{
							Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("10m"), corev1.ResourceMemory: resource.MustParse("8Mi")},
							Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("32Mi")},
						},
						SecurityContext: &corev1.SecurityContext{
							AllowPrivilegeEscalation: &no, ReadOnlyRootFilesystem: &yes,
							Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
						},
					}},
				},
			},
		},
	}
}
