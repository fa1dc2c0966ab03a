package kubetest

import (
	"context"
	"fmt"
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/util/wait"
)

// DefaultWait bounds the waits of this package when ctx has no deadline.
const DefaultWait = 2 * time.Minute

// poll calls done every 200 ms until it reports true, fails, or ctx (bounded
// by DefaultWait) ends.
func poll(ctx context.Context, done func(context.Context) (bool, error)) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultWait)
		defer cancel()
	}
	return wait.PollUntilContextCancel(ctx, 200*time.Millisecond, true, done)
}

// WaitForEvent waits for an event with reason in namespace and returns the
// oldest one.
func (c *Cluster) WaitForEvent(ctx context.Context, namespace, reason string) (corev1.Event, error) {
	var found corev1.Event
	selector := fields.OneTermEqualSelector("reason", reason).String()
	err := poll(ctx, func(ctx context.Context) (bool, error) {
		list, err := c.Admin.CoreV1().Events(namespace).List(ctx, metav1.ListOptions{FieldSelector: selector})
		if err != nil || len(list.Items) == 0 {
			return false, nil
		}
		items := list.Items
		sort.SliceStable(items, func(i, j int) bool { return eventTime(items[i]).Before(eventTime(items[j])) })
		found = items[0]
		return true, nil
	})
	if err != nil {
		return corev1.Event{}, fmt.Errorf("wait for a %s event in namespace %s: %w", reason, namespace, err)
	}
	return found, nil
}

func eventTime(e corev1.Event) time.Time {
	switch {
	case !e.EventTime.IsZero():
		return e.EventTime.Time
	case !e.FirstTimestamp.IsZero():
		return e.FirstTimestamp.Time
	default:
		return e.CreationTimestamp.Time
	}
}

// WaitForPods waits until done accepts the pods matching the label selector in
// namespace, and returns them.
func (c *Cluster) WaitForPods(ctx context.Context, namespace, selector string, done func([]corev1.Pod) bool) ([]corev1.Pod, error) {
	var pods []corev1.Pod
	err := poll(ctx, func(ctx context.Context) (bool, error) {
		list, err := c.Admin.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{LabelSelector: selector})
		if err != nil {
			return false, nil
		}
		pods = list.Items
		return done(pods), nil
	})
	if err != nil {
		return pods, fmt.Errorf("wait for pods %q in namespace %s (last saw %s): %w", selector, namespace, describePods(pods), err)
	}
	return pods, nil
}

func describePods(pods []corev1.Pod) string {
	if len(pods) == 0 {
		return "none"
	}
	s := ""
	for i, p := range pods {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%s %s on %q", p.Name, p.Status.Phase, p.Spec.NodeName)
	}
	return s
}

// WaitForNodesReady waits until the named nodes are Ready and carry no taint
// (new nodes are tainted not-ready until the node-lifecycle controller sees
// them Ready).
func (c *Cluster) WaitForNodesReady(ctx context.Context, names ...string) error {
	var last string
	err := poll(ctx, func(ctx context.Context) (bool, error) {
		for _, name := range names {
			n, err := c.Admin.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				last = err.Error()
				return false, nil
			}
			if !nodeReady(n) || len(n.Spec.Taints) > 0 {
				last = fmt.Sprintf("node %s: ready=%v taints=%v", name, nodeReady(n), n.Spec.Taints)
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil {
		return fmt.Errorf("wait for nodes %v to be Ready (%s): %w", names, last, err)
	}
	return nil
}

func nodeReady(n *corev1.Node) bool {
	for _, cond := range n.Status.Conditions {
		if cond.Type == corev1.NodeReady {
			return cond.Status == corev1.ConditionTrue
		}
	}
	return false
}
