// Package ui is the full-screen incident session: the terminal screen where
// the operator reads the first-response report, follows the assistant and
// approves, denies or edits each proposed kubectl command.
//
// It is the only package that imports bubbletea, bubbles, lipgloss and
// glamour, and of the product it imports only session: the session decides
// what a card offers (session.Card) and its Engine calls the model and runs
// actions; the screen renders and wraps those calls in tea.Cmds.
//
// # Components
//
// The root Model owns the transcript, the input box and the activities,
// and routes each key to the component that has the focus: the approval
// card (card.go), the pager with its own search (pager.go), the transcript
// search (search.go), the always-allowed list (allowed.go) and the one-line
// text input (input.go). Each has its own Update, View and key map (a
// bubbles key.Binding per key; every key map satisfies help.KeyMap). The
// root key map (keys.go) holds the transcript's and the global keys and the
// components' maps, which each component gets when it opens; every text
// input carries its own editing keys. A component
// never calls the session: its Update returns a request (requests.go:
// approve, deny, edit, copy, revoke, find, flash, close) that the root
// handles in the same Update, so a card is answered before the next key
// arrives.
//
// # What runs where
//
// In tea.Cmds, off the UI goroutine, with their results coming back as
// messages: the first response (Reporter), every model call (Engine.Complete,
// streamed through a channel a command reads one delta at a time; nothing
// calls Program.Send), every action together with the writing and fsync of
// its full output of up to 2 MiB (Engine.Execute), the postmortem export
// (Exporter), reading an output for the pager and the OSC 52 copy.
//
// Synchronously in Update, on purpose: the journal append and fsync of
// every step the screen is about to show (the report, a decision, the
// operator's text, a model reply or failure, a result, a note, a
// revocation). The journal-before-screen rule: no step appears on screen
// before the journal holds it (only the model's text streams in live, and
// is journaled with its reply), so a crash or ctrl+c never leaves the
// operator having seen a step the session cannot replay. For a result that
// is one small event and a hard link to the output Engine.Execute already
// wrote; the output itself is never written in Update.
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
