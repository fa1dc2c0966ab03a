package main

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kuberesponder/kuberesponder/kube/triage"
	"github.com/kuberesponder/kuberesponder/llm/llmtest/scripted"
)

func TestReportCmdErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"report", "--offline", "-o", "yaml"}, `unknown output format "yaml"`},
		{[]string{"report", "--offline", "--lang", "de"}, `unknown language "de"`},
		{[]string{"report", "--offline", "--kubeconfig", "/nonexistent/kubeconfig"}, "/nonexistent/kubeconfig does not exist"},
		{[]string{"report", "extra"}, "unknown command"},
	} {
		_, err := runCmd(t, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want %q", tc.args, err, tc.want)
		}
	}
}

func TestAskModel(t *testing.T) {
	now := time.Date(2026, 11, 28, 8, 0, 0, 0, time.UTC)
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web-1", CreationTimestamp: metav1.NewTime(now.Add(-time.Hour))},
		Spec:       corev1.PodSpec{SchedulerName: "custom", Containers: []corev1.Container{{Name: "web", Image: "web:1"}}},
		Status:     corev1.PodStatus{Phase: corev1.PodPending},
	}
	r := triage.Build(triage.FromObjects(now, "shop", pod))

	const pending = "1. Pod shop/web-1 is Pending"
	ok := scripted.New(scripted.Text(pending))
	ans := askModel(context.Background(), ok, "test-model", r, "en")
	if ans.Text != pending || ans.Error != "" || ans.Model != "test-model" {
		t.Errorf("answer = %+v", ans)
	}
	if got, _ := ok.Last(); len(got.Messages) != 1 || !strings.Contains(got.Messages[0].Content, "pod/pending-no-events") ||
		!strings.Contains(got.Messages[0].Content, "six numbered sections") {
		t.Errorf("request = %+v", got)
	}

	failing := scripted.New().FailAt(0, errors.New("model endpoint http://127.0.0.1:1/v1: connection refused"))
	ans = askModel(context.Background(), failing, "test-model", r, "ja")
	if ans.Text != "" || !strings.Contains(ans.Error, "connection refused") {
		t.Errorf("answer = %+v", ans)
	}
	if got, _ := failing.Last(); !strings.Contains(got.Messages[0].Content, "障害箇所と根拠") {
		t.Errorf("the ja prompt is not in Japanese: %s", got.Messages[0].Content)
	}
}
