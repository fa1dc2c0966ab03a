// Package llm holds provider-neutral chat types, the one Client interface the
// rest of the product uses, and the adapter for OpenAI-compatible endpoints.
package llm

import (
	"context"
	"encoding/json"
	"time"
)

// Role names who wrote a message.
type Role string

// The roles of a chat conversation.
const (
	System    Role = "system"
	User      Role = "user"
	Assistant Role = "assistant"
	Tool      Role = "tool"
)

// ToolCall is one function call the model asked for.
type ToolCall struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
}

// Message is one chat message.
type Message struct {
	Role       Role       `json:"role"`
	Content    string     `json:"content,omitempty"`
	ToolCalls  []ToolCall `json:"toolCalls,omitempty"`
	ToolCallID string     `json:"toolCallId,omitempty"`
}

// ToolSpec describes a tool offered to the model; Parameters is a JSON schema.
type ToolSpec struct {
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Parameters  json.RawMessage `json:"parameters"`
}

// Request is one chat completion request.
type Request struct {
	Model       string     `json:"model"`
	Messages    []Message  `json:"messages"`
	Tools       []ToolSpec `json:"tools,omitempty"`
	Temperature *float32   `json:"temperature,omitempty"`
	MaxTokens   int        `json:"maxTokens,omitempty"`
}

// Usage is the token accounting of one call.
type Usage struct {
	PromptTokens     int `json:"promptTokens"`
	CompletionTokens int `json:"completionTokens"`
	TotalTokens      int `json:"totalTokens"`
}

// Reply is the assistant message a call produced.
type Reply struct {
	Message      Message `json:"message"`
	Usage        Usage   `json:"usage"`
	FinishReason string  `json:"finishReason,omitempty"`
}

// Retry tells the caller that a call failed and will be tried again.
type Retry struct {
	Attempt int           // 1 for the first retry
	Wait    time.Duration // how long until the next attempt
	Reason  string        // "429", "500", "connection reset", "timeout"
}

// Delta is one streamed piece of a reply: text, or a retry notice.
type Delta struct {
	Content string
	Retry   *Retry
}

// Client completes chat requests. onDelta, when not nil, is called from the
// calling goroutine's Complete for every streamed text fragment and retry notice.
type Client interface {
	Complete(ctx context.Context, req Request, onDelta func(Delta)) (Reply, error)
}
