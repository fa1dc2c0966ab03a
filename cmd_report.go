package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/kuberesponder/kuberesponder/kube/triage"
	"github.com/kuberesponder/kuberesponder/llm"
)

func newReportCmd(o *rootOptions) *cobra.Command {
	var (
		output string
		all    bool
	)
	cmd := &cobra.Command{
		Use:   "report [-n NAMESPACE | -A] [--offline] [-o markdown|json]",
		Short: "Print the first-response triage report",
		Long: `Gather the cluster's facts, find what is wrong with deterministic rules and
print the six-section first-response report to stdout: failure location and
evidence, description, cause, impact scope, urgency, other comments.

Without --offline a model also writes the six sections from the rule findings;
its answer is printed after them under its own label. The exit status is 0
whenever the report was made, whatever it found, and 1 on error.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runReport(cmd.Context(), cmd.OutOrStdout(), o, all, output)
		},
	}
	cmd.Flags().BoolVarP(&all, "all-namespaces", "A", false, "report on every namespace")
	cmd.Flags().StringVarP(&output, "output", "o", "markdown", "output format: markdown or json")
	cmd.Flags().StringVar(&o.snapshot, "snapshot", "", "report on a snapshot file taken with kuberesponder snapshot")
	cmd.Flags().BoolVar(&o.demo, "demo", false, "report on the embedded demo incident")
	return cmd
}

func runReport(ctx context.Context, out io.Writer, o *rootOptions, all bool, output string) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if output != "markdown" && output != "json" {
		return fmt.Errorf("unknown output format %q: use -o markdown or -o json", output)
	}
	if o.lang != "en" && o.lang != "ja" {
		return fmt.Errorf("unknown language %q: use --lang en or --lang ja", o.lang)
	}
	client, err := modelClient(o)
	if err != nil {
		return err
	}
	o.allNamespaces = o.allNamespaces || all
	src, err := openSource(ctx, o)
	if err != nil {
		return err
	}
	facts, err := src.gather(ctx)
	if err != nil {
		return err
	}
	r := triage.Build(facts).In(o.lang)
	if client != nil {
		r.Model = askModel(ctx, client, o.model, r, o.lang)
	}
	if output == "json" {
		b, err := r.JSON()
		if err != nil {
			return err
		}
		_, err = out.Write(b)
		return err
	}
	_, err = io.WriteString(out, r.Markdown(o.lang))
	return err
}

// askModel asks the model for the six sections within modelTimeout (see
// triage.Ask); a failure is kept in the answer so that the rule report is
// still printed.
func askModel(ctx context.Context, client llm.Client, model string, r triage.Report, lang string) *triage.ModelAnswer {
	ctx, cancel := context.WithTimeout(ctx, modelTimeout)
	defer cancel()
	return triage.Ask(ctx, client, model, r, lang)
}
