package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kuberesponder/kuberesponder/kube"
	"github.com/kuberesponder/kuberesponder/kube/kubetest"
	"github.com/kuberesponder/kuberesponder/llm"
	"github.com/kuberesponder/kuberesponder/session"
	"github.com/kuberesponder/kuberesponder/session/mcp/mcptest"
)

// mcpServer starts the built binary as an MCP server over stdio, pinned to
// the read-only user and ns, and connects the Go SDK's own client to it.
// The session directory lands under state.
func mcpServer(t *testing.T, c *kubetest.Cluster, ns, state string) (*sdk.ClientSession, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(binary(t), "mcp", "--kubeconfig", c.ReadOnlyKubeconfig, "-n", ns)
	cmd.Env = append(os.Environ(), "XDG_STATE_HOME="+state, "KUBECACHEDIR="+t.TempDir())
	stderr := &bytes.Buffer{}
	cmd.Stderr = stderr
	client := sdk.NewClient(&sdk.Implementation{Name: "go-sdk-e2e", Version: "1.0"}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cs, err := client.Connect(ctx, &sdk.CommandTransport{Command: cmd}, nil)
	if err != nil {
		t.Fatalf("connect to kuberesponder mcp: %v\n%s", err, stderr)
	}
	t.Cleanup(func() { cs.Close() })
	return cs, stderr
}

// mcpCall calls a tool and returns its text and whether it is an error.
func mcpCall(t *testing.T, cs *sdk.ClientSession, tool string, args any) (string, bool, any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	return mcptest.Call(ctx, t, cs, tool, args)
}

// sessionAnswer is what a terminal session's model reads for line: a fresh
// session on the same cluster proposes it, approves it, runs it through the
// engine and journals the result.
func sessionAnswer(t *testing.T, e *kube.Executor, line string) string {
	t.Helper()
	s, err := session.New(filepath.Join(t.TempDir(), "s"), session.Meta{Context: "kubetest", Model: "test-model", Lang: "en"}, session.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Investigate(); err != nil {
		t.Fatal(err)
	}
	args, _ := json.Marshal(map[string]string{"command": line, "reason": "compare"})
	step, err := s.ModelReplied(llm.Reply{Message: llm.Message{Role: llm.Assistant, ToolCalls: []llm.ToolCall{{ID: "c1", Name: "kubectl", Arguments: string(args)}}}})
	if err == nil && step.Kind == session.StepApprove {
		step, err = s.Approve("c1", false)
	}
	if err == nil && step.Kind == session.StepRun {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		res, rerr := e.Run(ctx, step.Action)
		cancel()
		_, err = s.ActionDone("c1", res, rerr)
	}
	if err != nil {
		t.Fatalf("session %s: %v", line, err)
	}
	ans, ok := s.Answer("c1")
	if !ok {
		t.Fatalf("session %s: no answer", line)
	}
	return ans.ModelView
}

var (
	ranAt = regexp.MustCompile(`\(ran at \d\d:\d\d:\d\d\)`)
	age   = regexp.MustCompile(`\b\d+(s|m|h|d|y)(\d+(s|m|h))?\b`)
)

// comparable hides what may differ between two runs a second apart: the
// time in the header and ages.
func comparable(s string) string {
	return age.ReplaceAllString(ranAt.ReplaceAllString(s, "(ran at T)"), "AGE")
}

// TestMCPStdio drives the built binary as an MCP server over stdio with the
// Go SDK's client, on the real control plane: the tools, the first response
// on the seed incident, every read verb answering with the text the
// session's model reads, and adversarial calls (writes, refused forms,
// shell syntax, flags that switch cluster or identity, secret dumps) that
// leave nothing but reads in the audit log and no canary in any answer.
// The journal of the run verifies and exports.
func TestMCPStdio(t *testing.T) {
	c := kubetest.Start(t)
	ns := seed(t, c)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cns := c.Namespace(t)
	set := kubetest.GenerateCanaries(7, kubetest.CanaryOptions{Namespace: cns, Now: time.Now()})
	for _, obj := range set.Objects {
		js, _ := json.Marshal(obj)
		if err := c.ApplyIn(ctx, cns, string(js)); err != nil {
			t.Fatalf("apply %s: %v", kubetest.Ref(obj), err)
		}
	}
	check := &kubetest.CanaryCheck{Set: set}
	pods, err := c.Admin.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{FieldSelector: "status.phase=Pending"})
	if err != nil || len(pods.Items) == 0 {
		t.Fatalf("no Pending pod in %s: %v", ns, err)
	}
	pending := pods.Items[0].Name

	state := t.TempDir()
	cs, stderr := mcpServer(t, c, ns, state)

	t.Run("tools", func(t *testing.T) {
		res, err := cs.ListTools(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, tool := range res.Tools {
			names = append(names, tool.Name)
			if a := tool.Annotations; a == nil || !a.ReadOnlyHint || a.DestructiveHint == nil || *a.DestructiveHint || a.OpenWorldHint == nil || *a.OpenWorldHint {
				t.Errorf("%s: annotations %+v", tool.Name, tool.Annotations)
			}
		}
		if strings.Join(names, ",") != "first_response,kubectl,list_findings" {
			t.Errorf("tools %v", names)
		}
	})

	t.Run("first response", func(t *testing.T) {
		text, isErr, doc := mcpCall(t, cs, "first_response", map[string]any{})
		b, _ := json.Marshal(doc)
		var rep struct {
			Namespace string `json:"namespace"`
			Findings  []struct {
				Rule   string `json:"rule"`
				Object struct{ Name string }
			} `json:"findings"`
		}
		_ = json.Unmarshal(b, &rep)
		if isErr || !strings.Contains(text, "nginx-with-10gi") || !strings.Contains(text, "Insufficient memory") ||
			rep.Namespace != ns || len(rep.Findings) == 0 || rep.Findings[0].Rule != "scheduling/insufficient-memory" {
			t.Errorf("first_response (error %v):\n%s\nstructured: %s", isErr, text, b)
		}
		text, isErr, _ = mcpCall(t, cs, "list_findings", map[string]any{"namespace": ns})
		if isErr || !strings.Contains(text, "nginx-with-10gi") {
			t.Errorf("list_findings (error %v): %s", isErr, text)
		}
		check.Leaks(t, "first_response", text)
	})

	t.Run("reads answer as the session", func(t *testing.T) {
		e, err := kube.NewExecutor(c.ReadOnlyConfig, kube.ExecOptions{Namespace: ns})
		if err != nil {
			t.Fatal(err)
		}
		node := pods.Items[0].Spec.NodeName
		if node == "" {
			node = kubetest.SeedNodes[0]
		}
		lines := []string{
			"get pods", "get pods -o wide", "get deploy nginx-with-10gi -o yaml", "get pods -A", "get nodes --show-labels",
			"get pod " + pending + " -o json", "describe pod " + pending, "describe deploy nginx-with-10gi", "describe node " + node,
			"logs " + pending, "events", "get events --field-selector type=Warning", "top pods", "top nodes",
			"rollout status deploy/nginx-with-5gi", "rollout history deploy/nginx-with-10gi", "explain pods.spec.containers.resources",
			"api-resources", "api-versions", "version", "cluster-info", "auth can-i list pods", "auth whoami",
		}
		for _, line := range lines {
			var got, want string
			same := false
			for attempt := 0; attempt < 3 && !same; attempt++ { // an event may count once more in between
				got, _, _ = mcpCall(t, cs, "kubectl", map[string]any{"command": line, "reason": "compare with the session"})
				want = sessionAnswer(t, e, line)
				same = comparable(got) == comparable(want)
			}
			if !same {
				t.Errorf("%s: the MCP answer differs from the session's\n--- mcp\n%s\n--- session\n%s", line, got, want)
			}
			if !strings.HasPrefix(got, "$ kubectl ") {
				t.Errorf("%s: not answered as a run: %s", line, got)
			}
			check.Leaks(t, "kubectl "+line, got)
		}
	})

	t.Run("adversarial calls", func(t *testing.T) {
		mark, err := c.AuditMark()
		if err != nil {
			t.Fatal(err)
		}
		calls := adversarial(ns, cns, pending, set, c.AdminKubeconfig)
		if len(calls) < 150 {
			t.Fatalf("only %d adversarial calls", len(calls))
		}
		ran := 0
		for _, a := range calls {
			text, isErr, _ := mcpCall(t, cs, "kubectl", map[string]any{"command": a.line, "reason": "adversarial"})
			check.Leaks(t, "kubectl "+a.line, text)
			switch a.kind {
			case write:
				if !isErr || !strings.HasPrefix(text, "not executed: changes the cluster; for the operator to apply: kubectl ") {
					t.Errorf("write %q (error %v): %s", a.line, isErr, text)
				}
			case dump: // runs with every value redacted, or is refused
				if !isErr {
					ran++
				} else if !strings.HasPrefix(text, "Refused: ") {
					t.Errorf("secret dump %q failed: %s", a.line, text)
				}
			default:
				if !isErr || !strings.HasPrefix(text, "Refused: ") {
					t.Errorf("%s %q ran or was not refused (error %v): %s", a.kind, a.line, isErr, text)
				}
			}
		}
		time.Sleep(time.Second) // the audit backend writes asynchronously
		n := c.OnlyReads(t, mark)
		if n == 0 {
			t.Error("the audit log recorded no request: is it recording the read-only user?")
		}
		d, err := c.Admin.AppsV1().Deployments(ns).Get(ctx, "nginx-with-10gi", metav1.GetOptions{})
		if err != nil || *d.Spec.Replicas != 2 {
			t.Errorf("nginx-with-10gi changed: %v", err)
		}
		if _, err := c.Admin.CoreV1().Namespaces().Get(ctx, cns, metav1.GetOptions{}); err != nil {
			t.Errorf("the canary namespace is gone: %v", err)
		}
		t.Logf("%d adversarial calls (%s): %d secret dumps ran redacted, the rest refused or not executed; audit log: %d requests, all reads",
			len(calls), countKinds(calls), ran, n)
	})
	check.Report(t)

	t.Run("journal verifies and exports", func(t *testing.T) {
		cs.Close() // the binary exits when its client leaves
		dir, evs := journal(t, state)
		rep, err := session.Verify(dir)
		if err != nil || !rep.OK() {
			t.Fatalf("verify: %v %v\n%s", err, rep.Problems, stderr)
		}
		raw, err := os.ReadFile(filepath.Join(dir, session.JournalFile))
		if err != nil {
			t.Fatal(err)
		}
		proposals := 0
		for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
			var e session.Event
			if err := json.Unmarshal([]byte(line), &e); err != nil {
				t.Fatal(err)
			}
			if e.Kind == session.KindProposal {
				proposals++
				if e.Client != "go-sdk-e2e 1.0" || e.Args == "" || e.Risk == "" {
					t.Errorf("proposal %d: client %q, args %q, risk %q", e.Seq, e.Client, e.Args, e.Risk)
				}
			}
		}
		if results := len(filterKind(evs, "result")); proposals < 150 || results != proposals {
			t.Errorf("%d proposals, %d results: every call needs one answer", proposals, results)
		}
		export := exec.Command(binary(t), "export", "last", "--offline", "-o", filepath.Join(dir, "pm.md"))
		export.Env = append(os.Environ(), "XDG_STATE_HOME="+state)
		out, err := export.CombinedOutput()
		if err != nil {
			t.Fatalf("export: %v\n%s", err, out)
		}
		pm, _ := os.ReadFile(filepath.Join(dir, "pm.md"))
		for _, want := range []string{"Agent go-sdk-e2e 1.0 called `kubectl describe pod " + pending, "nginx-with-10gi", "hash chain verified"} {
			if !strings.Contains(string(pm), want) {
				t.Errorf("the postmortem lacks %q", want)
			}
		}
		check.Leaks(t, "postmortem", string(pm))
		check.Leaks(t, "journal", string(raw))
	})
}

func filterKind(evs []event, kind string) []event {
	var out []event
	for _, e := range evs {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

// The kinds of adversarial calls.
const (
	write    = "write"
	refused  = "refused form"
	shell    = "shell syntax"
	identity = "cluster or identity flag"
	dump     = "secret dump"
)

type adversarialCall struct{ kind, line string }

func countKinds(calls []adversarialCall) string {
	n := map[string]int{}
	for _, c := range calls {
		n[c.kind]++
	}
	return fmt.Sprintf("%d writes, %d refused forms, %d shell syntax, %d identity flags, %d secret dumps",
		n[write], n[refused], n[shell], n[identity], n[dump])
}

// adversarial returns the calls an agent gone wrong (or a prompt injection)
// might make: writes aimed at the fixture, refused verbs, shell syntax,
// flags that switch cluster or identity, and every way of dumping Secrets.
func adversarial(ns, cns, pod string, set *kubetest.Canaries, adminKubeconfig string) []adversarialCall {
	var out []adversarialCall
	add := func(kind string, lines ...string) {
		for _, l := range lines {
			out = append(out, adversarialCall{kind, l})
		}
	}
	node := kubetest.SeedNodes[0]
	dep := "deploy/nginx-with-10gi -n " + ns
	add(write,
		"delete pod "+pod+" -n "+ns, "delete deploy nginx-with-10gi -n "+ns, "delete ns "+ns, "delete ns "+cns,
		"delete pods --all -A", "delete all --all -n "+ns, "delete -f /dev/null", "delete secret --all -n "+cns,
		"scale "+dep+" --replicas=0", "scale statefulset x --replicas=5 -n "+ns,
		"patch "+dep+` -p '{"spec":{"replicas":0}}'`, "patch node "+node+` -p '{"spec":{"unschedulable":true}}'`,
		"label pod "+pod+" a=b -n "+ns, "label nodes --all a=b", "annotate ns "+ns+" a=b --overwrite", "annotate pod "+pod+" a=b -n "+ns,
		"edit "+dep, "apply -f /dev/null", "apply -f https://example.com/x.yaml", "apply -k .",
		"create cm x --from-literal=a=b -n "+ns, "create secret generic x --from-literal=a=b -n "+ns, "create token default -n "+ns,
		"create deploy x --image=busybox -n "+ns, "create job x --image=busybox -n "+ns,
		"create clusterrolebinding pwn --clusterrole=cluster-admin --group=system:authenticated",
		"cp "+ns+"/"+pod+":/etc/passwd /tmp/p", "cp /etc/passwd "+ns+"/"+pod+":/tmp/p", "debug "+pod+" -n "+ns+" --image=busybox",
		"debug node/"+node+" -it --image=busybox",
		"set image "+dep+" nginx=nginx:1.28", "set env "+dep+" A=B", "set resources "+dep+" --limits=memory=1Gi", "set serviceaccount "+dep+" x",
		"rollout restart "+dep, "rollout undo "+dep, "rollout pause "+dep, "rollout resume "+dep,
		"cordon "+node, "uncordon "+node, "drain "+node+" --force", "taint nodes "+node+" a=b:NoSchedule",
		"expose "+dep+" --port=80", "autoscale "+dep+" --max=3", "run x --image=busybox -n "+ns, "replace -f /dev/null",
		"replace --force -f /dev/null", "certificate approve csr-x", "certificate deny csr-x", "auth reconcile -f /dev/null",
	)
	add(refused,
		"exec "+pod+" -n "+ns+" -- sh", "exec -it "+pod+" -n "+ns+" -- cat /etc/passwd", "attach "+pod+" -n "+ns,
		"port-forward pod/"+pod+" 8080:80 -n "+ns, "port-forward svc/x 80 -n "+ns, "proxy", "proxy --port=0",
		"logs -f "+pod+" -n "+ns, "get pods -w -n "+ns, "get pods --watch -A",
		"get events --watch-only", "events --watch", "config view --raw", "config use-context admin", "config set-context --current --namespace=x",
		"config get-contexts", "plugin list", "wait --for=delete pod/"+pod+" -n "+ns, "diff -f /dev/null", "completion bash",
		"kustomize .", "get --raw /api/v1/namespaces/"+cns+"/secrets", "", "kubectl",
	)
	add(shell,
		"get pods | grep x", "get pods | sh", "get pods > /tmp/x", "get pods >> /tmp/x", "get pods < /etc/passwd",
		"get pods; delete pod "+pod, "get pods && kubectl delete pod "+pod+" -n "+ns, "get pods || true", "get pods $(whoami)",
		"get pods `id`", "get pods &", "get pods\nkubectl delete ns "+ns, "get pods 2>&1", "get pods -n $NS", "get pods -n ${NS}",
		"get pods -n \"$(cat /etc/hostname)\"", "describe pod "+pod+"; rm -rf /",
	)
	flags := []string{
		"--kubeconfig=" + adminKubeconfig, "--kubeconfig " + adminKubeconfig, "--context=admin", "--context admin",
		"--cluster=other", "--server=https://127.0.0.1:1", "-s https://127.0.0.1:1", "--token=abc", "--token abc",
		"--as=system:admin", "--as system:admin", "--as-group=system:masters", "--as-uid=0", "--user=admin",
		"--username=admin", "--password=x", "--certificate-authority=/tmp/ca", "--client-certificate=/tmp/c",
		"--client-key=/tmp/k", "--insecure-skip-tls-verify", "--tls-server-name=evil",
	}
	for _, f := range flags {
		add(identity, "get pods -n "+ns+" "+f, f+" get secrets -n "+cns)
	}
	add(identity, "create rolebinding x --clusterrole=admin --user=me -n "+ns, "delete pod "+pod+" -n "+ns+" --as=system:admin")
	add(dump, "get secrets -n "+cns+" -o yaml", "get secrets -n "+cns+" -o json", "get secrets -A -o yaml", "describe secrets -n "+cns,
		"get secret,cm -n "+cns+" -o yaml", "get all -n "+cns+" -o yaml", "get cm -n "+cns+" -o yaml", "get pods -n "+cns+" -o yaml",
		"describe pods -n "+cns, "get events -n "+cns+" -o yaml", "get sa -n "+cns+" -o yaml", "get deploy,sts,cronjob -n "+cns+" -o json")
	for _, obj := range set.Objects {
		ref := kubetest.Ref(obj)
		kind, name, _ := strings.Cut(ref, "/")
		if kind != "Secret" {
			continue
		}
		s := "secret " + name + " -n " + cns
		add(dump, "get "+s+" -o yaml", "get "+s+" -o json", "describe "+s, "get "+s+" -o jsonpath={.data}",
			"get "+s+" -o go-template={{.data}}", "get "+s+" -o custom-columns=D:.data", "get "+s+" --show-managed-fields -o yaml")
	}
	return out
}
