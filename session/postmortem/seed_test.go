package postmortem

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/kuberesponder/kuberesponder/kube"
	"github.com/kuberesponder/kuberesponder/llm"
	"github.com/kuberesponder/kuberesponder/session"
)

// canary is a secret planted in outputs and operator text; no export may carry it.
const canary = "krcanary7f3e1d9a"

// seedStart is when the recorded session starts; the clock ticks 5 s per event.
var seedStart = time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)

func seedClock() func() time.Time {
	t := seedStart.Add(-5 * time.Second)
	return func() time.Time {
		t = t.Add(5 * time.Second)
		return t
	}
}

const (
	pendingPod = "nginx-with-10gi-6b7f9c8d4-84s9k"
	healthyPod = "nginx-with-5gi-5c6d7f8b9-x2x7q"
)

var describePod = `Name:             ` + pendingPod + `
Namespace:        default
Node:             <none>
Labels:           app=nginx-with-10gi
Status:           Pending
Controlled By:    ReplicaSet/nginx-with-10gi-6b7f9c8d4
Containers:
  nginx:
    Image:      nginx
    Requests:
      cpu:     1
      memory:  10Gi
    Environment:
      DB_PASSWORD:  ` + canary + `
Conditions:
  Type           Status
  PodScheduled   False
Events:
  Type     Reason            Age   From               Message
  ----     ------            ----  ----               -------
  Warning  FailedScheduling  5m    default-scheduler  0/2 nodes are available: 2 Insufficient memory. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod..
`

const describeNode = `Name:               3shake-k8s-node-001
Roles:              <none>
Capacity:
  cpu:     4
  memory:  11973936Ki
Allocatable:
  cpu:     4
  memory:  11871536Ki
Allocated resources:
  Resource  Requests           Limits
  --------  --------           ------
  cpu       1 (25%)            0 (0%)
  memory    10857595776 (89%)  0 (0%)
`

// kubectlCall is a tool call of the kubectl tool.
func kubectlCall(id, command, reason string) llm.ToolCall {
	return llm.ToolCall{ID: id, Name: "kubectl", Arguments: `{"command":` + quoteJSON(command) + `,"reason":` + quoteJSON(reason) + `}`}
}

func quoteJSON(s string) string {
	b := []byte{'"'}
	for _, r := range s {
		switch r {
		case '"', '\\':
			b = append(b, '\\', byte(r))
		default:
			b = append(b, string(r)...)
		}
	}
	return string(append(b, '"'))
}

func reply(text string, calls ...llm.ToolCall) llm.Reply {
	return llm.Reply{Message: llm.Message{Role: llm.Assistant, Content: text, ToolCalls: calls},
		Usage: llm.Usage{PromptTokens: 1200, CompletionTokens: 80, TotalTokens: 1280}}
}

// seedText is what the model and the operator say, in the session's language.
var seedText = map[string]map[string]string{
	"en": {
		"read":     "The Pending pod is the one to read first.",
		"why1":     "see why the scheduler rejects it",
		"why2":     "check the running pod for errors",
		"deny":     "that pod is Running and healthy; look at the nodes",
		"nodes":    "Then the nodes' memory.",
		"why3":     "compare allocatable memory with the requests",
		"why4":     "see whether the container ever started",
		"found":    "Node 3shake-k8s-node-001 has 1386032Ki free and node-002 6628656Ki; neither fits a 10Gi request.",
		"why5":     "a 5Gi request fits node-002",
		"why6":     "look at the config",
		"apply":    "Apply the proposed fix yourself; I cannot change the cluster.",
		"operator": "Applied it. The old curl used Authorization: Bearer " + canary + " by the way.",
		"check":    "Good. Check that both replicas become available.",
		"cause":    "Deployment nginx-with-10gi requested 10Gi of memory per pod; no worker had 10Gi free, so its second replica stayed Pending. Lowering the request to 5Gi let it schedule.",
	},
	"ja": {
		"read":     "まず Pending の Pod を確認します。",
		"why1":     "スケジューラが拒否する理由を見る",
		"why2":     "稼働中の Pod にエラーがないか確認する",
		"deny":     "その Pod は Running で正常です。ノードを見てください",
		"nodes":    "次にノードのメモリを確認します。",
		"why3":     "割り当て可能なメモリと要求量を比べる",
		"why4":     "コンテナが一度でも起動したか確認する",
		"found":    "3shake-k8s-node-001 の空きは 1386032Ki、node-002 は 6628656Ki で、どちらも 10Gi の要求を満たしません。",
		"why5":     "5Gi の要求なら node-002 に収まる",
		"why6":     "設定を確認する",
		"apply":    "提案した修正はご自身で適用してください。私はクラスタを変更できません。",
		"operator": "適用しました。ちなみに古い curl は Authorization: Bearer " + canary + " を使っていました。",
		"check":    "了解です。両方のレプリカが利用可能になることを確認してください。",
		"cause":    "Deployment nginx-with-10gi は Pod あたり 10Gi のメモリを要求していたが、10Gi の空きがあるワーカーがなく、2 つ目のレプリカが Pending のままだった。要求を 5Gi に下げてスケジュールされた。",
	},
}

// recordSeed plays the seed incident through the session API, the way the
// screen drives it, and returns the session directory.
func recordSeed(t *testing.T, lang string) string {
	t.Helper()
	report, findings, title := seedReport(t, lang)
	say := seedText[lang]
	dir := filepath.Join(t.TempDir(), "20250314-090000-seed")
	s, err := session.New(dir, session.Meta{
		ID: "20250314-090000-seed", Context: "3shake-admin@3shake", Cluster: "3shake",
		Server: "https://127.0.0.1:6443", User: "oncall@3shake.example", Namespace: "default",
		Model: "gpt-4o-mini", Lang: lang,
	}, session.Options{Now: seedClock()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// want checks the step a call returns: want(kind)(s.Call(...)).
	want := func(k session.StepKind) func(session.Step, error) session.Step {
		return func(step session.Step, err error) session.Step {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
			if step.Kind != k {
				t.Fatalf("step %s, want %s", step.Kind, k)
			}
			return step
		}
	}
	result := func(out, summary string) kube.Result {
		return kube.Result{Output: out, ModelView: out, Summary: summary, Started: seedStart, Duration: 40 * time.Millisecond}
	}

	if err := s.Report(session.FirstResponse{Markdown: report, Findings: findings, Title: title}); err != nil {
		t.Fatal(err)
	}
	want(session.StepModel)(s.Investigate())

	// The model reads the Pending pod first; the operator approves.
	want(session.StepApprove)(s.ModelReplied(reply(say["read"],
		kubectlCall("call_1", "describe pod "+pendingPod+" -n default", say["why1"]))))
	want(session.StepRun)(s.Approve("call_1", false))
	want(session.StepModel)(s.ActionDone("call_1", result(describePod, "24 lines"), nil))

	// It then chases a healthy pod; the operator denies with a reason.
	want(session.StepApprove)(s.ModelReplied(reply("",
		kubectlCall("call_2", "logs "+healthyPod+" -n default", say["why2"]))))
	want(session.StepModel)(s.Deny("call_2", say["deny"]))

	// It asks for every node; the operator narrows the command.
	want(session.StepApprove)(s.ModelReplied(reply(say["nodes"],
		kubectlCall("call_3", "describe nodes", say["why3"]))))
	want(session.StepRun)(s.Edit("call_3", "describe node 3shake-k8s-node-001"))
	want(session.StepModel)(s.ActionDone("call_3", result(describeNode, "13 lines"), nil))

	// A read that fails on the cluster.
	want(session.StepApprove)(s.ModelReplied(reply("",
		kubectlCall("call_4", "logs "+pendingPod+" -n default", say["why4"]))))
	want(session.StepRun)(s.Approve("call_4", false))
	want(session.StepModel)(s.ActionDone("call_4", kube.Result{Started: seedStart},
		errors.New(`container "nginx" in pod "`+pendingPod+`" is waiting to start: no logs yet`)))

	// The conclusion: a fix (never run) and a refused exec in one reply.
	want(session.StepModel)(s.ModelReplied(reply(
		say["found"],
		kubectlCall("call_5", "set resources deployment nginx-with-10gi -n default --requests=memory=5Gi", say["why5"]),
		kubectlCall("call_6", "exec "+pendingPod+" -n default -- cat /etc/nginx/nginx.conf", say["why6"]))))
	want(session.StepIdle)(s.ModelReplied(reply(say["apply"])))

	// The operator reports back; a token is pasted by mistake.
	want(session.StepModel)(s.Operator(say["operator"]))
	want(session.StepIdle)(s.ModelReplied(reply(say["check"])))

	var fix string
	for _, e := range s.Events() {
		if e.Kind == session.KindFix {
			fix = e.Command
		}
	}
	if fix == "" {
		t.Fatal("the journal holds no fix")
	}
	if err := s.Note(AppliedNote(fix, true)); err != nil {
		t.Fatal(err)
	}
	if err := s.Resolve(say["cause"]); err != nil {
		t.Fatal(err)
	}
	return dir
}
