package llmtest

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

func post(t *testing.T, url, body string) *http.Response {
	t.Helper()
	resp, err := http.Post(url+"/chat/completions", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatalf("POST: %v", err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// events reads the data lines of an SSE body.
func events(t *testing.T, r io.Reader) []string {
	t.Helper()
	var out []string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			continue
		}
		if !strings.HasPrefix(line, "data: ") {
			t.Fatalf("line %q is not an SSE data line", line)
		}
		out = append(out, strings.TrimPrefix(line, "data: "))
	}
	return out
}

const streamReq = `{"model":"m","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}`

func TestStreamWireFormat(t *testing.T) {
	s := New(t, Turn{Text: "abcdef", ToolCalls: []ToolCall{Kubectl("c1", "get pods", "look")}, Chunks: 2})
	resp := post(t, s.URL(), streamReq)
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Errorf("Content-Type %q", ct)
	}
	ev := events(t, resp.Body)
	if ev[len(ev)-1] != "[DONE]" {
		t.Fatalf("last event %q, want [DONE]", ev[len(ev)-1])
	}
	var text, args string
	ids, finish, usage := 0, "", 0
	for _, e := range ev[:len(ev)-1] {
		var c chunk
		if err := json.Unmarshal([]byte(e), &c); err != nil {
			t.Fatalf("event %q: %v", e, err)
		}
		if c.Usage != nil {
			usage++
			continue
		}
		d := c.Choices[0].Delta
		if d.Content != nil {
			text += *d.Content
		}
		for _, tc := range d.ToolCalls {
			if tc.ID != "" {
				ids++
			}
			if tc.Index == nil || *tc.Index != 0 {
				t.Errorf("fragment without index 0: %s", e)
			}
			args += tc.Function.Arguments
		}
		if f := c.Choices[0].FinishReason; f != nil {
			finish = *f
		}
	}
	if text != "abcdef" || args != `{"command":"get pods","reason":"look"}` || ids != 1 || finish != "tool_calls" || usage != 1 {
		t.Errorf("text %q args %q ids %d finish %q usage chunks %d", text, args, ids, finish, usage)
	}
}

func TestWholeResponse(t *testing.T) {
	s := New(t, Calls(Call("c1", "kubectl", `{"command":"get nodes"}`)))
	resp := post(t, s.URL(), `{"model":"m","messages":[{"role":"user","content":"hi"}]}`)
	var got struct {
		Choices []struct {
			Message struct {
				Content   *string `json:"content"`
				ToolCalls []struct {
					ID string `json:"id"`
				} `json:"tool_calls"`
			} `json:"message"`
			FinishReason string `json:"finish_reason"`
		} `json:"choices"`
		Usage *Usage `json:"usage"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	if len(got.Choices) != 1 || got.Choices[0].Message.Content != nil || got.Choices[0].Message.ToolCalls[0].ID != "c1" ||
		got.Choices[0].FinishReason != "tool_calls" || got.Usage == nil {
		t.Errorf("response = %+v", got)
	}
}

func TestRecordsRequests(t *testing.T) {
	s := New(t, Text("a"), Error(429, "1"))
	post(t, s.URL(), `{"model":"m","stream":true,"messages":[
		{"role":"system","content":"sys"},
		{"role":"user","content":[{"type":"text","text":"part one "},{"type":"text","text":"part two"}]},
		{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"kubectl","arguments":"{}"}}]},
		{"role":"tool","tool_call_id":"c1","content":"out"}],
		"tools":[{"type":"function","function":{"name":"kubectl","description":"d","parameters":{"type":"object"}}}]}`)
	resp := post(t, s.Root()+"/openai/deployments/d", `{"model":"m","messages":[]}`)
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "1" {
		t.Errorf("status %d Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	rs := s.Requests()
	if len(rs) != 2 || rs[0].N != 1 || rs[1].Path != "/openai/deployments/d/chat/completions" {
		t.Fatalf("requests = %+v", rs)
	}
	m := rs[0].Chat.Messages
	if m[1].Content != "part one part two" || m[2].HasContent || m[2].ToolCalls[0] != (ToolCall{"c1", "kubectl", "{}"}) ||
		m[3].ToolCallID != "c1" || rs[0].Chat.Tools[0].Name != "kubectl" {
		t.Errorf("decoded = %+v tools %+v", m, rs[0].Chat.Tools)
	}
	s.AssertToolCallsAnswered(t)
}

func TestScriptExhausted(t *testing.T) {
	s := New(nil)
	defer s.Close()
	resp := post(t, s.URL(), `{"model":"m","messages":[]}`)
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 400 || !strings.Contains(string(b), "no scripted turn for request 1") {
		t.Errorf("status %d body %s", resp.StatusCode, b)
	}
}

func TestReset(t *testing.T) {
	s := New(t, Text("abcdef").WithFault(Fault{Kind: Reset, After: 2}))
	resp := post(t, s.URL(), streamReq)
	if _, err := io.ReadAll(resp.Body); err == nil {
		t.Error("reading a reset stream succeeded")
	}
}

func TestCheckToolCallsAnswered(t *testing.T) {
	call := func(ids ...string) Message {
		m := Message{Role: "assistant"}
		for _, id := range ids {
			m.ToolCalls = append(m.ToolCalls, ToolCall{ID: id, Name: "kubectl"})
		}
		return m
	}
	ans := func(id string) Message { return Message{Role: "tool", ToolCallID: id} }
	user := Message{Role: "user", Content: "hi"}
	tests := []struct {
		name string
		msgs []Message
		err  string // substring; empty means valid
	}{
		{"no calls", []Message{user, {Role: "assistant", Content: "x"}}, ""},
		{"one answered", []Message{user, call("a"), ans("a"), user}, ""},
		{"parallel in order", []Message{user, call("a", "b"), ans("a"), ans("b")}, ""},
		{"two turns", []Message{user, call("a"), ans("a"), call("b"), ans("b")}, ""},
		{"unanswered", []Message{user, call("a")}, `tool call "a" (1 of 1) has no tool answer`},
		{"user before answer", []Message{user, call("a"), user, ans("a")}, `tool call "a" (1 of 1) has no tool answer`},
		{"second unanswered", []Message{user, call("a", "b"), ans("a"), user}, `tool call "b" (2 of 2) has no tool answer`},
		{"out of order", []Message{user, call("a", "b"), ans("b"), ans("a")}, `tool answer for "b" where "a" was expected`},
		{"answered twice", []Message{user, call("a"), ans("a"), ans("a")}, `tool message for "a" answers no preceding tool call`},
		{"orphan answer", []Message{user, ans("x")}, "answers no preceding tool call"},
		{"id reused", []Message{user, call("a"), ans("a"), call("a"), ans("a")}, `tool call id "a" used twice`},
		{"missing id", []Message{user, call(""), ans("")}, "has no id"},
	}
	for _, tt := range tests {
		err := CheckToolCallsAnswered(tt.msgs)
		switch {
		case tt.err == "" && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("%s: error %v, want %q", tt.name, err, tt.err)
		}
	}
}
