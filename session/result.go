package session

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/kuberesponder/kuberesponder/kube"
	"github.com/kuberesponder/kuberesponder/kube/redact"
)

// Execution is what running a step's action produced, redacted, with its
// full output staged on disk by Engine.Execute; hand it to Executed.
type Execution struct {
	callID  string
	text    string // the full output while it is not staged
	staged  string // the staged file, relative to the session directory
	sum     string // the output's sha256
	summary string // the runner's one line, "" when none
	lines   string // the output's size in lines
	view    string // what the model is shown of the output
	failure string // why the run failed, "" when it did not
	err     error  // the output could not be staged
}

// executionOf redacts what a run produced. It reads nothing of the
// session, so it runs on whichever goroutine ran the action.
func executionOf(red redactor, callID string, r kube.Result, runErr error) Execution {
	o := Execution{callID: callID, text: scrub(red, r.Output), summary: scrub(red, oneLine(r.Summary)), view: scrub(red, r.ModelView)}
	if o.view == "" {
		o.view = headLines(o.text, fallbackViewLines)
	}
	o.lines = lineCount(o.text)
	if runErr != nil {
		o.failure = scrub(red, oneLine(runErr.Error()))
	}
	return o
}

// stage writes the full output to a new file (0600) of the output
// directory of the session directory dir and fsyncs it; Executed gives it
// its name once the result event's number is known.
func (o *Execution) stage(dir string) {
	f, err := os.CreateTemp(filepath.Join(dir, outDir), stagedPattern)
	if err != nil {
		o.err = fmt.Errorf("create output file: %w", err)
		return
	}
	if _, err = f.WriteString(o.text); err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(f.Name())
		o.err = fmt.Errorf("write output file: %w", err)
		return
	}
	o.staged = filepath.ToSlash(filepath.Join(outDir, filepath.Base(f.Name())))
	o.sum = sha256Hex(o.text)
	o.text = ""
}

// discard removes the staged output of an execution that is not journaled.
func (o *Execution) discard(dir string) {
	if o.staged == "" {
		return
	}
	if path, err := localPath(dir, o.staged); err == nil {
		_ = os.Remove(path)
	}
	o.staged = ""
}

// store puts the full output of o where the result event about to be
// appended names it, and returns that name and the output's sha256. A
// staged output is linked to its name, never written through what is
// there: a name that is taken already is an error.
func (s *Session) store(o *Execution) (string, string, error) {
	if o.staged == "" {
		return s.j.writeOutput(o.text)
	}
	defer o.discard(s.dir)
	name := outputName(s.j.seq + 1)
	from, err := localPath(s.dir, o.staged)
	if err != nil {
		return "", "", fmt.Errorf("create output file: %w", err)
	}
	to, err := localPath(s.dir, name)
	if err != nil {
		return "", "", fmt.Errorf("create output file: %w", err)
	}
	if err := os.Link(from, to); err != nil {
		return "", "", fmt.Errorf("create output file: %w", err)
	}
	return name, o.sum, nil
}

// ActionDone journals what running the call's action produced: the full
// output goes to a file next to the journal, the model is shown ModelView.
// A run that finishes after the operator interjected is journaled as a note.
// It is Engine.Execute and Executed in one, for callers that run the action
// themselves.
func (s *Session) ActionDone(callID string, r kube.Result, runErr error) (Step, error) {
	c, err := s.ran(callID)
	if err != nil {
		return s.Next(), err
	}
	return s.executed(c, executionOf(s.red, callID, r, runErr))
}

// Executed journals the Execution of Engine.Execute as ActionDone does;
// the output was written and fsynced by Execute, so here it only gets its
// name (a hard link) before the result event is appended.
func (s *Session) Executed(o Execution) (Step, error) {
	c, err := s.ran(o.callID)
	if err != nil {
		o.discard(s.dir)
		return s.Next(), err
	}
	return s.executed(c, o)
}

// ran returns the call whose run finished: one approved and unanswered, or
// one answered as interjected while it ran (a late run).
func (s *Session) ran(callID string) (*call, error) {
	c, ok := s.st.calls[callID]
	switch {
	case !ok:
		return nil, fmt.Errorf("there is no proposal %q", callID)
	case s.late(c):
		return c, nil
	case c.result != nil:
		return nil, fmt.Errorf("proposal %q was already answered (%s)", callID, c.result.Status)
	case c.decision != Approved && c.decision != Always && c.decision != Auto && c.decision != Edited:
		return nil, fmt.Errorf("proposal %q was not approved", callID)
	}
	return c, nil
}

// late reports whether a run of c that finishes now is late: the operator
// interjected while it ran, and no late output was journaled yet.
func (s *Session) late(c *call) bool {
	return c.result != nil && c.result.Status == Interrupted && c.decision != Interjected && !c.late
}

// executed journals the execution o of c's run.
func (s *Session) executed(c *call, o Execution) (Step, error) {
	cmd := c.run().String()
	if o.err != nil {
		return s.Next(), fmt.Errorf("record the output of %s: %w", cmd, o.err)
	}
	name, sum, err := s.store(&o)
	if err != nil {
		return s.Next(), fmt.Errorf("record the output of %s: %w", cmd, err)
	}
	if s.late(c) {
		if err := s.record(Event{Kind: KindNote, Status: noteLate, CallID: c.id, Command: cmd,
			Output: name, OutputSHA: sum, Summary: o.summary,
			Text: s.st.say(msgLate)}); err != nil {
			return s.Next(), fmt.Errorf("record the output of %s: %w", cmd, err)
		}
		return s.Next(), nil
	}
	e := Event{Status: Ran, Command: cmd, Output: name, OutputSHA: sum, Summary: o.summary}
	view := o.view
	if o.failure != "" {
		e.Status = Failed
		e.Reason = o.failure
		if e.Summary == "" {
			e.Summary = DefaultSummary(Failed, o.failure)
		}
		view = strings.TrimSpace("The command failed: " + o.failure + "\n" + view)
	} else if e.Summary == "" {
		e.Summary = o.lines
	}
	header := fmt.Sprintf("$ %s (ran at %s)", cmd, s.opts.Now().Format("15:04:05"))
	if c.edited != nil {
		header = fmt.Sprintf("The operator edited the command to: %s (ran at %s)", cmd, s.opts.Now().Format("15:04:05"))
	}
	e.ModelView = header + "\n" + view
	if err := s.answer(c, e); err != nil {
		return s.Next(), fmt.Errorf("record the result of %s: %w", cmd, err)
	}
	return s.advance()
}

// sha256Hex returns the hex sha256 of text.
func sha256Hex(text string) string {
	sum := sha256.Sum256([]byte(text))
	return hex.EncodeToString(sum[:])
}

// scrub makes text that is about to be journaled safe to print and removes
// secret values from it with red. Escape sequences are removed and lone
// control characters shown escaped (redact.Terminal) first: a sequence
// planted inside a token would otherwise hide it from the redactor. red is
// safe for concurrent use, so scrub runs on any goroutine.
func scrub(red redactor, text string) string {
	out, _ := red.Redact(redact.Terminal(text))
	return out
}
