// Package mcp is kuberesponder's Model Context Protocol server: a front door,
// like the terminal screen, through which any MCP client (a coding agent, a
// chat client) investigates a cluster with the same read-only engine, first
// response and journal as the terminal session.
//
// It offers three tools, all read-only by construction:
//
//   - kubectl {command, reason}: the line takes the session's own path
//     (session.Session.Agent: kube.Parse and classification, then
//     kube.Executor.Run and ActionDone), and the client is answered with the
//     text the session's model would read. A write is answered "not executed"
//     with the canonical command for the operator; a refused line with the
//     reason.
//   - first_response {namespace?, all_namespaces?}: the six-section report as
//     markdown, and the report's JSON (docs/report-json.md) as structured
//     content.
//   - list_findings {namespace?, all_namespaces?}: the findings alone, one
//     line each, and as JSON.
//
// Every call is journaled before it is answered: the client's name, the
// tool, the arguments, the risk, the outcome and the output file.
package mcp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/kuberesponder/kuberesponder/kube/triage"
	"github.com/kuberesponder/kuberesponder/session"
)

// Reporter makes the first-response report of one namespace, or of every
// namespace when namespace is "".
type Reporter interface {
	Report(ctx context.Context, namespace string) (triage.Report, error)
}

// ReporterFunc adapts a function to Reporter.
type ReporterFunc func(ctx context.Context, namespace string) (triage.Report, error)

// Report calls f.
func (f ReporterFunc) Report(ctx context.Context, namespace string) (triage.Report, error) {
	return f(ctx, namespace)
}

// Config is what a Server drives.
type Config struct {
	// Session is the journal every call is recorded in; the server is its
	// only user while it runs.
	Session *session.Session
	// Runner runs the kubectl tool's actions.
	Runner session.Runner
	// Reporter makes the first response.
	Reporter Reporter
	// Namespace is the pinned namespace: first_response's default.
	Namespace string
	// Lang is the language of the reports, en or ja.
	Lang string
	// Version is the product version the server announces.
	Version string
}

// Server is an MCP server over one session. Its tools may be called
// concurrently; calls are journaled one at a time, and actions run side by
// side.
type Server struct {
	cfg Config
	srv *sdk.Server

	mu       sync.Mutex // guards the session, which is not safe for concurrent use
	reported bool       // the session's first response is recorded
}

// Tool names.
const (
	toolKubectl       = "kubectl"
	toolFirstResponse = "first_response"
	toolListFindings  = "list_findings"
)

// instructions tell a client how the tools fit together.
const instructions = "kuberesponder investigates one pinned Kubernetes cluster, read-only. " +
	"Start with first_response (or list_findings for the findings alone), then narrow with kubectl, " +
	"one read-only command at a time. Writes are never run: they come back as fixes for the operator to apply. " +
	"Secret values are redacted in every answer."

// New returns a server over cfg with its three tools.
func New(cfg Config) (*Server, error) {
	if cfg.Session == nil || cfg.Runner == nil || cfg.Reporter == nil {
		return nil, errors.New("the MCP server needs a session, a runner and a reporter")
	}
	if cfg.Lang == "" {
		cfg.Lang = "en"
	}
	spec, err := session.ToolSpec(cfg.Lang)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg}
	s.srv = sdk.NewServer(&sdk.Implementation{Name: "kuberesponder", Title: "kuberesponder (read-only Kubernetes)", Version: cfg.Version},
		&sdk.ServerOptions{Instructions: instructions})
	s.srv.AddTool(&sdk.Tool{
		Name: toolKubectl, Title: "kubectl (read-only)", Description: spec.Description,
		InputSchema: spec.Parameters, Annotations: readOnly("kubectl (read-only)"),
	}, s.kubectl)
	s.srv.AddTool(&sdk.Tool{
		Name: toolFirstResponse, Title: "First-response report",
		Description: "Gather the cluster's facts (warning events, failing pods, nodes and their capacity, workloads) and " +
			"write the six-section first-response report: failure location with evidence, description, cause, impact scope, " +
			"urgency and other advice. Markdown, with the report as JSON in the structured content. Defaults to the pinned namespace.",
		InputSchema: scopeSchema, Annotations: readOnly("First-response report"),
	}, s.firstResponse)
	s.srv.AddTool(&sdk.Tool{
		Name: toolListFindings, Title: "List findings",
		Description: "The findings of the first-response rules alone, one line each (urgency, object, problem, cause), " +
			"most urgent first, and as JSON in the structured content: a cheap way to see what is wrong before narrowing with kubectl.",
		InputSchema: scopeSchema, Annotations: readOnly("List findings"),
	}, s.listFindings)
	return s, nil
}

// readOnly annotates a tool as reading a closed world and changing nothing.
func readOnly(title string) *sdk.ToolAnnotations {
	no := false
	return &sdk.ToolAnnotations{Title: title, ReadOnlyHint: true, DestructiveHint: &no, IdempotentHint: true, OpenWorldHint: &no}
}

// Run serves one client over t until the client leaves or ctx ends.
func (s *Server) Run(ctx context.Context, t sdk.Transport) error {
	if err := s.srv.Run(ctx, t); err != nil && ctx.Err() == nil {
		return fmt.Errorf("serve MCP: %w", err)
	}
	return nil
}

// ServeStdio serves one client over standard input and output.
func (s *Server) ServeStdio(ctx context.Context) error {
	return s.Run(ctx, &sdk.StdioTransport{})
}

// clientName names the calling client for the journal: its name and
// version as it introduced itself.
func clientName(req *sdk.CallToolRequest) string {
	info := req.ClientInfo()
	if info == nil {
		return ""
	}
	return strings.TrimSpace(info.Name + " " + info.Version)
}

// call journals one call; the step says whether it waits for a run.
func (s *Server) call(req *sdk.CallToolRequest, tool string) (session.Step, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	step, err := s.cfg.Session.Agent(session.AgentCall{Client: clientName(req), Tool: tool, Args: string(req.Params.Arguments)})
	if err != nil {
		return step, fmt.Errorf("the call could not be journaled, so nothing ran: %w", err)
	}
	return step, nil
}

// kubectl answers the kubectl tool through the session's own path.
func (s *Server) kubectl(ctx context.Context, req *sdk.CallToolRequest) (*sdk.CallToolResult, error) {
	step, err := s.call(req, toolKubectl)
	if err != nil {
		return errorResult(err.Error()), nil
	}
	if step.Kind == session.StepRun {
		res, runErr := s.cfg.Runner.Run(ctx, step.Action)
		s.mu.Lock()
		_, err := s.cfg.Session.ActionDone(step.CallID, res, runErr)
		s.mu.Unlock()
		if err != nil {
			return errorResult(fmt.Sprintf("the result could not be journaled, so it is not shown: %v", err)), nil
		}
	}
	s.mu.Lock()
	e, ok := s.cfg.Session.Answer(step.CallID)
	s.mu.Unlock()
	if !ok {
		return errorResult("the call has no answer in the journal"), nil
	}
	return kubectlAnswer(e), nil
}

// kubectlAnswer turns the journaled answer into the tool's result: the text
// the session's model reads, or an error for what did not run.
func kubectlAnswer(e session.Event) *sdk.CallToolResult {
	switch e.Status {
	case session.Ran:
		return &sdk.CallToolResult{Content: []sdk.Content{&sdk.TextContent{Text: e.ModelView}}}
	case session.NotExecuted:
		return errorResult(fmt.Sprintf("not executed: %s; for the operator to apply: %s", e.Reason, e.Command))
	}
	return errorResult(e.ModelView)
}

// errorResult is a tool error the client's model can read and act on.
func errorResult(text string) *sdk.CallToolResult {
	return &sdk.CallToolResult{Content: []sdk.Content{&sdk.TextContent{Text: text}}, IsError: true}
}

// structured is a result with text and structured content.
func structured(text string, doc json.RawMessage) *sdk.CallToolResult {
	return &sdk.CallToolResult{Content: []sdk.Content{&sdk.TextContent{Text: text}}, StructuredContent: doc}
}
