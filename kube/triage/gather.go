package triage

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	policyv1 "k8s.io/api/policy/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// Page sizes. Every page is one round trip that also waits on the client's
// rate limiter, so pages are large; a page of 1,000 pods or warning events is
// 1-3 MB of JSON, which bounds the memory a single response holds.
const (
	podPageSize   = 1000
	eventPageSize = 1000
	otherPageSize = 500
)

// Options says what Gather collects.
type Options struct {
	// Namespace limits pods, events and workloads to one namespace; empty means all.
	Namespace string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Gather collects the facts of the cluster (or one namespace) in parallel,
// paginated and with server-side filters where the API has them. A list that
// fails (for example because it is forbidden) is recorded in Facts.Gaps;
// Gather fails only when nothing could be listed or ctx ends.
//
// cs should carry a QPS and Burst of at least 50: Gather sends one request
// per page and about a dozen lists at once.
func Gather(ctx context.Context, cs kubernetes.Interface, opts Options) (*Facts, error) {
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	ns := opts.Namespace
	a := newAccumulator(now(), ns)
	var (
		mu      sync.Mutex
		wg      sync.WaitGroup
		version string
		failed  []error
		ok      int
	)
	run := func(what string, fn func() (func(), error)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			apply, err := fn()
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failed = append(failed, fmt.Errorf("%s: %w", what, err))
				a.f.Gaps = append(a.f.Gaps, fmt.Sprintf("%s: %s", what, reasonOf(err)))
				return
			}
			ok++
			apply()
		}()
	}
	run("server version", func() (func(), error) {
		v, err := cs.Discovery().ServerVersion()
		if err != nil {
			return nil, err
		}
		return func() { version = v.GitVersion }, nil
	})
	run("list nodes", listAll(ctx, cs.CoreV1().Nodes().List, otherPageSize, "", func(l *corev1.NodeList) {
		for _, n := range l.Items {
			a.node(n)
		}
	}))
	// Pods of every namespace are listed so that each node's requests are
	// complete; pods of other namespaces are only counted. Completed pods
	// hold no resources and are never findings.
	podSel := "status.phase!=" + string(corev1.PodSucceeded)
	run("list pods", func() (func(), error) {
		apply, err := listAll(ctx, cs.CoreV1().Pods("").List, podPageSize, podSel, func(l *corev1.PodList) {
			for _, p := range l.Items {
				a.pod(p)
			}
		})()
		if err == nil || ns == "" || !apierrors.IsForbidden(err) {
			return apply, err
		}
		apply, err = listAll(ctx, cs.CoreV1().Pods(ns).List, podPageSize, podSel, func(l *corev1.PodList) {
			for _, p := range l.Items {
				a.pod(p)
			}
		})()
		if err != nil {
			return nil, err
		}
		return func() {
			apply()
			a.f.Gaps = append(a.f.Gaps, "list pods in all namespaces: forbidden; node requests count only this namespace")
		}, nil
	})
	run("list warning events", listAll(ctx, cs.CoreV1().Events(ns).List, eventPageSize, "type="+corev1.EventTypeWarning, func(l *corev1.EventList) {
		for _, e := range l.Items {
			a.event(e)
		}
	}))
	apps, batch := cs.AppsV1(), cs.BatchV1()
	run("list deployments", listAll(ctx, apps.Deployments(ns).List, otherPageSize, "", func(l *appsv1.DeploymentList) {
		for _, d := range l.Items {
			a.deployment(d)
		}
	}))
	run("list statefulsets", listAll(ctx, apps.StatefulSets(ns).List, otherPageSize, "", func(l *appsv1.StatefulSetList) {
		for _, d := range l.Items {
			a.statefulSet(d)
		}
	}))
	if ns != "" && ns != "kube-system" {
		// kube-system DaemonSets name the CNI plugin.
		run("list kube-system daemonsets", listAll(ctx, apps.DaemonSets("kube-system").List, otherPageSize, "", func(l *appsv1.DaemonSetList) {
			a.systemDS = append(a.systemDS, l.Items...)
		}))
	}
	run("list daemonsets", listAll(ctx, apps.DaemonSets(ns).List, otherPageSize, "", func(l *appsv1.DaemonSetList) {
		for _, d := range l.Items {
			a.daemonSet(d)
		}
	}))
	run("list replicasets", listAll(ctx, apps.ReplicaSets(ns).List, otherPageSize, "", func(l *appsv1.ReplicaSetList) {
		for _, rs := range l.Items {
			a.replicaSet(rs)
		}
	}))
	run("list jobs", listAll(ctx, batch.Jobs(ns).List, otherPageSize, "", func(l *batchv1.JobList) {
		for _, j := range l.Items {
			a.job(j)
		}
	}))
	run("list persistentvolumeclaims", listAll(ctx, cs.CoreV1().PersistentVolumeClaims(ns).List, otherPageSize, "", func(l *corev1.PersistentVolumeClaimList) {
		for _, p := range l.Items {
			a.pvc(p)
		}
	}))
	run("list services", listAll(ctx, cs.CoreV1().Services(ns).List, otherPageSize, "", func(l *corev1.ServiceList) {
		for _, s := range l.Items {
			a.service(s)
		}
	}))
	run("list endpointslices", listAll(ctx, cs.DiscoveryV1().EndpointSlices(ns).List, otherPageSize, "", func(l *discoveryv1.EndpointSliceList) {
		for _, s := range l.Items {
			a.slice(s)
		}
	}))
	run("list resourcequotas", listAll(ctx, cs.CoreV1().ResourceQuotas(ns).List, otherPageSize, "", func(l *corev1.ResourceQuotaList) {
		for _, q := range l.Items {
			a.quota(q)
		}
	}))
	run("list storageclasses", listAll(ctx, cs.StorageV1().StorageClasses().List, otherPageSize, "", func(l *storagev1.StorageClassList) {
		for _, s := range l.Items {
			a.storageClass(s)
		}
	}))
	run("list csidrivers", listAll(ctx, cs.StorageV1().CSIDrivers().List, otherPageSize, "", func(l *storagev1.CSIDriverList) {
		for _, d := range l.Items {
			a.csi = append(a.csi, d.Name)
		}
	}))
	run("list cronjobs", listAll(ctx, batch.CronJobs(ns).List, otherPageSize, "", func(l *batchv1.CronJobList) {
		for _, c := range l.Items {
			a.cronJob(c)
		}
	}))
	run("list horizontalpodautoscalers", listAll(ctx, cs.AutoscalingV2().HorizontalPodAutoscalers(ns).List, otherPageSize, "", func(l *autoscalingv2.HorizontalPodAutoscalerList) {
		for _, h := range l.Items {
			a.hpa(h)
		}
	}))
	run("list poddisruptionbudgets", listAll(ctx, cs.PolicyV1().PodDisruptionBudgets(ns).List, otherPageSize, "", func(l *policyv1.PodDisruptionBudgetList) {
		for _, p := range l.Items {
			a.pdb(p)
		}
	}))
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("gather cluster facts: %w", err)
	}
	if ok == 0 {
		sort.Slice(failed, func(i, j int) bool { return failed[i].Error() < failed[j].Error() })
		return nil, fmt.Errorf("gather cluster facts: nothing could be read: %w", failed[0])
	}
	a.followUp(ctx, cs)
	// Nodes whose objects were not listed still show the pods bound to them.
	for name, nf := range a.usage {
		nf.Node.Name = name
		a.nodes[name] = nf
	}
	return a.finish(version), nil
}

// reasonOf gives the short reason an API call failed.
func reasonOf(err error) string {
	if r := Refusal(err); r != "" {
		return r
	}
	return err.Error()
}

// Refusal gives the reason an API call will keep failing, as a gap says it:
// "forbidden", or "not served by this cluster"; "" for an error a retry may
// cure.
func Refusal(err error) string {
	switch {
	case apierrors.IsForbidden(err):
		return "forbidden"
	case apierrors.IsNotFound(err):
		return "not served by this cluster"
	}
	return ""
}

type continuer interface{ GetContinue() string }

// listAll returns a job that lists every page of one resource, then a
// function that hands the pages to each (called under the caller's lock).
// When a continue token expires in the middle, the list starts again unpaged.
func listAll[L continuer](ctx context.Context, list func(context.Context, metav1.ListOptions) (L, error), pageSize int64, fieldSelector string, each func(L)) func() (func(), error) {
	return func() (func(), error) {
		var pages []L
		opts := metav1.ListOptions{Limit: pageSize, FieldSelector: fieldSelector}
		for {
			l, err := list(ctx, opts)
			if err != nil && apierrors.IsResourceExpired(err) && opts.Continue != "" {
				pages, opts = nil, metav1.ListOptions{FieldSelector: fieldSelector}
				continue
			}
			if err != nil {
				return nil, err
			}
			pages = append(pages, l)
			if l.GetContinue() == "" || opts.Limit == 0 {
				break
			}
			opts.Continue = l.GetContinue()
		}
		return func() {
			for _, p := range pages {
				each(p)
			}
		}, nil
	}
}
