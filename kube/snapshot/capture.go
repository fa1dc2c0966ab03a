package snapshot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kuberesponder/kuberesponder/kube/redact"
	"github.com/kuberesponder/kuberesponder/kube/triage"
)

// Redactor removes secret values from decoded objects and from text, and
// counts them.
type Redactor interface {
	Object(obj map[string]any) int
	Redact(text string) (string, int)
}

// Options says what Capture takes and how it reports progress.
type Options struct {
	// Namespace limits namespaced objects to one namespace; empty means all.
	Namespace string
	// Context, Cluster, Server and DefaultNamespace describe where the
	// snapshot is taken; they are recorded as given.
	Context, Cluster, Server, DefaultNamespace string
	// Redactor runs over every object, log line and fact; nil means redact.New().
	Redactor Redactor
	// Progress, when set, is told each step ("pods: 42").
	Progress func(step string)
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// LogLines and LogBytes bound each captured log tail (defaults 100 lines, 64 KiB).
	LogLines int64
	LogBytes int64
	// MaxLogs bounds the number of container logs captured (default 50).
	MaxLogs int
	// MaxEvents keeps the newest events only (default 5,000).
	MaxEvents int
}

const (
	pageSize        = 500
	defaultLogLines = 100
	defaultLogBytes = 64 << 10
	defaultMaxLogs  = 50
	defaultMaxEvent = 5000
)

// Capture reads a cluster (or one namespace) through cs, which should be
// built on the read-only transport, and returns the snapshot File. Lists
// that fail (for example because they are forbidden) are recorded in Gaps;
// Capture fails only when ctx ends or nothing at all could be read.
func Capture(ctx context.Context, cs kubernetes.Interface, opts Options) (*File, error) {
	c := &capturer{cs: cs, opts: opts, red: opts.Redactor}
	if c.red == nil {
		c.red = redact.New()
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	f := &File{
		Version: FormatVersion, Captured: now().UTC().Truncate(time.Second),
		Context: opts.Context, Cluster: opts.Cluster, Server: opts.Server,
		Namespace: opts.Namespace, DefaultNamespace: opts.DefaultNamespace,
	}
	c.f = f
	c.discovery()
	c.step("facts for the first response")
	facts, err := triage.Gather(ctx, cs, triage.Options{Namespace: opts.Namespace, Now: func() time.Time { return f.Captured }})
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("capture: %w", ctx.Err())
		}
		c.gap("facts", err)
	} else {
		cleanValue(c, facts)
		f.Facts = facts
	}
	c.objects(ctx)
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("capture: %w", err)
	}
	c.logs(ctx)
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("capture: %w", err)
	}
	if f.ServerVersion == nil && len(f.Objects.Nodes) == 0 && len(f.Objects.Pods) == 0 && f.Facts == nil {
		return nil, fmt.Errorf("capture: nothing could be read from the cluster: %s", strings.Join(f.Gaps, "; "))
	}
	return f, nil
}

type capturer struct {
	cs   kubernetes.Interface
	opts Options
	red  Redactor
	f    *File
}

func (c *capturer) step(format string, args ...any) {
	if c.opts.Progress != nil {
		c.opts.Progress(fmt.Sprintf(format, args...))
	}
}

func (c *capturer) gap(what string, err error) {
	reason := err.Error()
	switch {
	case apierrors.IsForbidden(err):
		reason = "forbidden"
	case apierrors.IsNotFound(err):
		reason = "not served by this cluster"
	}
	c.f.Gaps = append(c.f.Gaps, what+": "+reason)
	c.step("%s: skipped (%s)", what, reason)
}

func (c *capturer) discovery() {
	c.step("server version and discovery")
	d := c.cs.Discovery()
	if v, err := d.ServerVersion(); err != nil {
		c.gap("server version", err)
	} else {
		c.f.ServerVersion = v
	}
	if g, err := d.ServerGroups(); err != nil {
		c.gap("api groups", err)
	} else {
		c.f.Groups = g
	}
	_, lists, err := d.ServerGroupsAndResources()
	if err != nil {
		// Partial discovery (an unavailable aggregated API) still lists the rest.
		c.gap("api resources", err)
	}
	c.f.Resources = lists
}

// list pages through one resource; items are handed to keep page by page.
func list[L interface{ GetContinue() string }](ctx context.Context, c *capturer, what string,
	fn func(context.Context, metav1.ListOptions) (L, error), keep func(L) int) {
	opts := metav1.ListOptions{Limit: pageSize}
	n := 0
	for {
		l, err := fn(ctx, opts)
		if err != nil && apierrors.IsResourceExpired(err) && opts.Continue != "" {
			c.gap(what, errors.New("the list changed while it was read; it may be incomplete"))
			return
		}
		if err != nil {
			c.gap(what, err)
			return
		}
		n += keep(l)
		if l.GetContinue() == "" {
			break
		}
		opts.Continue = l.GetContinue()
	}
	c.step("%s: %d", what, n)
}

func (c *capturer) objects(ctx context.Context) {
	ns := c.opts.Namespace
	o := &c.f.Objects
	core, apps := c.cs.CoreV1(), c.cs.AppsV1()
	list(ctx, c, "namespaces", core.Namespaces().List, func(l *corev1.NamespaceList) int {
		o.Namespaces = append(o.Namespaces, cleanAll(c, l.Items)...)
		return len(l.Items)
	})
	list(ctx, c, "nodes", core.Nodes().List, func(l *corev1.NodeList) int {
		o.Nodes = append(o.Nodes, cleanAll(c, l.Items)...)
		return len(l.Items)
	})
	list(ctx, c, "node leases", c.cs.CoordinationV1().Leases(corev1.NamespaceNodeLease).List, func(l *coordinationv1.LeaseList) int {
		o.Leases = append(o.Leases, cleanAll(c, l.Items)...)
		return len(l.Items)
	})
	list(ctx, c, "pods", core.Pods(ns).List, func(l *corev1.PodList) int {
		o.Pods = append(o.Pods, cleanAll(c, l.Items)...)
		return len(l.Items)
	})
	list(ctx, c, "events", core.Events(ns).List, func(l *corev1.EventList) int {
		o.Events = append(o.Events, l.Items...)
		return len(l.Items)
	})
	o.Events = cleanAll(c, newestEvents(o.Events, c.max(c.opts.MaxEvents, defaultMaxEvent), c))
	list(ctx, c, "services", core.Services(ns).List, func(l *corev1.ServiceList) int {
		o.Services = append(o.Services, cleanAll(c, l.Items)...)
		return len(l.Items)
	})
	list(ctx, c, "endpointslices", c.cs.DiscoveryV1().EndpointSlices(ns).List, func(l *discoveryv1.EndpointSliceList) int {
		o.EndpointSlices = append(o.EndpointSlices, cleanAll(c, l.Items)...)
		return len(l.Items)
	})
	list(ctx, c, "persistentvolumeclaims", core.PersistentVolumeClaims(ns).List, func(l *corev1.PersistentVolumeClaimList) int {
		o.PersistentVolumeClaims = append(o.PersistentVolumeClaims, cleanAll(c, l.Items)...)
		return len(l.Items)
	})
	list(ctx, c, "persistentvolumes", core.PersistentVolumes().List, func(l *corev1.PersistentVolumeList) int {
		o.PersistentVolumes = append(o.PersistentVolumes, cleanAll(c, l.Items)...)
		return len(l.Items)
	})
	list(ctx, c, "storageclasses", c.cs.StorageV1().StorageClasses().List, func(l *storagev1.StorageClassList) int {
		o.StorageClasses = append(o.StorageClasses, cleanAll(c, l.Items)...)
		return len(l.Items)
	})
	list(ctx, c, "configmaps", core.ConfigMaps(ns).List, func(l *corev1.ConfigMapList) int {
		for _, cm := range l.Items {
			o.ConfigMaps = append(o.ConfigMaps, configMapSizes(c, cm))
		}
		return len(l.Items)
	})
	list(ctx, c, "secrets (names, types, keys and sizes)", core.Secrets(ns).List, func(l *corev1.SecretList) int {
		for i := range l.Items {
			o.Secrets = append(o.Secrets, secretSizes(c, &l.Items[i]))
		}
		return len(l.Items)
	})
	list(ctx, c, "resourcequotas", core.ResourceQuotas(ns).List, func(l *corev1.ResourceQuotaList) int {
		o.ResourceQuotas = append(o.ResourceQuotas, cleanAll(c, l.Items)...)
		return len(l.Items)
	})
	list(ctx, c, "limitranges", core.LimitRanges(ns).List, func(l *corev1.LimitRangeList) int {
		o.LimitRanges = append(o.LimitRanges, cleanAll(c, l.Items)...)
		return len(l.Items)
	})
	list(ctx, c, "deployments", apps.Deployments(ns).List, func(l *appsv1.DeploymentList) int {
		o.Deployments = append(o.Deployments, cleanAll(c, l.Items)...)
		return len(l.Items)
	})
	list(ctx, c, "replicasets", apps.ReplicaSets(ns).List, func(l *appsv1.ReplicaSetList) int {
		o.ReplicaSets = append(o.ReplicaSets, cleanAll(c, l.Items)...)
		return len(l.Items)
	})
	list(ctx, c, "statefulsets", apps.StatefulSets(ns).List, func(l *appsv1.StatefulSetList) int {
		o.StatefulSets = append(o.StatefulSets, cleanAll(c, l.Items)...)
		return len(l.Items)
	})
	list(ctx, c, "daemonsets", apps.DaemonSets(ns).List, func(l *appsv1.DaemonSetList) int {
		o.DaemonSets = append(o.DaemonSets, cleanAll(c, l.Items)...)
		return len(l.Items)
	})
	list(ctx, c, "jobs", c.cs.BatchV1().Jobs(ns).List, func(l *batchv1.JobList) int {
		o.Jobs = append(o.Jobs, cleanAll(c, l.Items)...)
		return len(l.Items)
	})
}

func (c *capturer) max(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}

// newestEvents keeps the newest n events.
func newestEvents(evs []corev1.Event, n int, c *capturer) []corev1.Event {
	if len(evs) <= n {
		return evs
	}
	slices.SortStableFunc(evs, func(a, b corev1.Event) int { return eventTime(&b).Compare(eventTime(&a)) })
	c.f.Gaps = append(c.f.Gaps, fmt.Sprintf("events: only the newest %d of %d were kept", n, len(evs)))
	return evs[:n]
}

// logs captures the log tails of the failing containers: those of the pods
// the first response found a problem with, or, without facts, of pods that
// are not ready or restarting. A container that restarted also gets the
// log of its previous instance.
func (c *capturer) logs(ctx context.Context) {
	lines, bytes := c.opts.LogLines, c.opts.LogBytes
	if lines <= 0 {
		lines = defaultLogLines
	}
	if bytes <= 0 {
		bytes = defaultLogBytes
	}
	maxLogs := c.max(c.opts.MaxLogs, defaultMaxLogs)
	failing := map[string]bool{}
	if c.f.Facts != nil {
		for _, p := range c.f.Facts.Pods {
			failing[p.Namespace+"/"+p.Name] = true
		}
	}
	n := 0
	for i := range c.f.Objects.Pods {
		p := &c.f.Objects.Pods[i]
		if !failing[p.Namespace+"/"+p.Name] && (c.f.Facts != nil || !podFailing(p)) {
			continue
		}
		statuses := append(slices.Clone(p.Status.InitContainerStatuses), p.Status.ContainerStatuses...)
		names := make([]string, 0, len(p.Spec.Containers))
		for _, ct := range p.Spec.Containers {
			names = append(names, ct.Name)
		}
		for _, st := range statuses {
			if !slices.Contains(names, st.Name) && st.State.Terminated == nil && st.State.Waiting == nil {
				continue
			}
			if !slices.Contains(names, st.Name) {
				names = append(names, st.Name)
			}
		}
		for _, name := range names {
			prev := false
			for _, st := range statuses {
				if st.Name == name && st.RestartCount > 0 {
					prev = true
				}
			}
			for _, previous := range []bool{false, true} {
				if previous && !prev {
					continue
				}
				if n >= maxLogs {
					c.f.Gaps = append(c.f.Gaps, fmt.Sprintf("logs: only the first %d container logs were captured", maxLogs))
					return
				}
				n++
				c.f.Logs = append(c.f.Logs, c.logTail(ctx, p, name, previous, lines, bytes))
			}
		}
	}
	c.step("logs of failing containers: %d", n)
}

func (c *capturer) logTail(ctx context.Context, p *corev1.Pod, container string, previous bool, lines, bytes int64) ContainerLog {
	l := ContainerLog{Namespace: p.Namespace, Pod: p.Name, Container: container, Previous: previous}
	req := c.cs.CoreV1().Pods(p.Namespace).GetLogs(p.Name, &corev1.PodLogOptions{
		Container: container, Previous: previous, TailLines: &lines, LimitBytes: &bytes, Timestamps: true,
	})
	data, err := req.DoRaw(ctx)
	if err != nil {
		var st apierrors.APIStatus
		if errors.As(err, &st) && st.Status().Message != "" {
			l.Error, _ = c.red.Redact(st.Status().Message)
		} else {
			l.Error, _ = c.red.Redact(err.Error())
		}
		return l
	}
	text, n := c.red.Redact(strings.TrimRight(string(data), "\n"))
	c.f.Redactions += n
	if text != "" {
		l.Lines = strings.Split(text, "\n")
	}
	return l
}

// podFailing is the test used when no facts were gathered.
func podFailing(p *corev1.Pod) bool {
	if p.Status.Phase != corev1.PodRunning && p.Status.Phase != corev1.PodSucceeded {
		return true
	}
	for _, st := range p.Status.ContainerStatuses {
		if !st.Ready && p.Status.Phase == corev1.PodRunning || st.RestartCount > 0 {
			return true
		}
	}
	return false
}
