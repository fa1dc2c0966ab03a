package kubetest

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
)

// DefaultWait bounds each wait of this package, counted from the wait's own
// start: a loaded machine can take a minute or more to schedule and start a
// pod, and one slow wait must not spend the time of the next.
const DefaultWait = 3 * time.Minute

// pollEvery is how often a wait looks again.
const pollEvery = 200 * time.Millisecond

// Until calls check until it reports done, giving up after DefaultWait from
// its own start or when ctx ends, whichever comes first. check returns what
// it saw, in a few words, or the error of a look that failed; the error of a
// wait that gave up names what, how long it waited, which deadline ended it,
// what check saw last and any error since, so that a failure on a slow
// machine says why.
func Until(ctx context.Context, what string, check func(context.Context) (done bool, seen string, err error)) error {
	start := time.Now()
	wctx, cancel := context.WithTimeout(ctx, DefaultWait)
	defer cancel()
	seen, failed := "nothing yet", ""
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for {
		done, s, err := check(wctx)
		// A look that failed near the deadline (its request ran into it, or
		// the client's rate limiter refused to wait past it) says nothing new.
		switch {
		case err == nil && done:
			return nil
		case err == nil:
			seen, failed = s, ""
		case !nearDeadline(wctx):
			failed = err.Error()
		}
		if wctx.Err() == nil {
			select {
			case <-wctx.Done():
			case <-tick.C:
				continue
			}
		}
		whose := fmt.Sprintf("its own %s", DefaultWait)
		if ctx.Err() != nil {
			whose = "the caller's context"
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				whose = "the caller's deadline"
			}
		}
		if failed != "" {
			seen += "; then a look failed: " + failed
		}
		return fmt.Errorf("%s: gave up after %s (%s ended); last saw: %s: %w",
			what, time.Since(start).Round(time.Millisecond), whose, seen, wctx.Err())
	}
}

// nearDeadline reports whether ctx has ended or ends within a second.
func nearDeadline(ctx context.Context) bool {
	d, ok := ctx.Deadline()
	return ctx.Err() != nil || (ok && time.Until(d) < time.Second)
}

// WaitForEvent waits for an event with reason in namespace and returns the
// oldest one. Giving up, it reports the namespace's recent events and pods.
func (c *Cluster) WaitForEvent(ctx context.Context, namespace, reason string) (corev1.Event, error) {
	var found corev1.Event
	selector := fields.OneTermEqualSelector("reason", reason).String()
	err := Until(ctx, fmt.Sprintf("wait for a %s event in namespace %s", reason, namespace), func(ctx context.Context) (bool, string, error) {
		list, err := c.Admin.CoreV1().Events(namespace).List(ctx, metav1.ListOptions{FieldSelector: selector})
		if err != nil {
			return false, "", fmt.Errorf("list events: %w", err)
		}
		if len(list.Items) == 0 {
			return false, "no " + reason + " event", nil
		}
		items := list.Items
		sort.SliceStable(items, func(i, j int) bool { return eventTime(items[i]).Before(eventTime(items[j])) })
		found = items[0]
		return true, "", nil
	})
	if err != nil {
		return corev1.Event{}, fmt.Errorf("%w\n%s", err, c.context(ctx, namespace, true))
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
// namespace ("" for all), and returns them. Giving up, it reports the pods'
// phases, conditions and container states as last seen and the namespace's
// recent events.
func (c *Cluster) WaitForPods(ctx context.Context, namespace, selector string, done func([]corev1.Pod) bool) ([]corev1.Pod, error) {
	var pods []corev1.Pod
	err := Until(ctx, fmt.Sprintf("wait for pods %q in namespace %q", selector, namespace), func(ctx context.Context) (bool, string, error) {
		list, err := c.Admin.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{LabelSelector: selector})
		if err != nil {
			return false, "", fmt.Errorf("list pods: %w", err)
		}
		pods = list.Items
		return done(pods), DescribePods(pods), nil
	})
	if err != nil {
		return pods, fmt.Errorf("%w\n%s", err, c.context(ctx, namespace, false))
	}
	return pods, nil
}

// WaitForNodesReady waits until the named nodes are Ready and carry no taint
// (new nodes are tainted not-ready until the node-lifecycle controller sees
// them Ready). Giving up, it reports each node's conditions and taints and
// the recent node events.
func (c *Cluster) WaitForNodesReady(ctx context.Context, names ...string) error {
	what := fmt.Sprintf("wait for nodes %v to be Ready and untainted", names)
	if len(names) > 4 {
		what = fmt.Sprintf("wait for %d nodes (%s ... %s) to be Ready and untainted", len(names), names[0], names[len(names)-1])
	}
	err := Until(ctx, what, func(ctx context.Context) (bool, string, error) {
		var notReady []string
		for _, name := range names {
			n, err := c.Admin.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				notReady = append(notReady, fmt.Sprintf("node %s: %v", name, err))
				continue
			}
			if !nodeReady(n) || len(n.Spec.Taints) > 0 {
				notReady = append(notReady, describeNode(n))
			}
		}
		return len(notReady) == 0, fmt.Sprintf("%d of %d not ready: %s", len(notReady), len(names), strings.Join(clip(notReady, 5), "; ")), nil
	})
	if err != nil {
		return fmt.Errorf("%w\n%s", err, c.nodeEvents(ctx))
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
