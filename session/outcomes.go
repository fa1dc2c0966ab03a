package session

import "sync"

// Outcome is how a tool call was answered.
type Outcome struct {
	Status Status
	// Command is the canonical command line the answer is about: the one
	// that ran (the operator's line when they edited it), else the one
	// proposed.
	Command string
}

// answers holds how each tool call was answered, by call id. state.apply
// writes it as results are journaled; Session.Outcome reads it.
type answers struct {
	mu sync.Mutex
	by map[string]Outcome
}

func newAnswers() *answers { return &answers{by: map[string]Outcome{}} }

func (a *answers) put(callID string, o Outcome) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.by[callID] = o
}

func (a *answers) get(callID string) (Outcome, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	o, ok := a.by[callID]
	return o, ok
}

// Outcome returns how the tool call callID was answered; ok is false while
// the call is pending or when the session holds no such call. Unlike the
// rest of Session it is safe to call from any goroutine, so a responder
// answering a request beside the screen may ask while the screen records.
func (s *Session) Outcome(callID string) (Outcome, bool) { return s.st.answered.get(callID) }
