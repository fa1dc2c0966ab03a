package triage

import (
	"fmt"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// startupGrace is how long a pod may be not ready after it started before
// a failing readiness probe becomes a finding.
const startupGrace = 30 * time.Second

// containerRule looks at container statuses, init containers first: a
// CrashLoopBackOff pod's phase is Running, an init failure's is Pending.
func (x *index) containerRule(p *corev1.Pod, ref ObjectRef) *draft {
	for _, cs := range p.Status.InitContainerStatuses {
		if w := cs.State.Waiting; w != nil && (w.Reason == "CrashLoopBackOff" || w.Reason == "RunContainerError") {
			return x.initFailed(p, ref, cs)
		}
	}
	statuses := append(append([]corev1.ContainerStatus(nil), p.Status.InitContainerStatuses...), p.Status.ContainerStatuses...)
	for _, cs := range statuses {
		w := cs.State.Waiting
		if w == nil {
			continue
		}
		switch w.Reason {
		case "ImagePullBackOff", "ErrImagePull", "InvalidImageName", "ErrImageNeverPull":
			return x.imagePull(p, ref, cs)
		case "CrashLoopBackOff":
			return x.crashLoop(p, ref, cs)
		case "CreateContainerConfigError", "CreateContainerError", "RunContainerError":
			return x.configError(p, ref, cs)
		}
	}
	for _, cs := range p.Status.ContainerStatuses {
		if cs.RestartCount == 0 {
			continue
		}
		if g := x.probeEvent(ref, "Liveness"); g != nil {
			return x.liveness(p, ref, cs, g, Medium, m("urg.restarting"))
		}
		last := cs.LastTerminationState.Terminated
		if last != nil && last.Reason == "OOMKilled" {
			return &draft{rule: "container/oom-killed", base: Medium, baseWhy: m("urg.restarting"),
				problem:  m("crash.problem", ref.Name, cs.Name, cs.RestartCount),
				cause:    oomCause(p, cs.Name),
				evidence: append([]msg{terminated(cs)}, x.logEvidence(p, cs.Name)...),
				fixes:    []msg{m("oom.fix1", cs.Name), m("oom.fix2")},
				actions:  []string{previousLogs(p, cs.Name)}}
		}
		// A container that restarted and runs again, with no failing
		// liveness probe, is ordinary: not a finding.
	}
	return nil
}

func previousLogs(p *corev1.Pod, container string) string {
	return fmt.Sprintf("kubectl logs %s -n %s -c %s --previous", p.Name, p.Namespace, container)
}

func terminated(cs corev1.ContainerStatus) msg {
	last := cs.LastTerminationState.Terminated
	return m("ev.terminated", cs.Name, last.Reason, int(last.ExitCode), cs.RestartCount, last.FinishedAt.UTC().Format(time.RFC3339), last.Message)
}

// logEvidence quotes the gathered previous-log tail of a container.
func (x *index) logEvidence(p *corev1.Pod, container string) []msg {
	for _, l := range x.f.Logs {
		if l.Namespace == p.Namespace && l.Pod == p.Name && l.Container == container {
			return []msg{m("ev.logTail", container, strings.Join(l.Lines, " ⏎ "))}
		}
	}
	return nil
}

// exitMeaning explains the exit codes that say how a container was stopped.
func exitMeaning(code int32) msg {
	switch code {
	case 137:
		return m("exit.137")
	case 143:
		return m("exit.143")
	case 139:
		return m("exit.139")
	case 126, 127:
		return m("exit.127")
	}
	return msg{}
}

func (x *index) crashLoop(p *corev1.Pod, ref ObjectRef, cs corev1.ContainerStatus) *draft {
	if g := x.probeEvent(ref, "Liveness"); g != nil {
		return x.liveness(p, ref, cs, g, High, m("urg.pod"))
	}
	ev := []msg{m("ev.waiting", cs.Name, cs.State.Waiting.Reason, cs.State.Waiting.Message)}
	last := cs.LastTerminationState.Terminated
	rule, cause := "container/crash-loop", m("crash.cause", cs.Name)
	fixes := []msg{m("crash.fix1"), m("crash.fix2")}
	if last != nil {
		ev = append(ev, terminated(cs))
		cause = m("crash.causeExit", cs.Name, last.Reason, int(last.ExitCode))
		if note := exitMeaning(last.ExitCode); note.key != "" {
			cause = join([]msg{cause, note})
		}
		if last.Reason == "OOMKilled" {
			rule, cause = "container/oom-killed", oomCause(p, cs.Name)
			fixes = []msg{m("oom.fix1", cs.Name), m("oom.fix2")}
		}
	}
	if g := x.latest(ref, "BackOff"); g != nil {
		ev = append(ev, evLine(g))
	}
	ev = append(ev, x.logEvidence(p, cs.Name)...)
	return &draft{rule: rule, base: High, baseWhy: m("urg.pod"),
		problem: m("crash.problem", ref.Name, cs.Name, cs.RestartCount), cause: cause, evidence: ev,
		fixes: append(fixes, m("fix.owner")), actions: []string{previousLogs(p, cs.Name)}}
}

// liveness explains restarts caused by a failing liveness probe.
func (x *index) liveness(p *corev1.Pod, ref ObjectRef, cs corev1.ContainerStatus, g *EventGroup, base Urgency, why msg) *draft {
	ev := []msg{evLine(g)}
	if cs.LastTerminationState.Terminated != nil {
		ev = append(ev, terminated(cs))
	}
	ev = append(ev, x.logEvidence(p, cs.Name)...)
	return &draft{rule: "probe/liveness-failing", base: base, baseWhy: why,
		problem:  m("live.problem", ref.Name, cs.Name, cs.RestartCount),
		cause:    m("live.cause", cs.Name, strings.TrimPrefix(g.Message, "Liveness probe failed: ")),
		evidence: ev, fixes: []msg{m("live.fix1"), m("live.fix2"), m("fix.owner")},
		actions: []string{previousLogs(p, cs.Name)}}
}

// probeEvent returns the newest Unhealthy event of the kind of probe
// (Readiness, Liveness, Startup) about a pod.
func (x *index) probeEvent(ref ObjectRef, kind string) *EventGroup {
	for _, g := range x.events[ref] {
		if g.Reason == "Unhealthy" && strings.HasPrefix(g.Message, kind+" probe") {
			return &g
		}
	}
	return nil
}

func (x *index) initFailed(p *corev1.Pod, ref ObjectRef, cs corev1.ContainerStatus) *draft {
	ev := []msg{m("ev.waiting", cs.Name, cs.State.Waiting.Reason, cs.State.Waiting.Message)}
	cause := m("init.cause", cs.Name)
	if last := cs.LastTerminationState.Terminated; last != nil {
		ev = append(ev, terminated(cs))
		cause = m("init.causeExit", cs.Name, last.Reason, int(last.ExitCode))
	}
	if g := x.latest(ref, "BackOff"); g != nil {
		ev = append(ev, evLine(g))
	}
	ev = append(ev, x.logEvidence(p, cs.Name)...)
	return &draft{rule: "container/init-failed", base: High, baseWhy: m("urg.pod"),
		problem: m("init.problem", ref.Name, cs.Name, cs.RestartCount), cause: cause, evidence: ev,
		fixes:   []msg{m("init.fix", cs.Name), m("fix.owner")},
		actions: []string{previousLogs(p, cs.Name)}}
}

// pullClass sorts a registry's pull error into what an operator does next.
func pullClass(text string) string {
	t := strings.ToLower(text)
	switch {
	case containsAny(t, "unauthorized", "authentication required", "authorization failed", "denied", "forbidden", "401", "403", "no basic auth credentials"):
		return "unauthorized"
	case containsAny(t, "no such host", "dial tcp", "i/o timeout", "connection refused", "tls handshake timeout",
		"context deadline exceeded", "network is unreachable", "server misbehaving", "connection reset"):
		return "unreachable"
	case containsAny(t, "not found", "manifest unknown", "does not exist", "notfound", "name unknown"):
		return "not-found"
	}
	return ""
}

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

func (x *index) imagePull(p *corev1.Pod, ref ObjectRef, cs corev1.ContainerStatus) *draft {
	w := cs.State.Waiting
	ev := []msg{m("ev.waiting", cs.Name, w.Reason, w.Message)}
	var pull *EventGroup
	for _, g := range x.events[ref] {
		if g.Reason == "Failed" && strings.Contains(g.Message, "Failed to pull image") {
			pull = &g
			break
		}
	}
	if pull == nil {
		pull = x.latest(ref, "Failed", "ErrImagePull", "BackOff")
	}
	cause := m("img.cause", cs.Image, w.Reason)
	fixes := []msg{m("img.fix1", cs.Image), m("img.fix2")}
	if pull != nil {
		ev = append(ev, evLine(pull))
		switch pullClass(pull.Message) {
		case "not-found":
			cause, fixes = m("img.notFound", cs.Image), []msg{m("img.fix1", cs.Image)}
		case "unauthorized":
			cause, fixes = m("img.unauthorized", cs.Image), []msg{m("img.fix2"), m("img.fixSecret")}
		case "unreachable":
			cause, fixes = m("img.unreachable", registryOf(cs.Image)), []msg{m("img.fixNetwork", registryOf(cs.Image))}
		}
	}
	return &draft{rule: "image/pull-failed", base: High, baseWhy: m("urg.pod"),
		problem: m("img.problem", ref.Name, cs.Name, cs.Image), cause: cause, evidence: ev,
		fixes: append(fixes, m("fix.owner"))}
}

// registryOf returns the registry host of an image reference.
func registryOf(image string) string {
	if i := strings.IndexByte(image, '/'); i > 0 {
		if host := image[:i]; strings.ContainsAny(host, ".:") || host == "localhost" {
			return host
		}
	}
	return "docker.io"
}

// configError names the missing ConfigMap, Secret or key, checked against the
// objects that exist (their key names only).
func (x *index) configError(p *corev1.Pod, ref ObjectRef, cs corev1.ContainerStatus) *draft {
	w := cs.State.Waiting
	d := &draft{rule: "container/config-error", base: High, baseWhy: m("urg.pod"),
		problem: m("cfg.problem", ref.Name, cs.Name, w.Reason), cause: m("cfg.cause", w.Message),
		evidence: []msg{m("ev.waiting", cs.Name, w.Reason, w.Message)}, fixes: []msg{m("cfg.fix"), m("fix.owner")}}
	if w.Reason != "CreateContainerConfigError" {
		return d
	}
	var missing []msg
	var looks []string
	for _, c := range append(append([]corev1.Container(nil), p.Spec.InitContainers...), p.Spec.Containers...) {
		if c.Name != cs.Name {
			continue
		}
		check := func(kind, name, key string, optional *bool) {
			if optional != nil && *optional {
				return
			}
			o := x.configObject(kind, p.Namespace, name)
			switch {
			case o == nil:
				return // not read: nothing to say
			case !o.Found:
				missing = append(missing, m("cfg.noObject", kind, name))
				d.evidence = append(d.evidence, m("ev.cfgMissing", kind, p.Namespace, name))
				looks = append(looks, fmt.Sprintf("kubectl get %s -n %s", strings.ToLower(kind), p.Namespace))
			case key != "" && !hasKey(o.Keys, key):
				missing = append(missing, m("cfg.noKey", kind, name, key))
				d.evidence = append(d.evidence, m("ev.cfgKeys", kind, p.Namespace, name, orNone(strings.Join(o.Keys, ", "))))
				looks = append(looks, fmt.Sprintf("kubectl describe %s %s -n %s", strings.ToLower(kind), name, p.Namespace))
			}
		}
		for _, e := range c.Env {
			if v := e.ValueFrom; v != nil && v.ConfigMapKeyRef != nil {
				check("ConfigMap", v.ConfigMapKeyRef.Name, v.ConfigMapKeyRef.Key, v.ConfigMapKeyRef.Optional)
			} else if v != nil && v.SecretKeyRef != nil {
				check("Secret", v.SecretKeyRef.Name, v.SecretKeyRef.Key, v.SecretKeyRef.Optional)
			}
		}
		for _, e := range c.EnvFrom {
			if e.ConfigMapRef != nil {
				check("ConfigMap", e.ConfigMapRef.Name, "", e.ConfigMapRef.Optional)
			}
			if e.SecretRef != nil {
				check("Secret", e.SecretRef.Name, "", e.SecretRef.Optional)
			}
		}
	}
	if len(missing) > 0 {
		d.cause = m("cfg.missing", join(missing))
		d.fixes = []msg{m("cfg.fixCreate", join(missing)), m("cfg.fixRef"), m("fix.owner")}
		sort.Strings(looks)
		d.actions = compactStrings(looks)
	}
	return d
}

func compactStrings(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

func hasKey(keys []string, key string) bool {
	for _, k := range keys {
		if k == key {
			return true
		}
	}
	return false
}

// configObject returns what the facts know of a ConfigMap or Secret, or nil.
func (x *index) configObject(kind, ns, name string) *ConfigObject {
	for i := range x.f.ConfigRefs {
		if o := &x.f.ConfigRefs[i]; o.Kind == kind && o.Namespace == ns && o.Name == name {
			return o
		}
	}
	return nil
}

// notReady explains a running pod that is not ready: a failing readiness
// probe (the Services it backs lose it) or a container that is not ready.
func (x *index) notReady(p *corev1.Pod, ref ObjectRef) *draft {
	var started time.Time
	if p.Status.StartTime != nil {
		started = p.Status.StartTime.Time
	}
	g := x.probeEvent(ref, "Readiness")
	if g != nil && g.Count <= 1 && !started.IsZero() && x.f.Collected.Sub(started) < startupGrace {
		return nil // one failure while it starts up
	}
	d := &draft{rule: "pod/not-ready", base: Medium, baseWhy: m("urg.pod"),
		problem: m("pod.notReady.problem", ref.Name), cause: m("pod.notReady.cause"),
		fixes: []msg{m("pod.notReady.fix")}}
	if g != nil {
		d.rule = "probe/readiness-failing"
		d.cause = m("pod.unhealthy.cause", strings.TrimPrefix(g.Message, "Readiness probe failed: "))
		d.evidence = append(d.evidence, evLine(g))
		d.fixes = append(d.fixes, m("fix.owner"))
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			d.evidence = append(d.evidence, m("ev.condition", "Ready", string(c.Status), c.Reason, c.Message))
		}
	}
	return d
}

// oomCause explains an OOMKilled container by its memory limit, or by the
// node running out of memory when it has none.
func oomCause(p *corev1.Pod, container string) msg {
	for _, c := range p.Spec.Containers {
		if c.Name == container {
			if q, ok := c.Resources.Limits[corev1.ResourceMemory]; ok {
				return m("oom.cause", container, q.String())
			}
		}
	}
	return m("oom.causeNoLimit", container)
}
