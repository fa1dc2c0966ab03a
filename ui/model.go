package ui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/help"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/glamour"

	"github.com/kuberesponder/kuberesponder/session"
)

// Reporter writes the first response (triage report) of a session that has none yet.
type Reporter interface {
	FirstResponse(ctx context.Context) (session.FirstResponse, error)
}

// ReporterFunc adapts a function to Reporter.
type ReporterFunc func(ctx context.Context) (session.FirstResponse, error)

// FirstResponse calls f.
func (f ReporterFunc) FirstResponse(ctx context.Context) (session.FirstResponse, error) {
	return f(ctx)
}

// Exporter writes the postmortem of the session and returns the file's path.
type Exporter interface {
	Export(ctx context.Context) (path string, err error)
}

// ExporterFunc adapts a function to Exporter.
type ExporterFunc func(ctx context.Context) (string, error)

// Export calls f.
func (f ExporterFunc) Export(ctx context.Context) (string, error) { return f(ctx) }

// Config is what the incident screen needs. Session, Client and Runner are
// required; the rest is optional.
type Config struct {
	// Session is the incident; the screen derives everything it shows from its journal.
	Session *session.Session
	// Client is the model, or the offline responder.
	Client session.Completer
	// Runner runs approved actions.
	Runner session.Runner
	// Report writes the first response when the session has no report yet;
	// nil means the session starts without one.
	Report Reporter
	// Export writes the postmortem for ctrl+e; nil means export is not available.
	Export Exporter
	// Styles are the colours, chosen before the program starts; the zero
	// value means DetectStyles(Out, os.Getenv).
	Styles Styles
	// In and Out are the terminal; nil means os.Stdin and os.Stdout.
	In  io.Reader
	Out io.Writer
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// focusArea is where typed keys go.
type focusArea int

const (
	focusInput focusArea = iota
	focusTranscript
)

// String names the focus.
func (f focusArea) String() string {
	if f == focusInput {
		return "input"
	}
	return "transcript"
}

// Model is the root model of the incident screen.
type Model struct {
	ctx   context.Context
	cfg   Config
	s     *session.Session
	eng   *session.Engine // calls the model and runs actions for s
	st    Styles
	keys  keyMap
	now   func() time.Time
	ticks bool // schedule clock and spinner ticks (off in tests)

	width, height int
	focus         focusArea
	input         lineInput
	help          help.Model
	showHelp      bool

	// events is the journal as last read from the session; tr is derived from it.
	events []session.Event
	tr     transcript
	md     *glamour.TermRenderer // markdown renderer for mdWidth
	mdW    int

	step session.Step
	// The components, nil while closed; key routes keys to the one that
	// has the focus.
	card    *card
	search  *search
	pager   *pager
	allowed *allowedList

	act     *activity // the running report, model call or action
	export  *activity // the running export
	lastID  int
	frame   int  // spinner frame
	top     int  // the anchor: first item on screen ...
	topLine int  // ... and its first line shown
	follow  bool // keep the bottom of the transcript on screen

	quitAt   time.Time // when ctrl+c was first pressed
	flash    string    // a one-line message under the transcript
	flashErr bool
	flashAt  time.Time
}

// Run shows the incident screen until the operator quits or ctx ends. It
// returns nil on a normal quit.
func Run(ctx context.Context, cfg Config) error {
	if cfg.Session == nil || cfg.Client == nil || cfg.Runner == nil {
		return errors.New("the incident screen needs a session, a model client and a runner")
	}
	if cfg.In == nil {
		cfg.In = os.Stdin
	}
	if cfg.Out == nil {
		cfg.Out = os.Stdout
	}
	if cfg.Styles.r == nil {
		cfg.Styles = DetectStyles(cfg.Out, os.Getenv)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	m := New(ctx, cfg)
	p := tea.NewProgram(m, tea.WithContext(ctx), tea.WithInput(cfg.In), tea.WithOutput(cfg.Out), tea.WithAltScreen())
	_, err := p.Run()
	if errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
		return nil
	}
	if err != nil {
		return fmt.Errorf("the incident screen stopped: %w", err)
	}
	return nil
}

// New returns the root model for cfg; Run uses it, tests drive it directly.
// Every blocking call the model starts is cancelled when ctx ends.
func New(ctx context.Context, cfg Config) *Model {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Styles.r == nil {
		cfg.Styles = PlainStyles(io.Discard)
	}
	m := &Model{
		ctx:    ctx,
		cfg:    cfg,
		s:      cfg.Session,
		eng:    session.NewEngine(cfg.Session, cfg.Client, cfg.Runner),
		st:     cfg.Styles,
		keys:   newKeyMap(),
		now:    cfg.Now,
		ticks:  true,
		width:  80,
		height: 24,
		follow: true,
	}
	m.input = newLineInput(m.st, "› ", "")
	m.input.Focus()
	m.help = help.New()
	m.help.Styles.ShortKey = m.st.Key
	m.help.Styles.ShortDesc = m.st.KeyDesc
	m.help.Styles.ShortSeparator = m.st.Dim
	m.help.Styles.FullKey = m.st.Key
	m.help.Styles.FullDesc = m.st.KeyDesc
	m.help.Styles.FullSeparator = m.st.Dim
	m.help.Styles.Ellipsis = m.st.Dim
	m.sync()
	return m
}

// Init starts the first response, or picks the session up where it stopped.
func (m *Model) Init() tea.Cmd {
	cmds := []tea.Cmd{m.tick()}
	if !m.tr.hasReport && m.cfg.Report != nil {
		cmds = append(cmds, m.startReport())
	} else {
		cmds = append(cmds, m.apply(m.s.Next(), nil))
	}
	if r := m.s.Recovered(); r != "" {
		m.setFlash(r, true)
	}
	return tea.Batch(cmds...)
}

// sync reads the journal and derives what is new in the transcript.
func (m *Model) sync() {
	m.events = m.s.Events()
	m.tr.add(m.events)
}

// setFlash shows msg on the status line until the next one.
func (m *Model) setFlash(msg string, isErr bool) {
	m.flash, m.flashErr, m.flashAt = oneLine(msg), isErr, m.now()
}

// oneLine joins the lines of s with spaces and cleans it for the terminal.
func oneLine(s string) string {
	return strings.Join(strings.Fields(clean(s)), " ")
}
