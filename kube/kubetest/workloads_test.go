package kubetest_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kuberesponder/kuberesponder/kube/kubetest"
)

// TestWorkloads checks that the controllers the test control plane runs do
// their job on kwok nodes: scenario "workloads" settles as on a real cluster.
// Each check has a deadline of its own (kubetest.DefaultWait): one slow check
// on a loaded machine fails alone, saying what it saw last.
func TestWorkloads(t *testing.T) {
	c := kubetest.Start(t)
	ns := c.Namespace(t)
	ctx := t.Context()
	if err := c.EnsureSeedNodes(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.ApplyIn(within(t, time.Minute), ns, kubetest.Scenario("workloads")); err != nil {
		t.Fatal(err)
	}

	running := func(n int) func([]corev1.Pod) bool {
		return func(pods []corev1.Pod) bool {
			r, _ := countPhases(pods)
			return len(pods) == n && r == n
		}
	}
	if _, err := c.WaitForPods(ctx, ns, "app=web", running(1)); err != nil {
		t.Error("statefulset:", err)
	}
	if _, err := c.WaitForPods(ctx, ns, "app=node-agent", running(len(kubetest.SeedNodes))); err != nil {
		t.Error("daemonset:", err)
	}
	if ev, err := c.WaitForEvent(ctx, ns, "FailedBinding"); err != nil {
		t.Error("persistentvolumeclaim:", err)
	} else if ev.InvolvedObject.Name != "data" {
		t.Errorf("FailedBinding is about %s, want the claim data", ev.InvolvedObject.Name)
	}

	checks := []struct {
		name string
		done func(context.Context) (bool, string, error)
	}{
		{"job succeeded", func(ctx context.Context) (bool, string, error) {
			j, err := c.Admin.BatchV1().Jobs(ns).Get(ctx, "migrate", metav1.GetOptions{})
			if err != nil {
				return false, "", err
			}
			return jobComplete(j), fmt.Sprintf("active %d, succeeded %d, failed %d, conditions %s", j.Status.Active, j.Status.Succeeded, j.Status.Failed, jobConditions(j)), nil
		}},
		{"statefulset ready", func(ctx context.Context) (bool, string, error) {
			s, err := c.Admin.AppsV1().StatefulSets(ns).Get(ctx, "web", metav1.GetOptions{})
			if err != nil {
				return false, "", err
			}
			return s.Status.ReadyReplicas == 1, fmt.Sprintf("replicas %d, ready %d, current %d", s.Status.Replicas, s.Status.ReadyReplicas, s.Status.CurrentReplicas), nil
		}},
		{"daemonset ready", func(ctx context.Context) (bool, string, error) {
			d, err := c.Admin.AppsV1().DaemonSets(ns).Get(ctx, "node-agent", metav1.GetOptions{})
			if err != nil {
				return false, "", err
			}
			return daemonSetReady(d), fmt.Sprintf("desired %d, scheduled %d, ready %d, misscheduled %d",
				d.Status.DesiredNumberScheduled, d.Status.CurrentNumberScheduled, d.Status.NumberReady, d.Status.NumberMisscheduled), nil
		}},
		{"endpointslice has the pod", func(ctx context.Context) (bool, string, error) {
			l, err := c.Admin.DiscoveryV1().EndpointSlices(ns).List(ctx, metav1.ListOptions{LabelSelector: "kubernetes.io/service-name=web"})
			if err != nil {
				return false, "", err
			}
			return readyEndpoints(l.Items) == 1, fmt.Sprintf("%d slices, %d ready endpoints", len(l.Items), readyEndpoints(l.Items)), nil
		}},
		{"quota counts the pods", func(ctx context.Context) (bool, string, error) {
			q, err := c.Admin.CoreV1().ResourceQuotas(ns).Get(ctx, "compute", metav1.GetOptions{})
			if err != nil {
				return false, "", err
			}
			used, ok := q.Status.Used[corev1.ResourcePods]
			return ok && used.Value() >= 3, fmt.Sprintf("used %v of %v", q.Status.Used, q.Status.Hard), nil
		}},
		{"claim pending", func(ctx context.Context) (bool, string, error) {
			p, err := c.Admin.CoreV1().PersistentVolumeClaims(ns).Get(ctx, "data", metav1.GetOptions{})
			if err != nil {
				return false, "", err
			}
			return p.Status.Phase == corev1.ClaimPending, fmt.Sprintf("phase %q", p.Status.Phase), nil
		}},
	}
	for _, check := range checks {
		if err := kubetest.Until(ctx, check.name, check.done); err != nil {
			t.Error(err)
		}
	}
}

// within returns a context that ends after d or with the test.
func within(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}

func jobConditions(j *batchv1.Job) string {
	var out []string
	for _, c := range j.Status.Conditions {
		out = append(out, fmt.Sprintf("%s=%s %s", c.Type, c.Status, c.Reason))
	}
	return fmt.Sprint(out)
}

func jobComplete(j *batchv1.Job) bool {
	for _, cond := range j.Status.Conditions {
		if cond.Type == batchv1.JobComplete && cond.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}

func daemonSetReady(d *appsv1.DaemonSet) bool {
	return d.Status.DesiredNumberScheduled == int32(len(kubetest.SeedNodes)) && d.Status.NumberReady == d.Status.DesiredNumberScheduled
}

func readyEndpoints(slices []discoveryv1.EndpointSlice) int {
	n := 0
	for _, s := range slices {
		for _, e := range s.Endpoints {
			if e.Conditions.Ready != nil && *e.Conditions.Ready {
				n++
			}
		}
	}
	return n
}

// TestNamespaceDeletion checks that a deleted namespace goes away with its
// contents, as Namespace's cleanup relies on.
func TestNamespaceDeletion(t *testing.T) {
	c := kubetest.Start(t)
	ctx := within(t, time.Minute)
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "deleted-"}}
	ns, err := c.Admin.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.ApplyIn(ctx, ns.Name, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: doomed}\n"); err != nil {
		t.Fatal(err)
	}
	if err := c.Admin.CoreV1().Namespaces().Delete(ctx, ns.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	err = kubetest.Until(t.Context(), "namespace "+ns.Name+" gone", func(ctx context.Context) (bool, string, error) {
		n, err := c.Admin.CoreV1().Namespaces().Get(ctx, ns.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return true, "", nil
		}
		if err != nil {
			return false, "", err
		}
		var conds []string
		for _, cond := range n.Status.Conditions {
			conds = append(conds, fmt.Sprintf("%s=%s %s", cond.Type, cond.Status, cond.Message))
		}
		return false, fmt.Sprintf("phase %s, finalizers %v, conditions %v", n.Status.Phase, n.Spec.Finalizers, conds), nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
