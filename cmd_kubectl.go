package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/kuberesponder/kuberesponder/kube"
	"github.com/spf13/cobra"
)

// codedError is a sentence for the user that also asks for an exit code.
type codedError struct {
	msg  string
	code exitCode
}

func (e *codedError) Error() string { return e.msg }
func (e *codedError) Unwrap() error { return e.code }

func newKubectlCmd(o *rootOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "kubectl -- COMMAND",
		Short: "Run one kubectl action through the read-only engine",
		Long: `Run one kubectl command line through exactly the engine the assistant uses:
it is classified first, without any network traffic; read-only commands then run
in-process through client-go with secret values redacted.

Exit status: 0 it ran; 3 refused or not executed by policy (the reason is printed
on standard error); 1 any other error.`,
		Example: "  kuberesponder kubectl -- get pods -n shop -o wide\n  kuberesponder --context prod kubectl -- describe deploy/web -n shop",
		Hidden:  true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 && cmd.ArgsLenAtDash() != 0 {
				return &codedError{msg: "put the kubectl command after --, e.g. kuberesponder kubectl -- get pods", code: 1}
			}
			a, err := kube.ParseArgs(args)
			switch {
			case a.Risk == kube.Mutating:
				return &codedError{msg: a.Reason, code: 3}
			case err != nil:
				return &codedError{msg: "refused: " + err.Error(), code: 3}
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return runKubectl(ctx, cmd, o, a)
		},
	}
}

func runKubectl(ctx context.Context, cmd *cobra.Command, o *rootOptions, a kube.Action) error {
	conn, err := kube.Connect(ctx, o.kube)
	if err != nil {
		return err
	}
	e, err := kube.NewExecutor(conn.Config, kube.ExecOptions{Namespace: conn.Namespace})
	if err != nil {
		return err
	}
	res, err := e.Run(ctx, a)
	out := cmd.OutOrStdout()
	fmt.Fprint(out, res.Output)
	if res.Output != "" && !strings.HasSuffix(res.Output, "\n") {
		fmt.Fprintln(out)
	}
	if errors.Is(err, kube.ErrNotExecuted) {
		return &codedError{msg: err.Error(), code: 3}
	}
	return err
}
