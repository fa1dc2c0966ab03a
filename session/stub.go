package session

import (
	"context"
	"errors"
	"time"

	"github.com/kuberesponder/kuberesponder/kube"
	"github.com/kuberesponder/kuberesponder/llm"
)

var errNotYet = errors.New("sessions are not available in this build yet")

// Session is one incident: its journal and the state derived from it.
type Session struct{}

// Runner runs an approved action.
type Runner interface {
	Run(ctx context.Context, a kube.Action) (kube.Result, error)
}

// Answer is how Drive's decide function answers an approval step.
type Answer struct {
	Decision Decision // Approved, Always, Denied, Edited or Interjected
	Text     string   // deny reason, edited line, or the operator's message
}

// NewID returns a new session id.
func NewID(now time.Time) string { return now.UTC().Format("20060102-150405") }

// StateDir returns the directory holding all sessions.
func StateDir() (string, error)                                 { return "", errNotYet }
func New(dir string, meta Meta, opts Options) (*Session, error) { return nil, errNotYet }
func Open(dir string, opts Options) (*Session, error)           { return nil, errNotYet }
func List(root string) ([]Summary, error)                       { return nil, errNotYet }
func FindDir(root, idOrLast string) (string, error)             { return "", errNotYet }
func Verify(dir string) (VerifyReport, error)                   { return VerifyReport{}, errNotYet }
func ToolSpec(lang string) (llm.ToolSpec, error)                { return llm.ToolSpec{}, errNotYet }
func Drive(ctx context.Context, s *Session, c llm.Client, r Runner, decide func(Step) Answer) error {
	return errNotYet
}

func (s *Session) Meta() Meta                                       { return Meta{} }
func (s *Session) Dir() string                                      { return "" }
func (s *Session) Events() []Event                                  { return nil }
func (s *Session) Phase() Phase                                     { return PhaseTriage }
func (s *Session) Recovered() string                                { return "" }
func (s *Session) Next() Step                                       { return Step{} }
func (s *Session) Report(r FirstResponse) error                     { return errNotYet }
func (s *Session) Investigate() (Step, error)                       { return Step{}, errNotYet }
func (s *Session) Operator(text string) (Step, error)               { return Step{}, errNotYet }
func (s *Session) Approve(callID string, always bool) (Step, error) { return Step{}, errNotYet }
func (s *Session) Deny(callID, reason string) (Step, error)         { return Step{}, errNotYet }
func (s *Session) Edit(callID, line string) (Step, error)           { return Step{}, errNotYet }
func (s *Session) ModelReplied(r llm.Reply) (Step, error)           { return Step{}, errNotYet }
func (s *Session) ModelFailed(err error) (Step, error)              { return Step{}, errNotYet }
func (s *Session) Retry() (Step, error)                             { return Step{}, errNotYet }
func (s *Session) ActionDone(callID string, r kube.Result, err error) (Step, error) {
	return Step{}, errNotYet
}
func (s *Session) Note(text string) error    { return errNotYet }
func (s *Session) Resolve(text string) error { return errNotYet }
func (s *Session) OutputPath(e Event) string { return "" }
func (s *Session) Close() error              { return nil }
