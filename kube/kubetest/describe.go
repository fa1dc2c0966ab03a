package kubetest

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
)

// recentEvents is how many events a failed wait reports.
const recentEvents = 12

// DescribePods says in one line per pod what a wait saw: phase, node, the
// conditions that are not true and each container's state.
func DescribePods(pods []corev1.Pod) string {
	if len(pods) == 0 {
		return "no pods"
	}
	lines := make([]string, 0, len(pods))
	for _, p := range pods {
		var b strings.Builder
		fmt.Fprintf(&b, "pod %s/%s %s", p.Namespace, p.Name, p.Status.Phase)
		if p.Spec.NodeName != "" {
			fmt.Fprintf(&b, " on %s", p.Spec.NodeName)
		} else {
			b.WriteString(" unbound")
		}
		for _, cond := range p.Status.Conditions {
			if cond.Status != corev1.ConditionTrue {
				fmt.Fprintf(&b, ", %s=%s", cond.Type, cond.Status)
				if cond.Reason != "" || cond.Message != "" {
					fmt.Fprintf(&b, " (%s)", strings.TrimSpace(cond.Reason+" "+oneLine(cond.Message, 160)))
				}
			}
		}
		statuses := append(append([]corev1.ContainerStatus(nil), p.Status.InitContainerStatuses...), p.Status.ContainerStatuses...)
		for _, s := range statuses {
			fmt.Fprintf(&b, ", %s %s ready=%v restarts=%d", s.Name, containerState(s.State), s.Ready, s.RestartCount)
		}
		lines = append(lines, b.String())
	}
	return strings.Join(clip(lines, 10), "\n  ")
}

// containerState names a container state with its reason.
func containerState(s corev1.ContainerState) string {
	switch {
	case s.Waiting != nil:
		return "waiting " + s.Waiting.Reason
	case s.Terminated != nil:
		return fmt.Sprintf("terminated %s exit %d", s.Terminated.Reason, s.Terminated.ExitCode)
	case s.Running != nil:
		return "running"
	default:
		return "no state"
	}
}

// describeNode says what keeps a node from being Ready and untainted: its
// conditions and taints.
func describeNode(n *corev1.Node) string {
	var conds []string
	for _, c := range n.Status.Conditions {
		conds = append(conds, fmt.Sprintf("%s=%s %s", c.Type, c.Status, strings.TrimSpace(c.Reason+" "+oneLine(c.Message, 120))))
	}
	if len(conds) == 0 {
		conds = []string{"no conditions"}
	}
	var taints []string
	for _, t := range n.Spec.Taints {
		taints = append(taints, t.ToString())
	}
	return fmt.Sprintf("node %s: %s; taints %v", n.Name, strings.Join(conds, ", "), taints)
}

// context reports, for a failed wait in namespace, its recent events and
// (with pods) its pods. It has a deadline of its own: ctx may be spent.
func (c *Cluster) context(ctx context.Context, namespace string, pods bool) string {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	var b strings.Builder
	if pods {
		list, err := c.Admin.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{})
		if err != nil {
			fmt.Fprintf(&b, "pods of namespace %q: %v\n", namespace, err)
		} else {
			fmt.Fprintf(&b, "pods of namespace %q:\n  %s\n", namespace, DescribePods(list.Items))
		}
	}
	b.WriteString(c.events(ctx, namespace, metav1.ListOptions{}))
	return b.String()
}

// nodeEvents reports the recent events about nodes, for a failed node wait.
func (c *Cluster) nodeEvents(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	sel := fields.OneTermEqualSelector("involvedObject.kind", "Node").String()
	return c.events(ctx, "", metav1.ListOptions{FieldSelector: sel})
}

// events lists the most recent events of namespace ("" for all) matching
// opts, one line each, newest last.
func (c *Cluster) events(ctx context.Context, namespace string, opts metav1.ListOptions) string {
	list, err := c.Admin.CoreV1().Events(namespace).List(ctx, opts)
	if err != nil {
		return fmt.Sprintf("recent events of namespace %q: %v\n", namespace, err)
	}
	items := list.Items
	if len(items) == 0 {
		return fmt.Sprintf("recent events of namespace %q: none\n", namespace)
	}
	sort.SliceStable(items, func(i, j int) bool { return lastSeen(items[i]).Before(lastSeen(items[j])) })
	if len(items) > recentEvents {
		items = items[len(items)-recentEvents:]
	}
	var b strings.Builder
	fmt.Fprintf(&b, "recent events of namespace %q (%d of %d):\n", namespace, len(items), len(list.Items))
	for _, e := range items {
		fmt.Fprintf(&b, "  %s %s %s %s/%s x%d: %s\n", lastSeen(e).UTC().Format(time.TimeOnly), e.Type, e.Reason,
			e.InvolvedObject.Kind, e.InvolvedObject.Name, max(e.Count, 1), oneLine(e.Message, 200))
	}
	return b.String()
}

// lastSeen is when an event last happened.
func lastSeen(e corev1.Event) time.Time {
	if !e.LastTimestamp.IsZero() {
		return e.LastTimestamp.Time
	}
	return eventTime(e)
}

// clip keeps the first n of lines and says how many more there were.
func clip(lines []string, n int) []string {
	if len(lines) <= n {
		return lines
	}
	return append(lines[:n:n], fmt.Sprintf("and %d more", len(lines)-n))
}

// oneLine returns s on one line, cut to n bytes.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		s = s[:n] + "…"
	}
	return s
}
