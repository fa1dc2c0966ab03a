package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/client-go/kubernetes"

	"github.com/kuberesponder/kuberesponder/kube/triage"
	"github.com/kuberesponder/kuberesponder/llm"
)

// reportTimeouts bound the two slow steps of a report.
const (
	gatherTimeout = 60 * time.Second
	modelTimeout  = 3 * time.Minute
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
	ns := ""
	if !all {
		var err error
		if ns, _, err = o.kube.ToRawKubeConfigLoader().Namespace(); err != nil {
			return fmt.Errorf("read the namespace from the kubeconfig: %w", err)
		}
	}
	cs, err := reportClient(o)
	if err != nil {
		return err
	}
	var client llm.Client
	if !o.offline {
		if client, err = llm.NewOpenAI(llm.Config{APIKey: os.Getenv(llm.DefaultKeyName), BaseURL: o.baseURL, Model: o.model}); err != nil {
			return err
		}
	}
	gctx, cancel := context.WithTimeout(ctx, gatherTimeout)
	facts, err := triage.Gather(gctx, cs, triage.Options{Namespace: ns})
	cancel()
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

// askModel asks the model for the six sections; a failure is kept in the
// answer so that the rule report is still printed.
func askModel(ctx context.Context, client llm.Client, model string, r triage.Report, lang string) *triage.ModelAnswer {
	ans := &triage.ModelAnswer{Model: model}
	prompt, err := triage.Prompt(r, lang)
	if err != nil {
		ans.Error = err.Error()
		return ans
	}
	ctx, cancel := context.WithTimeout(ctx, modelTimeout)
	defer cancel()
	reply, err := client.Complete(ctx, llm.Request{Model: model, Messages: []llm.Message{{Role: llm.User, Content: prompt}}}, nil)
	if err != nil {
		ans.Error = err.Error()
		return ans
	}
	ans.Text = reply.Message.Content
	return ans
}

// reportClient builds a clientset from the kubeconfig flags whose transport
// refuses every method but GET.
func reportClient(o *rootOptions) (kubernetes.Interface, error) {
	cfg, err := o.kube.ToRESTConfig()
	if err != nil {
		return nil, fmt.Errorf("read the kubeconfig: %w", err)
	}
	cfg.QPS, cfg.Burst = 50, 100
	cfg.WrapTransport = func(rt http.RoundTripper) http.RoundTripper { return getOnly{rt} }
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to the cluster: %w", err)
	}
	return cs, nil
}

// getOnly is a transport that sends GET requests and refuses every other method.
type getOnly struct{ next http.RoundTripper }

func (g getOnly) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodGet {
		return nil, fmt.Errorf("refused %s %s: kuberesponder only reads", req.Method, req.URL.Path)
	}
	return g.next.RoundTrip(req)
}
