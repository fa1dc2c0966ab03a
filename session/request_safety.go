package session

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/kuberesponder/kuberesponder/kube/redact"
	"github.com/kuberesponder/kuberesponder/llm"
)

// The last model request is rebuilt from the journal, not stored in it. A
// request is a pure function of the events before it and of Options (which
// the product never sets), so the journal stays the single source of truth
// and holds no second copy of the conversation; a copy would also be one
// more place for a secret to sit. The price: a request is rebuilt with this
// binary's prompts, so a journal written by another version shows the
// messages that version's journal yields here.

// LastRequest returns the last model request of the session as it was
// sent (or is being sent), and false when the session has not asked the
// model yet.
func (s *Session) LastRequest() (llm.Request, bool) {
	req, ok, err := lastRequest(s.dir, s.opts, s.events)
	return req, ok && err == nil
}

// ReadLastRequest reads the journal in dir without opening it for writing
// and returns its last model request as LastRequest does; opts must be the
// options the session ran with (the product always runs with the zero
// Options).
func ReadLastRequest(dir string, opts Options) (llm.Request, error) {
	id := filepath.Base(dir)
	data, err := readLocal(dir, JournalFile)
	if err != nil {
		return llm.Request{}, fmt.Errorf("read session %s: %w", id, err)
	}
	res, err := readJournal(bytes.NewReader(data))
	if err != nil {
		return llm.Request{}, fmt.Errorf("read session %s: %w", id, err)
	}
	if len(res.problems) > 0 {
		return llm.Request{}, fmt.Errorf("session %s was altered or damaged (%s), so its requests cannot be rebuilt; `kuberesponder sessions verify %s` says more", id, res.problems[0], id)
	}
	req, ok, err := lastRequest(dir, opts.withDefaults(), res.events)
	if err != nil {
		return llm.Request{}, fmt.Errorf("rebuild the last request of session %s: %w", id, err)
	}
	if !ok {
		return llm.Request{}, fmt.Errorf("session %s has not asked the model anything yet", id)
	}
	return req, nil
}

// lastRequest rebuilds the last request over events: the one the session
// asks for now when it is waiting for the model, else the one answered by
// the last model outcome (a reply, an error or a cancellation), built from
// the events before that outcome.
func lastRequest(dir string, opts Options, events []Event) (llm.Request, bool, error) {
	t, err := replay(dir, opts, events)
	if err != nil {
		return llm.Request{}, false, err
	}
	if next := t.Next(); next.Kind == StepModel {
		return next.Request, true, nil
	}
	k := -1
	for i, e := range events {
		if modelOutcome(e) {
			k = i
		}
	}
	if k < 0 {
		return llm.Request{}, false, nil
	}
	if t, err = replay(dir, opts, events[:k]); err != nil {
		return llm.Request{}, false, err
	}
	return t.request(), true, nil
}

// modelOutcome reports whether e answers a model request of the session.
// The first response's model text is written by triage, not by a request
// the session built.
func modelOutcome(e Event) bool {
	switch e.Kind {
	case KindAssistant:
		return e.Phase != PhaseTriage
	case KindError:
		return true
	case KindNote:
		return e.Status == noteCancelled
	}
	return false
}

// replay builds a session that holds events and writes nothing.
func replay(dir string, opts Options, events []Event) (*Session, error) {
	t := newSession(dir, opts)
	for _, e := range events {
		if err := t.st.apply(e); err != nil {
			return nil, fmt.Errorf("replay event %d: %w", e.Seq, err)
		}
		t.events = append(t.events, e)
	}
	return t, nil
}

// FormatRequest renders a model request for a reader: every message in
// order with its role, the tool calls it makes or the call it answers,
// then the tool definitions. Control characters are shown as \u escapes
// (redact.Visible), so the text is exact and safe to print.
func FormatRequest(req llm.Request) string {
	var b strings.Builder
	for i, m := range req.Messages {
		head := fmt.Sprintf("── %d · %s", i+1, m.Role)
		if m.ToolCallID != "" {
			head += " · answers " + m.ToolCallID
		}
		b.WriteString(redact.Visible(head) + " ──\n")
		if c := strings.TrimRight(m.Content, "\n"); c != "" {
			b.WriteString(redact.Visible(c) + "\n")
		}
		for _, tc := range m.ToolCalls {
			b.WriteString(redact.Visible(fmt.Sprintf("→ tool call %s: %s %s", tc.ID, tc.Name, tc.Arguments)) + "\n")
		}
		b.WriteByte('\n')
	}
	for _, t := range req.Tools {
		b.WriteString(redact.Visible("── tool definition · "+t.Name) + " ──\n")
		b.WriteString(redact.Visible(strings.TrimSpace(t.Description)) + "\n")
		b.WriteString(redact.Visible(string(t.Parameters)) + "\n")
	}
	return b.String()
}
