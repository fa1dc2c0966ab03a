package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/kuberesponder/kuberesponder/kube/redact"
	"github.com/kuberesponder/kuberesponder/llm"
	"github.com/kuberesponder/kuberesponder/session"
	"github.com/kuberesponder/kuberesponder/session/postmortem"
)

// exportTimeout bounds the whole export, the model's draft included.
const exportTimeout = 5 * time.Minute

func newExportCmd(o *rootOptions) *cobra.Command {
	var out, format string
	cmd := &cobra.Command{
		Use:   "export <id|last>",
		Short: "Export a session as a blameless postmortem",
		Long: "Export a session as a blameless postmortem in Markdown or JSON.\n\n" +
			"The timeline, the commands and their outputs come from the journal. The summary,\n" +
			"root-cause analysis, action items and lessons are drafted by the model when one is\n" +
			"configured, and by rules with --offline or without an API key; the export says which.\n" +
			"Without -o the postmortem is printed to standard output.",
		Example: "  kuberesponder export last\n" +
			"  kuberesponder export last -o postmortem.md\n" +
			"  kuberesponder export 20250102-150405 --format json --offline",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := postmortem.ParseFormat(format)
			if err != nil {
				return err
			}
			root, err := session.StateDir()
			if err != nil {
				return fmt.Errorf("find the sessions directory: %w", err)
			}
			dir, err := session.FindDir(root, args[0])
			if err != nil {
				return err
			}
			src, err := postmortem.ReadDir(dir)
			if err != nil {
				return err
			}
			// Every field is stripped of control sequences before it is
			// redacted, and the document once more when it is written:
			// nothing in a journal, an output file or the model's draft
			// may act on the terminal it is printed to.
			x := postmortem.Exporter{Format: f, Redactor: redact.StripRedactor{R: redact.New()}}
			if cmd.Flags().Changed("lang") {
				if o.lang != "en" && o.lang != "ja" {
					return fmt.Errorf("unknown language %q: use en or ja", o.lang)
				}
				x.Lang = o.lang
			}
			client, note := exportModel(o)
			if client != nil {
				x.Model, x.ModelName = client, o.model
			} else if note != "" {
				fmt.Fprintln(cmd.ErrOrStderr(), note)
			}
			ctx := cmd.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			ctx, cancel := context.WithTimeout(ctx, exportTimeout)
			defer cancel()
			b, err := x.Render(ctx, src)
			if err != nil {
				return err
			}
			b = []byte(redact.Visible(string(b)))
			if out == "" || out == "-" {
				_, err := cmd.OutOrStdout().Write(b)
				return err
			}
			if err := postmortem.WriteFile(out, b); err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "postmortem written to %s\n", out)
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "write the postmortem to FILE instead of standard output")
	cmd.Flags().StringVar(&format, "format", "markdown", "markdown or json")
	return cmd
}

// exportModel returns the model that drafts the narrative, or nil and a
// sentence saying why the rules draft it instead.
func exportModel(o *rootOptions) (llm.Client, string) {
	if o.offline {
		return nil, ""
	}
	c, err := llm.NewOpenAI(llm.Config{APIKey: os.Getenv(llm.DefaultKeyName), BaseURL: o.baseURL, Model: o.model})
	if errors.Is(err, llm.ErrNoAPIKey) {
		return nil, "no API key: the narrative sections are drafted from rules (use --offline to silence this)"
	}
	if err != nil {
		return nil, err.Error() + "; the narrative sections are drafted from rules"
	}
	return c, ""
}
