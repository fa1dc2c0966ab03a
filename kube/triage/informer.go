package triage

import (
	"context"
	"sort"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	policyv1 "k8s.io/api/policy/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
)

// FromCache builds Facts from objects held in shared informer caches, the way
// Gather does from lists: the same accumulator, the server version, and the
// pods of nodes whose objects are absent. The objects are never changed: the
// ones the accumulator trims or scrubs are copied first, the others (healthy
// pods, events, nodes) are only read, so the caches stay as the informers left
// them. Pods of every namespace may be passed, as Gather lists them; other
// namespaced kinds should be of namespace only (DaemonSets of kube-system are
// welcome: they name the CNI plugin).
func FromCache(collected time.Time, namespace, version string, objs ...runtime.Object) *Facts {
	a := newAccumulator(collected, namespace)
	for _, o := range objs {
		switch v := o.(type) {
		case *corev1.Node:
			a.node(*v) // node copies the struct and only drops its managed fields
		case *corev1.Pod:
			if v.Status.Phase == corev1.PodSucceeded {
				continue // Gather's field selector leaves them out
			}
			if podHasProblem(v) {
				v = v.DeepCopy()
			}
			a.pod(*v)
		case *corev1.Event:
			a.event(*v)
		case *appsv1.Deployment:
			a.deployment(*v.DeepCopy())
		case *appsv1.StatefulSet:
			a.statefulSet(*v.DeepCopy())
		case *appsv1.DaemonSet:
			a.daemonSet(*v.DeepCopy())
		case *appsv1.ReplicaSet:
			a.replicaSet(*v.DeepCopy())
		case *batchv1.Job:
			a.job(*v.DeepCopy())
		case *corev1.PersistentVolumeClaim:
			a.pvc(*v.DeepCopy())
		case *corev1.Service:
			a.service(*v.DeepCopy())
		case *discoveryv1.EndpointSlice:
			a.slice(*v)
		case *corev1.ResourceQuota:
			a.quota(*v.DeepCopy())
		case *storagev1.StorageClass:
			a.storageClass(*v)
		case *storagev1.CSIDriver:
			a.csi = append(a.csi, v.Name)
		case *batchv1.CronJob:
			a.cronJob(*v.DeepCopy())
		case *autoscalingv2.HorizontalPodAutoscaler:
			a.hpa(*v.DeepCopy())
		case *policyv1.PodDisruptionBudget:
			a.pdb(*v.DeepCopy())
		}
	}
	for name, nf := range a.usage {
		nf.Node.Name = name
		a.nodes[name] = nf
	}
	return a.finish(version)
}

// FollowUp returns facts built from caches completed with the reads Gather
// makes after its lists: the key names of the ConfigMaps and Secrets that
// pods waiting in CreateContainerConfigError refer to, and the previous log
// tail of one crash-looping container per owner, through cs. A failed read
// is a gap. f is not changed; the copy shares its unchanged slices.
func FollowUp(ctx context.Context, cs kubernetes.Interface, f *Facts) *Facts {
	g := *f
	g.ConfigRefs = append([]ConfigObject(nil), f.ConfigRefs...)
	g.Logs = append([]LogTail(nil), f.Logs...)
	g.Gaps = append([]string(nil), f.Gaps...)
	a := newAccumulator(f.Collected, f.Namespace)
	a.f = &g
	a.followUp(ctx, cs)
	sort.Slice(g.ConfigRefs, func(i, j int) bool {
		x, y := g.ConfigRefs[i], g.ConfigRefs[j]
		return x.Namespace+"/"+x.Kind+"/"+x.Name < y.Namespace+"/"+y.Kind+"/"+y.Name
	})
	sort.Strings(g.Gaps)
	return &g
}
