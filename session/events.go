package session

import (
	"encoding/json"
	"time"

	"github.com/kuberesponder/kuberesponder/kube"
	"github.com/kuberesponder/kuberesponder/llm"
)

// Meta is fixed when a session starts and journaled in its start event.
type Meta struct {
	ID        string `json:"id"`
	Context   string `json:"context,omitempty"`
	Cluster   string `json:"cluster,omitempty"`
	Server    string `json:"server,omitempty"`
	User      string `json:"user,omitempty"`
	Namespace string `json:"namespace,omitempty"` // "" means all namespaces
	Model     string `json:"model,omitempty"`     // "offline" when no model is used
	Lang      string `json:"lang,omitempty"`      // "en" or "ja"
	Snapshot  string `json:"snapshot,omitempty"`  // snapshot description when not live
}

// Kind is the kind of a journal event.
type Kind string

// The kinds of journal events.
const (
	KindStart     Kind = "start"     // Meta
	KindReport    Kind = "report"    // Text (report markdown), Findings, Title
	KindOperator  Kind = "operator"  // Text typed by the operator (redacted)
	KindAssistant Kind = "assistant" // Text written by the model, Usage
	KindProposal  Kind = "proposal"  // CallID, Tool, Args, Text (line as proposed), Command, Reason, Risk; Client for an agent's call
	KindDecision  Kind = "decision"  // CallID, Decision, Reason (deny reason), Command (edited line)
	KindResult    Kind = "result"    // CallID, Status, Command, Output, OutputSHA, Summary, ModelView, Reason
	KindFix       Kind = "fix"       // CallID, Command, Reason: a change proposed for a human to apply
	KindError     Kind = "error"     // Text: one sentence for the operator
	KindPhase     Kind = "phase"     // Phase, Text (investigation: the opening request; resolved: the root cause)
	KindNote      Kind = "note"      // Text, Status ("step-limit", "retry", "cancelled", "recovered", "late", "revoked"), Command
)

// String returns the kind's name.
func (k Kind) String() string { return string(k) }

// Phase is the stage of an incident.
type Phase string

// The phases of an incident, in order.
const (
	PhaseTriage        Phase = "triage"
	PhaseInvestigation Phase = "investigation"
	PhaseResolved      Phase = "resolved"
)

// String returns the phase's name.
func (p Phase) String() string { return string(p) }

// Decision is what the operator decided about a proposal.
type Decision string

// The operator's decisions.
const (
	Approved    Decision = "approved"    // run this once
	Always      Decision = "always"      // run this, and run this exact read-only command again without asking
	Auto        Decision = "auto"        // ran without asking because the command was always allowed
	Denied      Decision = "denied"      // do not run; Reason says why
	Edited      Decision = "edited"      // run the operator's line (Command) instead
	Interjected Decision = "interjected" // the operator typed a message instead of deciding
)

// String returns the decision's name.
func (d Decision) String() string { return string(d) }

// Status is how a tool call was answered. Every call gets exactly one answer.
type Status string

// The answers a tool call can get.
const (
	Ran         Status = "ran"          // the action ran; ModelView is its output
	Failed      Status = "failed"       // the action ran and failed; ModelView is the error
	DeniedCall  Status = "denied"       // the operator denied it; Reason
	Refused     Status = "refused"      // not supported or not parseable; Reason
	NotExecuted Status = "not-executed" // mutating: never runs, recorded as a fix
	Interrupted Status = "interjected"  // the operator typed a message while it was pending
	Duplicate   Status = "duplicate"    // the same command already ran in this turn; not run again
)

// String returns the status's name.
func (s Status) String() string { return string(s) }

// DefaultSummary is the one-line summary the session gives a result whose
// runner gave none: the status, and the reason after a colon when there is
// one. A reader compares with it rather than parsing a summary.
func DefaultSummary(st Status, reason string) string {
	if reason == "" {
		return string(st)
	}
	return string(st) + ": " + reason
}

// Detail returns what a result event says beyond its Status, read from its
// typed fields: the runner's own summary when it gave one, else the reason
// (a refusal's, a denial's, a failure's); "" when there is neither.
func (e Event) Detail() string {
	if e.Summary != "" && e.Summary != DefaultSummary(e.Status, e.Reason) {
		return e.Summary
	}
	return e.Reason
}

// Event is one journal line. Seq, Time, Kind, Prev and Hash are set on
// every event; the other fields are used according to Kind, and the comment
// on each Kind constant lists exactly the fields that kind sets (a field not
// listed is empty). Status is the one field two kinds share with different
// values: on a result it is the call's answer (Ran … Duplicate), on a note
// the note's subtype ("step-limit", "retry", "cancelled", "recovered",
// "late", "revoked"). The journal keeps one line shape for every kind so that
// a journal written by any version reads back and its hash chain verifies.
type Event struct {
	Seq       int             `json:"seq"`
	Time      time.Time       `json:"time"`
	Kind      Kind            `json:"kind"`
	Text      string          `json:"text,omitempty"`
	CallID    string          `json:"callId,omitempty"`
	Tool      string          `json:"tool,omitempty"`     // proposal: the tool the model called
	Client    string          `json:"client,omitempty"`   // proposal, decision: the external agent that made the call (Session.Agent); "" for the model
	Args      string          `json:"args,omitempty"`     // proposal: the raw JSON arguments (redacted)
	Command   string          `json:"command,omitempty"`  // canonical command line, as kube.Action.String() prints it
	Reason    string          `json:"reason,omitempty"`   // model's reason, deny reason, refusal reason
	Risk      string          `json:"risk,omitempty"`     // kube.Risk.String() of a proposal
	Decision  Decision        `json:"decision,omitempty"` // decision events
	Status    Status          `json:"status,omitempty"`   // result events; note subtypes
	Output    string          `json:"output,omitempty"`   // result: file name of the full output, relative to the session directory
	OutputSHA string          `json:"outputSha256,omitempty"`
	Summary   string          `json:"summary,omitempty"`   // result: one line
	ModelView string          `json:"modelView,omitempty"` // result: exactly what the model is shown
	Phase     Phase           `json:"phase,omitempty"`
	Title     string          `json:"title,omitempty"`    // report: one-line headline of the incident
	Findings  json.RawMessage `json:"findings,omitempty"` // report: findings as JSON
	Meta      *Meta           `json:"meta,omitempty"`     // start event only
	Usage     *llm.Usage      `json:"usage,omitempty"`    // assistant: token usage of the call
	Prev      string          `json:"prev"`               // hash of the previous event ("" for the first)
	Hash      string          `json:"hash"`               // sha256 over Prev and this event
}

// StepKind says what the caller must do next.
type StepKind int

// The steps a caller can be asked to take.
const (
	// StepIdle: wait for the operator.
	StepIdle StepKind = iota
	// StepModel: call the model with Step.Request (Engine.Complete), then
	// ModelReplied or ModelFailed (ModelDone).
	StepModel
	// StepApprove: show the approval card (Step.Card) for Step.CallID /
	// Step.Command, then Approve, Deny, Edit or Operator.
	StepApprove
	// StepRun: run Step.Action for Step.CallID, then ActionDone
	// (Engine.Execute, then Executed).
	StepRun
	// StepDone: the incident is resolved and nothing is pending.
	StepDone
)

// String returns the step kind's name.
func (k StepKind) String() string {
	switch k {
	case StepIdle:
		return "idle"
	case StepModel:
		return "model"
	case StepApprove:
		return "approve"
	case StepRun:
		return "run"
	case StepDone:
		return "done"
	}
	return "unknown"
}

// Step is what should happen now, derived from the journal. A screen needs
// only its plain fields (Kind, CallID, Command, Reason, Pending, Card) and
// hands the step to an Engine for the blocking work; Request and Action are
// for callers that call the model or run the action themselves.
type Step struct {
	Kind    StepKind
	Request llm.Request // StepModel
	CallID  string      // StepApprove, StepRun
	Action  kube.Action // StepApprove, StepRun: parsed and classified by kube.Parse
	Command string      // StepApprove, StepRun: the command line, as Action.String() prints it
	Reason  string      // StepApprove, StepRun: the model's reason for the proposal
	Pending int         // StepApprove, StepRun: calls of the last reply still unanswered, this one included
	Card    Card        // StepApprove: what the approval card shows and offers
}

// FirstResponse is the triage result handed to Report.
type FirstResponse struct {
	Markdown  string          // the six-section report shown to the operator
	Findings  json.RawMessage // the findings as JSON (triage Report.JSON)
	Title     string          // one-line headline for session lists
	ModelText string          // the model's first answer, "" when none
	Usage     *llm.Usage      // token usage of the call that wrote ModelText
}

// Options tune a session. Zero values mean the defaults.
type Options struct {
	// MaxSteps is the number of model replies allowed per operator turn (default 8).
	MaxSteps int
	// ContextTokens is the context budget of every request (default 32000).
	ContextTokens int
	// AlwaysAllowed lists read-only command lines that run without asking,
	// in addition to those the operator always allows during the session.
	// Each is parsed and compared in its canonical form; lines that are not
	// read-only are ignored.
	AlwaysAllowed []string
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Summary describes a saved session for listings.
type Summary struct {
	ID        string
	Dir       string
	Context   string
	Namespace string
	Model     string
	Started   time.Time
	Updated   time.Time
	Phase     Phase
	Title     string
	Events    int
	Err       string // why the session could not be read, "" when fine
}

// VerifyReport is the outcome of checking a journal's hash chain.
type VerifyReport struct {
	Events   int      // events checked
	Outputs  int      // output files checked
	LastHash string   // hash of the last event
	Torn     bool     // the last line was a partial write (dropped, not a tampering sign)
	Problems []string // one sentence per problem; empty when the record is intact
}

// OK reports whether the journal is intact.
func (r VerifyReport) OK() bool { return len(r.Problems) == 0 }
