package session

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/kuberesponder/kuberesponder/kube"
	"github.com/kuberesponder/kuberesponder/kube/triage"
	"github.com/kuberesponder/kuberesponder/llm"
	"github.com/kuberesponder/kuberesponder/llm/llmtest/scripted"
)

const seedPod = "nginx-with-10gi-7d9f8b6c5-84s9k"

func seedFinding() triage.Finding {
	return triage.Finding{
		Rule:    "scheduling/insufficient-memory",
		Object:  triage.ObjectRef{Kind: "Pod", Namespace: "shop", Name: seedPod},
		Problem: "Pod " + seedPod + " is Pending: the scheduler cannot place it on any node.",
		Cause:   "No node has 10Gi of memory free.",
		Evidence: []string{
			"event FailedScheduling: 0/2 nodes are available: 2 Insufficient memory.",
		},
		Impact: triage.Impact{Owners: []triage.ObjectRef{
			{Kind: "ReplicaSet", Namespace: "shop", Name: "nginx-with-10gi-7d9f8b6c5"},
			{Kind: "Deployment", Namespace: "shop", Name: "nginx-with-10gi"},
		}, Available: 1, Desired: 2},
		NextActions: []string{
			"kubectl describe pod " + seedPod + " -n shop",
			"kubectl get events -n shop --field-selector involvedObject.name=" + seedPod,
			"kubectl get deployment nginx-with-10gi -n shop -o wide",
			"kubectl describe node node-001 node-002",
		},
		Fixes: []string{
			"Lower the pod's memory request if it asks for more than it needs (edit the workload's resources.requests).",
			"Add a node, or a larger one, with at least 10Gi of memory free.",
		},
	}
}

var seedOutputs = map[string]string{
	"kubectl describe pod " + seedPod + " --namespace=shop": `Name:         ` + seedPod + `
Namespace:    shop
Status:       Pending
Events:
  Type     Reason            Age   From               Message
  ----     ------            ----  ----               -------
  Warning  FailedScheduling  2m    default-scheduler  0/2 nodes are available: 2 Insufficient memory. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.
`,
	"kubectl describe node node-001 node-002": `Name:               node-001
Allocated resources:
  Resource           Requests          Limits
  --------           --------          ------
  cpu                1 (25%)           0 (0%)
  memory             10857595776 (89%)  0 (0%)


Name:               node-002
Allocated resources:
  Resource           Requests     Limits
  cpu                1 (25%)      0 (0%)
  memory             5206Mi (44%)  0 (0%)
`,
}

func TestOfflineSeed(t *testing.T) {
	for _, lang := range []string{"en", "ja"} {
		t.Run(lang, func(t *testing.T) {
			s, _ := startSession(t, Options{})
			model := scripted.Func(NewOffline([]triage.Finding{seedFinding()}, lang).Complete)
			runner := &fakeRunner{out: seedOutputs}
			approvals := 0
			err := Drive(context.Background(), s, model, runner, func(Step) Answer {
				approvals++
				return Answer{Decision: Approved}
			})
			if err != nil {
				t.Fatal(err)
			}
			if approvals != 2 || len(runner.ran) != 2 {
				t.Fatalf("%d approvals, ran %q; want describe pod then describe nodes", approvals, runner.ran)
			}
			if !strings.HasPrefix(runner.ran[0], "kubectl describe pod "+seedPod) || !strings.HasPrefix(runner.ran[1], "kubectl describe node") {
				t.Errorf("ran %q", runner.ran)
			}
			as := kinds(s, KindAssistant)
			final := as[len(as)-1].Text
			alloc := map[string][]string{
				"en": {"node-001: memory requests 10857595776 (89%), limits 0 (0%)", "node-002: memory requests 5206Mi (44%), limits 0 (0%)"},
				"ja": {"node-001: memory の要求 (requests) 10857595776 (89%)、上限 (limits) 0 (0%)", "node-002: memory の要求 (requests) 5206Mi (44%)、上限 (limits) 0 (0%)"},
			}[lang]
			for _, want := range append([]string{"10Gi", "Deployment nginx-with-10gi", "kubectl rollout status deployment/nginx-with-10gi -n shop", "Insufficient memory"}, alloc...) {
				if !strings.Contains(final, want) {
					t.Errorf("conclusion lacks %q:\n%s", want, final)
				}
			}
			if !strings.Contains(as[0].Text, seedPod) {
				t.Errorf("first answer does not name the Pending pod:\n%s", as[0].Text)
			}
			for i, r := range model.Requests() {
				if err := checkAnswered(r.Messages); err != nil {
					t.Errorf("request %d: %v", i, err)
				}
			}
			if s.Next().Kind != StepIdle {
				t.Errorf("after the conclusion: %v", s.Next().Kind)
			}
		})
	}
}

func TestOfflineDenyAndQuestion(t *testing.T) {
	s, _ := startSession(t, Options{})
	off := NewOffline([]triage.Finding{seedFinding()}, "en").For(s)
	runner := &fakeRunner{out: seedOutputs}
	first := true
	err := Drive(context.Background(), s, off, runner, func(st Step) Answer {
		if first {
			first = false
			return Answer{Decision: Denied, Text: "I already saw the events"}
		}
		return Answer{Decision: Approved}
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(runner.ran) != 1 || !strings.HasPrefix(runner.ran[0], "kubectl describe node") {
		t.Fatalf("ran %q, want only describe nodes after the denial", runner.ran)
	}
	step, err := s.Operator("why is it pending?")
	if err != nil || step.Kind != StepModel {
		t.Fatal(step.Kind, err)
	}
	reply, _ := off.Complete(context.Background(), step.Request, nil)
	if len(reply.Message.ToolCalls) != 0 || !strings.Contains(reply.Message.Content, "is Pending") || !strings.Contains(reply.Message.Content, "Fix") {
		t.Errorf("answer to a question:\n%s", reply.Message.Content)
	}
	as := kinds(s, KindAssistant)
	if said := as[1].Text; !strings.Contains(said, "I will not run that") {
		t.Errorf("after the denial the responder says:\n%s", said)
	}
	if final := as[len(as)-1].Text; strings.Contains(final, "(kubectl describe pod") {
		t.Errorf("the conclusion quotes the denied command as evidence:\n%s", final)
	}
}

func TestOfflineNoFindings(t *testing.T) {
	s, step := startSession(t, Options{})
	reply, err := NewOffline(nil, "en").Complete(context.Background(), step.Request, nil)
	if err != nil || len(reply.Message.ToolCalls) != 0 || !strings.Contains(reply.Message.Content, "found nothing wrong") {
		t.Fatalf("%+v %v", reply, err)
	}
	if st, _ := s.ModelReplied(reply); st.Kind != StepIdle {
		t.Errorf("after the answer: %v", st.Kind)
	}
}

// TestOfflinePlanConfirms checks that the second proposal is the action that
// confirms each cause: the previous log, the ConfigMap's keys, the rollout
// history.
func TestOfflinePlanConfirms(t *testing.T) {
	for _, tc := range []struct {
		name    string
		actions []string
		want    []string
	}{
		{"crash loop", []string{"kubectl describe pod a -n x", "kubectl get events -n x --field-selector involvedObject.name=a",
			"kubectl logs a -n x -c app --previous", "kubectl get deployment web -n x -o wide"},
			[]string{"describe pod a -n x", "logs a -n x -c app --previous"}},
		{"config error", []string{"kubectl describe pod a -n x", "kubectl get events -n x --field-selector involvedObject.name=a",
			"kubectl describe configmap settings -n x", "kubectl get deployment api -n x -o wide"},
			[]string{"describe pod a -n x", "describe configmap settings -n x"}},
		{"rollout", []string{"kubectl rollout history deployment/shop -n x", "kubectl rollout status deployment/shop -n x",
			"kubectl get replicasets -n x -l app=shop", "kubectl logs a -n x -c api --previous"},
			[]string{"rollout history deployment/shop -n x", "logs a -n x -c api --previous"}},
		{"the log beats a describe", []string{"kubectl describe pod a -n x", "kubectl describe node n1",
			"kubectl logs a -n x -c app --previous"},
			[]string{"describe pod a -n x", "logs a -n x -c app --previous"}},
		{"nothing better", []string{"kubectl describe service s -n x", "kubectl get pods -n x -l app=s --show-labels"},
			[]string{"describe service s -n x", "get pods -n x -l app=s --show-labels"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := NewOffline([]triage.Finding{{Rule: "r", NextActions: tc.actions}}, "en")
			if got := o.plan(); strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("plan = %q, want %q", got, tc.want)
			}
		})
	}
}

// journalOf is how a test journal answered each call.
type journalOf map[string]Outcome

func (j journalOf) Outcome(id string) (Outcome, bool) { o, ok := j[id]; return o, ok }

// TestOfflineReadsOutcomes checks that the responder learns how each of its
// calls was answered from the journal, not from the words of the answer: a
// session whose tool answers are written in Japanese gets the same replies.
func TestOfflineReadsOutcomes(t *testing.T) {
	pod := "kubectl describe pod " + seedPod + " --namespace=shop"
	node := "kubectl describe node node-001 node-002"
	ran := func(cmd string) Outcome { return Outcome{Status: Ran, Command: cmd} }
	call := func(id, cmd string) llm.Message {
		return llm.Message{Role: llm.Assistant, ToolCalls: []llm.ToolCall{kc(id, cmd, "")}}
	}
	answer := func(id, text string) llm.Message { return llm.Message{Role: llm.Tool, ToolCallID: id, Content: text} }
	opening := []llm.Message{{Role: llm.System, Content: "report"}, {Role: llm.User, Content: "調査を始めてください"}}
	for _, tc := range []struct {
		name    string
		journal journalOf
		msgs    []llm.Message
		next    string   // the command proposed next, "" for none
		says    []string // what the reply must say
	}{
		{"ran", journalOf{"offline-1": ran(pod)},
			[]llm.Message{call("offline-1", "describe pod "+seedPod+" -n shop"), answer("offline-1", "実行しました: "+pod+"\n"+seedOutputs[pod])},
			"describe node node-001 node-002", []string{"`" + pod + "` の結果:", "Insufficient memory"}},
		{"failed", journalOf{"offline-1": {Status: Failed, Command: pod}},
			[]llm.Message{call("offline-1", "describe pod "+seedPod+" -n shop"), answer("offline-1", "$ "+pod+"\nコマンドは失敗しました: forbidden")},
			"describe node node-001 node-002", []string{"`" + pod + "` は失敗しました"}},
		{"denied", journalOf{"offline-1": {Status: DeniedCall, Command: pod}},
			[]llm.Message{call("offline-1", "describe pod "+seedPod+" -n shop"), answer("offline-1", "実行していません: オペレーターが拒否しました。")},
			"describe node node-001 node-002", []string{"それは実行せずに次へ進みます"}},
		{"interjected is asked again", journalOf{"offline-1": {Status: Interrupted, Command: pod}},
			[]llm.Message{call("offline-1", "describe pod "+seedPod+" -n shop"), answer("offline-1", "実行していません: オペレーターが割り込みました。"), {Role: llm.User, Content: "続けて"}},
			"describe pod " + seedPod + " -n shop", []string{"承知しました。"}},
		{"concludes from what ran", journalOf{"offline-1": ran(pod), "offline-2": ran(node)},
			[]llm.Message{call("offline-1", "describe pod "+seedPod+" -n shop"), answer("offline-1", "実行しました\n"+seedOutputs[pod]),
				call("offline-2", "describe node node-001 node-002"), answer("offline-2", "実行しました\n"+seedOutputs[node])},
			"", []string{"原因を確認しました。", "Insufficient memory", "node-001: memory の要求 (requests) 10857595776 (89%)"}},
		{"concludes unconfirmed when nothing ran", journalOf{"offline-1": {Status: Refused, Command: pod}, "offline-2": {Status: NotExecuted, Command: node}},
			[]llm.Message{call("offline-1", "describe pod "+seedPod+" -n shop"), answer("offline-1", "拒否: サポートされていません"),
				call("offline-2", "describe node node-001 node-002"), answer("offline-2", "実行していません\nInsufficient memory")},
			"", []string{"原因（ルールによる推定で、コマンドでは未確認）"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			off := NewOffline([]triage.Finding{seedFinding()}, "ja").For(tc.journal)
			req := llm.Request{Messages: append(append([]llm.Message{}, opening...), tc.msgs...)}
			reply, err := off.Complete(context.Background(), req, nil)
			if err != nil {
				t.Fatal(err)
			}
			next := ""
			if tcs := reply.Message.ToolCalls; len(tcs) == 1 {
				var a kubectlArgs
				_ = json.Unmarshal([]byte(tcs[0].Arguments), &a)
				next = a.Command
			}
			if next != tc.next {
				t.Errorf("next command %q, want %q", next, tc.next)
			}
			for _, want := range tc.says {
				if !strings.Contains(reply.Message.Content, want) {
					t.Errorf("the reply lacks %q:\n%s", want, reply.Message.Content)
				}
			}
		})
	}
}

// TestLogTail keeps what the container said, bracketed log lines too, and
// leaves out the command's header and the executor's cut note.
func TestLogTail(t *testing.T) {
	view := "$ kubectl logs web-1 -n shop --previous (ran at 10:00:00)\n" +
		"[INFO] starting\n[ERROR] config key db.url missing\npanic: no database\n\n" +
		kube.CutNote + "262144 bytes; narrow with -l, --field-selector, --tail or --since]\n"
	got := logTail(view, 3)
	want := []string{"[INFO] starting", "[ERROR] config key db.url missing", "panic: no database"}
	if !slices.Equal(got, want) {
		t.Errorf("logTail = %q, want %q", got, want)
	}
}
