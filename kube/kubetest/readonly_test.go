package kubetest_test

import (
	"context"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kuberesponder/kuberesponder/kube/kubetest"
)

// TestReadOnlyUser checks the read-only identity: reads are allowed, a delete
// is forbidden, and the audit log records both with the authorizer's decision.
func TestReadOnlyUser(t *testing.T) {
	c := kubetest.Start(t)
	ns := c.Namespace(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := c.ApplyIn(ctx, ns, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {a: b}\n"); err != nil {
		t.Fatal(err)
	}

	mark, err := c.AuditMark()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Kubectl(ctx, c.ReadOnlyKubeconfig, "-n", ns, "get", "configmap", "settings"); err != nil {
		t.Fatalf("read as %s: %v", kubetest.ReadOnlyUser, err)
	}
	_, err = c.Kubectl(ctx, c.ReadOnlyKubeconfig, "-n", ns, "delete", "configmap", "settings")
	if err == nil || !strings.Contains(err.Error(), "forbidden") {
		t.Fatalf("delete as %s: err = %v, want forbidden", kubetest.ReadOnlyUser, err)
	}
	ro, err := kubernetes.NewForConfig(c.ReadOnlyConfig)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ro.CoreV1().ConfigMaps(ns).Get(ctx, "settings", metav1.GetOptions{}); err != nil {
		t.Fatalf("the configmap is gone or unreadable: %v", err)
	}

	events, err := c.AuditSince(mark)
	if err != nil {
		t.Fatal(err)
	}
	var get, del bool
	for _, e := range events {
		if e.User != kubetest.ReadOnlyUser {
			t.Errorf("audit log records %s, want only %s", e, kubetest.ReadOnlyUser)
		}
		if e.Resource != "configmaps" || e.Namespace != ns || e.Name != "settings" {
			continue
		}
		switch e.Verb {
		case "get":
			get = get || (e.Decision == "allow" && e.Code == 200)
		case "delete":
			del = del || (e.Decision == "forbid" && e.Code == 403)
		}
	}
	if !get || !del {
		t.Errorf("audit events since the mark:\n%v\nwant an allowed get (200) and a forbidden delete (403) of configmap %s/settings", events, ns)
	}
}
