package session

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/kuberesponder/kuberesponder/kube"
	"github.com/kuberesponder/kuberesponder/kube/redact"
	"github.com/kuberesponder/kuberesponder/llm"
)

// Defaults of Options.
const (
	DefaultMaxSteps      = 8
	DefaultContextTokens = 32000
)

// Session is one incident: its journal and the state derived from it.
// It is not safe for concurrent use; call it from one goroutine.
type Session struct {
	dir       string
	opts      Options
	j         *journal
	events    []Event
	st        state
	recovered string
	red       redactor
	count     func(string) int
	prompts   *promptCache
}

// memoCount remembers token counts: the journal's texts never change, and
// every request counts them again.
func memoCount(count func(string) int) func(string) int {
	memo := map[string]int{}
	return func(text string) int {
		if n, ok := memo[text]; ok {
			return n
		}
		n := count(text)
		memo[text] = n
		return n
	}
}

// redactor removes secret values from text; it returns the redacted text
// and how many values it removed. It must be safe for concurrent use: an
// Engine redacts outputs on the goroutine that ran the action.
type redactor interface {
	Redact(text string) (string, int)
}

func (o Options) withDefaults() Options {
	if o.MaxSteps <= 0 {
		o.MaxSteps = DefaultMaxSteps
	}
	if o.ContextTokens <= 0 {
		o.ContextTokens = DefaultContextTokens
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

func newSession(dir string, opts Options) *Session {
	opts = opts.withDefaults()
	s := &Session{
		dir:     dir,
		opts:    opts,
		red:     newRedactor(),
		count:   memoCount(llm.CountTokens),
		prompts: &promptCache{},
	}
	s.st = newState(opts)
	return s
}

// New starts a session in dir, which must not hold a journal yet. It creates
// dir (0700) and journal.jsonl (0600) and journals the start event.
func New(dir string, meta Meta, opts Options) (*Session, error) {
	if meta.ID == "" {
		meta.ID = filepath.Base(dir)
	}
	if meta.Lang == "" {
		meta.Lang = "en"
	}
	j, err := createJournal(dir)
	if err != nil {
		return nil, fmt.Errorf("start session %s: %w", meta.ID, err)
	}
	s := newSession(dir, opts)
	s.j = j
	m := s.cleanMeta(meta)
	if err := s.record(Event{Kind: KindStart, Meta: &m, Phase: PhaseTriage}); err != nil {
		_ = j.close()
		return nil, fmt.Errorf("start session %s: %w", meta.ID, err)
	}
	return s, nil
}

// Open resumes the session in dir by replaying its journal. A partial last
// line left by a killed process is cut off and reported by Recovered.
func Open(dir string, opts Options) (*Session, error) {
	j, events, torn, err := openJournal(dir)
	if err != nil {
		return nil, fmt.Errorf("resume session %s: %w", filepath.Base(dir), err)
	}
	s := newSession(dir, opts)
	s.j = j
	for _, e := range events {
		if err := s.st.apply(e); err != nil {
			_ = j.close()
			return nil, fmt.Errorf("resume session %s: replay event %d: %w", filepath.Base(dir), e.Seq, err)
		}
		s.events = append(s.events, e)
	}
	if torn > 0 {
		s.recovered = s.st.say(msgRecovered, torn)
		if err := s.record(Event{Kind: KindNote, Status: noteRecovered, Text: s.recovered}); err != nil {
			_ = j.close()
			return nil, fmt.Errorf("resume session %s: %w", filepath.Base(dir), err)
		}
	}
	return s, nil
}

// record stamps, journals (fsynced) and applies one event.
func (s *Session) record(e Event) error {
	if s.j == nil || s.j.f == nil {
		return errors.New("the session is closed")
	}
	if e.Time.IsZero() {
		e.Time = s.opts.Now()
	}
	if err := s.j.append(&e); err != nil {
		return err
	}
	s.events = append(s.events, e)
	if err := s.st.apply(e); err != nil {
		return fmt.Errorf("apply event %d: %w", e.Seq, err)
	}
	return nil
}

// redact makes text that is about to be journaled safe to print and
// removes secret values from it (see scrub).
func (s *Session) redact(text string) string { return scrub(s.red, text) }

// redactJSON is redact for a JSON document: control characters are
// removed (redact.Strip) rather than shown escaped, so the document stays
// valid.
func (s *Session) redactJSON(doc string) string {
	out, _ := s.red.Redact(redact.Strip(doc))
	return out
}

// cleanMeta redacts the start event's description: a server URL may carry
// user:password or a token, and every name is shown on screen. The id is
// the directory's name and is kept as it is.
func (s *Session) cleanMeta(m Meta) Meta {
	for _, f := range []*string{&m.Context, &m.Cluster, &m.Server, &m.User, &m.Namespace, &m.Model, &m.Lang, &m.Snapshot} {
		*f = s.redact(*f)
	}
	return m
}

// Meta returns the session's fixed description.
func (s *Session) Meta() Meta { return s.st.meta }

// Dir returns the session directory.
func (s *Session) Dir() string { return s.dir }

// Events returns a copy of the journal.
func (s *Session) Events() []Event { return append([]Event(nil), s.events...) }

// Phase returns the current phase.
func (s *Session) Phase() Phase { return s.st.phase }

// Recovered returns a sentence when Open dropped a torn last line, else "".
func (s *Session) Recovered() string { return s.recovered }

// OutputPath returns the absolute path of a result's full output, "" when
// the event has none or names a file outside the session directory. Open
// it with OpenOutput.
func (s *Session) OutputPath(e Event) string {
	if e.Output == "" {
		return ""
	}
	path, err := localPath(s.dir, e.Output)
	if err != nil {
		return ""
	}
	return path
}

// Close closes the journal. The session cannot record anything afterwards.
func (s *Session) Close() error {
	if s.j == nil {
		return nil
	}
	if err := s.j.close(); err != nil {
		return fmt.Errorf("close journal: %w", err)
	}
	return nil
}

// Report journals the first response. It may be called once, in triage.
func (s *Session) Report(r FirstResponse) error {
	if s.st.report >= 0 {
		return errors.New("the first response is already recorded")
	}
	title := strings.TrimSpace(r.Title)
	if title == "" {
		title = titleOf(r.Findings)
	}
	e := Event{Kind: KindReport, Text: s.redact(r.Markdown), Title: s.redact(oneLine(title)), Phase: PhaseTriage}
	if len(r.Findings) > 0 {
		if _, err := compactJSON(r.Findings); err != nil {
			return fmt.Errorf("record the first response: findings are not JSON: %w", err)
		}
		js, err := compactJSON([]byte(s.redactJSON(string(r.Findings))))
		if err != nil {
			// Redaction cut through the JSON; keep the redacted text as a string.
			js, _ = json.Marshal(s.redactJSON(string(r.Findings)))
		}
		e.Findings = js
	}
	if err := s.record(e); err != nil {
		return fmt.Errorf("record the first response: %w", err)
	}
	if text := strings.TrimSpace(r.ModelText); text != "" {
		if err := s.record(Event{Kind: KindAssistant, Text: s.redact(text), Usage: r.Usage, Phase: PhaseTriage}); err != nil {
			return fmt.Errorf("record the first answer: %w", err)
		}
	}
	return nil
}

// Note journals a remark of the operator that is not sent to the model.
func (s *Session) Note(text string) error {
	text = strings.TrimSpace(text)
	if text == "" {
		return errors.New("the note is empty")
	}
	if err := s.record(Event{Kind: KindNote, Text: s.redact(text)}); err != nil {
		return fmt.Errorf("record note: %w", err)
	}
	return nil
}

// Say returns sentence p in the session's language (Meta.Lang), with args
// filled in, for a front door to show or journal as a note.
func (s *Session) Say(p Phrase, args ...any) string { return s.st.say(p, args...) }

// AlwaysAllowed returns the canonical commands (as kube.Action.String()
// prints them) that run without asking, in the order they were allowed. It is
// derived from the journal, so a resumed session has the same set.
func (s *Session) AlwaysAllowed() []string { return slices.Clone(s.st.allowed) }

// Revoke stops an always-allowed command from running without asking; the
// next proposal of it asks again. The command may be given in any form
// kube.Parse accepts. The revocation is journaled as a note.
func (s *Session) Revoke(command string) error {
	cmd := strings.TrimSpace(command)
	if !s.st.always[cmd] {
		if a, err := kube.Parse(cmd); err == nil {
			cmd = a.String()
		}
	}
	if !s.st.always[cmd] {
		return fmt.Errorf("%s is not always allowed in this session", commandOrEmpty(command))
	}
	if err := s.record(Event{Kind: KindNote, Status: noteRevoked, Command: cmd,
		Text: s.st.say(msgRevoked, cmd)}); err != nil {
		return fmt.Errorf("revoke %s: %w", cmd, err)
	}
	return nil
}

// commandOrEmpty names a command line for an error sentence.
func commandOrEmpty(c string) string {
	c = oneLine(c)
	if c == "" {
		return "an empty command"
	}
	if !strings.HasPrefix(c, "kubectl ") {
		c = "kubectl " + c
	}
	return c
}

// Resolve moves the incident to resolved with the root-cause statement.
// Proposals still waiting are answered as denied.
func (s *Session) Resolve(text string) error {
	text = strings.TrimSpace(text)
	if text == "" {
		return errors.New("say what the root cause was to resolve the incident")
	}
	for _, c := range s.st.pendingCalls() {
		if err := s.answer(c, Event{Status: DeniedCall, Reason: "the operator resolved the incident",
			ModelView: "Not run: the operator marked the incident resolved."}); err != nil {
			return fmt.Errorf("resolve: %w", err)
		}
	}
	if err := s.record(Event{Kind: KindPhase, Phase: PhaseResolved, Text: s.redact(text)}); err != nil {
		return fmt.Errorf("resolve: %w", err)
	}
	return nil
}

// newRedactor returns the redactor every journaled text passes through.
func newRedactor() redactor { return redact.New() }
