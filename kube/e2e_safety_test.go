package kube_test

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kuberesponder/kuberesponder/kube"
	"github.com/kuberesponder/kuberesponder/kube/kubetest"
)

// proposals returns every line of the parse table and writes aimed at the
// fixture, each with -n of the fixture where it makes sense.
func proposals(ns string) []string {
	runsLines, redacted, never, refused := kube.Proposals()
	all := append(append(append(runsLines, redacted...), never...), refused...)
	for _, l := range []string{
		"delete pod canary", "delete deploy nginx-with-5gi", "delete secret db-creds", "delete ns " + ns,
		"scale deploy/nginx-with-10gi --replicas=0", "patch cm app-config -p '{\"data\":{\"mode\":\"slow\"}}'",
		"label pod canary x=y", "annotate pod canary x=y", "edit cm app-config", "apply -f /dev/null",
		"create cm new --from-literal=a=b", "set image deploy/nginx-with-5gi nginx=nginx:1.28",
		"rollout restart deploy/nginx-with-5gi", "rollout undo deploy/nginx-with-5gi", "rollout pause deploy/nginx-with-5gi",
		"cordon 3shake-k8s-node-001", "drain 3shake-k8s-node-001", "taint nodes 3shake-k8s-node-001 a=b:NoSchedule",
		"exec canary -- cat /etc/passwd", "attach canary", "port-forward pod/canary 8080:80", "cp canary:/etc/passwd /tmp/p",
		"debug canary --image=busybox", "logs -f canary", "get pods -w", "create token default",
		"expose deploy nginx-with-5gi --port=80", "autoscale deploy nginx-with-5gi --max=3", "run x --image=busybox",
		"replace -f /dev/null", "certificate approve csr-x", "auth reconcile -f /dev/null",
	} {
		all = append(all, l+" -n "+ns)
	}
	return all
}

// TestAuditOnlyReads sends every proposal through Parse and Run as the
// read-only user; the API server's audit log must then hold only get, list
// and watch requests (and the self-subject reviews auth can-i and whoami
// create), and the fixture must be untouched.
func TestAuditOnlyReads(t *testing.T) {
	f := setup(t)
	mark, err := f.c.AuditMark()
	if err != nil {
		t.Fatal(err)
	}
	lines := proposals(f.ns)
	if len(lines) < 100 {
		t.Fatalf("only %d proposals", len(lines))
	}
	ran, refused := 0, 0
	for _, line := range lines {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		a, _ := kube.Parse(line)
		_, err := f.exec.Run(ctx, a)
		cancel()
		switch {
		case errors.Is(err, kube.ErrNotExecuted):
			refused++
			if a.Risk == kube.ReadOnly || a.Risk == kube.Sensitive {
				t.Errorf("%q: %s action not executed: %v", line, a.Risk, err)
			}
		default:
			ran++
			if a.Risk != kube.ReadOnly && a.Risk != kube.Sensitive {
				t.Errorf("%q: %s action ran", line, a.Risk)
			}
		}
	}
	time.Sleep(time.Second) // the audit backend writes asynchronously
	events, err := f.c.AuditSince(mark)
	if err != nil {
		t.Fatal(err)
	}
	selfReviews := map[string]bool{"selfsubjectaccessreviews": true, "selfsubjectrulesreviews": true, "selfsubjectreviews": true}
	reads := 0
	for _, e := range events {
		switch {
		case e.User != kubetest.ReadOnlyUser:
			t.Errorf("audit: request by %s", e)
		case e.ReadOnly():
			reads++
		case e.Verb == "create" && selfReviews[e.Resource]:
		default:
			t.Errorf("audit: %s", e)
		}
	}
	t.Logf("%d proposals: %d ran, %d not executed; audit log: %d requests, %d reads", len(lines), ran, refused, len(events), reads)
	if reads == 0 {
		t.Error("the audit log holds no reads: is it recording the read-only user?")
	}
	ctx := context.Background()
	if _, err := f.c.Admin.CoreV1().Pods(f.ns).Get(ctx, "canary", metav1.GetOptions{}); err != nil {
		t.Errorf("the canary pod is gone: %v", err)
	}
	d, err := f.c.Admin.AppsV1().Deployments(f.ns).Get(ctx, "nginx-with-10gi", metav1.GetOptions{})
	if err != nil || *d.Spec.Replicas != 2 {
		t.Errorf("nginx-with-10gi changed: %v", err)
	}
}

// TestCanaries runs every read of the fixture and checks that no output,
// model view or error holds a canary, while kubectl shows the values.
func TestCanaries(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	ns := f.ns
	lines := []string{
		"get secret db-creds -o yaml", "get secret db-creds -o json", "get secrets -o yaml", "describe secret db-creds",
		"get cm app-config -o yaml", "get cm app-config -o json", "get cm -o yaml", "describe cm app-config",
		"get pod canary -o yaml", "get pod canary -o json", "get pods -o yaml", "describe pod canary", "describe pods",
		"get all -o yaml", "get pods -o wide", "logs canary", "events", "events -o yaml", "get events -o json",
		"get secret,cm,pod -o yaml -A",
	}
	var plain []string
	for _, c := range canaries {
		plain = append(plain, c, base64.StdEncoding.EncodeToString([]byte(c)))
	}
	for _, line := range lines {
		a, err := kube.Parse(line + " -n " + ns)
		if err != nil {
			t.Fatal(err)
		}
		res, err := f.exec.Run(ctx, a)
		text := res.Output + "\n" + res.ModelView
		if err != nil {
			text += "\n" + err.Error()
		}
		for _, c := range plain {
			if strings.Contains(text, c) {
				t.Errorf("%s: output holds canary %q", a.String(), c)
			}
		}
	}
	// The canaries are really there for anyone without the redactor.
	for args, c := range map[string]string{
		"get secret db-creds -o yaml": base64.StdEncoding.EncodeToString([]byte(canarySecret)),
		"describe pod canary":         canaryEnv,
		"get cm app-config -o yaml":   canaryCM,
		"describe cm app-config":      canaryKey,
	} {
		out, err := kubectlAs(ctx, f.c, f.c.ReadOnlyKubeconfig, append(strings.Fields(args), "-n", ns)...)
		if err != nil || !strings.Contains(out, c) {
			t.Errorf("kubectl %s does not show the canary %q: %v", args, c, err)
		}
	}
}
