// Package llm holds provider-neutral chat types, the one Client interface the
// rest of the product uses, and the adapter for OpenAI-compatible endpoints.
package llm

import (
	"context"
	"encoding/json"
	"fmt"
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
	PromptTokens     int  `json:"promptTokens"`
	CompletionTokens int  `json:"completionTokens"`
	TotalTokens      int  `json:"totalTokens"`
	Estimated        bool `json:"estimated,omitempty"` // counted locally: the endpoint reported none
}

// Reply is the assistant message a call produced.
type Reply struct {
	Message      Message `json:"message"`
	Usage        Usage   `json:"usage"`
	FinishReason string  `json:"finishReason,omitempty"`
	Model        string  `json:"model,omitempty"` // the model that answered, as the endpoint named it
}

// Retry tells the caller that an attempt failed and the call will be tried
// again after Wait. Text streamed before a Retry is void: the next attempt
// streams the reply from its start.
type Retry struct {
	Attempt int           // 1 for the first retry
	Of      int           // most retries the call will make
	Wait    time.Duration // how long until the next attempt
	Reason  string        // "429", "500", "connection reset", "stalled", "timeout", "truncated stream"
	Status  int           // HTTP status, 0 when the attempt got none
}

// String returns the notice for the operator, e.g. "retrying in 4 s (429, retry 1 of 4)".
func (r Retry) String() string {
	var wait string
	if r.Wait < time.Second {
		wait = fmt.Sprintf("%d ms", r.Wait.Milliseconds())
	} else {
		wait = fmt.Sprintf("%d s", int((r.Wait+time.Second/2)/time.Second))
	}
	return fmt.Sprintf("retrying in %s (%s, retry %d of %d)", wait, r.Reason, r.Attempt, r.Of)
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
