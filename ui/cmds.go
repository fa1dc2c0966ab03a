package ui

import (
	"context"
	"fmt"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/kuberesponder/kuberesponder/session"
)

// activityKind is what a running activity does.
type activityKind int

const (
	actReport activityKind = iota
	actModel
	actRun
	actExport
)

// String names the activity kind.
func (k activityKind) String() string {
	switch k {
	case actReport:
		return "report"
	case actModel:
		return "model"
	case actRun:
		return "run"
	case actExport:
		return "export"
	}
	return "unknown"
}

// activity is one blocking call running in a command: the first response, a
// model call, an action or an export. Its messages carry its id, so messages
// of a superseded activity are recognised.
type activity struct {
	kind     activityKind
	id       int
	label    string
	callID   string
	started  time.Time
	cancel   context.CancelFunc
	canceled bool
	text     strings.Builder // model text streamed so far
	retry    *session.Retry
	retryAt  time.Time
}

// Messages of the commands.
type (
	reportMsg struct {
		id  int
		fr  session.FirstResponse
		err error
	}
	deltaMsg struct {
		id int
		d  session.Delta
		ch chan tea.Msg
	}
	replyMsg struct {
		id    int
		reply session.Reply
		err   error
	}
	resultMsg struct {
		id int
		ex session.Execution
	}
	exportMsg struct {
		path string
		err  error
	}
	tickMsg struct{}
)

// begin registers a new activity and returns it with its context.
func (m *Model) begin(kind activityKind, label string) (*activity, context.Context) {
	ctx, cancel := context.WithCancel(m.ctx)
	m.lastID++
	a := &activity{kind: kind, id: m.lastID, label: label, started: m.now(), cancel: cancel}
	return a, ctx
}

// startReport writes the first response in a command.
func (m *Model) startReport() tea.Cmd {
	a, ctx := m.begin(actReport, "gathering facts and writing the first response")
	m.act = a
	rep := m.cfg.Report
	return func() tea.Msg {
		fr, err := func() (fr session.FirstResponse, err error) {
			defer guard(&err)
			return rep.FirstResponse(ctx)
		}()
		return reportMsg{id: a.id, fr: fr, err: err}
	}
}

// startModel calls the model for step in a command. Streamed deltas travel
// through a channel that waitFor reads one message at a time, so nothing but
// commands ever talks to the program.
func (m *Model) startModel(step session.Step) tea.Cmd {
	if m.act != nil && m.act.kind == actModel {
		m.act.cancel() // superseded by a newer request
	}
	label := "asking " + m.s.Meta().Model
	if m.s.Meta().Model == "" || m.s.Meta().Model == "offline" {
		label = "offline responder"
	}
	a, ctx := m.begin(actModel, label)
	m.act = a
	eng := m.eng
	ch := make(chan tea.Msg, 64)
	call := func() tea.Msg {
		defer close(ch)
		reply, err := eng.Complete(ctx, step, func(d session.Delta) {
			select {
			case ch <- deltaMsg{id: a.id, d: d, ch: ch}:
			case <-ctx.Done():
			}
		})
		ch <- replyMsg{id: a.id, reply: reply, err: err}
		return nil
	}
	return tea.Batch(call, waitFor(ch))
}

// waitFor returns the next message of a model call.
func waitFor(ch chan tea.Msg) tea.Cmd {
	return func() tea.Msg {
		msg, ok := <-ch
		if !ok {
			return nil
		}
		return msg
	}
}

// startRun runs the approved action of step in a command. The engine
// writes the action's full output there too; the result is journaled when
// its message arrives.
func (m *Model) startRun(step session.Step) tea.Cmd {
	act, ctx := m.begin(actRun, "running "+step.Command)
	act.callID = step.CallID
	m.act = act
	eng := m.eng
	return func() tea.Msg {
		return resultMsg{id: act.id, ex: eng.Execute(ctx, step)}
	}
}

// startExport writes the postmortem in a command.
func (m *Model) startExport() tea.Cmd {
	if m.cfg.Export == nil {
		m.setFlash("Export is not available in this session.", true)
		return nil
	}
	if m.export != nil {
		m.setFlash("The postmortem is already being written.", false)
		return nil
	}
	a, ctx := m.begin(actExport, "writing the postmortem")
	m.export = a
	exp := m.cfg.Export
	return func() tea.Msg {
		path, err := func() (p string, err error) {
			defer guard(&err)
			return exp.Export(ctx)
		}()
		return exportMsg{path: path, err: err}
	}
}

// guard turns a panic in a blocking call into an error, so that a fault in
// a reporter or exporter ends that call and not the session (the engine
// does the same for the model and the runner).
func guard(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("internal error: %v", r)
	}
}

// tick schedules the next clock tick: fast while a spinner turns, once a
// second otherwise (the header shows the incident's elapsed time).
func (m *Model) tick() tea.Cmd {
	if !m.ticks {
		return nil
	}
	d := time.Second
	if m.act != nil || m.export != nil {
		d = 100 * time.Millisecond
	}
	return tea.Tick(d, func(time.Time) tea.Msg { return tickMsg{} })
}
