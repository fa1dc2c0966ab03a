package kubetest

import (
	"context"
	"embed"
	"fmt"
	"path"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Every testdata/NAME.yaml is a scenario; adding one is dropping a file there.
//
//go:embed testdata/*.yaml
var scenarios embed.FS

// SeedNodes are the names of the two kwok worker nodes of scenario "nodes".
var SeedNodes = []string{"3shake-k8s-node-001", "3shake-k8s-node-002"}

// Scenario returns the YAML of testdata/NAME.yaml. It panics on an unknown
// name, naming the known ones: a scenario name is a constant of the test.
func Scenario(name string) string {
	data, err := scenarios.ReadFile("testdata/" + name + ".yaml")
	if err != nil {
		panic(fmt.Sprintf("kubetest: no scenario %q; known: %s", name, strings.Join(Scenarios(), ", ")))
	}
	return string(data)
}

// Scenarios lists the names of the embedded scenarios.
func Scenarios() []string {
	entries, _ := scenarios.ReadDir("testdata")
	var names []string
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), path.Ext(e.Name())))
	}
	sort.Strings(names)
	return names
}

// EnsureSeedNodes creates the two seed nodes (scenario "nodes") unless they
// exist and waits until they are Ready and untainted.
func (c *Cluster) EnsureSeedNodes(ctx context.Context) error {
	if err := c.Apply(ctx, Scenario("nodes")); err != nil {
		return err
	}
	return c.WaitForNodesReady(ctx, SeedNodes...)
}

// SeedIncident reproduces the seed incident in namespace and returns its
// Warning FailedScheduling event: it creates the two seed nodes if absent,
// rolls out nginx-with-5gi (1 replica, 5Gi), then nginx-with-10gi (2 replicas,
// 10Gi), one of which stays Pending for want of memory. The seed nodes are
// shared by the whole test binary, so a seed incident left in another
// namespace is removed first; SeedIncident calls are serialised.
func (c *Cluster) SeedIncident(ctx context.Context, namespace string) (corev1.Event, error) {
	c.seedMu.Lock()
	defer c.seedMu.Unlock()
	if err := c.EnsureSeedNodes(ctx); err != nil {
		return corev1.Event{}, fmt.Errorf("seed incident: %w", err)
	}
	if err := c.clearSeed(ctx, namespace); err != nil {
		return corev1.Event{}, fmt.Errorf("seed incident: %w", err)
	}
	// 5Gi first, bound before the 10Gi pods exist: created together, the two
	// 10Gi pods could take both nodes and leave the 5Gi pod Pending instead.
	if err := c.ApplyIn(ctx, namespace, Scenario("nginx-with-5gi")); err != nil {
		return corev1.Event{}, fmt.Errorf("seed incident: %w", err)
	}
	if _, err := c.WaitForPods(ctx, namespace, "app=nginx-with-5gi", func(pods []corev1.Pod) bool {
		return len(pods) == 1 && pods[0].Status.Phase == corev1.PodRunning
	}); err != nil {
		return corev1.Event{}, fmt.Errorf("seed incident: %w", err)
	}
	if err := c.ApplyIn(ctx, namespace, Scenario("nginx-with-10gi")); err != nil {
		return corev1.Event{}, fmt.Errorf("seed incident: %w", err)
	}
	ev, err := c.WaitForEvent(ctx, namespace, "FailedScheduling")
	if err != nil {
		return corev1.Event{}, fmt.Errorf("seed incident: %w", err)
	}
	return ev, nil
}

// clearSeed deletes the seed Deployments outside namespace and waits for their
// pods to be gone, so that the seed nodes are empty again.
func (c *Cluster) clearSeed(ctx context.Context, namespace string) error {
	const selector = "app in (nginx-with-5gi, nginx-with-10gi)"
	deps, err := c.Admin.AppsV1().Deployments("").List(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		return fmt.Errorf("list seed deployments: %w", err)
	}
	background := metav1.DeletePropagationBackground
	for _, d := range deps.Items {
		if d.Namespace == namespace {
			continue
		}
		err := c.Admin.AppsV1().Deployments(d.Namespace).Delete(ctx, d.Name, metav1.DeleteOptions{PropagationPolicy: &background})
		if err != nil {
			return fmt.Errorf("delete deployment %s/%s: %w", d.Namespace, d.Name, err)
		}
	}
	_, err = c.WaitForPods(ctx, "", selector, func(pods []corev1.Pod) bool {
		for _, p := range pods {
			if p.Namespace != namespace {
				return false
			}
		}
		return true
	})
	return err
}
