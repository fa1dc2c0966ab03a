package triage

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// Bounds of the follow-up reads Gather makes about problem pods.
const (
	maxConfigReads = 40   // ConfigMaps and Secrets read for their key names
	maxLogTails    = 12   // previous-container log tails, one per owner
	logTailLines   = 5    // lines of each tail
	logTailBytes   = 4096 // bytes of each tail
)

// ConfigObject is a ConfigMap or Secret a problem pod refers to: whether it
// exists and the names of its keys. Values are never read into the facts.
type ConfigObject struct {
	Kind      string   `json:"kind"` // ConfigMap or Secret
	Namespace string   `json:"namespace"`
	Name      string   `json:"name"`
	Found     bool     `json:"found"`
	Keys      []string `json:"keys,omitempty"`
}

// LogTail is the last lines of a container's previous (or current) log.
type LogTail struct {
	Namespace string   `json:"namespace"`
	Pod       string   `json:"pod"`
	Container string   `json:"container"`
	Previous  bool     `json:"previous"`
	Lines     []string `json:"lines"`
}

func (a *accumulator) cronJob(c batchv1.CronJob) {
	scrubTemplate(a.red, &c.Spec.JobTemplate.Spec.Template)
	a.f.CronJobs = append(a.f.CronJobs, trim(a.red, c, &c.ObjectMeta))
}

func (a *accumulator) hpa(h autoscalingv2.HorizontalPodAutoscaler) {
	a.f.HPAs = append(a.f.HPAs, trim(a.red, h, &h.ObjectMeta))
}

func (a *accumulator) pdb(p policyv1.PodDisruptionBudget) {
	a.f.PDBs = append(a.f.PDBs, trim(a.red, p, &p.ObjectMeta))
}

// configObject records the key names of a ConfigMap or Secret, never its values.
func (a *accumulator) configObject(kind, ns, name string, keys []string) {
	sort.Strings(keys)
	a.f.ConfigRefs = append(a.f.ConfigRefs, ConfigObject{Kind: kind, Namespace: ns, Name: name, Found: true, Keys: keys})
}

func keysOf[V any](ms ...map[string]V) []string {
	var out []string
	for _, m := range ms {
		for k := range m {
			out = append(out, k)
		}
	}
	return out
}

// configRefs lists the ConfigMaps and Secrets a pod's containers need, as
// "Kind/name".
func configRefs(p *corev1.Pod) []string {
	seen := map[string]bool{}
	var out []string
	add := func(kind, name string, optional *bool) {
		if name == "" || (optional != nil && *optional) || seen[kind+"/"+name] {
			return
		}
		seen[kind+"/"+name] = true
		out = append(out, kind+"/"+name)
	}
	for _, cs := range [][]corev1.Container{p.Spec.InitContainers, p.Spec.Containers} {
		for _, c := range cs {
			for _, e := range c.Env {
				if v := e.ValueFrom; v != nil && v.ConfigMapKeyRef != nil {
					add("ConfigMap", v.ConfigMapKeyRef.Name, v.ConfigMapKeyRef.Optional)
				} else if v != nil && v.SecretKeyRef != nil {
					add("Secret", v.SecretKeyRef.Name, v.SecretKeyRef.Optional)
				}
			}
			for _, e := range c.EnvFrom {
				if e.ConfigMapRef != nil {
					add("ConfigMap", e.ConfigMapRef.Name, e.ConfigMapRef.Optional)
				}
				if e.SecretRef != nil {
					add("Secret", e.SecretRef.Name, e.SecretRef.Optional)
				}
			}
		}
	}
	for _, v := range p.Spec.Volumes {
		if v.ConfigMap != nil {
			add("ConfigMap", v.ConfigMap.Name, v.ConfigMap.Optional)
		}
		if v.Secret != nil {
			add("Secret", v.Secret.SecretName, v.Secret.Optional)
		}
	}
	return out
}

// waitingIn reports whether a container of p waits with one of the reasons.
func waitingIn(p *corev1.Pod, reasons ...string) bool {
	for _, cs := range append(append([]corev1.ContainerStatus(nil), p.Status.InitContainerStatuses...), p.Status.ContainerStatuses...) {
		if w := cs.State.Waiting; w != nil {
			for _, r := range reasons {
				if w.Reason == r {
					return true
				}
			}
		}
	}
	return false
}

// followUp makes the few reads that depend on the problem pods: the key
// names of the ConfigMaps and Secrets that pods waiting in
// CreateContainerConfigError refer to, and the previous log tail of one
// crash-looping container per owner. Each is bounded; a failed read is a gap.
func (a *accumulator) followUp(ctx context.Context, cs kubernetes.Interface) {
	reads := 0
	seen := map[string]bool{}
	for i := range a.f.Pods {
		p := &a.f.Pods[i]
		if !waitingIn(p, "CreateContainerConfigError") {
			continue
		}
		for _, ref := range configRefs(p) {
			key := p.Namespace + "/" + ref
			if seen[key] || reads == maxConfigReads {
				continue
			}
			seen[key] = true
			reads++
			kind, name, _ := strings.Cut(ref, "/")
			if err := a.readConfig(ctx, cs, kind, p.Namespace, name); err != nil {
				a.f.Gaps = append(a.f.Gaps, fmt.Sprintf("get %s %s/%s: %s", strings.ToLower(kind), p.Namespace, name, Reason(err)))
			}
		}
	}
	owners := map[string]bool{}
	tails := 0
	for i := range a.f.Pods {
		p := &a.f.Pods[i]
		c := crashingContainer(p)
		if c == "" || tails == maxLogTails {
			continue
		}
		owner := p.Namespace + "/" + p.Name
		for _, o := range p.OwnerReferences {
			owner = p.Namespace + "/" + o.Kind + "/" + o.Name
		}
		if owners[owner] {
			continue
		}
		owners[owner] = true
		tails++
		if lines, err := a.tail(ctx, cs, p, c); err == nil && len(lines) > 0 {
			a.f.Logs = append(a.f.Logs, LogTail{Namespace: p.Namespace, Pod: p.Name, Container: c, Previous: true, Lines: lines})
		}
	}
}

// readConfig gets one ConfigMap or Secret and keeps its key names only.
func (a *accumulator) readConfig(ctx context.Context, cs kubernetes.Interface, kind, ns, name string) error {
	var keys []string
	var err error
	switch kind {
	case "ConfigMap":
		var cm *corev1.ConfigMap
		if cm, err = cs.CoreV1().ConfigMaps(ns).Get(ctx, name, metav1.GetOptions{}); err == nil {
			keys = keysOf(cm.Data)
			keys = append(keys, keysOf(cm.BinaryData)...)
		}
	case "Secret":
		var s *corev1.Secret
		if s, err = cs.CoreV1().Secrets(ns).Get(ctx, name, metav1.GetOptions{}); err == nil {
			keys = append(keysOf(s.Data), keysOf(s.StringData)...)
		}
	}
	if apierrors.IsNotFound(err) {
		a.f.ConfigRefs = append(a.f.ConfigRefs, ConfigObject{Kind: kind, Namespace: ns, Name: name})
		return nil
	}
	if err != nil {
		return err
	}
	a.configObject(kind, ns, name, keys)
	return nil
}

// crashingContainer names the container of p that crash-loops or was
// OOM-killed, init containers first.
func crashingContainer(p *corev1.Pod) string {
	for _, cs := range append(append([]corev1.ContainerStatus(nil), p.Status.InitContainerStatuses...), p.Status.ContainerStatuses...) {
		if w := cs.State.Waiting; w != nil && w.Reason == "CrashLoopBackOff" {
			return cs.Name
		}
		if t := cs.LastTerminationState.Terminated; t != nil && t.Reason == "OOMKilled" && cs.RestartCount > 0 {
			return cs.Name
		}
	}
	return ""
}

// tail reads the last lines of a container's previous log, redacted.
func (a *accumulator) tail(ctx context.Context, cs kubernetes.Interface, p *corev1.Pod, container string) ([]string, error) {
	lines, limit := int64(logTailLines), int64(logTailBytes)
	rc, err := cs.CoreV1().Pods(p.Namespace).GetLogs(p.Name, &corev1.PodLogOptions{
		Container: container, Previous: true, TailLines: &lines, LimitBytes: &limit,
	}).Stream(ctx)
	if err != nil {
		return nil, fmt.Errorf("previous log of %s/%s %s: %w", p.Namespace, p.Name, container, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, logTailBytes))
	if err != nil {
		return nil, fmt.Errorf("read the previous log of %s/%s %s: %w", p.Namespace, p.Name, container, err)
	}
	var out []string
	for _, l := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		if l = strings.TrimRight(l, " \t\r"); l != "" {
			l, _ = a.red.Redact(l)
			out = append(out, l)
		}
	}
	return out, nil
}
