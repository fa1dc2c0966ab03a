package kubetest

import (
	"context"
	"fmt"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Container states on the fake nodes. A pod template labelled
// ContainerLabel=<state> gets that state from kwok as soon as it is bound
// (e2e/cluster/stages/incidents.yaml); annotations on the template tune it:
//
//	kuberesponder.test/container-name  the one container that fails (default: all)
//	kuberesponder.test/reason          termination reason, e.g. Error, OOMKilled (default Error);
//	                                   for StateImagePull the waiting reason (default ImagePullBackOff)
//	kuberesponder.test/exit-code       termination exit code, e.g. 1, 137, 143 (default 1)
//	kuberesponder.test/restarts        restart count (default 5)
//	kuberesponder.test/message         the waiting message (StateConfigError: `configmap "x" not found`)
//
// kwok sends no kubelet events; KubeletEvents adds them, read from:
//
//	kuberesponder.test/event-message   the registry's pull error (StateImagePull) or the probe's output
//	kuberesponder.test/probe           readiness or liveness: the probe that fails (Unhealthy events)
//	kuberesponder.test/probe-failures  how many times it failed (default 30)
//
// Containers named api, cache and schema-init have current and previous logs
// (e2e/cluster/logs): a database panic, a heap growing to its limit, a failed
// migration.
const (
	ContainerLabel = "kuberesponder.test/container"
	// StateCrashLoop waits in CrashLoopBackOff after restarts; phase Running.
	StateCrashLoop = "crash-loop"
	// StateImagePull waits in ImagePullBackOff; phase Pending.
	StateImagePull = "image-pull"
	// StateConfigError waits in CreateContainerConfigError; phase Pending.
	StateConfigError = "config-error"
	// StateInitFailed crash-loops in an init container; phase Pending.
	StateInitFailed = "init-failed"
	// StateNotReady runs but is not ready (a readiness probe fails).
	StateNotReady = "not-ready"
	// StateRestarted runs ready after restarts (a liveness failure, or an ordinary restart).
	StateRestarted = "restarted"
	// StateFailed ends Failed with the exit code (a Job's pod).
	StateFailed = "failed"
)

// Annotation names read by the stages and by KubeletEvents.
const (
	annPrefix        = "kuberesponder.test/"
	annContainer     = annPrefix + "container-name"
	annRestarts      = annPrefix + "restarts"
	annEventMessage  = annPrefix + "event-message"
	annProbe         = annPrefix + "probe"
	annProbeFailures = annPrefix + "probe-failures"
)

// KubeletEvents waits until every pod of namespace matching selector that
// asks for a container state (ContainerLabel or a probe annotation) has its
// state, then records the Warning events its kubelet would have sent: BackOff
// for a crash loop, Failed and BackOff for a failed pull, Failed for a
// configuration error, Unhealthy (and Killing for liveness) for failing
// probes. It waits for at least want pods and returns how many events it
// created.
func (c *Cluster) KubeletEvents(ctx context.Context, namespace, selector string, want int) (int, error) {
	pods, err := c.WaitForPods(ctx, namespace, selector, func(pods []corev1.Pod) bool {
		for _, p := range pods {
			if wantsState(&p) && len(p.Status.ContainerStatuses) == 0 {
				return false
			}
		}
		return len(pods) >= max(want, 1)
	})
	if err != nil {
		return 0, fmt.Errorf("wait for the container states of %s: %w", selector, err)
	}
	n := 0
	for i := range pods {
		for _, e := range kubeletEvents(&pods[i]) {
			if _, err := c.Admin.CoreV1().Events(namespace).Create(ctx, e, metav1.CreateOptions{}); err != nil {
				return n, fmt.Errorf("create event %s for pod %s/%s: %w", e.Reason, namespace, pods[i].Name, err)
			}
			n++
		}
	}
	return n, nil
}

func wantsState(p *corev1.Pod) bool {
	return p.Labels[ContainerLabel] != "" || p.Annotations[annProbe] != ""
}

// kubeletEvents returns the events a kubelet sends about p in its state.
func kubeletEvents(p *corev1.Pod) []*corev1.Event {
	a := p.Annotations
	msg := a[annEventMessage]
	var out []*corev1.Event
	add := func(typ, reason, message string, count int) {
		out = append(out, kubeletEvent(p, typ, reason, message, count))
	}
	restarts := atoiOr(a[annRestarts], 5)
	failing := func(statuses []corev1.ContainerStatus) []corev1.ContainerStatus {
		var cs []corev1.ContainerStatus
		for _, s := range statuses {
			if a[annContainer] == "" || a[annContainer] == s.Name {
				cs = append(cs, s)
			}
		}
		return cs
	}
	id := fmt.Sprintf("%s_%s(%s)", p.Name, p.Namespace, p.UID)
	switch p.Labels[ContainerLabel] {
	case StateCrashLoop:
		for _, s := range failing(p.Status.ContainerStatuses) {
			add(corev1.EventTypeWarning, "BackOff", fmt.Sprintf("Back-off restarting failed container %s in pod %s", s.Name, id), restarts)
		}
	case StateInitFailed:
		for _, s := range failing(p.Status.InitContainerStatuses) {
			add(corev1.EventTypeWarning, "BackOff", fmt.Sprintf("Back-off restarting failed container %s in pod %s", s.Name, id), restarts)
		}
	case StateImagePull:
		if msg == "" {
			msg = "rpc error: code = NotFound desc = failed to pull and unpack image: not found"
		}
		for _, s := range failing(p.Status.ContainerStatuses) {
			add(corev1.EventTypeWarning, "Failed", fmt.Sprintf("Failed to pull image %q: %s", s.Image, msg), 4)
			add(corev1.EventTypeWarning, "Failed", "Error: ErrImagePull", 4)
			add(corev1.EventTypeWarning, "BackOff", fmt.Sprintf("Back-off pulling image %q", s.Image), 12)
			add(corev1.EventTypeWarning, "Failed", "Error: ImagePullBackOff", 12)
		}
	case StateConfigError:
		for _, s := range failing(p.Status.ContainerStatuses) {
			if w := s.State.Waiting; w != nil {
				add(corev1.EventTypeWarning, "Failed", "Error: "+w.Message, 6)
			}
		}
	}
	switch a[annProbe] {
	case "readiness", "liveness":
		kind := map[string]string{"readiness": "Readiness", "liveness": "Liveness"}[a[annProbe]]
		if msg == "" {
			msg = "HTTP probe failed with statuscode: 503"
		}
		failures := atoiOr(a[annProbeFailures], 30)
		add(corev1.EventTypeWarning, "Unhealthy", kind+" probe failed: "+msg, failures)
		if kind == "Liveness" && failures > 1 {
			for _, s := range failing(p.Status.ContainerStatuses) {
				add(corev1.EventTypeNormal, "Killing", fmt.Sprintf("Container %s failed liveness probe, will be restarted", s.Name), restarts)
			}
		}
	}
	return out
}

// kubeletEvent is one event about p as its kubelet reports it, seen count
// times over the last minutes.
func kubeletEvent(p *corev1.Pod, typ, reason, message string, count int) *corev1.Event {
	now := time.Now()
	first := metav1.NewTime(now.Add(-time.Duration(count) * 20 * time.Second))
	return &corev1.Event{
		ObjectMeta: metav1.ObjectMeta{GenerateName: p.Name + ".", Namespace: p.Namespace},
		InvolvedObject: corev1.ObjectReference{
			Kind: "Pod", APIVersion: "v1", Namespace: p.Namespace, Name: p.Name, UID: p.UID,
		},
		Type: typ, Reason: reason, Message: message, Count: int32(count),
		FirstTimestamp: first, LastTimestamp: metav1.NewTime(now),
		Source:              corev1.EventSource{Component: "kubelet", Host: p.Spec.NodeName},
		ReportingController: "kubelet", ReportingInstance: p.Spec.NodeName,
	}
}

func atoiOr(s string, def int) int {
	if n, err := strconv.Atoi(s); err == nil {
		return n
	}
	return def
}
