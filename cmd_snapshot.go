package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kuberesponder/kuberesponder/kube"
	"github.com/kuberesponder/kuberesponder/kube/snapshot"
)

func newSnapshotCmd(o *rootOptions) *cobra.Command {
	var (
		out string
		all bool
	)
	cmd := &cobra.Command{
		Use:   "snapshot [-n NAMESPACE | -A] -o FILE",
		Short: "Capture the cluster state into a file for analysis elsewhere",
		Long: "Capture what the first response and the read-only verbs need (objects, events, nodes, the log tails\n" +
			"of failing containers, discovery and the server version) into one gzip'd JSON file.\n" +
			"Secret values are never captured (names, types, keys and sizes only); ConfigMap values are\n" +
			"replaced by their sizes; everything else passes the redactor. Without -n, all namespaces are captured.\n" +
			"Open it with `kuberesponder --snapshot FILE` or `kuberesponder report --snapshot FILE`.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return errors.New("say where to write the snapshot with -o FILE")
			}
			ns := ""
			if cmd.Flags().Changed("namespace") {
				if all {
					return errors.New("give either -n NAMESPACE or -A, not both")
				}
				ns = *o.kube.Namespace
			}
			return runSnapshot(cmd.Context(), cmd, o, ns, out)
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "file to write the snapshot to")
	cmd.Flags().BoolVarP(&all, "all-namespaces", "A", false, "capture every namespace (the default without -n)")
	return cmd
}

func runSnapshot(ctx context.Context, cmd *cobra.Command, o *rootOptions, ns, out string) error {
	if ctx == nil {
		ctx = context.Background()
	}
	conn, err := kube.Connect(ctx, o.kube)
	if err != nil {
		return err
	}
	stderr := cmd.ErrOrStderr()
	opts := snapshot.Options{
		Namespace: ns, Context: conn.Context, Cluster: conn.Cluster, Server: conn.Server, DefaultNamespace: conn.Namespace,
		Progress: func(step string) { fmt.Fprintln(stderr, "  "+step) },
	}
	scope := "all namespaces"
	if ns != "" {
		scope = "namespace " + ns
	}
	fmt.Fprintf(stderr, "capturing %s of %s (%s)\n", scope, conn.Context, conn.Server)
	start := time.Now()
	f, err := snapshot.Capture(ctx, conn.Clientset, opts)
	if err != nil {
		return err
	}
	size, err := writeSnapshot(f, out)
	if err != nil {
		return err
	}
	s, err := snapshot.Open(f)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "wrote %s (%s) in %s: %s", out, humanBytes(size), time.Since(start).Round(100*time.Millisecond), s.Describe())
	if n := len(f.Gaps); n > 0 {
		fmt.Fprintf(stderr, "; %d parts could not be captured: %s", n, strings.Join(f.Gaps, "; "))
	}
	fmt.Fprintln(stderr)
	return nil
}

// writeSnapshot writes f to path through a temporary file in the same
// directory, readable by the owner only, and returns its size.
func writeSnapshot(f *snapshot.File, path string) (int64, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".snapshot-*")
	if err != nil {
		return 0, fmt.Errorf("write the snapshot: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := f.Write(tmp); err != nil {
		tmp.Close()
		return 0, err
	}
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return 0, fmt.Errorf("write the snapshot: %w", err)
	}
	st, err := tmp.Stat()
	if err != nil {
		tmp.Close()
		return 0, fmt.Errorf("write the snapshot: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return 0, fmt.Errorf("write the snapshot: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return 0, fmt.Errorf("write the snapshot: %w", err)
	}
	return st.Size(), nil
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
