package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
