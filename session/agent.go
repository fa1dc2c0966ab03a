package session

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/kuberesponder/kuberesponder/kube"
	"github.com/kuberesponder/kuberesponder/llm"
)

// AgentCall is one tool call of an external agent, such as an MCP client,
// that calls the session's tools itself: there is no model in between, and
// the agent's own host decides what it may call.
type AgentCall struct {
	// Client names the agent as it introduced itself ("claude-code 1.2").
	Client string
	// Tool is the tool called: kubectl, or a tool the caller answers itself.
	Tool string
	// Args are the call's arguments, raw JSON.
	Args string
}

// AgentOutput is the answer to an agent's call of a tool the session does
// not run itself (see AgentAnswered).
type AgentOutput struct {
	// Output is the full text, kept next to the journal like an action's.
	Output string
	// View is what the agent is shown; "" means Output.
	View string
	// Summary is one line for listings and the postmortem.
	Summary string
	// Err is why the tool failed; the call is then answered as failed.
	Err error
}

// unnamedAgent stands for a client that gave no name: an agent's call is
// told from the model's by its non-empty Client.
const unnamedAgent = "unnamed agent"

// maxClientRunes bounds the client name journaled with each call.
const maxClientRunes = 100

// Agent journals a tool call of an external agent. A kubectl call takes
// exactly the path of a model's call: it is parsed and classified, a refused
// line is answered as refused and a write as not executed (with its fix
// recorded); a read that may run is approved on the agent's behalf, and the
// step is StepRun: run step.Action, then hand the result to ActionDone. A
// call of any other tool is journaled and the step is StepRun with no
// action: answer it with AgentAnswered. In every case Answer then returns
// the call's one answer. Calls of agents are never skipped as duplicates,
// count no model steps and owe the model nothing.
func (s *Session) Agent(c AgentCall) (Step, error) {
	client := s.redact(oneLine(c.Client))
	if client == "" {
		client = unnamedAgent
	}
	if utf8.RuneCountInString(client) > maxClientRunes {
		client = string([]rune(client)[:maxClientRunes]) + "…"
	}
	var cl *call
	if c.Tool == toolName {
		var err error
		if cl, err = s.propose(llm.ToolCall{Name: c.Tool, Arguments: c.Args}, 0, nil, client); err != nil {
			return s.Next(), fmt.Errorf("record the call of %s: %w", client, err)
		}
	} else {
		id := fmt.Sprintf("kr_%d_0", s.j.seq+1)
		p := Event{Kind: KindProposal, CallID: id, Tool: s.redact(oneLine(c.Tool)), Args: s.redactJSON(c.Args),
			Client: client, Risk: kube.ReadOnly.String(), Command: s.redact(toolCommand(c.Tool, c.Args))}
		if err := s.record(p); err != nil {
			return s.Next(), fmt.Errorf("record the call of %s: %w", client, err)
		}
		cl = s.st.calls[id]
	}
	step := Step{Kind: StepIdle, CallID: cl.id}
	if cl.result != nil {
		return step, nil
	}
	if err := s.record(Event{Kind: KindDecision, CallID: cl.id, Decision: Approved, Client: client}); err != nil {
		return step, fmt.Errorf("record the call of %s: %w", client, err)
	}
	step.Kind, step.Action, step.Reason, step.Pending = StepRun, cl.run(), cl.prop.Reason, 1
	return step, nil
}

// toolCommand names a call of a tool other than kubectl the way the
// journal names commands: the tool and its arguments on one line.
func toolCommand(tool string, args string) string {
	tool = oneLine(tool)
	var b bytes.Buffer
	if json.Compact(&b, []byte(args)) == nil && b.Len() > 0 && b.String() != "{}" && b.String() != "null" {
		return tool + " " + b.String()
	}
	return tool
}

// AgentAnswered journals the answer to an agent's call of a tool other
// than kubectl: the full output goes to a file next to the journal, the
// view is what the agent is shown. Both are redacted first. It returns the
// answer as journaled.
func (s *Session) AgentAnswered(callID string, out AgentOutput) (Event, error) {
	c, err := s.pending(callID)
	if err != nil {
		return Event{}, err
	}
	if !c.agent || c.prop.Tool == toolName {
		return Event{}, fmt.Errorf("call %q is not an agent's call of its own tool", callID)
	}
	output := s.redact(out.Output)
	name, sum, err := s.j.writeOutput(output)
	if err != nil {
		return Event{}, fmt.Errorf("record the output of %s: %w", c.prop.Command, err)
	}
	view := output
	if out.View != "" {
		view = s.redact(out.View)
	}
	e := Event{Status: Ran, Output: name, OutputSHA: sum, Summary: s.redact(oneLine(out.Summary)), ModelView: view}
	if out.Err != nil {
		msg := s.redact(oneLine(out.Err.Error()))
		e.Status, e.Reason = Failed, msg
		e.ModelView = strings.TrimSpace(msg + "\n" + view)
		if e.Summary == "" {
			e.Summary = "failed: " + msg
		}
	} else if e.Summary == "" {
		e.Summary = lineCount(output)
	}
	if err := s.answer(c, e); err != nil {
		return Event{}, fmt.Errorf("record the answer of %s: %w", c.prop.Command, err)
	}
	return *c.result, nil
}

// Answer returns the answer journaled for a call, and false while the call
// has none (or there is no such call).
func (s *Session) Answer(callID string) (Event, bool) {
	c, ok := s.st.calls[callID]
	if !ok || c.result == nil {
		return Event{}, false
	}
	return *c.result, true
}

// RedactJSON removes secret values from a JSON document the way the
// journal's texts are redacted, and fails when what is left is not JSON.
func (s *Session) RedactJSON(doc []byte) (json.RawMessage, error) {
	out, _ := s.red.Redact(string(doc))
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(out)); err != nil {
		return nil, errors.New("the document is not JSON once redacted")
	}
	return b.Bytes(), nil
}
