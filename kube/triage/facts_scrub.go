package triage

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kuberesponder/kuberesponder/kube/redact"
)

// trim drops the managed fields, which are large and never needed, and the
// last-applied annotation, and redacts the other annotations: they can hold
// secret values.
func trim[T any](red *redact.Redactor, v T, m *metav1.ObjectMeta) T {
	m.ManagedFields = nil
	delete(m.Annotations, "kubectl.kubernetes.io/last-applied-configuration")
	redactAnnotations(red, m.Annotations)
	return v
}

// redactAnnotations redacts annotation values in place; short values with
// no punctuation that could carry an assignment are read as they are.
func redactAnnotations(red *redact.Redactor, ann map[string]string) {
	for k, v := range ann {
		if len(v) < 8 && !strings.ContainsAny(v, "=:{[") && !redact.SecretName(k) {
			continue
		}
		ann[k], _ = red.Value(k, v)
	}
}

// scrubTemplate scrubs a workload's pod template: its spec and its
// annotations.
func scrubTemplate(red *redact.Redactor, t *corev1.PodTemplateSpec) {
	scrub(&t.Spec)
	t.ManagedFields = nil
	delete(t.Annotations, "kubectl.kubernetes.io/last-applied-configuration")
	redactAnnotations(red, t.Annotations)
}

// scrub drops what no rule reads and what may hold secret values: container
// commands, arguments and environment values.
func scrub(spec *corev1.PodSpec) {
	for _, cs := range [][]corev1.Container{spec.InitContainers, spec.Containers} {
		for i := range cs {
			cs[i].Command, cs[i].Args = nil, nil
			for j := range cs[i].Env {
				cs[i].Env[j].Value = ""
			}
		}
	}
}
