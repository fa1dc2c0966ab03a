package mcp

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/kuberesponder/kuberesponder/session"
	"github.com/kuberesponder/kuberesponder/session/postmortem"
)

func TestToolsAreReadOnly(t *testing.T) {
	f := newFixture(t)
	cs := f.connect(t)
	res, err := cs.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tool := range res.Tools {
		names = append(names, tool.Name)
		a := tool.Annotations
		if a == nil || !a.ReadOnlyHint || a.DestructiveHint == nil || *a.DestructiveHint || a.OpenWorldHint == nil || *a.OpenWorldHint {
			t.Errorf("tool %s: annotations %+v, want read-only, not destructive, closed world", tool.Name, a)
		}
		if tool.Description == "" || tool.InputSchema == nil {
			t.Errorf("tool %s has no description or input schema", tool.Name)
		}
	}
	if strings.Join(names, " ") != "first_response kubectl list_findings" {
		t.Errorf("tools %v", names)
	}
}

func TestKubectlTool(t *testing.T) {
	for _, tc := range []struct {
		name   string
		args   any
		isErr  bool
		text   string // regexp the answer must match
		runs   bool
		status session.Status
	}{
		{"read", kubectlArgs("get pods -n shop"), false,
			`^\$ kubectl get pods --namespace=shop \(ran at \d\d:\d\d:\d\d\)\noutput of kubectl get pods --namespace=shop\n$`, true, session.Ran},
		{"secret read runs redacted", kubectlArgs("describe secret db -n shop"), false, `^\$ kubectl describe secret db --namespace=shop`, true, session.Ran},
		{"write", kubectlArgs("delete pod web-1 -n shop"), true,
			`^not executed: changes the cluster; for the operator to apply: kubectl delete pod web-1 -n shop$`, false, session.NotExecuted},
		{"scale", kubectlArgs("kubectl scale deploy/web --replicas=0 -n shop"), true,
			`^not executed: changes the cluster; for the operator to apply: kubectl scale deploy/web --replicas=0 -n shop$`, false, session.NotExecuted},
		{"pipe", kubectlArgs("get pods | sh"), true, `^Refused: .*pipe`, false, session.Refused},
		{"context switch", kubectlArgs("get pods --context prod"), true, `^Refused: .*context`, false, session.Refused},
		{"exec", kubectlArgs("exec web-1 -- sh"), true, `^Refused: `, false, session.Refused},
		{"no command", map[string]any{"reason": "x"}, true, `^Refused: the arguments must be a JSON object`, false, session.Refused},
		{"command not a string", map[string]any{"command": 7}, true, `^Refused: the arguments must be a JSON object`, false, session.Refused},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			cs := f.connect(t)
			text, isErr, _ := callTool(t, cs, "kubectl", tc.args)
			if isErr != tc.isErr || !regexp.MustCompile(tc.text).MatchString(text) {
				t.Errorf("answer (error %v):\n%s\nwant error %v, matching %s", isErr, text, tc.isErr, tc.text)
			}
			if ran := len(f.runner.runs()) > 0; ran != tc.runs {
				t.Errorf("ran %v, want runs %v", f.runner.runs(), tc.runs)
			}
			var got []session.Event
			for _, e := range f.sess.Events() {
				if e.Kind == session.KindProposal || e.Kind == session.KindResult {
					got = append(got, e)
				}
			}
			if len(got) != 2 || got[0].Client != "test-client 1.0" || got[0].Tool != "kubectl" || got[1].Status != tc.status {
				t.Errorf("journal %+v, want a proposal by test-client 1.0 and a %s result", got, tc.status)
			}
			if tc.runs && got[1].Output == "" {
				t.Error("the result names no output file")
			}
		})
	}
}

func TestKubectlFailedRun(t *testing.T) {
	f := newFixture(t)
	f.runner.fail = map[string]error{"kubectl get pod gone --namespace=shop": errors.New(`pods "gone" not found`)}
	cs := f.connect(t)
	text, isErr, _ := callTool(t, cs, "kubectl", kubectlArgs("get pod gone -n shop"))
	if !isErr || !strings.Contains(text, "The command failed: pods \"gone\" not found") {
		t.Errorf("answer (error %v): %s", isErr, text)
	}
}

func TestReportTools(t *testing.T) {
	f := newFixture(t)
	cs := f.connect(t)
	text, isErr, doc := callTool(t, cs, "first_response", map[string]any{})
	var rep struct {
		Namespace string `json:"namespace"`
		Findings  []struct {
			Rule string `json:"rule"`
		} `json:"findings"`
	}
	asJSON(t, doc, &rep)
	if isErr || !strings.Contains(text, "shop/web-1") || rep.Namespace != "shop" || len(rep.Findings) != 1 || rep.Findings[0].Rule != "pod/pending-no-events" {
		t.Errorf("first_response (error %v): %s\nstructured: %+v", isErr, text, rep)
	}
	text, isErr, doc = callTool(t, cs, "list_findings", map[string]any{"all_namespaces": true})
	rep.Namespace, rep.Findings = "", nil
	asJSON(t, doc, &rep)
	if isErr || !strings.HasPrefix(text, "1 finding in all namespaces (most urgent: ") || !strings.Contains(text, "Pod shop/web-1") ||
		rep.Namespace != "" || len(rep.Findings) != 1 {
		t.Errorf("list_findings (error %v): %s\nstructured: %+v", isErr, text, rep)
	}
	for _, tc := range []struct {
		args any
		want string
	}{
		{map[string]any{"namespace": "broken"}, "list pods in broken: forbidden"},
		{map[string]any{"namespace": "../x"}, `"../x" is not a namespace name`},
		{map[string]any{"namespace": "a", "all_namespaces": true}, "not both"},
		{map[string]any{"ns": "a"}, "the arguments must be a JSON object"},
	} {
		text, isErr, _ := callTool(t, cs, "list_findings", tc.args)
		if !isErr || !strings.Contains(text, tc.want) {
			t.Errorf("list_findings %v (error %v): %s, want an error saying %q", tc.args, isErr, text, tc.want)
		}
	}
	// The first report is the session's first response, recorded once.
	if text, isErr, _ := callTool(t, cs, "first_response", map[string]any{"namespace": "other"}); isErr || !strings.Contains(text, "other/web-1") {
		t.Errorf("a second first_response (error %v): %s", isErr, text)
	}
	n := 0
	for _, e := range f.sess.Events() {
		if e.Kind == session.KindReport {
			n++
			if !strings.Contains(e.Text, "shop/web-1") {
				t.Errorf("the first response is not the first report: %s", e.Text)
			}
		}
	}
	if n != 1 {
		t.Errorf("%d report events, want 1", n)
	}
}

// TestJournalVerifiesAndExports: an MCP run's journal verifies and exports
// as a postmortem that names the agent and the commands it ran.
func TestJournalVerifiesAndExports(t *testing.T) {
	f := newFixture(t)
	cs := f.connect(t)
	callTool(t, cs, "first_response", nil)
	callTool(t, cs, "kubectl", kubectlArgs("describe pod web-1 -n shop"))
	callTool(t, cs, "kubectl", kubectlArgs("delete pod web-1 -n shop"))
	callTool(t, cs, "list_findings", nil)
	rep, err := session.Verify(f.dir)
	if err != nil || !rep.OK() {
		t.Fatalf("verify: %v %v", err, rep.Problems)
	}
	src, err := postmortem.ReadDir(f.dir)
	if err != nil {
		t.Fatal(err)
	}
	md, err := postmortem.Exporter{}.Export(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(md)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Agent test-client 1.0 called `kubectl describe pod web-1 --namespace=shop` (read-only)",
		"Run at the call of agent test-client 1.0",
		"kubectl delete pod web-1 -n shop",
		"output of kubectl describe pod web-1 --namespace=shop",
		"hash chain verified",
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("the postmortem lacks %q:\n%s", want, b)
		}
	}
}

// TestConcurrentCalls: calls made at once are journaled one at a time,
// each gets its one answer, and the journal verifies.
func TestConcurrentCalls(t *testing.T) {
	f := newFixture(t)
	cs := f.connect(t)
	const n = 24
	errs := make(chan string, n)
	for i := range n {
		go func() {
			var text string
			var isErr bool
			switch i % 3 {
			case 0:
				text, isErr, _ = callTool(t, cs, "kubectl", kubectlArgs(fmt.Sprintf("get pod web-%d -n shop", i)))
				if isErr || !strings.Contains(text, fmt.Sprintf("web-%d", i)) {
					errs <- text
					return
				}
			case 1:
				text, isErr, _ = callTool(t, cs, "kubectl", kubectlArgs(fmt.Sprintf("delete pod web-%d -n shop", i)))
				if !isErr || !strings.HasSuffix(text, fmt.Sprintf("kubectl delete pod web-%d -n shop", i)) {
					errs <- text
					return
				}
			default:
				if text, isErr, _ = callTool(t, cs, "list_findings", nil); isErr {
					errs <- text
					return
				}
			}
			errs <- ""
		}()
	}
	for range n {
		if e := <-errs; e != "" {
			t.Errorf("wrong answer: %s", e)
		}
	}
	results := 0
	for _, e := range f.sess.Events() {
		if e.Kind == session.KindResult {
			results++
		}
	}
	if results != n {
		t.Errorf("%d results for %d calls", results, n)
	}
	if rep, err := session.Verify(f.dir); err != nil || !rep.OK() {
		t.Errorf("verify: %v %v", err, rep.Problems)
	}
}
