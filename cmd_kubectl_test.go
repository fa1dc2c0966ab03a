package main

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

func TestKubectlCmd(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.URL.Path != "/version" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"major":"1","minor":"37","gitVersion":"v1.37.2"}`)
	}))
	defer srv.Close()
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	down := "http://" + closed.Addr().String()
	closed.Close()
	cfg := func(server string) string {
		path := filepath.Join(t.TempDir(), "config")
		os.WriteFile(path, []byte(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: `+server+`}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: x, context: {cluster: c, user: u, namespace: shop}}]
current-context: x
`), 0o600)
		return path
	}
	tests := []struct {
		args []string
		code int
		out  string // in standard output, or in the error for non-zero codes
	}{
		{[]string{"--kubeconfig", cfg(srv.URL), "kubectl", "--", "version"}, 0, "Client Version: v1.37.2\nServer Version: v1.37.2\n"},
		{[]string{"--kubeconfig", cfg(srv.URL), "kubectl", "--", "delete", "pod", "web-1"}, 3, "not executed by policy: delete changes the cluster; if it is the right fix, the operator can apply it: kubectl delete pod web-1"},
		{[]string{"--kubeconfig", cfg(srv.URL), "kubectl", "--", "get", "pods", "|", "grep", "x"}, 3, "refused: pipes are not supported"},
		{[]string{"--kubeconfig", cfg(srv.URL), "kubectl", "--", "config", "use-context", "prod"}, 3, "refused: config is refused"},
		{[]string{"--kubeconfig", cfg(srv.URL), "kubectl", "--", "get", "pods", "--server=https://evil"}, 3, "refused: --server is refused"},
		{[]string{"--kubeconfig", cfg(srv.URL), "kubectl", "--", "exec", "web-1", "--", "sh"}, 3, "refused: exec is refused"},
		{[]string{"--kubeconfig", cfg(srv.URL), "kubectl", "--"}, 3, "refused: empty command"},
		{[]string{"--kubeconfig", cfg(srv.URL), "kubectl", "get", "pods"}, 1, "put the kubectl command after --"},
		{[]string{"--kubeconfig", cfg(down), "kubectl", "--", "version"}, 1, "cannot reach the API server at " + down + ": connection refused"},
		{[]string{"--kubeconfig", "/nonexistent/config", "kubectl", "--", "version"}, 1, "the kubeconfig file /nonexistent/config does not exist"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args[2:], " "), func(t *testing.T) {
			before := hits.Load()
			out, err := runCmd(t, tc.args...)
			code := 0
			if err != nil {
				code = 1
				var ec exitCode
				if errors.As(err, &ec) {
					code = int(ec)
				}
			}
			if code != tc.code {
				t.Fatalf("exit %d (%v), want %d; output %q", code, err, tc.code, out)
			}
			if tc.code == 0 && out != tc.out || tc.code != 0 && (err == nil || !strings.HasPrefix(err.Error(), tc.out)) {
				t.Errorf("output %q, error %v; want %q", out, err, tc.out)
			}
			if tc.code == 3 && hits.Load() != before {
				t.Errorf("a refused command reached the server")
			}
		})
	}
}
