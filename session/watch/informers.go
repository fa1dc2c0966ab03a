package watch

import (
	"context"
	"fmt"
	"reflect"
	"sort"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"

	"github.com/kuberesponder/kuberesponder/kube/triage"
)

// informerCache holds shared informers over every kind the first response
// reads, and says when something changed. The facts are built from these
// caches: the cluster is listed once, then only watched.
type informerCache struct {
	cs        kubernetes.Interface
	namespace string
	factories []informers.SharedInformerFactory
	// lists returns the cached objects of each kind.
	lists   []func() ([]runtime.Object, error)
	synced  []cache.InformerSynced
	changed chan struct{}
	version string

	mu sync.Mutex
	// refused names the kinds whose list the API server refused (forbidden,
	// or not served): they count as synced and are reported as gaps, and the
	// informer keeps retrying, so a later grant fills the cache.
	refused map[string]string
	has     map[string]cache.InformerSynced
}

// stripTransform drops what no rule reads before an object is cached: the
// managed fields and the last-applied configuration (large, and it may hold
// secret values).
func stripTransform(obj any) (any, error) {
	if m, err := meta.Accessor(obj); err == nil {
		m.SetManagedFields(nil)
		if a := m.GetAnnotations(); a != nil {
			delete(a, "kubectl.kubernetes.io/last-applied-configuration")
		}
	}
	return obj, nil
}

// newInformerCache builds the informers; resync 0 means the caches are only
// refreshed by watches (and re-lists after a 410).
func newInformerCache(cs kubernetes.Interface, namespace string) *informerCache {
	c := &informerCache{cs: cs, namespace: namespace, changed: make(chan struct{}, 1), refused: map[string]string{}, has: map[string]cache.InformerSynced{}}
	all := informers.NewSharedInformerFactoryWithOptions(cs, 0, informers.WithTransform(stripTransform))
	scoped := all
	if namespace != "" {
		scoped = informers.NewSharedInformerFactoryWithOptions(cs, 0, informers.WithTransform(stripTransform),
			informers.WithNamespace(namespace))
	}
	warnings := informers.NewSharedInformerFactoryWithOptions(cs, 0, informers.WithTransform(stripTransform),
		informers.WithNamespace(namespace), informers.WithTweakListOptions(func(o *metav1.ListOptions) {
			o.FieldSelector = "type=" + corev1.EventTypeWarning
		}))
	c.factories = []informers.SharedInformerFactory{all}
	if scoped != all {
		c.factories = append(c.factories, scoped)
	}
	c.factories = append(c.factories, warnings)

	// Pods and DaemonSets of every namespace, as Gather lists them: pods sum
	// the nodes' requests, kube-system DaemonSets name the CNI plugin.
	add(c, "nodes", all.Core().V1().Nodes().Informer(), all.Core().V1().Nodes().Lister().List, nodeChanged)
	add(c, "pods", all.Core().V1().Pods().Informer(), all.Core().V1().Pods().Lister().List, nil)
	add(c, "daemonsets", all.Apps().V1().DaemonSets().Informer(), all.Apps().V1().DaemonSets().Lister().List, nil)
	add(c, "storageclasses", all.Storage().V1().StorageClasses().Informer(), all.Storage().V1().StorageClasses().Lister().List, nil)
	add(c, "csidrivers", all.Storage().V1().CSIDrivers().Informer(), all.Storage().V1().CSIDrivers().Lister().List, nil)
	add(c, "events", warnings.Core().V1().Events().Informer(), warnings.Core().V1().Events().Lister().List, nil)
	add(c, "deployments", scoped.Apps().V1().Deployments().Informer(), scoped.Apps().V1().Deployments().Lister().List, nil)
	add(c, "statefulsets", scoped.Apps().V1().StatefulSets().Informer(), scoped.Apps().V1().StatefulSets().Lister().List, nil)
	add(c, "replicasets", scoped.Apps().V1().ReplicaSets().Informer(), scoped.Apps().V1().ReplicaSets().Lister().List, nil)
	add(c, "jobs", scoped.Batch().V1().Jobs().Informer(), scoped.Batch().V1().Jobs().Lister().List, nil)
	add(c, "cronjobs", scoped.Batch().V1().CronJobs().Informer(), scoped.Batch().V1().CronJobs().Lister().List, nil)
	add(c, "horizontalpodautoscalers", scoped.Autoscaling().V2().HorizontalPodAutoscalers().Informer(), scoped.Autoscaling().V2().HorizontalPodAutoscalers().Lister().List, nil)
	add(c, "poddisruptionbudgets", scoped.Policy().V1().PodDisruptionBudgets().Informer(), scoped.Policy().V1().PodDisruptionBudgets().Lister().List, nil)
	add(c, "persistentvolumeclaims", scoped.Core().V1().PersistentVolumeClaims().Informer(), scoped.Core().V1().PersistentVolumeClaims().Lister().List, nil)
	add(c, "services", scoped.Core().V1().Services().Informer(), scoped.Core().V1().Services().Lister().List, nil)
	add(c, "endpointslices", scoped.Discovery().V1().EndpointSlices().Informer(), scoped.Discovery().V1().EndpointSlices().Lister().List, nil)
	add(c, "resourcequotas", scoped.Core().V1().ResourceQuotas().Informer(), scoped.Core().V1().ResourceQuotas().Lister().List, nil)
	return c
}

// add registers one informer of resource: its change handler, its lister,
// and a handler of list errors that records a refused list as a gap.
func add[T runtime.Object](c *informerCache, resource string, inf cache.SharedIndexInformer, list func(labels.Selector) ([]T, error), changed func(old, new T) bool) {
	notify := func() {
		select {
		case c.changed <- struct{}{}:
		default:
		}
	}
	_, _ = inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(any) { notify() },
		UpdateFunc: func(o, n any) {
			if changed != nil {
				ov, ok1 := o.(T)
				nv, ok2 := n.(T)
				if ok1 && ok2 && !changed(ov, nv) {
					return
				}
			}
			notify()
		},
		DeleteFunc: func(any) { notify() },
	})
	_ = inf.SetWatchErrorHandlerWithContext(func(ctx context.Context, r *cache.Reflector, err error) {
		if reason := triage.Refusal(err); reason != "" {
			c.refuse(resource, reason)
		}
		cache.DefaultWatchErrorHandler(ctx, r, err)
	})
	c.has[resource] = inf.HasSynced
	c.synced = append(c.synced, func() bool { return inf.HasSynced() || c.isRefused(resource) })
	c.lists = append(c.lists, func() ([]runtime.Object, error) {
		if !inf.HasSynced() {
			return nil, nil // refused: a gap, not an error
		}
		items, err := list(labels.Everything())
		if err != nil {
			return nil, err
		}
		out := make([]runtime.Object, len(items))
		for i, it := range items {
			out[i] = it
		}
		return out, nil
	})
}

func (c *informerCache) refuse(resource, reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.refused[resource] = reason
}

func (c *informerCache) isRefused(resource string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.refused[resource]
	return ok
}

// gaps names the lists the API server refused and the caches still lack,
// worded as the report's gaps are.
func (c *informerCache) gaps() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for r, reason := range c.refused {
		if !c.has[r]() {
			out = append(out, "list "+r+": "+reason)
		}
	}
	sort.Strings(out)
	return out
}

// nodeChanged ignores heartbeats: a node's update matters when its spec,
// labels, capacity or the status of a condition changed.
func nodeChanged(o, n *corev1.Node) bool {
	if !reflect.DeepEqual(o.Spec, n.Spec) || !reflect.DeepEqual(o.Labels, n.Labels) ||
		!reflect.DeepEqual(o.Status.Allocatable, n.Status.Allocatable) || len(o.Status.Conditions) != len(n.Status.Conditions) {
		return true
	}
	for i, c := range n.Status.Conditions {
		p := o.Status.Conditions[i]
		if c.Type != p.Type || c.Status != p.Status || c.Reason != p.Reason {
			return true
		}
	}
	return false
}

// start runs the informers until ctx ends.
func (c *informerCache) start(ctx context.Context) {
	for _, f := range c.factories {
		f.Start(ctx.Done())
	}
}

// waitSynced waits until every cache holds its first list; it reads the
// server version meanwhile.
func (c *informerCache) waitSynced(ctx context.Context) error {
	if v, err := c.cs.Discovery().ServerVersion(); err == nil {
		c.version = v.GitVersion
	}
	if !cache.WaitForCacheSync(ctx.Done(), c.synced...) {
		return fmt.Errorf("wait for the informers' first lists: %w", context.Cause(ctx))
	}
	return nil
}

// shutdown waits for the informers' goroutines after ctx has ended.
func (c *informerCache) shutdown() {
	for _, f := range c.factories {
		f.Shutdown()
	}
}

// facts builds the first response's facts from the caches.
func (c *informerCache) facts(now time.Time) (*triage.Facts, error) {
	var objs []runtime.Object
	for _, list := range c.lists {
		items, err := list()
		if err != nil {
			return nil, fmt.Errorf("read the informer caches: %w", err)
		}
		objs = append(objs, items...)
	}
	f := triage.FromCache(now, c.namespace, c.version, objs...)
	if gaps := c.gaps(); len(gaps) > 0 {
		f.Gaps = append(f.Gaps, gaps...)
		sort.Strings(f.Gaps)
	}
	return f, nil
}
