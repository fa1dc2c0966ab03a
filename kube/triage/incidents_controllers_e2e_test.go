package triage_test

import (
	"context"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kuberesponder/kuberesponder/kube/kubetest"
	"github.com/kuberesponder/kuberesponder/kube/triage"
)

// steppedCases are the controller causes that take steps in time to reproduce
// (a CronJob suspended for longer than 100 of its start times, then resumed),
// so that they cannot be planted at once with the others in the mixed cluster.
func steppedCases() []e2eCase {
	return []e2eCase{
		{name: "cronjob misses its schedule", yaml: []string{"cronjob-suspended", "cronjob-resumed"},
			rule: "cronjob/missed-schedule", object: "CronJob sync",
			evidence: []string{`schedule "@every 1s"`, "Warning TooManyMissedTimes cronjob/sync"},
			cause:    "too many missed start times", urgency: "medium",
			firstWait: pause(105 * time.Second), timeout: 4 * time.Minute},
	}
}

// pause is a firstWait that lets d pass, counted from its call right after
// the first scenario is applied, and then lets the case go on.
func pause(d time.Duration) func(triage.Report) bool {
	return func(triage.Report) bool {
		time.Sleep(d)
		return true
	}
}

// hpaControllers are the controllers of the autoscaler test's own control
// plane: what a Deployment and its pods on the fake nodes need, and not the
// autoscaler controller, which without a metrics pipeline would replace the
// status the test writes.
var hpaControllers = []string{
	"deployment-controller", "replicaset-controller", "namespace-controller",
	"serviceaccount-controller", "serviceaccount-token-controller", "garbage-collector-controller",
	"node-lifecycle-controller", "root-ca-certificate-publisher-controller",
}

// TestE2EAutoscalerAtMax checks the finding of an autoscaler at its maximum
// with CPU above its target, on a control plane of its own without the
// autoscaler controller (see testdata/scenarios/hpa-at-max.yaml).
func TestE2EAutoscalerAtMax(t *testing.T) {
	c := kubetest.StartOwn(t, kubetest.Options{Controllers: hpaControllers})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := c.EnsureSeedNodes(ctx); err != nil {
		t.Fatal(err)
	}
	runCase(t, c, e2eCase{name: "autoscaler at its maximum", yaml: []string{"hpa-web", "hpa-at-max"},
		rule: "hpa/at-max", object: "HorizontalPodAutoscaler web",
		evidence: []string{"replicas 3, min 1, max 3", "metric cpu: current 92%, target 60%",
			"condition ScalingLimited=True reason=TooManyReplicas"},
		cause: "may not add more replicas than maxReplicas", urgency: "medium",
		firstWait: func(r triage.Report) bool { return r.Summary.HealthyPods == 3 && webAvailable(t, c) }})
}

// webAvailable reports whether the Deployment web has its 3 replicas
// available, so that the autoscaler's finding is not raised by a rollout
// still under way. The control plane is the test's own: web is its only one.
func webAvailable(t *testing.T, c *kubetest.Cluster) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	list, err := c.Admin.AppsV1().Deployments("").List(ctx, metav1.ListOptions{FieldSelector: "metadata.name=web"})
	if err != nil {
		t.Logf("list deployments: %v", err)
		return false
	}
	return len(list.Items) == 1 && list.Items[0].Status.AvailableReplicas == 3
}
