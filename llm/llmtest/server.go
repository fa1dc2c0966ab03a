package llmtest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// Server is an OpenAI-compatible chat completions server. It answers POST
// requests to any path ending in /chat/completions (so OpenAI, Azure and
// proxy URL shapes all work) with the next scripted turn.
type Server struct {
	t       testing.TB
	srv     *httptest.Server
	next    func(Request) (Turn, bool)
	closing chan struct{}
	once    sync.Once

	mu   sync.Mutex
	reqs []Request
}

// New starts a server that answers the n-th request with turns[n-1]. When t
// is not nil the server is closed at the end of the test, and a request
// beyond the script fails the test. t may be nil for a demo.
func New(t testing.TB, turns ...Turn) *Server {
	var mu sync.Mutex
	n := 0
	return start(t, func(Request) (Turn, bool) {
		mu.Lock()
		defer mu.Unlock()
		if n >= len(turns) {
			return Turn{}, false
		}
		n++
		return turns[n-1], true
	})
}

// NewFunc starts a server whose turns are computed from each request, for
// scripts that react to what the client sent.
func NewFunc(t testing.TB, script func(Request) Turn) *Server {
	return start(t, func(r Request) (Turn, bool) { return script(r), true })
}

func start(t testing.TB, next func(Request) (Turn, bool)) *Server {
	s := &Server{t: t, next: next, closing: make(chan struct{})}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	if t != nil {
		t.Helper()
		t.Cleanup(s.Close)
	}
	return s
}

// URL returns the OpenAI-style base URL, ending in /v1.
func (s *Server) URL() string { return s.srv.URL + "/v1" }

// Root returns the server's address without a path, for Azure-style clients.
func (s *Server) Root() string { return s.srv.URL }

// Requests returns a copy of every request received so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.reqs...)
}

// Last returns the most recent request; ok is false when there was none.
func (s *Server) Last() (r Request, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.reqs) == 0 {
		return Request{}, false
	}
	return s.reqs[len(s.reqs)-1], true
}

// CheckToolCallsAnswered applies CheckToolCallsAnswered to every recorded request.
func (s *Server) CheckToolCallsAnswered() error {
	for _, r := range s.Requests() {
		if err := CheckToolCallsAnswered(r.Chat.Messages); err != nil {
			return fmt.Errorf("request %d: %w", r.N, err)
		}
	}
	return nil
}

// AssertToolCallsAnswered fails t unless every recorded request answers each
// tool call exactly once, in order.
func (s *Server) AssertToolCallsAnswered(t testing.TB) {
	t.Helper()
	if err := s.CheckToolCallsAnswered(); err != nil {
		t.Error(err)
	}
}

// Close ends stalled responses, drops open connections and stops the server.
func (s *Server) Close() {
	s.once.Do(func() {
		close(s.closing)
		s.srv.CloseClientConnections()
		s.srv.Close()
	})
}

func (s *Server) record(r *http.Request, body []byte) (Request, error) {
	req := Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Header: r.Header.Clone(), Body: body}
	err := json.Unmarshal(body, &req.Chat)
	s.mu.Lock()
	req.N = len(s.reqs) + 1
	s.reqs = append(s.reqs, req)
	s.mu.Unlock()
	return req, err
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/chat/completions") {
		writeError(w, http.StatusNotFound, "", "llmtest serves POST .../chat/completions only")
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		writeError(w, http.StatusBadRequest, "", "read body: "+err.Error())
		return
	}
	req, err := s.record(r, body)
	if err != nil {
		writeError(w, http.StatusBadRequest, "", "decode body: "+err.Error())
		return
	}
	turn, ok := s.next(req)
	if !ok {
		msg := fmt.Sprintf("llmtest: no scripted turn for request %d", req.N)
		if s.t != nil {
			s.t.Error(msg)
		}
		writeError(w, http.StatusBadRequest, "", msg)
		return
	}
	if turn.Fault.Kind == HTTPError {
		status := turn.Fault.Status
		if status == 0 {
			status = http.StatusInternalServerError
		}
		if turn.Fault.Body != "" {
			if turn.Fault.RetryAfter != "" {
				w.Header().Set("Retry-After", turn.Fault.RetryAfter)
			}
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(status)
			_, _ = io.WriteString(w, turn.Fault.Body)
			return
		}
		writeError(w, status, turn.Fault.RetryAfter, turn.Fault.Message)
		return
	}
	if req.Chat.Stream {
		s.stream(w, r, req, turn)
		return
	}
	s.whole(w, r, req, turn)
}

func writeError(w http.ResponseWriter, status int, retryAfter, msg string) {
	if msg == "" {
		msg = http.StatusText(status)
	}
	if retryAfter != "" {
		w.Header().Set("Retry-After", retryAfter)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]any{"error": map[string]any{
		"message": msg, "type": "llmtest_error", "code": status,
	}})
	_, _ = w.Write(b)
}
