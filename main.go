// Command kuberesponder is a full-screen terminal assistant for Kubernetes
// incident response: it gathers the facts, writes a triage report, walks the
// operator through read-only investigation and exports a postmortem.
package main

import (
	"errors"
	"fmt"
	"os"
	"runtime"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
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
	root.AddCommand(
		newVersionCmd(),
		newKubectlCmd(o),
		newReportCmd(o),
		newSessionsCmd(o),
		newExportCmd(o),
		newSnapshotCmd(o),
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

func runSession(cmd *cobra.Command, o *rootOptions) error {
	return errors.New("the interactive session is not built yet")
}
