package kube_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/kuberesponder/kuberesponder/kube"
	"github.com/kuberesponder/kuberesponder/kube/kubetest"
)

const benchPods = 5000

// BenchmarkGetPods5000 times "get pods" of a 5,000-pod namespace through the
// engine (parse, read-only client, server-side table, printing, redaction,
// the model's budget) and through the built kubectl, in the same run, and
// reports both and their ratio. The pods name a scheduler that does not
// exist, so they stay Pending and cost the control plane nothing after
// creation. Run it with make bench.
func BenchmarkGetPods5000(b *testing.B) {
	c := kubetest.Start(b)
	ns := "bench-5000"
	ctx := context.Background()
	if err := fillNamespace(ctx, c, ns, benchPods); err != nil {
		b.Fatal(err)
	}
	e, err := kube.NewExecutor(c.ReadOnlyConfig, kube.ExecOptions{Namespace: ns})
	if err != nil {
		b.Fatal(err)
	}
	a, err := kube.Parse("get pods -n " + ns)
	if err != nil {
		b.Fatal(err)
	}
	// Warm both discovery caches and check the outputs once.
	res, err := e.Run(ctx, a)
	if err != nil {
		b.Fatal(err)
	}
	out, err := kubectlAs(ctx, c, c.ReadOnlyKubeconfig, a.Args...)
	if err != nil {
		b.Fatal(err)
	}
	if n, m := strings.Count(res.Output, "\n"), strings.Count(out, "\n"); n != benchPods+1 || m != benchPods+1 {
		b.Fatalf("engine printed %d lines, kubectl %d; want %d", n, m, benchPods+1)
	}
	var engine, kubectl time.Duration
	for b.Loop() {
		start := time.Now()
		if _, err := e.Run(ctx, a); err != nil {
			b.Fatal(err)
		}
		engine += time.Since(start)
		start = time.Now()
		if _, err := kubectlAs(ctx, c, c.ReadOnlyKubeconfig, a.Args...); err != nil {
			b.Fatal(err)
		}
		kubectl += time.Since(start)
	}
	b.ReportMetric(engine.Seconds()/float64(b.N), "engine-s/op")
	b.ReportMetric(kubectl.Seconds()/float64(b.N), "kubectl-s/op")
	b.ReportMetric(engine.Seconds()/kubectl.Seconds(), "engine/kubectl")
}

// fillNamespace creates namespace ns with n Pending pods, unless it holds
// them already.
func fillNamespace(ctx context.Context, c *kubetest.Cluster, ns string, n int) error {
	cfg := rest.CopyConfig(c.AdminConfig)
	cfg.QPS, cfg.Burst = 1000, 1000
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	_, err = cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	for {
		_, err := cs.CoreV1().ServiceAccounts(ns).Get(ctx, "default", metav1.GetOptions{})
		if err == nil {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	jobs := make(chan int)
	errs := make(chan error, 1)
	var wg sync.WaitGroup
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				pod := &corev1.Pod{
					ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("web-%05d", i), Labels: map[string]string{"app": "web"}},
					Spec: corev1.PodSpec{
						SchedulerName: "not-scheduled",
						Containers:    []corev1.Container{{Name: "app", Image: "nginx:1.27"}},
					},
				}
				_, err := cs.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{})
				if err != nil && !apierrors.IsAlreadyExists(err) {
					select {
					case errs <- err:
					default:
					}
				}
			}
		}()
	}
	for i := 0; i < n; i++ {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	select {
	case err := <-errs:
		return fmt.Errorf("create pods: %w", err)
	default:
		return nil
	}
}
