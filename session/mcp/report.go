package mcp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/kuberesponder/kuberesponder/kube/triage"
	"github.com/kuberesponder/kuberesponder/session"
)

// scopeSchema is the input schema of first_response and list_findings.
var scopeSchema = json.RawMessage(`{
  "type": "object",
  "properties": {
    "namespace": {"type": "string", "description": "the namespace to report on; the pinned namespace when omitted"},
    "all_namespaces": {"type": "boolean", "description": "report on every namespace"}
  },
  "additionalProperties": false
}`)

// scope is the arguments of first_response and list_findings.
type scope struct {
	Namespace     string `json:"namespace"`
	AllNamespaces bool   `json:"all_namespaces"`
}

// namespace returns the namespace args name ("" for all), or why they are
// not understood.
func (s *Server) namespace(args json.RawMessage) (string, error) {
	var sc scope
	if t := bytes.TrimSpace(args); len(t) > 0 && !bytes.Equal(t, []byte("null")) {
		dec := json.NewDecoder(bytes.NewReader(t))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&sc); err != nil || dec.More() {
			return "", errors.New(`the arguments must be a JSON object like {"namespace": "shop"} or {"all_namespaces": true}`)
		}
	}
	switch {
	case sc.AllNamespaces && sc.Namespace != "":
		return "", errors.New("give either namespace or all_namespaces, not both")
	case sc.AllNamespaces:
		return "", nil
	case sc.Namespace == "":
		return s.cfg.Namespace, nil
	}
	if msgs := validation.IsDNS1123Label(sc.Namespace); len(msgs) > 0 {
		return "", fmt.Errorf("%q is not a namespace name: %s", sc.Namespace, msgs[0])
	}
	return sc.Namespace, nil
}

// report journals a call of a report tool, makes the report and lets
// answer turn it into the output, then journals the answer.
func (s *Server) report(ctx context.Context, req *sdk.CallToolRequest, tool string,
	answer func(triage.Report) (session.AgentOutput, json.RawMessage, error)) (*sdk.CallToolResult, error) {
	step, err := s.call(req, tool)
	if err != nil {
		return errorResult(err.Error()), nil
	}
	var out session.AgentOutput
	var doc json.RawMessage
	ns, err := s.namespace(req.Params.Arguments)
	if err == nil {
		var rep triage.Report
		if rep, err = s.cfg.Reporter.Report(ctx, ns); err == nil {
			out, doc, err = answer(rep)
		}
	}
	if err != nil {
		out = session.AgentOutput{Err: err}
	}
	s.mu.Lock()
	e, jerr := s.cfg.Session.AgentAnswered(step.CallID, out)
	if jerr == nil && doc != nil {
		doc, jerr = s.cfg.Session.RedactJSON(doc)
	}
	s.mu.Unlock()
	switch {
	case jerr != nil:
		return errorResult(fmt.Sprintf("the answer could not be journaled, so it is not shown: %v", jerr)), nil
	case e.Status != session.Ran:
		return errorResult(e.ModelView), nil
	}
	return structured(e.ModelView, doc), nil
}

// firstResponse answers first_response: the report as markdown, and its
// JSON as structured content. The first report of the server's life is
// the session's first response.
func (s *Server) firstResponse(ctx context.Context, req *sdk.CallToolRequest) (*sdk.CallToolResult, error) {
	return s.report(ctx, req, toolFirstResponse, func(rep triage.Report) (session.AgentOutput, json.RawMessage, error) {
		md := rep.Markdown(s.cfg.Lang)
		js, err := rep.JSON()
		if err != nil {
			return session.AgentOutput{}, nil, fmt.Errorf("write the report as JSON: %w", err)
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if !s.reported {
			if err := s.cfg.Session.Report(session.FirstResponse{Markdown: md, Findings: js}); err != nil {
				return session.AgentOutput{}, nil, fmt.Errorf("record the first response: %w", err)
			}
			s.reported = true
		}
		return session.AgentOutput{Output: md, Summary: summary(rep)}, js, nil
	})
}

// findingsDoc is list_findings' structured content.
type findingsDoc struct {
	Namespace string           `json:"namespace,omitempty"`
	Urgency   string           `json:"urgency"`
	Findings  []triage.Finding `json:"findings"`
	Gaps      []string         `json:"gaps,omitempty"`
}

// listFindings answers list_findings: the findings alone.
func (s *Server) listFindings(ctx context.Context, req *sdk.CallToolRequest) (*sdk.CallToolResult, error) {
	return s.report(ctx, req, toolListFindings, func(rep triage.Report) (session.AgentOutput, json.RawMessage, error) {
		doc := findingsDoc{Namespace: rep.Namespace, Urgency: rep.Urgency, Findings: rep.Findings, Gaps: rep.Gaps}
		if doc.Findings == nil {
			doc.Findings = []triage.Finding{}
		}
		js, err := json.Marshal(doc)
		if err != nil {
			return session.AgentOutput{}, nil, fmt.Errorf("write the findings as JSON: %w", err)
		}
		return session.AgentOutput{Output: findingLines(rep), Summary: summary(rep)}, js, nil
	})
}

// findingLines is one line per finding, most urgent first, with the scope
// and what could not be gathered.
func findingLines(rep triage.Report) string {
	var b strings.Builder
	where := "all namespaces"
	if rep.Namespace != "" {
		where = "namespace " + rep.Namespace
	}
	fmt.Fprintf(&b, "%s in %s (most urgent: %s)\n", plural(len(rep.Findings), "finding"), where, rep.Urgency)
	for _, f := range rep.Findings {
		fmt.Fprintf(&b, "- [%s] %s: %s", f.Urgency, f.Object, oneLine(f.Problem))
		if c := oneLine(f.Cause); c != "" {
			fmt.Fprintf(&b, " (cause: %s)", c)
		}
		if len(f.NextActions) > 0 {
			fmt.Fprintf(&b, "; next: %s", oneLine(f.NextActions[0]))
		}
		b.WriteByte('\n')
	}
	for _, g := range rep.Gaps {
		fmt.Fprintf(&b, "not gathered: %s\n", oneLine(g))
	}
	return b.String()
}

// summary describes a report in one line for the journal.
func summary(rep triage.Report) string {
	return fmt.Sprintf("%s, most urgent %s", plural(len(rep.Findings), "finding"), rep.Urgency)
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
