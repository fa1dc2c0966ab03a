package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kuberesponder/kuberesponder/kube"
	"github.com/kuberesponder/kuberesponder/llm"
	"github.com/kuberesponder/kuberesponder/session"
)

func runCmd(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := newRootCmd()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	err := cmd.Execute()
	return out.String(), err
}

func TestSessionsCmd(t *testing.T) {
	state := t.TempDir()
	t.Setenv("XDG_STATE_HOME", state)
	out, err := runCmd(t, "sessions")
	if err != nil || !strings.Contains(out, "No saved sessions") {
		t.Fatalf("empty: %q %v", out, err)
	}
	root, _ := session.StateDir()
	id := session.NewID(time.Date(2026, 3, 14, 12, 0, 0, 0, time.UTC))
	s, err := session.New(filepath.Join(root, id), session.Meta{Context: "kind-e2e", Model: "offline"}, session.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Report(session.FirstResponse{Markdown: "# report", Title: "Pod shop/web-1 Pending: 2 Insufficient memory"})
	s.Close()

	out, err = runCmd(t, "sessions")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"ID", "CONTEXT", "PHASE", id, "kind-e2e", "triage", "Pod shop/web-1 Pending"} {
		if !strings.Contains(out, want) {
			t.Errorf("sessions output lacks %q:\n%s", want, out)
		}
	}
	out, err = runCmd(t, "sessions", "verify", "last")
	if err != nil || !strings.Contains(out, "is intact: 2 events") {
		t.Fatalf("verify: %q %v", out, err)
	}
	journal := filepath.Join(root, id, session.JournalFile)
	b, _ := os.ReadFile(journal)
	os.WriteFile(journal, bytes.Replace(b, []byte("kind-e2e"), []byte("kind-ee2"), 1), 0o600)
	out, err = runCmd(t, "sessions", "verify", id)
	if err == nil || !strings.Contains(err.Error(), "altered") {
		t.Errorf("verify of an edited journal: %q %v", out, err)
	}
	if _, err := runCmd(t, "sessions", "verify", "nope"); err == nil {
		t.Error("verify of an unknown id succeeded")
	}
}

// TestSessionsShowRequest records a session that asked the model twice and
// shows its last request, as text and as JSON, from the journal alone.
func TestSessionsShowRequest(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	root, _ := session.StateDir()
	s, err := session.New(filepath.Join(root, "20260314-120000-abcd"), session.Meta{Context: "kind-e2e",
		Server: "https://admin:hunter2@10.0.0.1:6443", Namespace: "shop", Model: "test-model", Lang: "en"}, session.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Report(session.FirstResponse{Markdown: "# report\nPod shop/web-1 is Pending.", Title: "Pod shop/web-1 Pending"})
	first, _ := s.Investigate()
	args, _ := json.Marshal(map[string]string{"command": "get events -n shop", "reason": "why \x1b]52;c;AAAA\a pending"})
	step, err := s.ModelReplied(llm.Reply{Message: llm.Message{Role: llm.Assistant, Content: "Looking \x1b[31mnow.",
		ToolCalls: []llm.ToolCall{{ID: "call_1", Name: "kubectl", Arguments: string(args)}}}})
	if err != nil {
		t.Fatal(err)
	}
	step, _ = s.Approve(step.CallID, false)
	step, _ = s.ActionDone(step.CallID, kube.Result{Output: "5m Warning FailedScheduling pod/web-1\n", Summary: "1 line"}, nil)
	want := step.Request // the request being sent now: the last one
	s.Close()
	if len(want.Messages) <= len(first.Request.Messages) {
		t.Fatalf("the second request has %d messages", len(want.Messages))
	}

	tests := []struct {
		name  string
		args  []string
		check func(t *testing.T, out string)
		err   string
	}{
		{"text", []string{"last"}, func(t *testing.T, out string) {
			if !strings.HasPrefix(out, "Last model request of session 20260314-120000-abcd (sent to test-model): ") {
				t.Errorf("header: %q", firstLine(out))
			}
			if !strings.HasSuffix(out, session.FormatRequest(want)) {
				t.Errorf("the messages are not the request sent:\n%s", out)
			}
			for _, w := range []string{"── 1 · system ──", "→ tool call call_1: kubectl", "FailedScheduling", "answers call_1"} {
				if !strings.Contains(out, w) {
					t.Errorf("lacks %q", w)
				}
			}
		}, ""},
		{"json", []string{"20260314", "--format", "json"}, func(t *testing.T, out string) {
			var got llm.Request
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatalf("json: %v\n%s", err, out)
			}
			gb, _ := json.Marshal(got)
			wb, _ := json.Marshal(want)
			var g, w bytes.Buffer
			json.Compact(&g, gb)
			json.Compact(&w, wb)
			if g.String() != w.String() {
				t.Errorf("json request differs from the one sent:\n%s\nwant:\n%s", g.String(), w.String())
			}
		}, ""},
		{"unknown format", []string{"last", "--format", "yaml"}, nil, "unknown format"},
		{"unknown session", []string{"nope"}, nil, "no session"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := runCmd(t, append([]string{"sessions", "show-request"}, tt.args...)...)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Errorf("error %v, want one about %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c := strings.IndexFunc(out, func(r rune) bool {
				return r < 0x20 && r != '\n' && r != '\t' || r >= 0x7f && r <= 0x9f || r >= 0x202a && r <= 0x202e
			}); c >= 0 {
				t.Errorf("control character at %d: %q", c, out[max(c-20, 0):min(c+20, len(out))])
			}
			if strings.Contains(out, "hunter2") {
				t.Error("the server password is in the request")
			}
			tt.check(t, out)
		})
	}
}

func firstLine(s string) string { return strings.SplitN(s, "\n", 2)[0] }
