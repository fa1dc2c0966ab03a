package mcp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
)

func TestLoopback(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:8765": true, "localhost:8765": true, "LOCALHOST:1": true, "[::1]:8765": true, "127.1.2.3:80": true,
		":8765": false, "0.0.0.0:8765": false, "[::]:8765": false, "10.0.0.5:8765": false, "example.com:8765": false,
		"127.0.0.1": false, "": false, "localhost.evil.com:80": false,
	} {
		if got := Loopback(addr); got != want {
			t.Errorf("Loopback(%q) = %v, want %v", addr, got, want)
		}
	}
}

func TestServeHTTPNeedsATokenOffLoopback(t *testing.T) {
	f := newFixture(t)
	for _, addr := range []string{"0.0.0.0:0", ":0", "[::]:0", "192.0.2.1:0"} {
		err := f.srv.ServeHTTP(context.Background(), addr, "", nil)
		if !errors.Is(err, ErrTokenRequired) {
			t.Errorf("ServeHTTP(%s) without a token: %v, want ErrTokenRequired", addr, err)
		}
	}
	// Loopback needs none; it serves until the context ends.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() { done <- f.srv.ServeHTTP(ctx, "127.0.0.1:0", "", func(a net.Addr) { addr <- a }) }()
	select {
	case a := <-addr:
		resp, err := post(t, "http://"+a.String()+"/", "", initializeBody, "")
		if err == nil && resp.StatusCode != http.StatusOK {
			err = errors.New(resp.Status)
		}
		if err != nil {
			t.Errorf("initialize on loopback: %v", err)
		}
	case err := <-done:
		t.Fatalf("ServeHTTP on loopback: %v", err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("ServeHTTP on loopback: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("ServeHTTP did not stop when its context ended")
	}
}

const initializeBody = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"curl","version":"1"}}}`

// post sends one JSON-RPC body as an MCP client would.
func post(t testing.TB, url, token, body, sessionID string) (*http.Response, error) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	setHeaders(req, token, sessionID)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return resp, nil
}

func setHeaders(req *http.Request, token, sessionID string) {
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	if sessionID != "" {
		req.Header.Set("Mcp-Session-Id", sessionID)
		req.Header.Set("Mcp-Protocol-Version", "2025-06-18")
	}
}

func TestHTTPToken(t *testing.T) {
	f := newFixture(t)
	ts := httptest.NewServer(f.srv.Handler("s3cret-token"))
	defer ts.Close()
	for _, tc := range []struct {
		auth string
		want int
	}{
		{"", http.StatusUnauthorized},
		{"Bearer wrong", http.StatusUnauthorized},
		{"Bearer s3cret-token-and-more", http.StatusUnauthorized},
		{"Basic czNjcmV0LXRva2Vu", http.StatusUnauthorized},
		{"s3cret-token", http.StatusUnauthorized},
		{"Bearer s3cret-token", http.StatusOK},
	} {
		resp, err := post(t, ts.URL, tc.auth, initializeBody, "")
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != tc.want {
			t.Errorf("Authorization %q: %s, want %d", tc.auth, resp.Status, tc.want)
		}
	}
	// A refused request reached nothing: only the accepted initialize left a
	// trace, and initialize is not journaled.
	for _, e := range f.sess.Events() {
		if e.Kind != "start" {
			t.Errorf("journal event %s after refused requests", e.Kind)
		}
	}

	// The SDK's own client over streamable HTTP, with the token.
	c := sdk.NewClient(&sdk.Implementation{Name: "http-client", Version: "1"}, nil)
	hc := &http.Client{Transport: bearer{"s3cret-token"}}
	cs, err := c.Connect(context.Background(), &sdk.StreamableClientTransport{Endpoint: ts.URL, HTTPClient: hc}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	text, isErr, _ := callTool(t, cs, "kubectl", kubectlArgs("get pods"))
	if isErr || !strings.HasPrefix(text, "$ kubectl get pods (ran at ") {
		t.Errorf("kubectl over HTTP (error %v): %s", isErr, text)
	}
	if p := lastProposal(f); p.Client != "http-client 1" {
		t.Errorf("journaled client %q", p.Client)
	}
}

// bearer adds a bearer token to every request.
type bearer struct{ token string }

func (b bearer) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.Header.Set("Authorization", "Bearer "+b.token)
	return http.DefaultTransport.RoundTrip(req)
}

func lastProposal(f *fixture) (p sessionEvent) {
	for _, e := range f.sess.Events() {
		if e.Kind == "proposal" {
			p = sessionEvent{Client: e.Client, Tool: e.Tool}
		}
	}
	return p
}

type sessionEvent struct{ Client, Tool string }

// TestMalformedJSONRPC: what is not JSON-RPC gets a protocol error, and the
// server goes on serving.
func TestMalformedJSONRPC(t *testing.T) {
	f := newFixture(t)
	ts := httptest.NewServer(f.srv.Handler(""))
	defer ts.Close()
	resp, err := post(t, ts.URL, "", initializeBody, "")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("initialize: %v %v", resp, err)
	}
	sid := resp.Header.Get("Mcp-Session-Id")
	if _, err := post(t, ts.URL, "", `{"jsonrpc":"2.0","method":"notifications/initialized"}`, sid); err != nil {
		t.Fatal(err)
	}
	for _, body := range []string{
		`{`, `not json`, "\x00\xff", `[]`, `null`, `"x"`, `{"jsonrpc":"2.0"}`, `{"jsonrpc":"1.0","id":1,"method":"tools/list"}`,
		`{"jsonrpc":"2.0","id":{"a":1},"method":"tools/list"}`,
		`{"jsonrpc":"2.0","id":3,"method":"tools/call","params":"kubectl"}`,
		`{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":7}}`,
		`{"jsonrpc":"2.0","id":5,"method":"no/such/method"}`,
		`{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"kubectl","arguments":[1,2]}}`,
		`{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"first_response","arguments":"all"}}`,
		`{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"apply","arguments":{}}}`,
	} {
		for _, session := range []string{"", sid} {
			resp, err := post(t, ts.URL, "", body, session)
			if err != nil {
				t.Fatalf("%q: %v", body, err)
			}
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode >= 500 {
				t.Errorf("%q (session %v): %s %s", body, session != "", resp.Status, b)
			}
			if resp.StatusCode == http.StatusOK && !isErrorAnswer(b) {
				t.Errorf("%q (session %v): %s answered without an error: %s", body, session != "", resp.Status, b)
			}
		}
	}
	resp, err = post(t, ts.URL, "", `{"jsonrpc":"2.0","id":9,"method":"tools/list"}`, sid)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("tools/list after malformed requests: %v %v", resp, err)
	}
	if b, _ := io.ReadAll(resp.Body); !strings.Contains(string(b), `"first_response"`) {
		t.Errorf("tools/list after malformed requests: %s", b)
	}
}

// isErrorAnswer reports whether an answer (JSON or one server-sent event)
// is a JSON-RPC error or a tool error.
func isErrorAnswer(b []byte) bool {
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimPrefix(line, "data: ")
		var m struct {
			Error  *json.RawMessage `json:"error"`
			Result struct {
				IsError bool `json:"isError"`
			} `json:"result"`
		}
		if json.Unmarshal([]byte(line), &m) == nil && (m.Error != nil || m.Result.IsError) {
			return true
		}
	}
	return false
}

// TestHTTPCrossOrigin: a browser page on another origin cannot call the
// server, token or not; clients that are not browsers are unaffected.
func TestHTTPCrossOrigin(t *testing.T) {
	f := newFixture(t)
	ts := httptest.NewServer(f.srv.Handler(""))
	defer ts.Close()
	for _, tc := range []struct {
		header, value string
		want          int
	}{
		{"Sec-Fetch-Site", "cross-site", http.StatusForbidden},
		{"Origin", "https://evil.example", http.StatusForbidden},
		{"Sec-Fetch-Site", "same-origin", http.StatusOK},
		{"", "", http.StatusOK},
	} {
		req, _ := http.NewRequest(http.MethodPost, ts.URL, strings.NewReader(initializeBody))
		setHeaders(req, "", "")
		if tc.header != "" {
			req.Header.Set(tc.header, tc.value)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("%s: %s: %s, want %d", tc.header, tc.value, resp.Status, tc.want)
		}
	}
}
