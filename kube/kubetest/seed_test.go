package kubetest_test

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kuberesponder/kuberesponder/kube/kubetest"
)

// TestSeedIncident reproduces the seed incident: the second nginx-with-10gi
// pod fits on neither node and stays Pending.
func TestSeedIncident(t *testing.T) {
	c := kubetest.Start(t)
	ns := c.Namespace(t)
	// Each wait has a deadline of its own; the kubectl calls get a minute.
	ctx := t.Context()
	ev, err := c.SeedIncident(ctx, ns)
	if err != nil {
		t.Fatal(err)
	}
	const want = "0/2 nodes are available: 2 Insufficient memory"
	if ev.Type != corev1.EventTypeWarning || !strings.Contains(ev.Message, want) {
		t.Errorf("event = %s %q, want Warning containing %q", ev.Type, ev.Message, want)
	}
	if ev.InvolvedObject.Kind != "Pod" || !strings.HasPrefix(ev.InvolvedObject.Name, "nginx-with-10gi-") {
		t.Errorf("event is about %s %s, want a nginx-with-10gi pod", ev.InvolvedObject.Kind, ev.InvolvedObject.Name)
	}

	pods, err := c.WaitForPods(ctx, ns, "app=nginx-with-10gi", func(pods []corev1.Pod) bool {
		running, pending := countPhases(pods)
		return len(pods) == 2 && running == 1 && pending == 1
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pods {
		if p.Status.Phase == corev1.PodPending && p.Spec.NodeName != "" {
			t.Errorf("pending pod %s is bound to %s, want unscheduled", p.Name, p.Spec.NodeName)
		}
		if p.Name == ev.InvolvedObject.Name && p.Status.Phase != corev1.PodPending {
			t.Errorf("pod %s of the event is %s, want Pending", p.Name, p.Status.Phase)
		}
	}
	small, err := c.Admin.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=nginx-with-5gi"})
	if err != nil {
		t.Fatal(err)
	}
	if len(small.Items) != 1 || small.Items[0].Status.Phase != corev1.PodRunning {
		t.Errorf("nginx-with-5gi pods = %d, want one Running", len(small.Items))
	}
	for _, p := range append(small.Items, pods...) {
		if p.Spec.NodeName != "" && p.Spec.NodeName != kubetest.SeedNodes[0] && p.Spec.NodeName != kubetest.SeedNodes[1] {
			t.Errorf("pod %s runs on %s, want a seed node", p.Name, p.Spec.NodeName)
		}
	}

	// What an operator sees with kubectl, as the read-only user.
	out, err := c.Kubectl(within(t, time.Minute), c.ReadOnlyKubeconfig, "-n", ns, "get", "events", "--field-selector", "reason=FailedScheduling")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, want) {
		t.Errorf("kubectl get events:\n%s\nwant %q", out, want)
	}
	out, err = c.Kubectl(within(t, time.Minute), c.ReadOnlyKubeconfig, "get", "nodes")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range kubetest.SeedNodes {
		if !strings.Contains(out, n+"   Ready") {
			t.Errorf("kubectl get nodes:\n%s\nwant %s Ready", out, n)
		}
	}
}

func countPhases(pods []corev1.Pod) (running, pending int) {
	for _, p := range pods {
		switch p.Status.Phase {
		case corev1.PodRunning:
			running++
		case corev1.PodPending:
			pending++
		}
	}
	return running, pending
}
