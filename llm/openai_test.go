package llm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kuberesponder/kuberesponder/llm/llmtest"
)

const testKey = "sk-test-5ecret-key-0123456789"

// recorder collects what Complete reports.
type recorder struct {
	mu      sync.Mutex
	text    []string
	retries []Retry
	waits   []time.Duration
}

func (r *recorder) onDelta(d Delta) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if d.Retry != nil {
		r.retries = append(r.retries, *d.Retry)
		r.text = nil // streamed text is void after a retry notice
		return
	}
	r.text = append(r.text, d.Content)
}

// newClient returns a client of srv whose backoff sleeps are recorded, not slept.
func newClient(t *testing.T, srv *llmtest.Server, rec *recorder, edit func(*Config)) *OpenAI {
	t.Helper()
	cfg := Config{APIKey: testKey, BaseURL: srv.URL(), Model: "test-model", IdleTimeout: 5 * time.Second}
	if edit != nil {
		edit(&cfg)
	}
	o, err := NewOpenAI(cfg)
	if err != nil {
		t.Fatalf("NewOpenAI: %v", err)
	}
	o.sleep = func(ctx context.Context, d time.Duration) error {
		rec.mu.Lock()
		rec.waits = append(rec.waits, d)
		rec.mu.Unlock()
		return ctx.Err()
	}
	return o
}

func ask(text string) Request {
	return Request{Messages: []Message{{Role: System, Content: "You help."}, {Role: User, Content: text}}}
}

var kubectlTool = ToolSpec{Name: "kubectl", Description: "run kubectl", Parameters: json.RawMessage(`{"type":"object","properties":{"command":{"type":"string"}}}`)}

func TestStreamText(t *testing.T) {
	const want = "The pod web-1 is Pending: no node has 64 CPUs."
	srv := llmtest.New(t, llmtest.Turn{Text: want, Chunks: 6})
	var rec recorder
	rep, err := newClient(t, srv, &rec, nil).Complete(context.Background(), ask("why?"), rec.onDelta)
	if err != nil {
		t.Fatalf("Complete: %v", err)
	}
	if rep.Message.Content != want || rep.Message.Role != Assistant {
		t.Errorf("reply = %+v, want text %q", rep.Message, want)
	}
	if len(rec.text) != 6 || strings.Join(rec.text, "") != want {
		t.Errorf("deltas = %q, want 6 pieces of %q", rec.text, want)
	}
	if rep.FinishReason != "stop" || rep.Usage.TotalTokens == 0 || rep.Usage.Estimated {
		t.Errorf("finish %q usage %+v, want stop and reported usage", rep.FinishReason, rep.Usage)
	}
	r, _ := srv.Last()
	if !r.Chat.Stream || r.Chat.StreamOptions == nil || !r.Chat.StreamOptions.IncludeUsage {
		t.Errorf("request stream=%v options=%v, want a stream with usage", r.Chat.Stream, r.Chat.StreamOptions)
	}
	if r.Header.Get("Authorization") != "Bearer "+testKey || r.Chat.Model != "test-model" {
		t.Errorf("auth %q model %q", r.Header.Get("Authorization"), r.Chat.Model)
	}
	if len(r.Chat.Messages) != 2 || r.Chat.Messages[0].Role != "system" || r.Chat.Messages[1].Content != "why?" {
		t.Errorf("messages = %+v", r.Chat.Messages)
	}
}

func TestToolCalls(t *testing.T) {
	a := llmtest.Kubectl("call_a", "describe pod web-1 -n shop", "see why it is Pending")
	b := llmtest.Kubectl("call_b", "get nodes", "check capacity")
	tests := []struct {
		name  string
		turn  llmtest.Turn
		want  []ToolCall
		genID bool // ids are generated
	}{
		{"one call split in chunks", llmtest.Turn{ToolCalls: []llmtest.ToolCall{a}, Chunks: 7},
			[]ToolCall{{a.ID, a.Name, a.Arguments}}, false},
		{"parallel calls", llmtest.Calls(a, b), []ToolCall{{a.ID, a.Name, a.Arguments}, {b.ID, b.Name, b.Arguments}}, false},
		{"parallel calls interleaved", llmtest.Turn{ToolCalls: []llmtest.ToolCall{a, b}, Interleave: true, Chunks: 4},
			[]ToolCall{{a.ID, a.Name, a.Arguments}, {b.ID, b.Name, b.Arguments}}, false},
		{"no index", llmtest.Turn{ToolCalls: []llmtest.ToolCall{a, b}, NoIndex: true},
			[]ToolCall{{a.ID, a.Name, a.Arguments}, {b.ID, b.Name, b.Arguments}}, false},
		{"text then call", llmtest.Turn{Text: "Let me look.", ToolCalls: []llmtest.ToolCall{a}},
			[]ToolCall{{a.ID, a.Name, a.Arguments}}, false},
		{"missing ids", llmtest.Calls(llmtest.Call("", "kubectl", `{"command":"get pods"}`), llmtest.Call("", "kubectl", `{"command":"get nodes"}`)),
			[]ToolCall{{"", "kubectl", `{"command":"get pods"}`}, {"", "kubectl", `{"command":"get nodes"}`}}, true},
		{"empty arguments", llmtest.Calls(llmtest.Call("call_e", "kubectl", "")), []ToolCall{{"call_e", "kubectl", "{}"}}, false},
		{"malformed arguments pass through", llmtest.Calls(llmtest.Call("call_m", "kubectl", `{"command": "get po`)),
			[]ToolCall{{"call_m", "kubectl", `{"command": "get po`}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := llmtest.New(t, tt.turn)
			var rec recorder
			req := ask("look")
			req.Tools = []ToolSpec{kubectlTool}
			rep, err := newClient(t, srv, &rec, nil).Complete(context.Background(), req, rec.onDelta)
			if err != nil {
				t.Fatalf("Complete: %v", err)
			}
			got := rep.Message.ToolCalls
			if len(got) != len(tt.want) {
				t.Fatalf("tool calls = %+v, want %+v", got, tt.want)
			}
			ids := map[string]bool{}
			for i := range got {
				if tt.genID {
					if !strings.HasPrefix(got[i].ID, "call_") || ids[got[i].ID] {
						t.Errorf("generated id %q is not a fresh call_ id", got[i].ID)
					}
					ids[got[i].ID] = true
					got[i].ID = ""
				}
				if got[i] != tt.want[i] {
					t.Errorf("call %d = %+v, want %+v", i, got[i], tt.want[i])
				}
			}
			if rep.Message.Content != tt.turn.Text || rep.FinishReason != "tool_calls" {
				t.Errorf("text %q finish %q", rep.Message.Content, rep.FinishReason)
			}
			if r, _ := srv.Last(); len(r.Chat.Tools) != 1 || r.Chat.Tools[0].Name != "kubectl" {
				t.Errorf("tools sent = %+v", r.Chat.Tools)
			}
		})
	}
}

func TestConversationWireFormat(t *testing.T) {
	srv := llmtest.New(t, llmtest.Text("done"))
	var rec recorder
	req := Request{Tools: []ToolSpec{{Name: "kubectl"}}, Messages: []Message{
		{Role: User, Content: "why is web-1 pending?"},
		{Role: Assistant, ToolCalls: []ToolCall{{ID: "c1", Name: "kubectl", Arguments: `{"command":"get pods"}`}, {ID: "c2", Name: "kubectl"}}},
		{Role: Tool, ToolCallID: "c1", Content: "NAME READY\nweb-1 0/1"},
		{Role: Tool, ToolCallID: "c2"},
	}}
	if _, err := newClient(t, srv, &rec, nil).Complete(context.Background(), req, nil); err != nil {
		t.Fatalf("Complete: %v", err)
	}
	srv.AssertToolCallsAnswered(t)
	r, _ := srv.Last()
	m := r.Chat.Messages
	if m[1].HasContent || len(m[1].ToolCalls) != 2 || m[1].ToolCalls[1].Arguments != "{}" {
		t.Errorf("assistant message = %+v, want two calls, no content, empty arguments as {}", m[1])
	}
	if m[2].ToolCallID != "c1" || m[3].ToolCallID != "c2" || m[3].Content == "" {
		t.Errorf("tool answers = %+v %+v, want c1, c2, never empty", m[2], m[3])
	}
	if string(r.Chat.Tools[0].Parameters) != string(emptySchema) {
		t.Errorf("parameters = %s, want the empty object schema", r.Chat.Tools[0].Parameters)
	}
}

func TestUsageEstimatedWhenAbsent(t *testing.T) {
	srv := llmtest.New(t, llmtest.Turn{Text: "four score and seven", NoUsage: true})
	var rec recorder
	rep, err := newClient(t, srv, &rec, nil).Complete(context.Background(), ask("count"), nil)
	if err != nil {
		t.Fatalf("Complete: %v", err)
	}
	if !rep.Usage.Estimated || rep.Usage.PromptTokens == 0 || rep.Usage.CompletionTokens == 0 ||
		rep.Usage.TotalTokens != rep.Usage.PromptTokens+rep.Usage.CompletionTokens {
		t.Errorf("usage = %+v, want a local estimate", rep.Usage)
	}
}

func TestStreamOptionsRejected(t *testing.T) {
	srv := llmtest.NewFunc(t, func(r llmtest.Request) llmtest.Turn {
		if r.Chat.StreamOptions != nil {
			return llmtest.Turn{Fault: llmtest.Fault{Kind: llmtest.HTTPError, Status: 400, Message: "Unrecognized request argument supplied: stream_options"}}
		}
		return llmtest.Text("ok")
	})
	var rec recorder
	c := newClient(t, srv, &rec, nil)
	for i := 0; i < 2; i++ {
		if rep, err := c.Complete(context.Background(), ask("hi"), rec.onDelta); err != nil || rep.Message.Content != "ok" {
			t.Fatalf("call %d: %q, %v", i, rep.Message.Content, err)
		}
	}
	if n := len(srv.Requests()); n != 3 || len(rec.retries) != 0 {
		t.Errorf("%d requests, %d retry notices; want 3 (one rejected) and none", n, len(rec.retries))
	}
}

func TestNoStream(t *testing.T) {
	a := llmtest.Kubectl("", "get pods", "")
	srv := llmtest.New(t,
		llmtest.Text("whole").WithFault(llmtest.Fault{Kind: llmtest.Truncate}),
		llmtest.Turn{Text: "whole", ToolCalls: []llmtest.ToolCall{a}})
	var rec recorder
	rep, err := newClient(t, srv, &rec, func(c *Config) { c.NoStream = true }).Complete(context.Background(), ask("hi"), rec.onDelta)
	if err != nil {
		t.Fatalf("Complete: %v", err)
	}
	if rep.Message.Content != "whole" || len(rep.Message.ToolCalls) != 1 || rep.Message.ToolCalls[0].ID == "" {
		t.Errorf("reply = %+v", rep.Message)
	}
	if r, _ := srv.Last(); r.Chat.Stream || r.Chat.StreamOptions != nil {
		t.Errorf("request asked for a stream")
	}
	if len(rec.retries) != 1 || strings.Join(rec.text, "") != "whole" {
		t.Errorf("retries %+v text %q, want one retry and the text once", rec.retries, rec.text)
	}
}

func TestAzure(t *testing.T) {
	srv := llmtest.New(t, llmtest.Text("hi"))
	var rec recorder
	c := newClient(t, srv, &rec, func(c *Config) {
		c.BaseURL, c.AzureDeployment, c.APIVersion, c.Model = srv.Root(), "gpt4o-prod", "2024-10-21", "gpt-4o"
	})
	if _, err := c.Complete(context.Background(), ask("hi"), nil); err != nil {
		t.Fatalf("Complete: %v", err)
	}
	r, _ := srv.Last()
	if r.Path != "/openai/deployments/gpt4o-prod/chat/completions" || r.Query.Get("api-version") != "2024-10-21" {
		t.Errorf("URL = %s?%s", r.Path, r.Query.Encode())
	}
	if r.Header.Get("api-key") != testKey || r.Header.Get("Authorization") != "" {
		t.Errorf("api-key %q Authorization %q, want the key in api-key only", r.Header.Get("api-key"), r.Header.Get("Authorization"))
	}
}

func TestNewOpenAI(t *testing.T) {
	tests := []struct {
		cfg  Config
		want error // nil: no error; errAny: some error
	}{
		{Config{}, ErrNoAPIKey},
		{Config{BaseURL: "https://api.openai.com/v1"}, ErrNoAPIKey},
		{Config{BaseURL: "https://x.openai.azure.com", AzureDeployment: "d"}, ErrNoAPIKey},
		{Config{BaseURL: "http://localhost:11434/v1"}, nil},
		{Config{APIKey: "k"}, nil},
		{Config{APIKey: "k", BaseURL: "localhost:8000"}, errAny},
		{Config{APIKey: "k", BaseURL: "ftp://x/v1"}, errAny},
	}
	for _, tt := range tests {
		_, err := NewOpenAI(tt.cfg)
		switch {
		case tt.want == errAny && err == nil, tt.want != errAny && !errors.Is(err, tt.want):
			t.Errorf("NewOpenAI(%+v) = %v, want %v", tt.cfg, err, tt.want)
		}
	}
	if !strings.Contains(ErrNoAPIKey.Error(), "--offline") {
		t.Errorf("ErrNoAPIKey = %q, want a hint at --offline", ErrNoAPIKey)
	}
}

var errAny = errors.New("any error")

func TestKeyNotPrinted(t *testing.T) {
	cfg := Config{APIKey: testKey, BaseURL: "https://user:pw@x.example/v1?key=" + testKey, Model: "m"}
	o, err := NewOpenAI(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{fmt.Sprint(cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", cfg), fmt.Sprint(o), fmt.Sprintf("%+v", o)} {
		if strings.Contains(s, testKey) || strings.Contains(s, "pw") {
			t.Errorf("printed %q leaks a credential", s)
		}
	}
}

func TestRetryString(t *testing.T) {
	tests := []struct {
		r    Retry
		want string
	}{
		{Retry{Attempt: 1, Of: 4, Wait: 4 * time.Second, Reason: "429"}, "retrying in 4 s (429, retry 1 of 4)"},
		{Retry{Attempt: 2, Of: 4, Wait: 1600 * time.Millisecond, Reason: "connection reset"}, "retrying in 2 s (connection reset, retry 2 of 4)"},
		{Retry{Attempt: 3, Of: 4, Wait: 250 * time.Millisecond, Reason: "stalled"}, "retrying in 250 ms (stalled, retry 3 of 4)"},
	}
	for _, tt := range tests {
		if got := tt.r.String(); got != tt.want {
			t.Errorf("%+v.String() = %q, want %q", tt.r, got, tt.want)
		}
	}
}
