package session

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/kuberesponder/kuberesponder/kube"
	"github.com/kuberesponder/kuberesponder/kube/redact"
	"github.com/kuberesponder/kuberesponder/llm"
)

// Next returns what should happen now. It is derived from the journal and
// records nothing: after Open with a proposal awaiting approval it is
// StepApprove again, after a kill during a run it is StepRun again.
func (s *Session) Next() Step {
	st := &s.st
	if p := st.pendingCalls(); len(p) > 0 {
		c := p[0]
		a := c.run()
		step := Step{CallID: c.id, Action: a, Command: a.String(), Reason: c.prop.Reason, Pending: len(p)}
		switch c.decision {
		case Approved, Always, Auto, Edited:
			step.Kind = StepRun
		default:
			step.Kind = StepApprove
			step.Card = s.card(a)
		}
		return step
	}
	if st.awaiting && st.steps < st.maxSteps {
		return Step{Kind: StepModel, Request: s.request()}
	}
	if st.phase == PhaseResolved {
		return Step{Kind: StepDone}
	}
	return Step{Kind: StepIdle}
}

// advance journals what follows from the state by policy (runs of always
// allowed commands, the step limit) and returns the next step.
func (s *Session) advance() (Step, error) {
	st := &s.st
	for _, c := range st.pendingCalls() {
		if c.decision == "" && mayAlwaysAllow(c.action) && st.always[c.action.String()] {
			if err := s.record(Event{Kind: KindDecision, CallID: c.id, Decision: Auto}); err != nil {
				return s.Next(), err
			}
		}
	}
	if st.awaiting && st.steps >= st.maxSteps && !st.limited && len(st.pendingCalls()) == 0 {
		text := st.say(msgStepLimit, st.steps)
		if err := s.record(Event{Kind: KindNote, Status: noteStepLimit, Text: text}); err != nil {
			return s.Next(), err
		}
	}
	return s.Next(), nil
}

// Investigate moves the incident from triage to investigation and asks the
// model to plan it.
func (s *Session) Investigate() (Step, error) {
	if s.st.phase != PhaseTriage {
		return s.Next(), fmt.Errorf("the session is already in %s", s.st.phase)
	}
	if err := s.startInvestigation(); err != nil {
		return s.Next(), err
	}
	return s.advance()
}

func (s *Session) startInvestigation() error {
	text, err := s.kickoff()
	if err != nil {
		return fmt.Errorf("start the investigation: %w", err)
	}
	if err := s.record(Event{Kind: KindPhase, Phase: PhaseInvestigation, Text: text}); err != nil {
		return fmt.Errorf("start the investigation: %w", err)
	}
	return nil
}

// Operator journals what the operator typed. Calls still pending are
// answered first, as interjected.
func (s *Session) Operator(text string) (Step, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return s.Next(), errors.New("the message is empty")
	}
	if s.st.phase == PhaseTriage {
		if err := s.startInvestigation(); err != nil {
			return s.Next(), err
		}
	}
	for _, c := range s.st.pendingCalls() {
		view := "Not run: the operator interjected with a message before this call was answered; read it next."
		if c.decision == "" {
			if err := s.record(Event{Kind: KindDecision, CallID: c.id, Decision: Interjected}); err != nil {
				return s.Next(), fmt.Errorf("record the message: %w", err)
			}
		} else {
			view = "Not used: the operator interjected with a message while this was running; read it next."
		}
		if err := s.answer(c, Event{Status: Interrupted, ModelView: view}); err != nil {
			return s.Next(), fmt.Errorf("record the message: %w", err)
		}
	}
	if err := s.record(Event{Kind: KindOperator, Text: s.redact(text)}); err != nil {
		return s.Next(), fmt.Errorf("record the message: %w", err)
	}
	return s.advance()
}

// pending returns the unanswered call with id.
func (s *Session) pending(id string) (*call, error) {
	c, ok := s.st.calls[id]
	if !ok {
		return nil, fmt.Errorf("there is no proposal %q", id)
	}
	if c.result != nil {
		return nil, fmt.Errorf("proposal %q was already answered (%s)", id, c.result.Status)
	}
	return c, nil
}

// undecided returns the pending, undecided call with id.
func (s *Session) undecided(id string) (*call, error) {
	c, err := s.pending(id)
	if err != nil {
		return nil, err
	}
	if c.decision != "" {
		return nil, fmt.Errorf("proposal %q was already %s", id, c.decision)
	}
	return c, nil
}

// Approve lets the call run. With always, later proposals of exactly the
// same read-only command (its canonical form) run without asking for the
// rest of the session, until Revoke. Sensitive actions are never always
// allowed.
func (s *Session) Approve(callID string, always bool) (Step, error) {
	c, err := s.undecided(callID)
	if err != nil {
		return s.Next(), err
	}
	if always && !mayAlwaysAllow(c.action) {
		return s.Next(), fmt.Errorf("only read-only commands can be always allowed, and %s is %s; approve it once", c.action.String(), c.action.Risk)
	}
	d := Approved
	if always {
		d = Always
	}
	if err := s.record(Event{Kind: KindDecision, CallID: c.id, Decision: d}); err != nil {
		return s.Next(), fmt.Errorf("record approval: %w", err)
	}
	return s.advance()
}

// Deny answers the call as denied, with the operator's reason for the model.
func (s *Session) Deny(callID, reason string) (Step, error) {
	c, err := s.undecided(callID)
	if err != nil {
		return s.Next(), err
	}
	reason = s.redact(oneLine(reason))
	view := "Not run: the operator denied this action without giving a reason. Do not propose it again unchanged."
	if reason != "" {
		view = "Not run: the operator denied this action. Their reason: " + reason
	}
	if err := s.record(Event{Kind: KindDecision, CallID: c.id, Decision: Denied, Reason: reason}); err != nil {
		return s.Next(), fmt.Errorf("record denial: %w", err)
	}
	if err := s.answer(c, Event{Status: DeniedCall, Reason: reason, ModelView: view}); err != nil {
		return s.Next(), fmt.Errorf("record denial: %w", err)
	}
	return s.advance()
}

// Edit replaces the call's command with the operator's line, which is parsed
// and classified again; a read-only line then runs. A line that would be
// refused or would change the cluster is rejected and nothing is recorded.
func (s *Session) Edit(callID, line string) (Step, error) {
	c, err := s.undecided(callID)
	if err != nil {
		return s.Next(), err
	}
	line = strings.TrimSpace(line)
	a, perr := kube.Parse(line)
	switch {
	case perr != nil || a.Risk == kube.Refused:
		reason := a.Reason
		if reason == "" && perr != nil {
			reason = perr.Error()
		}
		return s.Next(), fmt.Errorf("the edited command cannot run: %s", reason)
	case a.Risk == kube.Mutating:
		return s.Next(), errors.New("the edited command would change the cluster, and kuberesponder only runs read-only commands")
	}
	if err := s.record(Event{Kind: KindDecision, CallID: c.id, Decision: Edited, Command: s.redact(a.String())}); err != nil {
		return s.Next(), fmt.Errorf("record edit: %w", err)
	}
	return s.advance()
}

// answer journals the one answer of c; fields of e complete it.
func (s *Session) answer(c *call, e Event) error {
	e.Kind = KindResult
	e.CallID = c.id
	if e.Command == "" {
		e.Command = c.prop.Command
	}
	if e.Summary == "" {
		e.Summary = DefaultSummary(e.Status, e.Reason)
	}
	return s.record(e)
}

// kubectlArgs are the arguments of the kubectl tool.
type kubectlArgs struct {
	Command string `json:"command"`
	Reason  string `json:"reason"`
}

// ModelReplied journals the model's reply: its text, then one proposal per
// tool call. Calls that cannot run (refused, mutating, duplicate) are
// answered at once.
func (s *Session) ModelReplied(r llm.Reply) (Step, error) {
	msg := r.Message
	text := strings.TrimSpace(msg.Content)
	if text == "" && len(msg.ToolCalls) == 0 {
		if err := s.record(Event{Kind: KindError, Text: s.st.say(msgEmptyReply)}); err != nil {
			return s.Next(), fmt.Errorf("record model reply: %w", err)
		}
		return s.Next(), nil
	}
	e := Event{Kind: KindAssistant, Text: s.redact(text), Phase: s.st.phase}
	if r.Usage != (llm.Usage{}) {
		u := r.Usage
		e.Usage = &u
	}
	if err := s.record(e); err != nil {
		return s.Next(), fmt.Errorf("record model reply: %w", err)
	}
	var mine []*call
	for i, tc := range msg.ToolCalls {
		c, err := s.propose(tc, i, mine, "")
		if err != nil {
			return s.Next(), fmt.Errorf("record proposal: %w", err)
		}
		mine = append(mine, c)
	}
	return s.advance()
}

// propose journals one tool call and answers it at once when it cannot run.
// client names the external agent that made the call, "" for the model.
func (s *Session) propose(tc llm.ToolCall, i int, earlier []*call, client string) (*call, error) {
	id := tc.ID
	if _, used := s.st.calls[id]; used || id == "" || len(id) > 128 || redact.Strip(id) != id {
		id = fmt.Sprintf("kr_%d_%d", s.j.seq+1, i)
	}
	p := Event{Kind: KindProposal, CallID: id, Tool: s.redact(tc.Name), Args: s.redactJSON(tc.Arguments), Client: client}
	var args kubectlArgs
	var refusal string
	switch {
	case tc.Name != toolName:
		refusal = fmt.Sprintf("there is no tool %q; the only tool is %s", tc.Name, toolName)
	case json.Unmarshal([]byte(tc.Arguments), &args) != nil || strings.TrimSpace(args.Command) == "":
		refusal = `the arguments must be a JSON object like {"command": "get pods -n shop", "reason": "why"}`
	}
	var a kube.Action
	if refusal == "" {
		// The line is parsed as it came (redacted), so that control
		// characters in it are refused; the journal keeps it printable.
		line, _ := s.red.Redact(strings.TrimSpace(args.Command))
		p.Text = s.redact(strings.TrimSpace(args.Command))
		p.Reason = s.redact(oneLine(args.Reason))
		var perr error
		a, perr = kube.Parse(line)
		// A refused line is quoted as it came; an accepted one holds no
		// control character, so this changes nothing that runs.
		p.Command = redact.Terminal(a.String())
		p.Risk = a.Risk.String()
		if perr != nil || a.Risk == kube.Refused {
			refusal = a.Reason
			if refusal == "" && perr != nil {
				refusal = perr.Error()
			}
		}
	} else {
		p.Risk = kube.Refused.String()
	}
	refusal = s.redact(refusal)
	if err := s.record(p); err != nil {
		return nil, err
	}
	c := s.st.calls[id]
	switch {
	case refusal != "":
		return c, s.answer(c, Event{Status: Refused, Reason: refusal,
			ModelView: "Refused: " + refusal + ". Propose a supported read-only kubectl command instead, or give the fix as text."})
	case a.Risk == kube.Mutating:
		if err := s.record(Event{Kind: KindFix, CallID: id, Command: p.Command, Reason: p.Reason}); err != nil {
			return c, err
		}
		return c, s.answer(c, Event{Status: NotExecuted, Reason: "changes the cluster",
			ModelView: "Not executed: this command changes the cluster, and kuberesponder never changes the cluster. " +
				"It was recorded as a proposed fix for the operator to review and apply. Continue with read-only commands, or explain the fix in your answer."})
	}
	for _, o := range earlier {
		if o.result == nil && o.prop.Command == p.Command {
			return c, s.answer(c, Event{Status: Duplicate, Reason: "same as " + o.id,
				ModelView: fmt.Sprintf("Not run: the same command was proposed earlier in this reply (call %s); its answer applies.", o.id)})
		}
	}
	if at, ok := s.st.ran[p.Command]; ok {
		return c, s.answer(c, Event{Status: Duplicate, Reason: "already ran at " + at.Format("15:04:05"),
			ModelView: fmt.Sprintf("Not run again: `%s` already ran at %s in this turn and its result is above; "+
				"the cluster state may not have changed since. Use that result, propose a different command, or conclude.",
				p.Command, at.Format("15:04:05"))})
	}
	return c, nil
}

// ModelFailed journals a failed model call as one sentence for the
// operator. A call the caller cancelled (context.Canceled that is not an
// *llm.Error) is journaled as a note. The session waits for the operator,
// who may Retry.
func (s *Session) ModelFailed(err error) (Step, error) {
	if err == nil {
		return s.Next(), errors.New("ModelFailed needs an error")
	}
	e := Event{Kind: KindError, Text: s.redact(s.modelErrorSentence(err))}
	var lerr *llm.Error
	if errors.Is(err, context.Canceled) && !errors.As(err, &lerr) {
		e = Event{Kind: KindNote, Status: noteCancelled, Text: s.st.say(msgCancelled)}
	}
	if rerr := s.record(e); rerr != nil {
		return s.Next(), fmt.Errorf("record model failure: %w", rerr)
	}
	return s.Next(), nil
}

func (s *Session) modelErrorSentence(err error) string {
	msg := oneLine(err.Error())
	if len(msg) > 400 {
		msg = msg[:400] + "…"
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return s.st.say(msgModelTimeout, msg)
	}
	return s.st.say(msgModelFailed, msg)
}

// Retry asks the model again after a failed or cancelled call.
func (s *Session) Retry() (Step, error) {
	if !s.st.failed || s.st.awaiting || len(s.st.pendingCalls()) > 0 {
		return s.Next(), errors.New("there is no failed model call to retry")
	}
	if err := s.record(Event{Kind: KindNote, Status: noteRetry, Text: s.st.say(msgRetry)}); err != nil {
		return s.Next(), fmt.Errorf("record retry: %w", err)
	}
	return s.advance()
}

// fallbackViewLines bounds what the model sees of a result that came
// without a ModelView.
const fallbackViewLines = 200

// headLines returns the first n lines of text, saying how many were left out.
func headLines(text string, n int) string {
	lines := strings.SplitAfter(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) <= n {
		return text
	}
	return strings.Join(lines[:n], "") + fmt.Sprintf("[%d more lines left out]\n", len(lines)-n)
}

// lineCount describes an output by its number of lines.
func lineCount(s string) string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return "no output"
	}
	n := strings.Count(s, "\n") + 1
	if n == 1 {
		return "1 line"
	}
	return fmt.Sprintf("%d lines", n)
}

// oneLine folds text onto one line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
