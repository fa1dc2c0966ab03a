// Command kuberesponder is a full-screen terminal assistant for Kubernetes
// incident response: it gathers the facts, writes a triage report, walks the
// operator through read-only investigation and exports a postmortem.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"

	"github.com/kuberesponder/kuberesponder/session"
	"github.com/kuberesponder/kuberesponder/ui"
)

// Build information, set with -ldflags "-X main.version=... -X main.commit=...".
var (
	version = "dev"
	commit  = "none"
)

// rootOptions holds every global flag; subcommands read what they need.
type rootOptions struct {
	kube    *genericclioptions.ConfigFlags
	model   string
	baseURL string
	offline bool
	lang    string
	resume  string

	allNamespaces bool
	demo          bool
	snapshot      string
}

func main() {
	if err := newRootCmd().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "kuberesponder:", sentence(err))
		code := 1
		var ec exitCode
		if errors.As(err, &ec) {
			code = int(ec)
		}
		os.Exit(code)
	}
}

// exitCode is an error that asks for a specific process exit code.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

func newRootCmd() *cobra.Command {
	o := &rootOptions{kube: genericclioptions.NewConfigFlags(true)}
	root := &cobra.Command{
		Use:           "kuberesponder",
		Short:         "A terminal assistant for Kubernetes incident response",
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runSession(cmd, o)
		},
	}
	pf := root.PersistentFlags()
	o.kube.AddFlags(pf)
	pf.StringVar(&o.model, "model", envOr("KUBERESPONDER_MODEL", "gpt-4o-mini"), "model name (env KUBERESPONDER_MODEL)")
	pf.StringVar(&o.baseURL, "base-url", os.Getenv("OPENAI_BASE_URL"), "OpenAI-compatible base URL (env OPENAI_BASE_URL)")
	pf.BoolVar(&o.offline, "offline", false, "use no model: deterministic rules only")
	pf.StringVar(&o.lang, "lang", "en", "language of the report and the conversation: en or ja")
	root.Flags().StringVar(&o.resume, "resume", "", "resume a session by id, or \"last\"")
	root.Flags().BoolVarP(&o.allNamespaces, "all-namespaces", "A", false, "triage every namespace")
	root.Flags().BoolVar(&o.demo, "demo", false, "run on the embedded demo incident: no cluster, and no key needed")
	root.Flags().StringVar(&o.snapshot, "snapshot", "", "run on a snapshot file taken with kuberesponder snapshot")
	root.AddCommand(
		newVersionCmd(),
		newKubectlCmd(o),
		newReportCmd(o),
		newSessionsCmd(o),
		newExportCmd(o),
		newSnapshotCmd(o),
		newWatchCmd(o),
		newMCPCmd(o),
	)
	return root
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print version, commit and Go version",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintf(cmd.OutOrStdout(), "kuberesponder %s (commit %s, %s)\n", version, commit, runtime.Version())
		},
	}
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// sentence renders an error as the one line a user sees.
func sentence(err error) string { return err.Error() }

// runSession wires the parts of an interactive session and runs the screen.
func runSession(cmd *cobra.Command, o *rootOptions) error {
	ctx := cmd.Context()
	if err := checkLang(o.lang); err != nil {
		return err
	}
	model, err := modelClient(o)
	if err != nil {
		return err
	}
	src, err := openSource(ctx, o)
	if err != nil {
		return err
	}
	meta := src.meta
	meta.Lang = o.lang
	meta.Model = "offline"
	if model != nil {
		meta.Model = o.model
	}
	s, err := openSession(o, meta)
	if err != nil {
		return err
	}
	defer s.Close()

	var client session.Completer = model
	offline := &offlineClient{lang: s.Meta().Lang, journal: s}
	if model == nil {
		offline.set(findingsOf(s))
		client = offline
	}
	report := ui.ReporterFunc(func(ctx context.Context) (session.FirstResponse, error) {
		fr, findings, err := firstResponse(ctx, src, model, o)
		if err == nil {
			offline.set(findings)
		}
		return fr, err
	})
	err = ui.Run(ctx, ui.Config{
		Session: s,
		Client:  client,
		Runner:  src.runner,
		Report:  report,
		Export:  ui.ExporterFunc(exporter(s, model, o)),
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "session %s saved in %s\n", s.Meta().ID, s.Dir())
	return nil
}

// checkLang accepts the languages the product speaks.
func checkLang(lang string) error {
	if lang != "en" && lang != "ja" {
		return fmt.Errorf("unknown language %q: use --lang en or --lang ja", lang)
	}
	return nil
}
