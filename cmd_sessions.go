package main

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/kuberesponder/kuberesponder/kube/redact"
	"github.com/kuberesponder/kuberesponder/llm"
	"github.com/kuberesponder/kuberesponder/session"
)

func newSessionsCmd(o *rootOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sessions",
		Short: "List saved sessions",
		Long: `List the saved incident sessions, newest first: id, context, start time,
phase and title. Sessions live in $XDG_STATE_HOME/kuberesponder/sessions
(~/.local/state/kuberesponder/sessions when XDG_STATE_HOME is not set).
Resume one with: kuberesponder --resume <id|last>`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			root, err := session.StateDir()
			if err != nil {
				return err
			}
			list, err := session.List(root)
			if err != nil {
				return err
			}
			return printSessions(cmd.OutOrStdout(), root, list)
		},
	}
	cmd.AddCommand(newVerifyCmd(o), newShowRequestCmd(o))
	return cmd
}

// newShowRequestCmd prints the last model request of a session, as sent.
func newShowRequestCmd(*rootOptions) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "show-request <id|last>",
		Short: "Show the exact messages of a session's last model request",
		Long: `Show the exact messages of the last request a session sent to the model (or
is sending now): the system prompt, the operator's messages, the model's
replies and tool calls, and every tool answer as the model read it, then the
tool definition. Check for yourself what left the machine.

The request is rebuilt from the journal, which holds everything a request is
made of; the journal is not changed. Control characters are shown as \u
escapes. --format json prints the request as JSON.`,
		Example: "  kuberesponder sessions show-request last\n" +
			"  kuberesponder sessions show-request 20250102-150405 --format json",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "text" && format != "json" {
				return fmt.Errorf("unknown format %q: use text or json", format)
			}
			dir, err := savedSessionDir(args[0])
			if err != nil {
				return err
			}
			req, err := session.ReadLastRequest(dir, session.Options{})
			if err != nil {
				return err
			}
			return printRequest(cmd.OutOrStdout(), filepath.Base(dir), req, format)
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "text or json")
	return cmd
}

// savedSessionDir returns the directory of the saved session ref names: an
// id or "last".
func savedSessionDir(ref string) (string, error) {
	root, err := session.StateDir()
	if err != nil {
		return "", err
	}
	return session.FindDir(root, ref)
}

// printRequest writes req for a reader (text) or a program (json); either
// way no control character reaches the terminal.
func printRequest(w io.Writer, id string, req llm.Request, format string) error {
	if format == "json" {
		b, err := json.MarshalIndent(req, "", "  ")
		if err != nil {
			return fmt.Errorf("encode the request: %w", err)
		}
		_, err = fmt.Fprintln(w, redact.Visible(string(b)))
		return err
	}
	where := "sent to " + req.Model
	if req.Model == "offline" {
		where = "answered by the offline responder; nothing left this machine"
	}
	var tools []string
	for _, t := range req.Tools {
		tools = append(tools, t.Name)
	}
	head := fmt.Sprintf("Last model request of session %s (%s): %d messages; tools offered: %s.\n\n",
		id, where, len(req.Messages), orDash(strings.Join(tools, ", ")))
	if _, err := io.WriteString(w, redact.Visible(head)); err != nil {
		return err
	}
	_, err := io.WriteString(w, session.FormatRequest(req))
	return err
}

// newVerifyCmd checks that a session's journal was not edited after it was
// written.
func newVerifyCmd(*rootOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "verify <id|last>",
		Short: "Prove a session's journal was not edited after it was written",
		Long: `Check the hash chain of a session's journal (every event carries the hash of
the one before it) and the sha256 of every saved command output. The exit
status is 0 when the record is intact and 1 otherwise.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir, err := savedSessionDir(args[0])
			if err != nil {
				return err
			}
			rep, err := session.Verify(dir)
			if err != nil {
				return err
			}
			return printVerify(cmd.OutOrStdout(), dir, rep)
		},
	}
}

func printSessions(w io.Writer, root string, list []session.Summary) error {
	if len(list) == 0 {
		_, err := fmt.Fprintf(w, "No saved sessions in %s.\n", root)
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tCONTEXT\tSTARTED\tPHASE\tTITLE")
	for _, s := range list {
		phase, title := string(s.Phase), s.Title
		if s.Err != "" {
			phase, title = "unreadable", s.Err
		}
		started := "-"
		if !s.Started.IsZero() {
			started = s.Started.Local().Format("2006-01-02 15:04")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", s.ID, orDash(s.Context), started, phase, orDash(clipTitle(title, 70)))
	}
	return tw.Flush()
}

func printVerify(w io.Writer, dir string, rep session.VerifyReport) error {
	id := dir[strings.LastIndexAny(dir, `/\`)+1:]
	if !rep.OK() {
		for _, p := range rep.Problems {
			fmt.Fprintf(w, "  %s\n", p)
		}
		return fmt.Errorf("session %s was altered or damaged: %s", id, rep.Problems[0])
	}
	short := rep.LastHash
	if len(short) > 16 {
		short = short[:16]
	}
	_, err := fmt.Fprintf(w, "Session %s is intact: %d events, %d outputs, last hash %s.\n", id, rep.Events, rep.Outputs, short)
	return err
}

func orDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "-"
	}
	return s
}

func clipTitle(s string, n int) string {
	r := []rune(strings.Join(strings.Fields(s), " "))
	if len(r) <= n {
		return string(r)
	}
	return string(r[:n-1]) + "…"
}
