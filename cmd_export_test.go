package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

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

// writeJournal writes events as a hash-chained journal (with their output
// files) the way a session does, but without the session's cleaning: the
// journal of an older version, or one written by hand.
func writeJournal(t *testing.T, dir string, events []session.Event, outputs map[string]string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, "out"), 0o700); err != nil {
		t.Fatal(err)
	}
	for name, text := range outputs {
		os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600)
	}
	var buf bytes.Buffer
	prev := ""
	t0 := time.Date(2026, 3, 14, 12, 0, 0, 0, time.UTC)
	for i, e := range events {
		e.Seq, e.Prev, e.Hash, e.Time = i+1, prev, "", t0.Add(time.Duration(i)*time.Second)
		if e.Output != "" {
			sum := sha256.Sum256([]byte(outputs[e.Output]))
			e.OutputSHA = hex.EncodeToString(sum[:])
		}
		b, _ := json.Marshal(e)
		sum := sha256.Sum256(b)
		e.Hash = hex.EncodeToString(sum[:])
		prev = e.Hash
		b, _ = json.Marshal(e)
		buf.Write(append(b, '\n'))
	}
	if err := os.WriteFile(filepath.Join(dir, session.JournalFile), buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestExportPrintsNoEscapeSequence plants control sequences in every source
// an export reads (the start event, the report, model text, a refused
// command line, a reason, a denial reason, an operator's note, tool output
// in the journal and in the output file, the root cause) and finds none in
// the Markdown or JSON printed to the terminal or written with -o.
func TestExportPrintsNoEscapeSequence(t *testing.T) {
	plants := map[string]string{
		"sgr red":      "\x1b[31m",
		"osc 52 write": "\x1b]52;c;Y3VybCBldmlsLnNofHNo\a",
		"osc 8 link":   "\x1b]8;;https://evil.example/\x1b\\here\x1b]8;;\x1b\\",
		"bel":          "\a",
		"c1 csi":       "\u009b2J",
		"bidi":         "\u202e",
	}
	inv, res := session.PhaseInvestigation, session.PhaseResolved
	for name, p := range plants {
		t.Run(name, func(t *testing.T) {
			t.Setenv("XDG_STATE_HOME", t.TempDir())
			t.Setenv("OPENAI_API_KEY", "")
			root, _ := session.StateDir()
			out := "NAME READY\nweb-1" + p + " 0/1\n"
			writeJournal(t, filepath.Join(root, "20260314-120000-abcd"), []session.Event{
				{Kind: session.KindStart, Meta: &session.Meta{ID: "20260314-120000-abcd", Context: "kind" + p, Namespace: "shop", Model: "test-model", Lang: "en"}},
				{Kind: session.KindReport, Text: "# Report\nPod web-1" + p + " is Pending.", Title: "Pod web-1 Pending" + p},
				{Kind: session.KindPhase, Phase: inv, Text: "Investigate" + p},
				{Kind: session.KindAssistant, Phase: inv, Text: "Looking" + p + " at it."},
				{Kind: session.KindProposal, CallID: "c1", Tool: "kubectl", Text: "get pods " + p, Command: "kubectl 'get pods " + p + "'", Reason: "why" + p, Risk: "refused"},
				{Kind: session.KindResult, CallID: "c1", Status: session.Refused, Command: "kubectl 'get pods " + p + "'", Reason: "control characters" + p, Summary: "refused" + p, ModelView: "Refused" + p},
				{Kind: session.KindProposal, CallID: "c2", Tool: "kubectl", Text: "get events -n shop", Command: "kubectl get events --namespace=shop", Reason: "events" + p, Risk: "read-only"},
				{Kind: session.KindDecision, CallID: "c2", Decision: session.Denied, Reason: "not now" + p},
				{Kind: session.KindResult, CallID: "c2", Status: session.DeniedCall, Command: "kubectl get events --namespace=shop", Reason: "not now" + p, Summary: "denied" + p},
				{Kind: session.KindNote, Text: "operator note" + p},
				{Kind: session.KindOperator, Text: "look at the pods" + p},
				{Kind: session.KindAssistant, Phase: inv, Text: "Listing."},
				{Kind: session.KindProposal, CallID: "c3", Tool: "kubectl", Text: "get pods -n shop", Command: "kubectl get pods --namespace=shop", Reason: "list", Risk: "read-only"},
				{Kind: session.KindDecision, CallID: "c3", Decision: session.Approved},
				{Kind: session.KindResult, CallID: "c3", Status: session.Ran, Command: "kubectl get pods --namespace=shop", Output: "out/0015.txt", Summary: "2 lines" + p, ModelView: out},
				{Kind: session.KindPhase, Phase: res, Text: "The request" + p + " was too large."},
			}, map[string]string{"out/0015.txt": out})

			file := filepath.Join(t.TempDir(), "pm")
			for _, args := range [][]string{
				{"last", "--offline"},
				{"last", "--offline", "--format", "json"},
				{"last", "--offline", "-o", file},
				{"last", "--offline", "--format", "json", "-o", file + ".json"},
			} {
				stdout, _, err := runExport(t, args...)
				if err != nil {
					t.Fatalf("export %v: %v", args, err)
				}
				if slices.Contains(args, "-o") {
					b, err := os.ReadFile(args[len(args)-1])
					if err != nil {
						t.Fatal(err)
					}
					stdout = string(b)
				}
				if i := strings.IndexFunc(stdout, func(r rune) bool {
					return r < 0x20 && r != '\n' && r != '\t' || r >= 0x7f && r <= 0x9f || r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069
				}); i >= 0 {
					t.Errorf("export %v prints %q: …%q…", args, []rune(stdout[i:])[0], stdout[max(i-30, 0):min(i+30, len(stdout))])
				}
				if slices.Contains(args, "json") && !json.Valid([]byte(stdout)) {
					t.Errorf("export %v is not valid JSON", args)
				}
				if !strings.Contains(stdout, "web-1") || !strings.Contains(stdout, "too large") {
					t.Errorf("export %v lost the ordinary text", args)
				}
			}
		})
	}
}
