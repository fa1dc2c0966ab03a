package triage

import (
	"context"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	policyv1 "k8s.io/api/policy/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
)

// Listed is what List read: the objects of each kind the facts are derived
// from, as the API server returned them, the server version and the gaps.
type Listed struct {
	// Scope is what was asked for; its Version is the server's version
	// ("v1.37.2") after List, empty when it could not be read.
	Scope
	// Pods are those of every namespace when that was allowed, else those of
	// Scope.Namespace; without Scope.Everything, Succeeded pods are left out.
	Pods []corev1.Pod
	// Events are the Warning events only, unless Scope.Everything.
	Events []corev1.Event
	// SystemDaemonSets are the DaemonSets of kube-system, listed when
	// Scope.Namespace is another namespace: they name the CNI plugin.
	SystemDaemonSets []appsv1.DaemonSet

	Nodes          []corev1.Node
	Deployments    []appsv1.Deployment
	StatefulSets   []appsv1.StatefulSet
	DaemonSets     []appsv1.DaemonSet
	ReplicaSets    []appsv1.ReplicaSet
	Jobs           []batchv1.Job
	CronJobs       []batchv1.CronJob
	PVCs           []corev1.PersistentVolumeClaim
	Services       []corev1.Service
	EndpointSlices []discoveryv1.EndpointSlice
	Quotas         []corev1.ResourceQuota
	StorageClasses []storagev1.StorageClass
	CSIDrivers     []storagev1.CSIDriver
	HPAs           []autoscalingv2.HorizontalPodAutoscaler
	PDBs           []policyv1.PodDisruptionBudget

	// Gaps name the facts' lists that failed, sorted: "list pods: forbidden".
	Gaps []string
	// MoreGaps name the failed lists among the kinds the caller added.
	MoreGaps []string

	// owned says the objects are used by nothing else, so deriving the facts
	// may trim them in place instead of copying.
	owned bool
}

// Facts derives the facts from what was listed: the objects go through
// FromObjects' accumulator, with the listing's gaps, the server version and
// the pods of nodes whose objects were not listed. The listed objects are
// left as they were, unless Gather, the only holder of its listing, lets the
// facts trim them in place. Facts makes no read; FollowUp makes the few that depend
// on the problem pods, as Gather does.
func (l *Listed) Facts(collected time.Time) *Facts {
	a := newAccumulator(collected, l.Namespace)
	a.owned = l.owned
	addAll(a, l.Nodes)
	addAll(a, l.Pods)
	addAll(a, l.Events)
	addAll(a, l.Deployments)
	addAll(a, l.StatefulSets)
	addAll(a, l.SystemDaemonSets)
	addAll(a, l.DaemonSets)
	addAll(a, l.ReplicaSets)
	addAll(a, l.Jobs)
	addAll(a, l.PVCs)
	addAll(a, l.Services)
	addAll(a, l.EndpointSlices)
	addAll(a, l.Quotas)
	addAll(a, l.StorageClasses)
	addAll(a, l.CSIDrivers)
	addAll(a, l.CronJobs)
	addAll(a, l.HPAs)
	addAll(a, l.PDBs)
	a.f.Gaps = append(a.f.Gaps, l.Gaps...)
	return a.seal(l.Version)
}

// addAll feeds a pointer to each of items, in place, to the accumulator.
func addAll[T any, P interface {
	*T
	runtime.Object
}](a *accumulator, items []T) {
	for i := range items {
		a.add(P(&items[i]))
	}
}

// versionKind reads the server's version.
func (l *Listed) versionKind(cs kubernetes.Interface) Kind {
	return Kind{what: "server version", read: func(context.Context) (func(), error) {
		v, err := cs.Discovery().ServerVersion()
		if err != nil {
			return nil, err
		}
		return func() { l.Version = v.GitVersion }, nil
	}}
}

// kinds are the lists the facts are derived from.
func (l *Listed) kinds(cs kubernetes.Interface) []Kind {
	ns := l.Namespace
	core, apps, batch := cs.CoreV1(), cs.AppsV1(), cs.BatchV1()
	events := listOf("list warning events", bulkPageSize, "type="+corev1.EventTypeWarning, core.Events(ns).List, Items, &l.Events)
	if l.Everything {
		events = listOf("list events", bulkPageSize, "", core.Events(ns).List, Items, &l.Events)
	}
	kinds := []Kind{
		ListOf("list nodes", core.Nodes().List, Items, &l.Nodes),
		l.podKind(cs),
		events,
		ListOf("list deployments", apps.Deployments(ns).List, Items, &l.Deployments),
		ListOf("list statefulsets", apps.StatefulSets(ns).List, Items, &l.StatefulSets),
		ListOf("list daemonsets", apps.DaemonSets(ns).List, Items, &l.DaemonSets),
		ListOf("list replicasets", apps.ReplicaSets(ns).List, Items, &l.ReplicaSets),
		ListOf("list jobs", batch.Jobs(ns).List, Items, &l.Jobs),
		ListOf("list cronjobs", batch.CronJobs(ns).List, Items, &l.CronJobs),
		ListOf("list persistentvolumeclaims", core.PersistentVolumeClaims(ns).List, Items, &l.PVCs),
		ListOf("list services", core.Services(ns).List, Items, &l.Services),
		ListOf("list endpointslices", cs.DiscoveryV1().EndpointSlices(ns).List, Items, &l.EndpointSlices),
		ListOf("list resourcequotas", core.ResourceQuotas(ns).List, Items, &l.Quotas),
		ListOf("list storageclasses", cs.StorageV1().StorageClasses().List, Items, &l.StorageClasses),
		ListOf("list csidrivers", cs.StorageV1().CSIDrivers().List, Items, &l.CSIDrivers),
		ListOf("list horizontalpodautoscalers", cs.AutoscalingV2().HorizontalPodAutoscalers(ns).List, Items, &l.HPAs),
		ListOf("list poddisruptionbudgets", cs.PolicyV1().PodDisruptionBudgets(ns).List, Items, &l.PDBs),
	}
	if ns != "" && ns != "kube-system" {
		kinds = append(kinds, ListOf("list kube-system daemonsets", apps.DaemonSets("kube-system").List, Items, &l.SystemDaemonSets))
	}
	return kinds
}

// podKind lists the pods of every namespace, so that each node's requests
// are complete; when that is forbidden and the scope is one namespace, it
// lists that namespace's and says so in a gap.
func (l *Listed) podKind(cs kubernetes.Interface) Kind {
	sel := "status.phase!=" + string(corev1.PodSucceeded)
	if l.Everything {
		sel = ""
	}
	all := listOf("list pods", bulkPageSize, sel, cs.CoreV1().Pods("").List, Items, &l.Pods)
	if l.Namespace == "" {
		return all
	}
	one := listOf("list pods", bulkPageSize, sel, cs.CoreV1().Pods(l.Namespace).List, Items, &l.Pods)
	return Kind{what: all.what, read: func(ctx context.Context) (func(), error) {
		keep, err := all.read(ctx)
		if err == nil || !apierrors.IsForbidden(err) {
			return keep, err
		}
		if keep, err = one.read(ctx); err != nil {
			return nil, err
		}
		return func() {
			keep()
			l.Gaps = append(l.Gaps, "list pods in all namespaces: forbidden; node requests count only this namespace")
		}, nil
	}}
}
