package mcp

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// FuzzHTTPHandler sends arbitrary bodies to the streamable HTTP handler,
// with the bearer token, both outside any MCP session and inside an
// initialized one: whatever comes in, the handler answers without a panic
// and without a server error, and a 200 carries an error or a well-formed
// answer.
//
//	go test ./session/mcp -run '^$' -fuzz FuzzHTTPHandler -fuzztime 2m
func FuzzHTTPHandler(f *testing.F) {
	for _, seed := range []string{
		initializeBody,
		`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`,
		`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"kubectl","arguments":{"command":"get pods -n shop","reason":"r"}}}`,
		`{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"kubectl","arguments":{"command":"delete pod x","reason":"r"}}}`,
		`{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"list_findings","arguments":{"all_namespaces":true}}}`,
		`{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"first_response","arguments":{"namespace":"x"}}}`,
		`{"jsonrpc":"2.0","method":"notifications/initialized"}`,
		`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":2}}`,
		`[{"jsonrpc":"2.0","id":6,"method":"ping"},{"jsonrpc":"2.0","id":7,"method":"ping"}]`,
		`{"jsonrpc":"2.0","id":8,"result":{}}`,
		`{"jsonrpc":"2.0","id":null,"error":{"code":-1,"message":"x"}}`,
		`{`, `[]`, `null`, "\x00",
	} {
		f.Add([]byte(seed), false)
		f.Add([]byte(seed), true)
	}
	fx := newFixture(f)
	h := fx.srv.Handler("fuzz-token")
	sid := fuzzInitialize(f, h)
	f.Fuzz(func(t *testing.T, body []byte, inSession bool) {
		req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		session := ""
		if inSession {
			session = sid
		}
		setHeaders(req, "Bearer fuzz-token", session)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%q: %d %s", body, rec.Code, rec.Body.String())
		}
	})
}

// fuzzInitialize opens an MCP session on h and returns its id.
func fuzzInitialize(t testing.TB, h http.Handler) string {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader([]byte(initializeBody)))
	setHeaders(req, "Bearer fuzz-token", "")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	sid := rec.Header().Get("Mcp-Session-Id")
	if rec.Code != http.StatusOK || sid == "" {
		b, _ := io.ReadAll(rec.Body)
		t.Fatalf("initialize: %d %s", rec.Code, b)
	}
	req = httptest.NewRequest(http.MethodPost, "/", bytes.NewReader([]byte(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)))
	setHeaders(req, "Bearer fuzz-token", sid)
	h.ServeHTTP(httptest.NewRecorder(), req)
	return sid
}
