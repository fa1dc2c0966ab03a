package triage

import (
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	policyv1 "k8s.io/api/policy/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// add feeds one object to the accumulator, whichever way it was read: from
// a list, an informer cache or a test. Unless a.owned, the objects the
// accumulator trims or scrubs are copied first and the others (healthy pods,
// events, nodes) are only read, so the object stays as it was. Succeeded
// pods hold no resources and are never findings: they are skipped, as
// Gather's field selector leaves them out.
func (a *accumulator) add(o runtime.Object) {
	switch v := o.(type) {
	case *corev1.Node:
		a.node(*v) // node copies the struct and only drops its managed fields
	case *corev1.Pod:
		if v.Status.Phase == corev1.PodSucceeded {
			return
		}
		if podHasProblem(v) {
			v = fresh(a, v)
		}
		a.pod(*v)
	case *corev1.Event:
		a.event(*v)
	case *appsv1.Deployment:
		a.deployment(*fresh(a, v))
	case *appsv1.StatefulSet:
		a.statefulSet(*fresh(a, v))
	case *appsv1.DaemonSet:
		a.daemonSet(*fresh(a, v))
	case *appsv1.ReplicaSet:
		a.replicaSet(*fresh(a, v))
	case *batchv1.Job:
		a.job(*fresh(a, v))
	case *corev1.PersistentVolumeClaim:
		a.pvc(*fresh(a, v))
	case *corev1.Service:
		a.service(*fresh(a, v))
	case *discoveryv1.EndpointSlice:
		a.slice(*v)
	case *corev1.ResourceQuota:
		a.quota(*fresh(a, v))
	case *storagev1.StorageClass:
		a.storageClass(*v)
	case *storagev1.CSIDriver:
		a.csi = append(a.csi, v.Name)
	case *batchv1.CronJob:
		a.cronJob(*fresh(a, v))
	case *autoscalingv2.HorizontalPodAutoscaler:
		a.hpa(*fresh(a, v))
	case *policyv1.PodDisruptionBudget:
		a.pdb(*fresh(a, v))
	case *corev1.ConfigMap:
		a.configObject("ConfigMap", v.Namespace, v.Name, append(keysOf(v.Data), keysOf(v.BinaryData)...))
	case *corev1.Secret:
		a.configObject("Secret", v.Namespace, v.Name, append(keysOf(v.Data), keysOf(v.StringData)...))
	}
}

// fresh returns v itself when the accumulator owns it, else a deep copy.
func fresh[T interface{ DeepCopy() T }](a *accumulator, v T) T {
	if a.owned {
		return v
	}
	return v.DeepCopy()
}

// seal adds the nodes whose objects were not listed, which still show the
// pods bound to them, and finishes the facts.
func (a *accumulator) seal(version string) *Facts {
	for name, nf := range a.usage {
		nf.Node.Name = name
		a.nodes[name] = nf
	}
	return a.finish(version)
}
