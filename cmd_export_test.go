package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kuberesponder/kuberesponder/session"
)

// exportSession records a small session in a private state directory.
func exportSession(t *testing.T, lang string) string {
	t.Helper()
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	t.Setenv("OPENAI_API_KEY", "")
	root, err := session.StateDir()
	if err != nil {
		t.Fatal(err)
	}
	s, err := session.New(filepath.Join(root, "20250314-090000-abcd"), session.Meta{
		Context: "kind-test", User: "oncall", Namespace: "default", Model: "offline", Lang: lang,
	}, session.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Note("token Bearer cliCanary0123456789"); err != nil {
		t.Fatal(err)
	}
	if err := s.Resolve("The request was larger than any node's free memory."); err != nil {
		t.Fatal(err)
	}
	return s.Dir()
}

func runExport(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	cmd := newRootCmd()
	var out, errOut bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs(append([]string{"export"}, args...))
	err = cmd.Execute()
	return out.String(), errOut.String(), err
}

func TestExportCommand(t *testing.T) {
	exportSession(t, "ja")

	out, _, err := runExport(t, "last", "--offline")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out, "# 事後検証レポート") || !strings.Contains(out, "ハッシュチェーン検証済み") {
		t.Errorf("markdown export in the session's language expected, got:\n%s", out)
	}
	if strings.Contains(out, "cliCanary0123456789") {
		t.Error("the export carries the canary")
	}

	out, _, err = runExport(t, "20250314", "--offline", "--format", "json", "--lang", "en")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Version int    `json:"version"`
		Lang    string `json:"lang"`
		Journal struct {
			Verified bool `json:"verified"`
		} `json:"journal"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("json export: %v\n%s", err, out)
	}
	if doc.Version != 1 || doc.Lang != "en" || !doc.Journal.Verified {
		t.Errorf("json export %+v: want version 1, lang en, verified", doc)
	}

	file := filepath.Join(t.TempDir(), "pm.md")
	_, errOut, err := runExport(t, "last", "--offline", "-o", file)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(file); err != nil || !bytes.HasPrefix(b, []byte("# ")) {
		t.Errorf("-o %s: %v, %q", file, err, b)
	}
	if !strings.Contains(errOut, file) {
		t.Errorf("stderr %q does not name the file", errOut)
	}

	// Without --offline and without a key, the rules draft and say so.
	_, errOut, err = runExport(t, "last")
	if err != nil || !strings.Contains(errOut, "drafted from rules") {
		t.Errorf("no key: err %v, stderr %q", err, errOut)
	}
}

func TestExportCommandErrors(t *testing.T) {
	exportSession(t, "en")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"nosuch", "--offline"}, "there is no session"},
		{[]string{"last", "--offline", "--format", "pdf"}, "unknown format"},
		{[]string{"last", "--offline", "--lang", "fr"}, "unknown language"},
		{[]string{"--offline"}, "accepts 1 arg"},
	} {
		_, _, err := runExport(t, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("export %v: error %v, want %q", tc.args, err, tc.want)
		}
	}
}
