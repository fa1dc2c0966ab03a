// Package ui is the full-screen incident session: the terminal screen where
// the operator reads the first-response report, follows the assistant and
// approves, denies or edits each proposed kubectl command.
//
// It is the only package that imports bubbletea, bubbles, lipgloss and
// glamour, and of the product it imports only session: the session decides
// what a card offers (session.Card) and its Engine calls the model and runs
// actions; the screen renders and wraps those calls in tea.Cmds. One root
// Model handles every message; the blocking work (the first response, model
// calls, actions with the writing of their output, the postmortem export)
// runs in tea.Cmds and comes back as messages, which the session journals
// before the screen shows them. Streamed model text travels through a
// channel that a command reads one delta at a time; nothing calls
// Program.Send.
//
// The transcript is derived from the session's journal (session.Events);
// the screen keeps indexes into it and renderings per entry and width, never
// a second copy of the conversation. Only the lines on screen are assembled
// per frame.
//
// # Entry point
//
//	func Run(ctx context.Context, cfg Config) error
//
// Config carries the session, the model (a session.Completer: the model's
// client or the offline responder), the runner (a session.Runner: kube's
// executor or a snapshot's), an optional Reporter that writes
// the first response when the session has none, an optional Exporter for
// ctrl+e, the Styles chosen before the program starts (DetectStyles reads
// NO_COLOR and the terminal background once), the terminal's In/Out and the
// clock. New builds the same Model for tests.
//
// # Keys
//
// In the transcript: j/k, pgup/pgdn, g/G scroll; / searches; o opens the
// output of the last action on screen; c copies a command (OSC 52); L lists
// the commands that are always allowed (x revokes the selected one; the
// revocation is journaled). On an approval card: y runs once, a always allows
// this exact read-only command for the session (never a Secret: sensitive
// cards offer y only), n denies with an optional reason, e edits (the line is
// parsed and classified again). The card names the pinned context and, for
// namespaced actions only, the namespace; cluster-scoped ones (nodes,
// namespaces, persistent volumes, …) say "cluster-scoped". A card warns when
// the cluster text the model read reads like an instruction to it. tab moves the
// focus between the input box and the transcript; keys typed in the input
// box never decide a card, and a newly shown card ignores keys for 300 ms.
// esc cancels the running model call or action; ctrl+e exports the
// postmortem; ctrl+c twice quits (the journal is already on disk); ? shows
// every key.
//
// In the input box, enter sends the text to the assistant (answering a
// pending card as interjected), or with nothing typed starts the
// investigation after the report; :allowed lists what is always allowed,
// :retry asks the model again after an error, :resolve <root cause> closes
// the incident.
//
// The notes the screen journals (a failed or cancelled first response, a
// failed export) follow the session's language (Meta.Lang, en or ja), like
// the notes the session journals itself; the screen's own labels are English.
//
// Everything from the cluster or the model is cleaned of escape sequences and
// control characters again at render time. Colours come from one Styles
// value picked before the program starts (NO_COLOR gives the ASCII profile);
// markdown is rendered by glamour with a fixed style: dark or light, or
// under the ASCII profile a plain one that prints no emphasis markers
// ("**bold**" reads "bold"). Glamour wraps the markdown once, to the
// transcript's width including its margin; hyphens and dots inside words are
// kept from its wrap points, so "nginx-with-10gi" and "6.3Gi" never split.
package ui
