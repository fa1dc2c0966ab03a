package snapshot

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/kuberesponder/kuberesponder/kube"
	"github.com/kuberesponder/kuberesponder/kube/triage"
)

func fixtureSnapshot(t *testing.T, edit ...func(*File)) *Snapshot {
	t.Helper()
	f := fixture()
	for _, e := range edit {
		e(f)
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	s, err := Read(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func run(t *testing.T, s *Snapshot, line string) (kube.Result, error) {
	t.Helper()
	a, err := kube.Parse(line)
	if err != nil && a.Risk != kube.Refused {
		t.Fatalf("parse %q: %v", line, err)
	}
	r, err := s.Runner(kube.ExecOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return r.Run(context.Background(), a)
}

const (
	pendingPod = "nginx-with-10gi-77579bdb99-ckfj9"
	runningPod = "nginx-with-10gi-77579bdb99-rtbd7"
	healthyPod = "nginx-with-5gi-766bc97857-tjqtf"
)

func TestRunnerAnswers(t *testing.T) {
	s := fixtureSnapshot(t)
	cases := []struct {
		line    string
		want    []string // substrings of the output
		notWant []string
	}{
		{"get pods", []string{"NAME ", "READY", pendingPod + "   0/1     Pending", runningPod + "   1/1     Running"}, nil},
		{"get pods -o wide", []string{"NOMINATED NODE", "10.244.0.2   3shake-k8s-node-002"}, nil},
		{"get po -A --show-labels", []string{"NAMESPACE", "app=nginx-with-5gi"}, nil},
		{"get pods --field-selector status.phase=Pending", []string{pendingPod}, []string{runningPod}},
		{"get pods -l app=nginx-with-5gi -o name", []string{"pod/" + healthyPod + "\n"}, []string{pendingPod}},
		{"get pods --sort-by=.metadata.name", []string{pendingPod}, nil},
		{"get nodes -o wide", []string{"3shake-k8s-node-001   Ready", "Ubuntu 22.04.4 LTS", "containerd://1.7.13"}, nil},
		{"get deploy,rs", []string{"deployment.apps/nginx-with-10gi   1/2", "replicaset.apps/nginx-with-10gi-77579bdb99"}, nil},
		{"get events", []string{"FailedScheduling", "pod/" + pendingPod, "Insufficient memory"}, nil},
		{"get pod " + pendingPod + " -o yaml", []string{"phase: Pending", "memory: 10Gi"}, nil},
		{"get secret db -o yaml", []string{"password: \"[REDACTED] 6 bytes\""}, nil},
		{"get cm app-config -o yaml", []string{"<not captured: 120 bytes>"}, nil},
		{"describe pod " + pendingPod, []string{"Status:       Pending", "FailedScheduling", "Insufficient memory"}, nil},
		{"describe pod nginx-with-10gi", []string{pendingPod, runningPod}, []string{healthyPod}},
		{"describe node 3shake-k8s-node-001", []string{"Non-terminated Pods:          (1 in total)", "memory             5Gi (44%)"}, nil},
		{"describe deploy nginx-with-10gi", []string{"2 desired | 2 updated | 2 total | 1 available | 1 unavailable"}, nil},
		{"describe secret db", []string{"password:"}, nil},
		{"logs " + runningPod, []string{"Configuration complete", "GET / 200"}, []string{"2026-11-28T"}},
		{"logs " + runningPod + " --tail=1", []string{"GET / 200"}, []string{"Configuration complete"}},
		{"logs " + runningPod + " --timestamps", []string{"2026-11-28T18:39:00.000000000Z 10.0.0.1"}, nil},
		{"logs deploy/nginx-with-10gi", []string{"Found 2 pods, using pod/", "GET / 200"}, nil},
		{"events", []string{"(x3 over", "FailedScheduling", "Scheduled"}, nil},
		{"events --types=Normal", []string{"Scheduled"}, []string{"FailedScheduling"}},
		{"events --for pod/" + pendingPod, []string{"FailedScheduling"}, []string{"Scheduled "}},
		{"version", []string{"Server Version: v1.37.2"}, nil},
		{"api-resources", []string{"deployments", "apps/v1", "ReplicaSet"}, nil},
		{"api-versions", []string{"apps/v1\nv1\n"}, nil},
		{"rollout status deploy/nginx-with-10gi", []string{"1 of 2 updated replicas are available"}, nil},
	}
	for _, c := range cases {
		t.Run(c.line, func(t *testing.T) {
			res, err := run(t, s, c.line)
			if err != nil {
				t.Fatalf("error: %v", err)
			}
			for _, w := range c.want {
				if !strings.Contains(res.Output, w) {
					t.Errorf("output lacks %q:\n%s", w, res.Output)
				}
			}
			for _, w := range c.notWant {
				if strings.Contains(res.Output, w) {
					t.Errorf("output has %q:\n%s", w, res.Output)
				}
			}
			if strings.Contains(res.Output, canary) || strings.Contains(res.ModelView, canary) {
				t.Errorf("the canary reached the output:\n%s", res.Output)
			}
			if res.Command == "" || res.Started.IsZero() {
				t.Errorf("result lacks its command or start: %+v", res)
			}
		})
	}
}

func TestRunnerRefuses(t *testing.T) {
	s := fixtureSnapshot(t)
	cases := []struct{ line, want string }{
		{"top pods", "this snapshot cannot answer `kubectl top pod`: it was taken at 2026-11-28 18:40 UTC and holds no metrics"},
		{"top nodes", "holds no metrics"},
		{"auth can-i get pods", "holds no permissions"},
		{"explain pods", "holds no API schema"},
		{"cluster-info", "its control plane was https://127.0.0.1:6443"},
		{"get podtemplates", "this snapshot cannot answer `kubectl get podtemplates`: it was taken at 2026-11-28 18:40 UTC and holds no podtemplates"},
		{"describe podtemplates", "holds no podtemplates"},
		{"logs " + healthyPod, "holds the logs of failing containers only"},
		{"get pods nope", `pods "nope" not found`},
		{"get ingress", `the server doesn't have a resource type "ingress"`},
		{"get pods --field-selector spec.foo=bar", "field label not supported"},
	}
	for _, c := range cases {
		t.Run(c.line, func(t *testing.T) {
			_, err := run(t, s, c.line)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want it to say %q", err, c.want)
			}
		})
	}
	for _, line := range []string{"delete pod x", "scale deploy/nginx-with-10gi --replicas=1", "exec -it x -- sh"} {
		_, err := run(t, s, line)
		if !errors.Is(err, kube.ErrNotExecuted) {
			t.Errorf("%s: error %v, want not executed", line, err)
		}
	}
}

func TestNamespaceSnapshot(t *testing.T) {
	s := fixtureSnapshot(t, func(f *File) { f.Namespace = "default" })
	if got := s.Describe(); got != "snapshot of seed (namespace default) taken 2026-11-28 18:40 UTC" {
		t.Errorf("Describe() = %q", got)
	}
	if res, err := run(t, s, "get pods"); err != nil || !strings.Contains(res.Output, pendingPod) {
		t.Errorf("get pods: %v\n%s", err, res.Output)
	}
	_, err := run(t, s, "get pods -n shop")
	if err == nil || !strings.Contains(err.Error(), "this snapshot holds namespace default only") {
		t.Errorf("get pods -n shop: %v", err)
	}
	if res, err := run(t, s, "get nodes"); err != nil || !strings.Contains(res.Output, "3shake-k8s-node-002") {
		t.Errorf("get nodes: %v\n%s", err, res.Output)
	}
}

func TestReadRefusesOtherFiles(t *testing.T) {
	if _, err := Read(strings.NewReader("{}")); err == nil || !strings.Contains(err.Error(), "not a kuberesponder snapshot") {
		t.Errorf("plain JSON: %v", err)
	}
	f := fixture()
	f.Version = 99
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(&buf); err == nil || !strings.Contains(err.Error(), "version 99 is not supported") {
		t.Errorf("version 99: %v", err)
	}
	f = fixture()
	f.Facts = &triage.Facts{Version: triage.FactsVersion + 1}
	buf.Reset()
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(&buf); err == nil || !strings.Contains(err.Error(), "facts have layout version") {
		t.Errorf("facts version: %v", err)
	}
	if _, err := Load("/nonexistent/file"); err == nil || !strings.Contains(err.Error(), "open snapshot") {
		t.Errorf("missing file: %v", err)
	}
}
