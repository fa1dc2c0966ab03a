package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/kuberesponder/kuberesponder/kube"
	"github.com/kuberesponder/kuberesponder/kube/triage"
	"github.com/kuberesponder/kuberesponder/session"
	"github.com/kuberesponder/kuberesponder/session/mcp"
)

func newMCPCmd(o *rootOptions) *cobra.Command {
	var httpAddr, tokenFile string
	cmd := &cobra.Command{
		Use:   "mcp [--http ADDR [--token-file FILE]]",
		Short: "Serve the read-only engine to MCP clients (stdio, or streamable HTTP)",
		Long: `Serve kuberesponder as a Model Context Protocol server, on standard input and
output by default. Its tools are kubectl (read-only: the same parser, classifier,
redaction and output budget as the session), first_response and list_findings.
Writes never run: they are answered as fixes for the operator to apply.

The cluster, context and identity are fixed when the server starts (--kubeconfig,
--context, -n). Every call is journaled in a session directory, so
"kuberesponder export" writes the postmortem of the agent's investigation.

With --http the server speaks streamable HTTP on ADDR, loopback by default; any
other address needs a bearer token read from --token-file.`,
		Example: "  kuberesponder mcp --context prod -n shop\n" +
			"  kuberesponder mcp --http 127.0.0.1:8765\n" +
			"  kuberesponder mcp --http 0.0.0.0:8765 --token-file ~/.config/kuberesponder/mcp-token",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return runMCP(ctx, cmd, o, httpAddr, tokenFile)
		},
	}
	cmd.Flags().StringVar(&httpAddr, "http", "", "serve streamable HTTP on ADDR (host:port) instead of stdio")
	cmd.Flags().StringVar(&tokenFile, "token-file", "", "file holding the bearer token HTTP clients must send; required off loopback")
	return cmd
}

func runMCP(ctx context.Context, cmd *cobra.Command, o *rootOptions, httpAddr, tokenFile string) error {
	if err := checkLang(o.lang); err != nil {
		return err
	}
	if tokenFile != "" && httpAddr == "" {
		return fmt.Errorf("--token-file is for --http; stdio needs no token")
	}
	token, err := readToken(tokenFile)
	if err != nil {
		return err
	}
	if httpAddr != "" && token == "" && !mcp.Loopback(httpAddr) {
		return mcp.ErrTokenRequired
	}
	conn, err := kube.Connect(ctx, o.kube)
	if err != nil {
		return err
	}
	exec, err := kube.NewExecutor(conn.Config, kube.ExecOptions{Namespace: conn.Namespace})
	if err != nil {
		return err
	}
	s, err := openSession(o, session.Meta{
		Context: conn.Context, Cluster: conn.Cluster, Server: conn.Server, User: conn.User,
		Namespace: conn.Namespace, Model: "mcp", Lang: o.lang,
	})
	if err != nil {
		return err
	}
	defer s.Close()
	srv, err := mcp.New(mcp.Config{
		Session: s, Runner: exec, Namespace: conn.Namespace, Lang: o.lang, Version: version,
		Reporter: mcp.ReporterFunc(func(ctx context.Context, ns string) (triage.Report, error) {
			facts, err := gatherIn(ctx, conn, ns)
			if err != nil {
				return triage.Report{}, err
			}
			return triage.Build(facts).In(o.lang), nil
		}),
	})
	if err != nil {
		return err
	}
	stderr := cmd.ErrOrStderr()
	fmt.Fprintf(stderr, "kuberesponder mcp: context %s, namespace %s, read-only; session %s in %s\n",
		conn.Context, conn.Namespace, s.Meta().ID, s.Dir())
	if httpAddr == "" {
		return srv.ServeStdio(ctx)
	}
	return srv.ServeHTTP(ctx, httpAddr, token, func(a net.Addr) {
		fmt.Fprintf(stderr, "kuberesponder mcp: serving streamable HTTP on http://%s/\n", a)
	})
}

// readToken reads the bearer token from a file only its owner may read;
// "" when no file is given.
func readToken(path string) (string, error) {
	if path == "" {
		return "", nil
	}
	fi, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("read the token file: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("the token file %s may be read by other users: chmod 600 %s", path, path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read the token file: %w", err)
	}
	token := strings.TrimSpace(string(b))
	if token == "" || strings.ContainsAny(token, " \t\r\n") {
		return "", fmt.Errorf("the token file %s must hold one token on one line", path)
	}
	return token, nil
}
