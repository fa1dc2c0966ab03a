// Package llmtest runs an OpenAI-compatible chat completions server over real
// HTTP for tests and demos. It replays scripted turns as server-sent events
// (text in several chunks, tool calls in fragments, parallel tool calls, a
// usage chunk), injects faults per request (error statuses with Retry-After,
// connection resets, truncated streams, stalls, empty choices) and records
// every request so a test can assert on exactly what was sent.
package llmtest

import (
	"encoding/json"
	"fmt"
	"time"
)

// ToolCall is one scripted tool call. An empty ID is streamed without an id,
// as some OpenAI-compatible servers do.
type ToolCall struct {
	ID        string
	Name      string
	Arguments string
}

// Usage is the token accounting a turn reports.
type Usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

// FaultKind names a failure the server injects into one response.
type FaultKind int

// The injectable faults.
const (
	NoFault      FaultKind = iota
	HTTPError              // answer with Fault.Status, a JSON error body and Fault.RetryAfter
	Reset                  // send Fault.After chunks, then reset the TCP connection
	Truncate               // send Fault.After chunks, then end the body without [DONE]
	Stall                  // send Fault.After chunks, then nothing for Fault.StallFor (0: until the client leaves)
	EmptyChoices           // a well-formed response whose chunks carry no choices
	StreamError            // send Fault.After chunks, then an in-stream error event
)

// String returns the fault's name.
func (k FaultKind) String() string {
	switch k {
	case NoFault:
		return "none"
	case HTTPError:
		return "http-error"
	case Reset:
		return "reset"
	case Truncate:
		return "truncate"
	case Stall:
		return "stall"
	case EmptyChoices:
		return "empty-choices"
	case StreamError:
		return "stream-error"
	}
	return fmt.Sprintf("FaultKind(%d)", int(k))
}

// Fault describes the failure injected into one response.
type Fault struct {
	Kind       FaultKind
	Status     int           // HTTPError: status code, 500 when zero
	RetryAfter string        // HTTPError: Retry-After header value, e.g. "1"
	Message    string        // HTTPError, StreamError: error message in the body
	Body       string        // HTTPError: raw body sent instead of the JSON error, e.g. a proxy's HTML page
	After      int           // Reset, Truncate, Stall, StreamError: chunks sent before the fault
	StallFor   time.Duration // Stall: pause length; zero stalls until the client gives up
}

// Turn is the scripted answer to one request. A turn with a fault answers
// its request with the fault; the next request gets the next turn.
type Turn struct {
	Text         string
	ToolCalls    []ToolCall
	Chunks       int           // pieces each text and argument is split into; 3 when zero
	Interleave   bool          // interleave the fragments of parallel tool calls
	NoIndex      bool          // omit "index" from tool call fragments
	Usage        *Usage        // usage to report; derived from sizes when nil
	NoUsage      bool          // never send usage, even when the client asks
	FinishReason string        // "stop" or "tool_calls" when empty
	Delay        time.Duration // pause between chunks
	Fault        Fault
}

// Text returns a turn that answers with text.
func Text(s string) Turn { return Turn{Text: s} }

// Calls returns a turn that answers with the given tool calls, in parallel
// when there are several.
func Calls(calls ...ToolCall) Turn { return Turn{ToolCalls: calls} }

// Call returns a tool call with raw JSON arguments.
func Call(id, name, arguments string) ToolCall {
	return ToolCall{ID: id, Name: name, Arguments: arguments}
}

// Kubectl returns a call of the kubectl tool with the given command and reason.
func Kubectl(id, command, reason string) ToolCall {
	args, _ := json.Marshal(struct {
		Command string `json:"command"`
		Reason  string `json:"reason,omitempty"`
	}{command, reason})
	return ToolCall{ID: id, Name: "kubectl", Arguments: string(args)}
}

// Error returns a turn that fails with an HTTP status and, when retryAfter is
// not empty, a Retry-After header.
func Error(status int, retryAfter string) Turn {
	return Turn{Fault: Fault{Kind: HTTPError, Status: status, RetryAfter: retryAfter}}
}

// WithFault returns the turn with a fault injected into its response.
func (t Turn) WithFault(f Fault) Turn {
	t.Fault = f
	return t
}

func (t Turn) finishReason() string {
	switch {
	case t.FinishReason != "":
		return t.FinishReason
	case len(t.ToolCalls) > 0:
		return "tool_calls"
	}
	return "stop"
}

func (t Turn) chunks() int {
	if t.Chunks > 0 {
		return t.Chunks
	}
	return 3
}

// split cuts s into at most n pieces of nearly equal rune length.
func split(s string, n int) []string {
	r := []rune(s)
	if len(r) == 0 {
		return nil
	}
	if n > len(r) {
		n = len(r)
	}
	out := make([]string, 0, n)
	for i := 0; i < n; i++ {
		lo, hi := i*len(r)/n, (i+1)*len(r)/n
		out = append(out, string(r[lo:hi]))
	}
	return out
}
