package session

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/kuberesponder/kuberesponder/kube"
	"github.com/kuberesponder/kuberesponder/kube/triage"
	"github.com/kuberesponder/kuberesponder/llm"
	"github.com/kuberesponder/kuberesponder/prompts/catalog"
)

// Offline is an llm.Client that needs no network. It walks the operator
// through the rule findings: a short first answer, the read-only actions the
// rules suggest, one at a time, and a conclusion with the cause and the fix
// as text. It keeps no state: where it is comes from the request's messages.
type Offline struct {
	findings []triage.Finding
	lang     string
	journal  Outcomes // nil: every answered call reads as ran
}

// Outcomes tells how each tool call was answered; *Session satisfies it.
type Outcomes interface {
	Outcome(callID string) (Outcome, bool)
}

var _ llm.Client = (*Offline)(nil)

// NewOffline returns the offline responder for findings (most urgent first),
// answering in lang ("en" or "ja").
func NewOffline(findings []triage.Finding, lang string) *Offline {
	return &Offline{findings: findings, lang: catalog.Lang(lang)}
}

// For returns the responder reading how its calls were answered from
// journal, usually the session it answers for. A responder without one
// reads every answered call as ran.
func (o *Offline) For(journal Outcomes) *Offline {
	c := *o
	c.journal = journal
	return &c
}

// plan is the read-only actions the offline responder proposes for the top
// finding: the first suggested action (the object itself), then the later
// action that best confirms the cause — the previous container's log, the
// rollout history, the ConfigMap or Secret referred to, a describe — else
// the second suggested action.
func (o *Offline) plan() []string {
	if len(o.findings) == 0 {
		return nil
	}
	acts := o.findings[0].NextActions
	if len(acts) == 0 {
		return nil
	}
	out := []string{trimKubectl(acts[0])}
	best, rank := "", len(confirming)
	for _, a := range acts[1:] {
		a = trimKubectl(a)
		for i, prefix := range confirming {
			if i < rank && strings.HasPrefix(a, prefix) && a != out[0] {
				best, rank = a, i
			}
		}
	}
	if best != "" {
		return append(out, best)
	}
	if len(acts) > 1 {
		out = append(out, trimKubectl(acts[1]))
	}
	return out
}

// confirming ranks the kinds of second action, most telling first.
var confirming = []string{"logs ", "rollout history ", "describe configmap ", "describe secret ", "get configmap", "get secret", "describe "}

func trimKubectl(line string) string {
	return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "kubectl "))
}

// outcome is what became of one of the responder's calls.
type outcome struct {
	Outcome        // how the session answered it
	view    string // the tool answer
}

// Complete answers one request.
func (o *Offline) Complete(ctx context.Context, req llm.Request, onDelta func(llm.Delta)) (llm.Reply, error) {
	if err := ctx.Err(); err != nil {
		return llm.Reply{}, err
	}
	msgs := req.Messages
	byCommand, byCall, calls := o.read(msgs)
	plan := o.plan()
	var next string
	for _, p := range plan {
		if oc, ok := byCommand[p]; !ok || oc.Status == Interrupted {
			next = p
			break
		}
	}
	var b strings.Builder
	last := llm.Message{}
	if len(msgs) > 0 {
		last = msgs[len(msgs)-1]
	}
	assistants := 0
	for _, m := range msgs {
		if m.Role == llm.Assistant {
			assistants++
		}
	}
	concluding := next == "" && len(o.findings) > 0
	switch {
	case last.Role == llm.Tool:
		if !concluding {
			o.results(&b, msgs, byCall)
		}
	case assistants == 0:
		o.opening(&b)
	default:
		o.acknowledge(&b, last.Content)
	}
	reply := llm.Reply{Message: llm.Message{Role: llm.Assistant}, FinishReason: "stop"}
	if concluding {
		o.conclude(&b, plan, byCommand)
	} else if next != "" {
		args, _ := json.Marshal(kubectlArgs{Command: next, Reason: o.reason(next)})
		reply.Message.ToolCalls = []llm.ToolCall{{ID: fmt.Sprintf("offline-%d", calls+1), Name: toolName, Arguments: string(args)}}
		reply.FinishReason = "tool_calls"
	}
	reply.Message.Content = strings.TrimSpace(b.String())
	if onDelta != nil && reply.Message.Content != "" {
		onDelta(llm.Delta{Content: reply.Message.Content})
	}
	return reply, nil
}

// read finds the outcome of every answered call in msgs, by the kubectl
// command it proposed and by call id, and counts the calls.
func (o *Offline) read(msgs []llm.Message) (byCommand, byCall map[string]outcome, calls int) {
	byCommand, byCall = map[string]outcome{}, map[string]outcome{}
	cmds := map[string]string{}
	for _, m := range msgs {
		for _, tc := range m.ToolCalls {
			calls++
			var a kubectlArgs
			cmds[tc.ID] = ""
			if json.Unmarshal([]byte(tc.Arguments), &a) == nil {
				cmds[tc.ID] = trimKubectl(a.Command)
			}
		}
		if m.Role != llm.Tool {
			continue
		}
		c, ok := cmds[m.ToolCallID]
		if !ok {
			continue
		}
		oc := outcome{Outcome: o.outcome(m.ToolCallID, c), view: m.Content}
		byCall[m.ToolCallID] = oc
		if c != "" {
			byCommand[c] = oc
		}
	}
	return byCommand, byCall, calls
}

// outcome returns how call id, which proposed cmd, was answered, as the
// journal says. Without a journal the call ran.
func (o *Offline) outcome(id, cmd string) Outcome {
	if o.journal == nil {
		return Outcome{Status: Ran, Command: canonical(cmd)}
	}
	if oc, ok := o.journal.Outcome(id); ok {
		return oc
	}
	return Outcome{Status: Failed, Command: canonical(cmd)}
}

// canonical returns a command line as the session journals it.
func canonical(cmd string) string {
	if a, err := kube.Parse(cmd); err == nil {
		return a.String()
	}
	return "kubectl " + cmd
}

// t renders the catalog message key (an "offline." key) in the
// responder's language.
func (o *Offline) t(key string, args ...any) string { return catalog.Text(o.lang, key, args...) }

func (o *Offline) opening(b *strings.Builder) {
	if len(o.findings) == 0 {
		b.WriteString(o.t("offline.nothing"))
		return
	}
	f := o.findings[0]
	fmt.Fprintf(b, "%s\n\n", o.t("offline.opening", f.Object.String(), f.Problem))
	fmt.Fprintf(b, "%s\n", o.t("offline.cause", f.Cause))
	if len(o.findings) > 1 {
		fmt.Fprintf(b, "\n%s\n", o.t("offline.more", len(o.findings)-1))
	}
	if p := o.plan(); len(p) > 0 {
		fmt.Fprintf(b, "\n%s\n", o.t("offline.planIntro"))
		for i, a := range p {
			fmt.Fprintf(b, "%d. `kubectl %s`\n", i+1, a)
		}
	}
}

func (o *Offline) acknowledge(b *strings.Builder, text string) {
	text = strings.TrimSpace(text)
	lower := strings.ToLower(text)
	question := strings.ContainsAny(text, "?？") || strings.Contains(lower, "why") || strings.Contains(lower, "what") || strings.Contains(text, "なぜ")
	fmt.Fprintf(b, "%s\n\n", o.t("offline.ack"))
	if len(o.findings) == 0 {
		b.WriteString(o.t("offline.nothing"))
		return
	}
	if question {
		f := o.findings[0]
		fmt.Fprintf(b, "%s\n%s\n", o.t("offline.opening", f.Object.String(), f.Problem), o.t("offline.cause", f.Cause))
		for _, e := range f.Evidence {
			fmt.Fprintf(b, "- %s\n", e)
		}
	}
}

// results says what the last answered calls showed.
func (o *Offline) results(b *strings.Builder, msgs []llm.Message, byCall map[string]outcome) {
	first := len(msgs)
	for first > 0 && msgs[first-1].Role == llm.Tool {
		first--
	}
	for _, m := range msgs[first:] {
		if oc, ok := byCall[m.ToolCallID]; ok {
			o.result(b, oc)
		}
	}
}

func (o *Offline) result(b *strings.Builder, oc outcome) {
	switch oc.Status {
	case Ran:
		if obs := o.observe(oc); len(obs) > 0 {
			fmt.Fprintf(b, "%s\n", o.t("offline.shows", oc.Command))
			for _, l := range obs {
				fmt.Fprintf(b, "- `%s`\n", l)
			}
			b.WriteString("\n")
		} else {
			fmt.Fprintf(b, "%s\n\n", o.t("offline.nothingNew", oc.Command))
		}
	case Failed:
		fmt.Fprintf(b, "%s\n\n", o.t("offline.failed", oc.Command))
	case DeniedCall, Refused, Duplicate, NotExecuted:
		fmt.Fprintf(b, "%s\n\n", o.t("offline.skipped"))
	}
}

// notable matches output lines worth quoting: scheduler and kubelet complaints.
var notable = regexp.MustCompile(`(?i)(FailedScheduling|Insufficient|OOMKilled|Back-?off|CrashLoop|ErrImagePull|ImagePullBackOff|Evicted|Unhealthy|FailedMount|CreateContainerConfigError|couldn't find key|not found|Failed to pull|probe failed|panic:|fatal|error:|exceeded quota|failed calling webhook|denied the request|Exit Code:\s+[1-9])`)

// allocation matches the lines of a node's allocated resources: the
// resource, its requests and, when shown, its limits.
var allocation = regexp.MustCompile(`^\s*(memory|cpu)\s+(\S+\s+\(\d+%\))(?:\s+(\S+\s+\(\d+%\)))?`)

// resource is the resource the top finding is short of, "" when none.
func (o *Offline) resource() string {
	if len(o.findings) == 0 {
		return ""
	}
	for _, r := range []string{"memory", "cpu"} {
		if strings.Contains(o.findings[0].Rule, r) {
			return r
		}
	}
	return ""
}

// observe picks up to six notable lines from a result: complaints, and the
// allocation lines of the resource the top finding is short of, named after
// the object (the Name: line of describe output) they belong to and saying
// which column is the requests and which the limits. The answer's first
// line is the session's header, not output.
func (o *Offline) observe(oc outcome) []string {
	view := oc.view
	if strings.HasPrefix(oc.Command, "kubectl logs ") {
		return logTail(view, 3)
	}
	resource := o.resource()
	var out []string
	name := ""
	seen := map[string]bool{}
	for _, l := range strings.Split(view, "\n")[1:] {
		if strings.HasPrefix(l, "Name:") {
			name = strings.TrimSpace(strings.TrimPrefix(l, "Name:"))
			continue
		}
		m := allocation.FindStringSubmatch(l)
		alloc := resource != "" && m != nil && m[1] == resource
		if !alloc && !notable.MatchString(l) {
			continue
		}
		if alloc {
			l = o.t("offline.requests", m[1], oneLine(m[2]))
			if m[3] != "" {
				l += o.t("offline.limits", oneLine(m[3]))
			}
		}
		l = clip(l, 200) // also trims the indentation
		if alloc && name != "" {
			l = name + ": " + l
		}
		if seen[l] {
			continue
		}
		seen[l] = true
		out = append(out, l)
		if len(out) == 6 {
			break
		}
	}
	return out
}

// logTail returns the last n lines of a logs result: what the container
// said before it stopped. view is the tool answer the model reads, its
// first line the command's header; the executor's cut note (kube.CutNote)
// is not the container's, while a log line in brackets ("[INFO] …") is.
func logTail(view string, n int) []string {
	var out []string
	lines := strings.Split(strings.TrimRight(view, "\n"), "\n")[1:]
	for i := len(lines) - 1; i >= 0 && len(out) < n; i-- {
		if l := strings.TrimSpace(lines[i]); l != "" && !strings.HasPrefix(l, kube.CutNote) {
			out = append([]string{clip(l, 200)}, out...)
		}
	}
	return out
}

func (o *Offline) reason(cmd string) string {
	f := strings.Fields(cmd)
	if len(f) > 1 && f[0] == "describe" && strings.HasPrefix(f[1], "node") {
		return o.t("offline.whyNodes")
	}
	if len(f) > 0 && f[0] == "logs" {
		return o.t("offline.whyLogs")
	}
	if len(f) > 1 && f[0] == "rollout" && f[1] == "history" {
		return o.t("offline.whyHistory")
	}
	if len(f) > 1 && (strings.HasPrefix(f[1], "configmap") || strings.HasPrefix(f[1], "secret")) {
		return o.t("offline.whyConfig")
	}
	return o.t("offline.whyObject", o.findings[0].Object.String())
}

// conclude states the cause, the evidence the plan's commands showed, the
// fix and how to verify recovery.
func (o *Offline) conclude(b *strings.Builder, plan []string, byCommand map[string]outcome) {
	f := o.findings[0]
	var evidence []string
	for _, p := range plan {
		if oc, ok := byCommand[p]; ok && oc.Status == Ran {
			for _, l := range o.observe(oc) {
				evidence = append(evidence, fmt.Sprintf("- `%s` (%s)", l, oc.Command))
			}
		}
	}
	if len(evidence) > 0 {
		fmt.Fprintf(b, "**%s** %s\n\n%s\n%s\n\n", o.t("offline.confirmed"), f.Cause, o.t("offline.evidence"), strings.Join(evidence, "\n"))
	} else {
		fmt.Fprintf(b, "**%s** %s\n\n", o.t("offline.unconfirmed"), f.Cause)
	}
	fmt.Fprintf(b, "**%s**\n", o.t("offline.fixTitle"))
	for _, x := range f.Fixes {
		fmt.Fprintf(b, "- %s\n", x)
	}
	owner := ""
	if n := len(f.Impact.Owners); n > 0 {
		top := f.Impact.Owners[n-1]
		owner = strings.ToLower(top.Kind) + "/" + top.Name
		if top.Namespace != "" {
			owner += " -n " + top.Namespace
		}
		fmt.Fprintf(b, "- %s\n", o.t("offline.owner", top.Kind+" "+top.Name))
	}
	fmt.Fprintf(b, "\n**%s**\n", o.t("offline.verifyTitle"))
	if owner != "" && (strings.HasPrefix(owner, "deployment/") || strings.HasPrefix(owner, "statefulset/") || strings.HasPrefix(owner, "daemonset/")) {
		fmt.Fprintf(b, "- `kubectl rollout status %s`\n", owner)
	}
	ns := f.Object.Namespace
	if ns != "" {
		fmt.Fprintf(b, "- `kubectl get pods -n %s`\n", ns)
	} else {
		fmt.Fprintf(b, "- `kubectl get %s %s`\n", strings.ToLower(f.Object.Kind), f.Object.Name)
	}
	fmt.Fprintf(b, "\n%s", o.t("offline.handover"))
}
