package snapshot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
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
	// Progress, when set, is told each step ("list secrets: forbidden").
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
	c.step("objects and the facts for the first response")
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

// gap records what could not be captured, with the reason worded as
// triage.Reason words it.
func (c *capturer) gap(what string, err error) {
	reason := triage.Reason(err)
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

// objects lists every captured kind once with triage.List, the one listing
// pipeline, derives the facts from the listed objects, then keeps the
// objects, each redacted. The facts come first: deriving them leaves the
// objects as they were listed.
func (c *capturer) objects(ctx context.Context) {
	var more Objects
	scope := triage.Scope{Namespace: c.opts.Namespace, Everything: true}
	if c.f.ServerVersion != nil {
		scope.Version = c.f.ServerVersion.GitVersion
	}
	listed, err := triage.List(ctx, c.cs, scope, c.moreKinds(&more)...)
	if err != nil {
		if ctx.Err() == nil {
			c.f.Gaps = append(c.f.Gaps, err.Error())
		}
		return
	}
	facts := triage.FollowUp(ctx, c.cs, listed.Facts(c.f.Captured))
	cleanValue(c, facts)
	c.f.Facts = facts
	for _, g := range slices.Concat(listed.Gaps, listed.MoreGaps) {
		c.f.Gaps = append(c.f.Gaps, g)
		c.step("%s", g)
	}
	c.keep(listed, &more)
}

// moreKinds are the kinds a snapshot keeps for the read verbs beyond those
// the facts read; their pages go into more.
func (c *capturer) moreKinds(more *Objects) []triage.Kind {
	ns := c.opts.Namespace
	core := c.cs.CoreV1()
	return []triage.Kind{
		triage.ListOf("list namespaces", core.Namespaces().List, triage.Items, &more.Namespaces),
		triage.ListOf("list node leases", c.cs.CoordinationV1().Leases(corev1.NamespaceNodeLease).List, triage.Items, &more.Leases),
		triage.ListOf("list persistentvolumes", core.PersistentVolumes().List, triage.Items, &more.PersistentVolumes),
		triage.ListOf("list configmaps", core.ConfigMaps(ns).List, configMapPage, &more.ConfigMaps),
		triage.ListOf("list secrets", core.Secrets(ns).List, secretPage, &more.Secrets),
		triage.ListOf("list limitranges", core.LimitRanges(ns).List, triage.Items, &more.LimitRanges),
	}
}

// configMapPage keeps the sizes of a page of ConfigMaps, never their values.
func configMapPage(l *corev1.ConfigMapList) []corev1.ConfigMap {
	out := make([]corev1.ConfigMap, 0, len(l.Items))
	for _, cm := range l.Items {
		out = append(out, configMapSizes(cm))
	}
	return out
}

// secretPage keeps the names, types, keys and sizes of a page of Secrets.
func secretPage(l *corev1.SecretList) []Secret {
	out := make([]Secret, 0, len(l.Items))
	for i := range l.Items {
		out = append(out, secretSizes(&l.Items[i]))
	}
	return out
}

// keep stores the listed objects in the file, redacted: the pods of the
// namespace captured (the listing has every namespace's, for the nodes'
// requests) and the newest events.
func (c *capturer) keep(l *triage.Listed, more *Objects) {
	o := &c.f.Objects
	o.Namespaces = cleanAll(c, more.Namespaces)
	o.Nodes = cleanAll(c, l.Nodes)
	o.Leases = cleanAll(c, more.Leases)
	o.Pods = cleanAll(c, inNamespace(l.Pods, c.opts.Namespace))
	o.Events = cleanAll(c, newestEvents(l.Events, c.max(c.opts.MaxEvents, defaultMaxEvent), c))
	o.Services = cleanAll(c, l.Services)
	o.EndpointSlices = cleanAll(c, l.EndpointSlices)
	o.PersistentVolumeClaims = cleanAll(c, l.PVCs)
	o.PersistentVolumes = cleanAll(c, more.PersistentVolumes)
	o.StorageClasses = cleanAll(c, l.StorageClasses)
	o.ConfigMaps = cleanAll(c, more.ConfigMaps)
	o.Secrets = cleanAll(c, more.Secrets)
	o.ResourceQuotas = cleanAll(c, l.Quotas)
	o.LimitRanges = cleanAll(c, more.LimitRanges)
	o.Deployments = cleanAll(c, l.Deployments)
	o.ReplicaSets = cleanAll(c, l.ReplicaSets)
	o.StatefulSets = cleanAll(c, l.StatefulSets)
	o.DaemonSets = cleanAll(c, l.DaemonSets)
	o.Jobs = cleanAll(c, l.Jobs)
	c.step("objects: %d pods, %d events, %d nodes", len(o.Pods), len(o.Events), len(o.Nodes))
}

// inNamespace returns the pods of ns; every pod when ns is "".
func inNamespace(pods []corev1.Pod, ns string) []corev1.Pod {
	if ns == "" {
		return pods
	}
	var out []corev1.Pod
	for _, p := range pods {
		if p.Namespace == ns {
			out = append(out, p)
		}
	}
	return out
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
