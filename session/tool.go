package session

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/kuberesponder/kuberesponder/llm"
	"github.com/kuberesponder/kuberesponder/prompts"
)

// toolName is the name of the one tool offered to the model.
const toolName = "kubectl"

// toolParameters is the JSON schema of the kubectl tool's arguments.
const toolParameters = `{
  "type": "object",
  "properties": {
    "command": {"type": "string", "description": "one read-only kubectl command line, e.g. \"describe pod web-1 -n shop\"; no pipes, redirects or shell syntax"},
    "reason": {"type": "string", "description": "one sentence for the operator: what this command will confirm or rule out"}
  },
  "required": ["command", "reason"],
  "additionalProperties": false
}`

// ToolSpec returns the kubectl tool offered to the model, described in lang.
func ToolSpec(lang string) (llm.ToolSpec, error) {
	desc, err := prompts.Render("tool-kubectl", lang, nil)
	if err != nil {
		return llm.ToolSpec{}, fmt.Errorf("describe the kubectl tool: %w", err)
	}
	return llm.ToolSpec{Name: toolName, Description: strings.TrimSpace(desc), Parameters: json.RawMessage(toolParameters)}, nil
}

// systemData is what the system prompt template sees.
type systemData struct {
	Context, Cluster, Server, User string
	Namespace                      string // "" when all namespaces
	Snapshot                       string
	Title                          string
	Report                         string // the first-response report, markdown
	MaxSteps                       int
}

// promptCache holds the rendered prompts of a session; they depend only on
// the start and report events, which never change.
type promptCache struct {
	system, kick string
	tool         *llm.ToolSpec
	reportSeen   bool
}

// fallbackSystem is used only if the embedded template cannot be rendered.
const fallbackSystem = "You are kuberesponder, an on-call assistant for Kubernetes incident response. " +
	"Investigate with the kubectl tool, one read-only command at a time; never change the cluster; give fixes as text."

func (s *Session) systemPrompt() string {
	pc := s.prompts
	haveReport := s.st.report >= 0
	if pc.system != "" && pc.reportSeen == haveReport {
		return pc.system
	}
	m := s.st.meta
	d := systemData{Context: m.Context, Cluster: m.Cluster, Server: m.Server, User: m.User,
		Namespace: m.Namespace, Snapshot: m.Snapshot, MaxSteps: s.st.maxSteps}
	if haveReport {
		r := s.events[s.st.report]
		d.Title, d.Report = r.Title, s.capReport(strings.TrimSpace(r.Text))
	}
	text, err := prompts.Render("system", m.Lang, d)
	if err != nil {
		text = fallbackSystem
	}
	pc.system, pc.reportSeen = strings.TrimSpace(text), haveReport
	return pc.system
}

func (s *Session) toolSpec() llm.ToolSpec {
	if s.prompts.tool == nil {
		t, err := ToolSpec(s.st.meta.Lang)
		if err != nil {
			t = llm.ToolSpec{Name: toolName, Description: "Run one read-only kubectl command.", Parameters: json.RawMessage(toolParameters)}
		}
		s.prompts.tool = &t
	}
	return *s.prompts.tool
}

// kickoff is the operator's opening request of the investigation.
func (s *Session) kickoff() (string, error) {
	if s.prompts.kick == "" {
		m := s.st.meta
		text, err := prompts.Render("investigate", m.Lang, systemData{Namespace: m.Namespace, MaxSteps: s.st.maxSteps})
		if err != nil {
			return "", err
		}
		s.prompts.kick = strings.TrimSpace(text)
	}
	return s.prompts.kick, nil
}

// capReport cuts the report to a quarter of the context budget, whole lines
// first to last, so that the system prompt cannot crowd out the conversation.
func (s *Session) capReport(report string) string {
	limit := s.opts.ContextTokens / 4
	if s.count(report) <= limit {
		return report
	}
	var b strings.Builder
	used := 0
	lines := strings.Split(report, "\n")
	for i, l := range lines {
		n := s.count(l) + 1
		if used+n > limit {
			fmt.Fprintf(&b, "(%d more lines of the report were cut to fit the context; the operator has the full report)", len(lines)-i)
			break
		}
		used += n
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return b.String()
}
