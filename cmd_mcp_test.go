package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMCPCmdRefuses: the flags that would expose the server or use a bad
// token stop it before it connects to any cluster (the kubeconfig here
// does not exist), each with one sentence.
func TestMCPCmdRefuses(t *testing.T) {
	dir := t.TempDir()
	token := func(name, text string, mode os.FileMode) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(text), mode); err != nil {
			t.Fatal(err)
		}
		return path
	}
	good := token("good", "s3cret\n", 0o600)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"mcp", "--http", "0.0.0.0:8765"}, "serving MCP over HTTP on an address other than loopback needs a bearer token: give one with --token-file"},
		{[]string{"mcp", "--http", ":8765"}, "needs a bearer token"},
		{[]string{"mcp", "--http", "10.1.2.3:8765"}, "needs a bearer token"},
		{[]string{"mcp", "--token-file", good}, "--token-file is for --http"},
		{[]string{"mcp", "--http", "0.0.0.0:8765", "--token-file", filepath.Join(dir, "missing")}, "read the token file"},
		{[]string{"mcp", "--http", "0.0.0.0:8765", "--token-file", token("empty", "\n", 0o600)}, "must hold one token on one line"},
		{[]string{"mcp", "--http", "0.0.0.0:8765", "--token-file", token("two", "a b\n", 0o600)}, "must hold one token on one line"},
		{[]string{"mcp", "--http", "0.0.0.0:8765", "--token-file", token("open", "s3cret\n", 0o644)}, "may be read by other users: chmod 600"},
		{[]string{"mcp", "--http", "0.0.0.0:8765", "--token-file", good}, "the kubeconfig file /nonexistent/config does not exist"},
		{[]string{"mcp", "--lang", "fr"}, "unknown language"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			cmd := newRootCmd()
			cmd.SetArgs(append([]string{"--kubeconfig", "/nonexistent/config"}, tc.args...))
			err := cmd.Execute()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want it to say %q", err, tc.want)
			}
			if err != nil && strings.Contains(err.Error(), "\n") {
				t.Errorf("the error is not one sentence: %q", err)
			}
		})
	}
}
