package kubetest_test

import (
	"context"
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
func TestWorkloads(t *testing.T) {
	c := kubetest.Start(t)
	ns := c.Namespace(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := c.EnsureSeedNodes(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.ApplyIn(ctx, ns, kubetest.Scenario("workloads")); err != nil {
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
		done func(context.Context) (bool, error)
	}{
		{"job succeeded", func(ctx context.Context) (bool, error) {
			j, err := c.Admin.BatchV1().Jobs(ns).Get(ctx, "migrate", metav1.GetOptions{})
			return err == nil && jobComplete(j), err
		}},
		{"statefulset ready", func(ctx context.Context) (bool, error) {
			s, err := c.Admin.AppsV1().StatefulSets(ns).Get(ctx, "web", metav1.GetOptions{})
			return err == nil && s.Status.ReadyReplicas == 1, err
		}},
		{"daemonset ready", func(ctx context.Context) (bool, error) {
			d, err := c.Admin.AppsV1().DaemonSets(ns).Get(ctx, "node-agent", metav1.GetOptions{})
			return err == nil && daemonSetReady(d), err
		}},
		{"endpointslice has the pod", func(ctx context.Context) (bool, error) {
			l, err := c.Admin.DiscoveryV1().EndpointSlices(ns).List(ctx, metav1.ListOptions{LabelSelector: "kubernetes.io/service-name=web"})
			return err == nil && readyEndpoints(l.Items) == 1, err
		}},
		{"quota counts the pods", func(ctx context.Context) (bool, error) {
			q, err := c.Admin.CoreV1().ResourceQuotas(ns).Get(ctx, "compute", metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			used, ok := q.Status.Used[corev1.ResourcePods]
			return ok && used.Value() >= 3, nil
		}},
		{"claim pending", func(ctx context.Context) (bool, error) {
			p, err := c.Admin.CoreV1().PersistentVolumeClaims(ns).Get(ctx, "data", metav1.GetOptions{})
			return err == nil && p.Status.Phase == corev1.ClaimPending, err
		}},
	}
	for _, check := range checks {
		var last error
		for ctx.Err() == nil {
			ok, err := check.done(ctx)
			if ok {
				break
			}
			last = err
			time.Sleep(200 * time.Millisecond)
		}
		if ctx.Err() != nil {
			t.Errorf("%s: not within the deadline (last error: %v)", check.name, last)
		}
	}
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
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
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
	for {
		_, err := c.Admin.CoreV1().Namespaces().Get(ctx, ns.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return
		}
		if ctx.Err() != nil {
			t.Fatalf("namespace %s still there: %v", ns.Name, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
