package llmtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Request is one request the server received, decoded.
type Request struct {
	N      int // 1 for the first request
	Method string
	Path   string
	Query  url.Values
	Header http.Header
	Body   []byte
	Chat   ChatRequest
}

// ChatRequest is the decoded body of a chat completions request.
type ChatRequest struct {
	Model               string         `json:"model"`
	Messages            []Message      `json:"messages"`
	Tools               []Tool         `json:"tools,omitempty"`
	Stream              bool           `json:"stream"`
	StreamOptions       *StreamOptions `json:"stream_options,omitempty"`
	MaxTokens           int            `json:"max_tokens,omitempty"`
	MaxCompletionTokens int            `json:"max_completion_tokens,omitempty"`
	Temperature         *float64       `json:"temperature,omitempty"`
}

// StreamOptions is the stream_options field of a request.
type StreamOptions struct {
	IncludeUsage bool `json:"include_usage"`
}

// Message is one message of a recorded request. Content holds the text,
// also when the client sent it as an array of parts; HasContent tells
// whether a content field was present at all.
type Message struct {
	Role       string
	Content    string
	HasContent bool
	ToolCalls  []ToolCall
	ToolCallID string
	Name       string
}

type wireToolCall struct {
	Index    *int   `json:"index,omitempty"`
	ID       string `json:"id,omitempty"`
	Type     string `json:"type,omitempty"`
	Function struct {
		Name      string `json:"name,omitempty"`
		Arguments string `json:"arguments"`
	} `json:"function"`
}

// UnmarshalJSON decodes a message in the OpenAI wire format.
func (m *Message) UnmarshalJSON(b []byte) error {
	var w struct {
		Role       string          `json:"role"`
		Content    json.RawMessage `json:"content"`
		ToolCalls  []wireToolCall  `json:"tool_calls"`
		ToolCallID string          `json:"tool_call_id"`
		Name       string          `json:"name"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*m = Message{Role: w.Role, ToolCallID: w.ToolCallID, Name: w.Name}
	c := bytes.TrimSpace(w.Content)
	if len(c) > 0 && !bytes.Equal(c, []byte("null")) {
		m.HasContent = true
		if c[0] == '[' {
			var parts []struct {
				Type string `json:"type"`
				Text string `json:"text"`
			}
			if err := json.Unmarshal(c, &parts); err != nil {
				return fmt.Errorf("content parts: %w", err)
			}
			var sb strings.Builder
			for _, p := range parts {
				sb.WriteString(p.Text)
			}
			m.Content = sb.String()
		} else if err := json.Unmarshal(c, &m.Content); err != nil {
			return fmt.Errorf("content: %w", err)
		}
	}
	for _, tc := range w.ToolCalls {
		m.ToolCalls = append(m.ToolCalls, ToolCall{ID: tc.ID, Name: tc.Function.Name, Arguments: tc.Function.Arguments})
	}
	return nil
}

// Tool is one tool offered in a recorded request.
type Tool struct {
	Type        string
	Name        string
	Description string
	Parameters  json.RawMessage
}

// UnmarshalJSON decodes a tool in the OpenAI wire format.
func (t *Tool) UnmarshalJSON(b []byte) error {
	var w struct {
		Type     string `json:"type"`
		Function struct {
			Name        string          `json:"name"`
			Description string          `json:"description"`
			Parameters  json.RawMessage `json:"parameters"`
		} `json:"function"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*t = Tool{Type: w.Type, Name: w.Function.Name, Description: w.Function.Description, Parameters: w.Function.Parameters}
	return nil
}

// CheckToolCallsAnswered reports the first violation of the rule that
// OpenAI-compatible APIs enforce: the tool calls of an assistant message are
// followed immediately by exactly one tool message per call, in the order of
// the calls, and no tool message answers anything else.
func CheckToolCallsAnswered(msgs []Message) error {
	seen := map[string]bool{}
	for i := 0; i < len(msgs); i++ {
		m := msgs[i]
		if m.Role == "tool" {
			return fmt.Errorf("message %d: tool message for %q answers no preceding tool call", i, m.ToolCallID)
		}
		if m.Role != "assistant" || len(m.ToolCalls) == 0 {
			continue
		}
		for _, tc := range m.ToolCalls {
			if tc.ID == "" {
				return fmt.Errorf("message %d: tool call %q has no id", i, tc.Name)
			}
			if seen[tc.ID] {
				return fmt.Errorf("message %d: tool call id %q used twice", i, tc.ID)
			}
			seen[tc.ID] = true
		}
		for j, tc := range m.ToolCalls {
			k := i + 1 + j
			if k >= len(msgs) || msgs[k].Role != "tool" {
				return fmt.Errorf("message %d: tool call %q (%d of %d) has no tool answer", i, tc.ID, j+1, len(m.ToolCalls))
			}
			if msgs[k].ToolCallID != tc.ID {
				return fmt.Errorf("message %d: tool answer for %q where %q was expected", k, msgs[k].ToolCallID, tc.ID)
			}
		}
		i += len(m.ToolCalls)
	}
	return nil
}
