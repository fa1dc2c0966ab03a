package session

import (
	"fmt"
	"slices"
	"time"

	"github.com/kuberesponder/kuberesponder/kube"
	"github.com/kuberesponder/kuberesponder/prompts/catalog"
)

// call is one tool call of the model and what became of it.
type call struct {
	id       string
	prop     Event       // the proposal event
	action   kube.Action // parsed from prop.Text
	decision Decision
	edited   *kube.Action // the operator's line when decision is Edited
	result   *Event       // the answer, nil while pending
	late     bool         // a finished run arrived after the call was answered
	agent    bool         // an external agent made the call (Session.Agent), not the model
}

// run returns the action that runs for the call.
func (c *call) run() kube.Action {
	if c.edited != nil {
		return *c.edited
	}
	return c.action
}

// state is everything derived from the journal. apply is its only writer,
// so a replayed journal yields exactly the state the live session had.
type state struct {
	maxSteps int
	meta     Meta
	phase    Phase
	report   int // index of the report event, -1 before it
	calls    map[string]*call
	order    []*call // every call, in the order the model made them
	// awaiting is true when the model is owed a request.
	awaiting bool
	// steps counts model replies since the operator last spoke.
	steps   int
	limited bool // the step-limit note was journaled in this turn
	failed  bool // the last model call failed; Retry may ask again
	// always holds the canonical read-only commands that run without
	// asking; allowed keeps them in the order they were allowed.
	always  map[string]bool
	allowed []string
	// ran maps commands that ran in this operator turn to when they ran.
	ran map[string]time.Time
	// answered is the status of every answered call, for Session.Outcome.
	answered *answers
	n        int // events applied
}

func newState(opts Options) state {
	st := state{
		maxSteps: opts.MaxSteps,
		phase:    PhaseTriage,
		report:   -1,
		calls:    map[string]*call{},
		always:   map[string]bool{},
		ran:      map[string]time.Time{},
		answered: newAnswers(),
	}
	for _, line := range opts.AlwaysAllowed {
		if a, err := kube.Parse(line); err == nil && a.Risk == kube.ReadOnly {
			st.allow(a.String())
		}
	}
	return st
}

// allow adds a canonical command to the always-allowed set.
func (st *state) allow(cmd string) {
	if cmd == "" || st.always[cmd] {
		return
	}
	st.always[cmd] = true
	st.allowed = append(st.allowed, cmd)
}

// revoke removes a canonical command from the always-allowed set.
func (st *state) revoke(cmd string) {
	if !st.always[cmd] {
		return
	}
	delete(st.always, cmd)
	st.allowed = slices.DeleteFunc(st.allowed, func(c string) bool { return c == cmd })
}

// pendingCalls returns the unanswered calls in order.
func (st *state) pendingCalls() []*call {
	var out []*call
	for _, c := range st.order {
		if c.result == nil {
			out = append(out, c)
		}
	}
	return out
}

// newTurn starts an operator turn.
func (st *state) newTurn() {
	st.awaiting, st.steps, st.limited, st.failed = true, 0, false, false
	clear(st.ran)
}

func (st *state) apply(e Event) error {
	idx := st.n
	st.n++
	switch e.Kind {
	case KindStart:
		if e.Meta == nil {
			return fmt.Errorf("start event without meta")
		}
		st.meta = *e.Meta
	case KindReport:
		st.report = idx
	case KindPhase:
		st.phase = e.Phase
		switch e.Phase {
		case PhaseInvestigation:
			st.newTurn()
		case PhaseResolved:
			st.awaiting = false
		}
	case KindOperator:
		st.newTurn()
	case KindAssistant:
		if e.Phase != PhaseTriage {
			st.steps++
			st.awaiting, st.failed = false, false
		}
	case KindProposal:
		if _, dup := st.calls[e.CallID]; dup || e.CallID == "" {
			return fmt.Errorf("proposal with a missing or reused call id %q", e.CallID)
		}
		c := &call{id: e.CallID, prop: e, agent: e.Client != ""}
		if e.Tool == toolName {
			c.action, _ = kube.Parse(e.Text)
		}
		st.calls[e.CallID] = c
		st.order = append(st.order, c)
	case KindDecision:
		c, ok := st.calls[e.CallID]
		if !ok {
			return fmt.Errorf("decision for unknown call %q", e.CallID)
		}
		c.decision = e.Decision
		switch e.Decision {
		case Edited:
			a, _ := kube.Parse(e.Command)
			c.edited = &a
		case Always:
			if c.action.Risk == kube.ReadOnly {
				st.allow(c.action.String())
			}
		}
	case KindResult:
		c, ok := st.calls[e.CallID]
		if !ok {
			return fmt.Errorf("result for unknown call %q", e.CallID)
		}
		if c.result != nil {
			return fmt.Errorf("second answer for call %q", e.CallID)
		}
		ev := e
		c.result = &ev
		st.answered.put(e.CallID, Outcome{Status: e.Status, Command: e.Command})
		if c.agent {
			// An agent reads every answer itself and owes the model nothing:
			// what it asks again runs again.
			break
		}
		if e.Status == Ran {
			st.ran[e.Command] = e.Time
		}
		if len(st.pendingCalls()) == 0 {
			st.awaiting = true
		}
	case KindError:
		st.awaiting, st.failed = false, true
	case KindNote:
		switch e.Status {
		case noteStepLimit:
			st.awaiting, st.limited = false, true
		case noteRetry:
			st.awaiting, st.failed = true, false
		case noteCancelled:
			st.awaiting, st.failed = false, true
		case noteRevoked:
			st.revoke(e.Command)
		case noteLate:
			if c, ok := st.calls[e.CallID]; ok {
				c.late = true
			}
		}
	}
	return nil
}

// Note subtypes, in Event.Status of KindNote events.
const (
	noteStepLimit = "step-limit"
	noteRetry     = "retry"
	noteCancelled = "cancelled"
	noteLate      = "late"
	noteRecovered = "recovered"
	noteRevoked   = "revoked"
)

// Phrase names an operator-facing sentence: its key in the message catalog
// (prompts/catalog).
type Phrase string

// The sentences the session journals for the operator.
const (
	msgStepLimit    Phrase = "session.stepLimit"
	msgCancelled    Phrase = "session.cancelled"
	msgRetry        Phrase = "session.retry"
	msgRecovered    Phrase = "session.recovered"
	msgLate         Phrase = "session.late"
	msgRevoked      Phrase = "session.revoked"
	msgEmptyReply   Phrase = "session.emptyReply"
	msgModelTimeout Phrase = "session.modelTimeout"
	msgModelFailed  Phrase = "session.modelFailed"
)

// The sentences a front door journals as notes (Session.Say words them).
const (
	PhraseExportFailed     Phrase = "session.exportFailed"     // %s: why
	PhraseReportFailed     Phrase = "session.reportFailed"     // %s: why
	PhraseReportCancelled  Phrase = "session.reportCancelled"  //
	PhraseGoOn             Phrase = "session.goOn"             // what the operator may do next
	PhraseModelFirstFailed Phrase = "session.modelFirstFailed" // %s: why the model wrote no first response
)

// In returns sentence p in lang with args filled in, for a front door that
// has no session yet; Session.Say words it in the session's language.
func (p Phrase) In(lang string, args ...any) string {
	return catalog.Text(lang, string(p), args...)
}

// say returns sentence m in the session's language. Tool answers are
// written for the model, in English; how a call was answered is read from
// the journal (Session.Outcome), never from their words.
func (st *state) say(m Phrase, args ...any) string { return m.In(st.meta.Lang, args...) }
