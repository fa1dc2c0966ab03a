package snapshot

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kuberesponder/kuberesponder/kube"
)

// podCells renders a pod's row as the API server does: READY, the STATUS
// reason kubectl shows (CrashLoopBackOff, Init:0/1, Terminating, ...) and
// RESTARTS with the time of the last one.
func podCells(p *corev1.Pod, a ager) []any {
	restarts, ready := 0, 0
	total := len(p.Spec.Containers)
	var lastRestart metav1.Time
	reason := string(p.Status.Phase)
	if p.Status.Reason != "" {
		reason = p.Status.Reason
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Reason == corev1.PodReasonSchedulingGated {
			reason = corev1.PodReasonSchedulingGated
		}
	}
	sidecar := map[string]bool{}
	for _, c := range p.Spec.InitContainers {
		if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			sidecar[c.Name] = true
			total++
		}
	}
	later := func(t *metav1.Time, cs corev1.ContainerStatus) {
		if term := cs.LastTerminationState.Terminated; term != nil && t.Before(&term.FinishedAt) {
			*t = term.FinishedAt
		}
	}
	initializing := false
	sidecarRestarts := 0
	var sidecarLast metav1.Time
	for i, cs := range p.Status.InitContainerStatuses {
		restarts += int(cs.RestartCount)
		later(&lastRestart, cs)
		if sidecar[cs.Name] {
			sidecarRestarts += int(cs.RestartCount)
			later(&sidecarLast, cs)
		}
		switch {
		case cs.State.Terminated != nil && cs.State.Terminated.ExitCode == 0:
			continue
		case sidecar[cs.Name] && cs.Started != nil && *cs.Started:
			if cs.Ready {
				ready++
			}
			continue
		case cs.State.Terminated != nil:
			switch t := cs.State.Terminated; {
			case t.Reason != "":
				reason = "Init:" + t.Reason
			case t.Signal != 0:
				reason = fmt.Sprintf("Init:Signal:%d", t.Signal)
			default:
				reason = fmt.Sprintf("Init:ExitCode:%d", t.ExitCode)
			}
		case cs.State.Waiting != nil && cs.State.Waiting.Reason != "" && cs.State.Waiting.Reason != "PodInitializing":
			reason = "Init:" + cs.State.Waiting.Reason
		default:
			reason = fmt.Sprintf("Init:%d/%d", i, len(p.Spec.InitContainers))
		}
		initializing = true
		break
	}
	if !initializing || conditionTrue(p, corev1.PodInitialized) {
		restarts, lastRestart = sidecarRestarts, sidecarLast
		hasRunning := false
		errorReason := ""
		for i := len(p.Status.ContainerStatuses) - 1; i >= 0; i-- {
			cs := p.Status.ContainerStatuses[i]
			restarts += int(cs.RestartCount)
			later(&lastRestart, cs)
			switch {
			case cs.State.Waiting != nil && cs.State.Waiting.Reason != "":
				reason = cs.State.Waiting.Reason
			case cs.State.Terminated != nil:
				t := cs.State.Terminated
				switch {
				case t.Reason != "":
					reason = t.Reason
				case t.Signal != 0:
					reason = fmt.Sprintf("Signal:%d", t.Signal)
				default:
					reason = fmt.Sprintf("ExitCode:%d", t.ExitCode)
				}
				if t.ExitCode != 0 {
					errorReason = reason
				}
			case cs.Ready && cs.State.Running != nil:
				hasRunning = true
				ready++
			}
		}
		if reason == "Completed" {
			switch {
			case hasRunning && conditionTrue(p, corev1.PodReady):
				reason = "Running"
			case errorReason != "":
				reason = errorReason
			case hasRunning:
				reason = "NotReady"
			}
		}
	}
	terminal := p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed
	if p.DeletionTimestamp != nil && p.Status.Reason == "NodeLost" {
		reason = "Unknown"
	} else if p.DeletionTimestamp != nil && !terminal {
		reason = "Terminating"
	}
	restartText := strconv.Itoa(restarts)
	if restarts != 0 && !lastRestart.IsZero() {
		restartText = fmt.Sprintf("%d (%s ago)", restarts, a.since(lastRestart))
	}
	ip, node, nominated, gates := "<none>", "<none>", "<none>", "<none>"
	if len(p.Status.PodIPs) > 0 && p.Status.PodIPs[0].IP != "" {
		ip = p.Status.PodIPs[0].IP
	}
	if p.Spec.NodeName != "" {
		node = p.Spec.NodeName
	}
	if p.Status.NominatedNodeName != "" {
		nominated = p.Status.NominatedNodeName
	}
	if len(p.Spec.ReadinessGates) > 0 {
		n := 0
		for _, g := range p.Spec.ReadinessGates {
			if conditionTrue(p, g.ConditionType) {
				n++
			}
		}
		gates = fmt.Sprintf("%d/%d", n, len(p.Spec.ReadinessGates))
	}
	return []any{p.Name, fmt.Sprintf("%d/%d", ready, total), reason, restartText, a.since(p.CreationTimestamp), ip, node, nominated, gates}
}

func conditionTrue(p *corev1.Pod, t corev1.PodConditionType) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == t {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// logPods finds the pods a logs action names: a pod, TYPE/NAME of a
// workload (its first ready pod, as kubectl picks), or -l.
func (s *Snapshot) logPods(a kube.Action, ns string) ([]*corev1.Pod, error) {
	podKind, _ := builtinKind("pods")
	ls, _, err := selectors(a)
	if err != nil {
		return nil, err
	}
	if ls != nil {
		found, _ := s.store.list(podKind, query{Namespace: ns, Labels: ls})
		if len(found) == 0 {
			return nil, fmt.Errorf("no pods found in namespace %s matching %s", ns, ls)
		}
		return pods(found), nil
	}
	if len(a.Operands) == 0 {
		return nil, errors.New("logs needs a pod name, TYPE/NAME or -l selector")
	}
	typed, name, ok := strings.Cut(a.Operands[0], "/")
	if !ok {
		typed, name = "pods", a.Operands[0]
	}
	k, found := s.resolve(typed)
	if !found {
		return nil, fmt.Errorf("the server doesn't have a resource type %q", typed)
	}
	objs, missing := s.store.list(k, query{Namespace: nsFor(k, ns), Names: []string{name}})
	if len(missing) > 0 {
		return nil, fmt.Errorf("%s %q not found", qualified(k), name)
	}
	if k.gr() == "pods" {
		return pods(objs), nil
	}
	var sel *metav1.LabelSelector
	switch o := objs[0].(type) {
	case *appsv1.Deployment:
		sel = o.Spec.Selector
	case *appsv1.ReplicaSet:
		sel = o.Spec.Selector
	case *appsv1.StatefulSet:
		sel = o.Spec.Selector
	case *appsv1.DaemonSet:
		sel = o.Spec.Selector
	case *batchv1.Job:
		sel = o.Spec.Selector
	default:
		return nil, fmt.Errorf("cannot get the logs of a %s", k.Kind)
	}
	selector, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil || selector.Empty() {
		return nil, fmt.Errorf("%s %s has no usable selector", k.Kind, name)
	}
	candidates := pods(s.podsMatching(ns, selector))
	if len(candidates) == 0 {
		return nil, fmt.Errorf("no pods found for %s/%s", strings.ToLower(k.Kind), name)
	}
	slices.SortStableFunc(candidates, func(x, y *corev1.Pod) int { return activeRank(x) - activeRank(y) })
	return candidates[:1], nil
}

func (s *Snapshot) podsMatching(ns string, sel labels.Selector) []runtime.Object {
	podKind, _ := builtinKind("pods")
	found, _ := s.store.list(podKind, query{Namespace: ns, Labels: sel})
	return found
}

// activeRank orders pods as kubectl does when it picks one: scheduled before
// unscheduled, running before pending, ready before not ready.
func activeRank(p *corev1.Pod) int {
	r := 0
	if p.Spec.NodeName == "" {
		r += 4
	}
	if p.Status.Phase != corev1.PodRunning {
		r += 2
	}
	if !conditionTrue(p, corev1.PodReady) {
		r++
	}
	return r
}

func pods(objs []runtime.Object) []*corev1.Pod {
	out := make([]*corev1.Pod, 0, len(objs))
	for _, o := range objs {
		if p, ok := o.(*corev1.Pod); ok {
			out = append(out, p)
		}
	}
	return out
}

func logContainers(p *corev1.Pod, a kube.Action) ([]string, error) {
	if a.Flags.Get("all-containers") == "true" {
		var names []string
		for _, c := range p.Spec.InitContainers {
			names = append(names, c.Name)
		}
		for _, c := range p.Spec.Containers {
			names = append(names, c.Name)
		}
		return names, nil
	}
	if c := a.Flags.Get("container"); c != "" {
		for _, pc := range append(slices.Clone(p.Spec.InitContainers), p.Spec.Containers...) {
			if pc.Name == c {
				return []string{c}, nil
			}
		}
		return nil, fmt.Errorf("container %s is not valid for pod %s", c, p.Name)
	}
	if d := p.Annotations["kubectl.kubernetes.io/default-container"]; d != "" {
		return []string{d}, nil
	}
	if len(p.Spec.Containers) == 0 {
		return nil, fmt.Errorf("pod %s has no containers", p.Name)
	}
	return []string{p.Spec.Containers[0].Name}, nil
}

// pod returns a captured pod, or nil.
func (s *Snapshot) pod(ns, name string) *corev1.Pod {
	k, _ := builtinKind("pods")
	objs, _ := s.store.list(k, query{Namespace: ns, Names: []string{name}})
	if len(objs) == 0 {
		return nil
	}
	return objs[0].(*corev1.Pod)
}

func (s *Snapshot) findLog(ns, pod, container string, previous bool) *ContainerLog {
	for i := range s.file.Logs {
		l := &s.file.Logs[i]
		if l.Namespace == ns && l.Pod == pod && l.Container == container && l.Previous == previous {
			return l
		}
	}
	return nil
}

// filterLines applies --since and --tail to captured lines, each of which
// starts with its RFC 3339 timestamp.
func filterLines(lines []string, since time.Time, tail int) []string {
	if !since.IsZero() {
		var kept []string
		for _, l := range lines {
			ts, _, _ := strings.Cut(l, " ")
			if t, err := time.Parse(time.RFC3339Nano, ts); err != nil || !t.Before(since) {
				kept = append(kept, l)
			}
		}
		lines = kept
	}
	if tail >= 0 && tail < len(lines) {
		lines = lines[len(lines)-tail:]
	}
	return lines
}

func eventTime(e *corev1.Event) time.Time {
	switch {
	case e.Series != nil:
		return e.Series.LastObservedTime.Time
	case !e.LastTimestamp.IsZero():
		return e.LastTimestamp.Time
	}
	return e.EventTime.Time
}
