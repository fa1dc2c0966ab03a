package kube

import (
	"context"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/cli-runtime/pkg/genericclioptions"
)

// kubeconfig writes a kubeconfig with contexts "a" (current) and "b", both
// pointing at server, and returns its path.
func kubeconfig(t *testing.T, server, caPEM, token string) string {
	t.Helper()
	ca := ""
	if caPEM != "" {
		ca = "    certificate-authority-data: " + base64.StdEncoding.EncodeToString([]byte(caPEM)) + "\n"
	}
	cfg := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: test
  cluster:
    server: %s
%susers:
- name: alice
  user:
    token: %s
contexts:
- name: a
  context: {cluster: test, user: alice, namespace: shop}
- name: b
  context: {cluster: test, user: alice}
current-context: a
`, server, ca, token)
	path := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func flags(path string, context string) *genericclioptions.ConfigFlags {
	f := genericclioptions.NewConfigFlags(false)
	f.KubeConfig = &path
	if context != "" {
		f.Context = &context
	}
	return f
}

func certPEM(srv *httptest.Server) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))
}

// apiServer answers /version with status and body.
func apiServer(status int, body string) *httptest.Server {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		w.Write([]byte(body))
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the failed handshakes are the point
	srv.StartTLS()
	return srv
}

func TestConnect(t *testing.T) {
	ok := apiServer(200, `{"major":"1","minor":"37","gitVersion":"v1.37.2"}`)
	defer ok.Close()
	unauthorized := apiServer(401, `{"kind":"Status","apiVersion":"v1","status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}`)
	defer unauthorized.Close()
	forbidden := apiServer(403, `{"kind":"Status","apiVersion":"v1","status":"Failure","message":"forbidden: User \"alice\" cannot get path \"/version\"","reason":"Forbidden","code":403}`)
	defer forbidden.Close()
	plain := httptest.NewServer(http.NotFoundHandler())
	defer plain.Close()
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	closedAddr := "https://" + closed.Addr().String()
	closed.Close()

	t.Run("ok", func(t *testing.T) {
		c, err := Connect(context.Background(), flags(kubeconfig(t, ok.URL, certPEM(ok), "t0k3n"), ""))
		if err != nil {
			t.Fatal(err)
		}
		if c.Context != "a" || c.Cluster != "test" || c.User != "alice" || c.Namespace != "shop" || c.Server != ok.URL || c.ServerVersion != "v1.37.2" {
			t.Errorf("conn = %+v", c)
		}
		if c.Config.QPS != clientQPS {
			t.Errorf("config is not the read-only one: QPS %v", c.Config.QPS)
		}
		c, err = Connect(context.Background(), flags(kubeconfig(t, ok.URL, certPEM(ok), "t0k3n"), "b"))
		if err != nil || c.Context != "b" || c.Namespace != "default" {
			t.Errorf("context b: %+v %v", c, err)
		}
	})

	bad := filepath.Join(t.TempDir(), "bad")
	os.WriteFile(bad, []byte("apiVersion: v1\nclusters: [unclosed\n"), 0o600)
	missing := filepath.Join(t.TempDir(), "missing")
	tests := []struct {
		name string
		get  func(t *testing.T) genericclioptions.RESTClientGetter
		want string
	}{
		{"no kubeconfig", func(t *testing.T) genericclioptions.RESTClientGetter {
			t.Setenv("KUBECONFIG", missing)
			t.Setenv("KUBERNETES_SERVICE_HOST", "")
			return genericclioptions.NewConfigFlags(false)
		}, "no kubeconfig found: set KUBECONFIG or pass --kubeconfig"},
		{"kubeconfig file missing", func(t *testing.T) genericclioptions.RESTClientGetter {
			return flags(missing, "")
		}, "the kubeconfig file " + missing + " does not exist"},
		{"invalid kubeconfig", func(t *testing.T) genericclioptions.RESTClientGetter {
			return flags(bad, "")
		}, "the kubeconfig file " + bad + " is not valid: "},
		{"unknown context", func(t *testing.T) genericclioptions.RESTClientGetter {
			return flags(kubeconfig(t, ok.URL, certPEM(ok), "x"), "prod")
		}, `context "prod" is not in the kubeconfig; available contexts: a, b`},
		{"unreachable", func(t *testing.T) genericclioptions.RESTClientGetter {
			return flags(kubeconfig(t, closedAddr, "", "x"), "")
		}, "cannot reach the API server at " + closedAddr + ": connection refused"},
		{"unknown authority", func(t *testing.T) genericclioptions.RESTClientGetter {
			return flags(kubeconfig(t, ok.URL, "", "x"), "")
		}, "TLS verification of the API server at " + ok.URL + " failed: its certificate is signed by an authority the kubeconfig does not trust"},
		{"not TLS", func(t *testing.T) genericclioptions.RESTClientGetter {
			return flags(kubeconfig(t, strings.Replace(plain.URL, "http:", "https:", 1), "", "x"), "")
		}, "TLS handshake with the API server at " + strings.Replace(plain.URL, "http:", "https:", 1) + " failed: it does not speak TLS on that port"},
		{"unauthorized", func(t *testing.T) genericclioptions.RESTClientGetter {
			return flags(kubeconfig(t, unauthorized.URL, certPEM(unauthorized), "expired"), "")
		}, `the API server at ` + unauthorized.URL + ` rejected the credentials of user "alice" (401 Unauthorized); log in again or renew them`},
		{"forbidden", func(t *testing.T) genericclioptions.RESTClientGetter {
			return flags(kubeconfig(t, forbidden.URL, certPEM(forbidden), "x"), "")
		}, `user "alice" is forbidden: forbidden: User "alice" cannot get path "/version" (403 Forbidden)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Connect(context.Background(), tc.get(t))
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("Connect error = %v\nwant prefix   %s", err, tc.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is more than one line: %q", err)
			}
		})
	}
}
