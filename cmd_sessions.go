package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

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
	cmd.AddCommand(newVerifyCmd(o))
	return cmd
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
			root, err := session.StateDir()
			if err != nil {
				return err
			}
			dir, err := session.FindDir(root, args[0])
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
