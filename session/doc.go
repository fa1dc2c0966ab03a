// Package session is the incident journal and the conversation state machine
// of the second response.
//
// A Session is a pure, synchronous state machine over an append-only journal.
// It does no network IO and starts no goroutines; the only IO it does is
// appending (and fsyncing) journal lines and writing the full output of
// actions next to the journal. Every method that records something returns
// only after the event is on disk, so whatever the screen shows has been
// journaled. The two blocking things, the model call and the action, run
// outside it: an Engine does them for a step, on any goroutine, and the
// caller feeds what it returns back to the session:
//
//	s, err := session.New(dir, meta, session.Options{})   // or session.Open(dir, opts) to resume
//	eng := session.NewEngine(s, client, runner)           // client: llm.Client or the offline responder
//	s.Report(session.FirstResponse{Markdown: md, Findings: js, Title: t})
//	step, err := s.Investigate()                          // or s.Operator(text)
//	for {
//		switch step.Kind {
//		case session.StepModel:   // ask the model
//			reply, err := eng.Complete(ctx, step, onDelta)
//			step, _ = s.ModelDone(reply, err)
//		case session.StepApprove: // show step.Card for step.Command (step.CallID)
//			step, _ = s.Approve(step.CallID, false)  // or Deny(id, reason), Edit(id, line), Operator(text)
//		case session.StepRun:     // run the action
//			step, _ = s.Executed(eng.Execute(ctx, step))
//		case session.StepIdle, session.StepDone:
//			// wait for the operator: Operator(text), Retry() after an error, Resolve(text)
//		}
//	}
//
// Callers that call the model or run the action themselves use
// step.Request and step.Action, and ModelReplied / ModelFailed and
// ActionDone, which do the same.
//
// The screen (ui) is the one product loop over these steps, and the MCP
// server answers one call at a time through Session.Agent; the package's
// tests drive the same loop with a decide function (drive_test.go).
//
// # API
//
//	func NewID(now time.Time) string                          // "20250102-150405-a1b2"
//	func StateDir() (string, error)                           // $XDG_STATE_HOME/kuberesponder/sessions or ~/.local/state/...
//	func New(dir string, meta Meta, opts Options) (*Session, error) // creates dir (0700) and journal.jsonl (0600)
//	func Open(dir string, opts Options) (*Session, error)     // resume: replays journal.jsonl exactly
//	func List(root string) ([]Summary, error)                 // newest first
//	func FindDir(root, idOrLast string) (string, error)       // "last", a full id or a unique id prefix
//	func Verify(dir string) (VerifyReport, error)             // hash chain and output files
//	func ToolSpec(lang string) (llm.ToolSpec, error)          // the kubectl tool offered to the model
//	func NewOffline(findings []triage.Finding, lang string) *Offline // an llm.Client with no network
//	func NewEngine(s *Session, client Completer, runner Runner) *Engine
//
//	type Completer interface { Complete(ctx, llm.Request, func(llm.Delta)) (llm.Reply, error) } // llm.Client, *Offline
//	type Runner interface { Run(ctx, kube.Action) (kube.Result, error) } // e.g. *kube.Executor
//
//	func (e *Engine) Complete(ctx, step Step, onDelta func(Delta)) (Reply, error) // StepModel
//	func (e *Engine) Execute(ctx, step Step) Execution                             // StepRun; writes the output
//
//	type Step struct { Kind StepKind; CallID, Command, Reason string; Pending int; Card Card; Request llm.Request; Action kube.Action }
//	type Card struct {                       // StepApprove: what the approval card shows and offers
//		Risk, Classified string              // kube's risk name and why
//		Runnable, MayAlwaysAllow bool        // approving runs it; "always" is offered (read-only only)
//		ClusterScoped, AllNamespaces bool    // where it reads: kube.ClusterScoped resources, no objects, or -A
//		Namespace string                     // else the namespace: -n, the session's, or "default"
//		Warning string                       // cluster text since the operator spoke reads like an instruction
//	}
//	type Delta struct { Text string; Retry *Retry }                      // streamed model text or a retry notice
//	type RequestView struct { Model string; Messages int; Text string } // the last request, for a reader
//
//	func (s *Session) Meta() Meta
//	func (s *Session) Dir() string
//	func (s *Session) Events() []Event        // a copy of the journal; derive the transcript from it
//	func (s *Session) Phase() Phase
//	func (s *Session) Recovered() string      // non-empty when Open dropped a torn last line
//	func (s *Session) Next() Step             // what should happen now (pure; after Open with a
//	                                          // pending proposal it is StepApprove again)
//	func (s *Session) Report(r FirstResponse) error
//	func (s *Session) Investigate() (Step, error)   // phase → investigation; asks the model to start
//	func (s *Session) Operator(text string) (Step, error)
//	func (s *Session) Approve(callID string, always bool) (Step, error) // always: read-only only
//	func (s *Session) AlwaysAllowed() []string  // canonical commands that run without asking
//	func (s *Session) Revoke(command string) error // that command asks again (journaled note)
//	func (s *Session) Deny(callID, reason string) (Step, error)
//	func (s *Session) Edit(callID, line string) (Step, error)
//	func (s *Session) ModelReplied(r llm.Reply) (Step, error)
//	func (s *Session) ModelFailed(err error) (Step, error)
//	func (s *Session) Retry() (Step, error)         // after a model error: ask again
//	func (s *Session) ActionDone(callID string, r kube.Result, err error) (Step, error)
//	func (s *Session) ModelDone(r Reply, err error) (Step, error)   // ModelReplied, or ModelFailed on err
//	func (s *Session) Executed(x Execution) (Step, error)          // ActionDone for Engine.Execute
//	func (s *Session) LastRequestView() (RequestView, bool)
//	func (s *Session) Note(text string) error
//	func (s *Session) Resolve(text string) error    // phase → resolved with the root-cause statement
//	func (s *Session) OutputPath(e Event) string    // absolute path of a result's full output
//	func (s *Session) Close() error
//
// # Rules
//
// Every tool call of a model reply gets exactly one answer, a KindResult
// event whose Status says how: ran, failed, denied (with the operator's
// reason), refused (with the reason, for lines kube.Parse refuses and unknown
// tools), not-executed (mutating: a KindFix event records the change for a
// human; it never runs), interjected (the operator typed a message while the
// call was pending; the message follows), or duplicate (the same command
// already ran in this operator turn; it is not run again and the model is
// pointed at the earlier result).
//
// Calls are decided and answered in the order the model made them. A reply
// may carry several calls; Next asks about the first unanswered one. The
// operator typing while a call is pending answers every pending call as
// interjected. If an action that was already running finishes afterwards,
// ActionDone journals its output as a note.
//
// The model gets at most Options.MaxSteps replies per operator turn; then the
// session stops with a "step-limit" note and waits for the operator.
//
// The conversation sent to the model is derived from the journal every time
// (there is no second copy): the system prompt carries the pinned context and
// the first-response report; results are shown as their ModelView, which is
// redacted and cut to budget, never the raw output. Requests are fitted to
// Options.ContextTokens: old results shrink to their one-line summaries
// first, then the oldest turns are compacted; the system prompt, the first
// answer and the latest turn stay whole.
//
// While a model call is in flight, the caller should cancel it before
// calling Operator: ModelFailed(context.Canceled) journals a "cancelled"
// note, then Operator records the text and returns a new StepModel. A model
// failure (any *llm.Error, including stalls and timeouts) is journaled as a
// KindError sentence and the session waits; Retry sends the same request
// again. Retries the client makes on its own (llm.Delta.Retry) are not
// journaled.
//
// The first response: Report records the report (and the model's first
// answer, if any) in triage. Investigate, or the operator's first message,
// journals the phase change to investigation with the opening request the
// model sees as the first user message.
//
// "Always" (Approve with always) allows this exact read-only command, its
// canonical form as kube.Action.String() prints it, for the rest of the
// session: a later proposal of the same command, however it is written, runs
// without asking (decision "auto"); any other command, even of the same verb,
// asks. Sensitive actions (Secrets) are never always allowed: Approve refuses
// always for anything but read-only. AlwaysAllowed lists the set, Revoke
// removes a command from it with a "revoked" note. The set is derived from
// the journal (always decisions and revoked notes), so Open restores it;
// Options.AlwaysAllowed adds command lines for one run without journaling
// them.
//
// The sentences journaled for the operator (notes such as step-limit,
// cancelled, retry, recovered, late and revoked, and model error sentences)
// follow Meta.Lang (en or ja). The tool answers the model reads ("Not run:
// the operator denied …", "$ kubectl … (ran at …)") stay English; they are
// rendered at the edge from the journal's typed values and nothing reads
// them back. What a call came to is its result event's Status (ran, failed,
// denied, refused, not-executed, interjected, duplicate): Session.Outcome
// returns it by call id, and the offline responder reads it through
// Offline.For(session). The first response's findings travel as the typed
// triage findings JSON; DecodeFindings is its one decoder and Title the one
// way to name an incident from a report.
//
// # Policy
//
// The session decides everything about a proposal; a screen only renders
// the Card. Runnable: read-only and sensitive actions run once approved,
// nothing else ever does. MayAlwaysAllow: read-only only (Approve enforces
// it too). Where the action reads: cluster-scoped resources are the ones
// kube.ClusterScoped names, the product's one list, plus top node and the
// verbs that read no objects. Warning: a result the model read since the
// operator last spoke (or the report, in the first turn) holds a phrase
// that addresses the model ("ignore previous instructions", "<|im_start|>",
// …).
//
// # What is journaled where
//
// Session methods run on one goroutine (for the screen, bubbletea's Update)
// and each returns only after its events are appended to the journal and
// fsynced, so the screen, which derives everything from Events, never shows
// a step that is not on disk. Engine.Complete and Engine.Execute run on
// another goroutine (the screen's commands) and touch no state of the
// session: Complete only calls the model with the request the step carries;
// Execute runs the action, redacts its output, summary and view, and writes
// the full output to a new file in dir/out/ and fsyncs it before it
// returns. Executed then, on the session's goroutine, hard-links that file
// to the name of the result event about to be appended (dir/out/<seq>.txt;
// a name that is taken is an error, nothing is written through it) and
// appends and fsyncs the result event. So what stays synchronous is one
// journal line per event and a link; the slow part, redacting and writing
// an output of any size, is not. The result event's number, and so the
// file's name, is only known once the event is appended, which is why the
// naming waits for Executed. ActionDone, for callers without an engine,
// redacts and writes the output synchronously. A process killed between
// Execute and Executed leaves a run-*.tmp file in dir/out/ that no event
// names, and one killed between the link and the append leaves an output
// numbered after the last event; Open removes both, and the call is StepRun
// again. The
// postmortem export reads the journal in its own command and journals only
// a note when it fails.
//
// # Journal
//
// dir/journal.jsonl holds one Event per line (0600, dir 0700), fsynced per
// event. Every text is passed through the redactor (kube/redact) before it is
// journaled, so the journal, the output files and every request hold
// redacted text only. Each event carries Prev, the Hash of the event before it, and Hash,
// the hex sha256 of Prev and the event's JSON with Hash empty; Verify proves
// the record was not edited afterwards. Full outputs live in dir/out/ (0600)
// and their sha256 is in the result event. Open truncates a torn last line
// left by a killed process, journals a "recovered" note and reports it via
// Recovered.
package session
