// Package scripted is the in-process model for tests of pure logic: an
// llm.Client that answers with scripted replies in order, streams deltas
// before a reply, fails the requests it is told to, and records every
// request. Tests of the wire (HTTP, SSE, injected faults) use llmtest's
// server and the product's real client instead; both script turns the same
// way (text, tool calls, kubectl calls).
package scripted

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/kuberesponder/kuberesponder/llm"
)

// Client answers requests from a script. The zero value answers every
// request with an error saying the script is exhausted. A Client is safe
// for concurrent use.
type Client struct {
	mu      sync.Mutex
	replies []llm.Reply
	fn      func(context.Context, llm.Request, func(llm.Delta)) (llm.Reply, error)
	errs    map[int]error
	deltas  map[int][]llm.Delta
	reqs    []llm.Request
}

// New returns a Client that answers with replies in order; requests told to
// fail (FailAt) take no reply from the script.
func New(replies ...llm.Reply) *Client { return &Client{replies: replies} }

// Func returns a Client that answers every request with fn, recording it.
func Func(fn func(ctx context.Context, req llm.Request, onDelta func(llm.Delta)) (llm.Reply, error)) *Client {
	return &Client{fn: fn}
}

// FailAt makes request n (0 for the first) fail with err and returns c.
func (c *Client) FailAt(n int, err error) *Client {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.errs == nil {
		c.errs = map[int]error{}
	}
	c.errs[n] = err
	return c
}

// StreamAt makes request n stream ds before its answer and returns c.
func (c *Client) StreamAt(n int, ds ...llm.Delta) *Client {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.deltas == nil {
		c.deltas = map[int][]llm.Delta{}
	}
	c.deltas[n] = ds
	return c
}

// Complete records req, streams the deltas scripted for it and answers with
// the next reply, the error it is told to fail with, or fn's answer.
func (c *Client) Complete(ctx context.Context, req llm.Request, onDelta func(llm.Delta)) (llm.Reply, error) {
	reply, fn, ds, err := c.next(req)
	if onDelta != nil {
		for _, d := range ds {
			onDelta(d)
		}
	}
	if err != nil {
		return llm.Reply{}, err
	}
	if fn != nil {
		return fn(ctx, req, onDelta)
	}
	return reply, nil
}

// next records req and takes what answers it from the script.
func (c *Client) next(req llm.Request) (llm.Reply, func(context.Context, llm.Request, func(llm.Delta)) (llm.Reply, error), []llm.Delta, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := len(c.reqs)
	c.reqs = append(c.reqs, req)
	ds := c.deltas[n]
	if err := c.errs[n]; err != nil {
		return llm.Reply{}, nil, ds, err
	}
	if c.fn != nil {
		return llm.Reply{}, c.fn, ds, nil
	}
	k := n
	for i := range c.errs {
		if i < n {
			k--
		}
	}
	if k >= len(c.replies) {
		return llm.Reply{}, nil, ds, fmt.Errorf("script exhausted at request %d", n+1)
	}
	return c.replies[k], nil, ds, nil
}

// Requests returns every request received so far, in order.
func (c *Client) Requests() []llm.Request {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]llm.Request(nil), c.reqs...)
}

// Last returns the last request received; ok is false before the first.
func (c *Client) Last() (req llm.Request, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.reqs) == 0 {
		return llm.Request{}, false
	}
	return c.reqs[len(c.reqs)-1], true
}

// Text is a reply that says text, with a token usage like a real one.
func Text(text string) llm.Reply {
	return llm.Reply{Message: llm.Message{Role: llm.Assistant, Content: text}, Usage: llm.Usage{PromptTokens: 100, CompletionTokens: 10, TotalTokens: 110}}
}

// Calls is a reply that says text and makes the tool calls tcs.
func Calls(text string, tcs ...llm.ToolCall) llm.Reply {
	r := Text(text)
	r.Message.ToolCalls = tcs
	return r
}

// Kubectl is a call of the kubectl tool with command and reason.
func Kubectl(id, command, reason string) llm.ToolCall {
	b, _ := json.Marshal(struct {
		Command string `json:"command"`
		Reason  string `json:"reason"`
	}{command, reason})
	return llm.ToolCall{ID: id, Name: "kubectl", Arguments: string(b)}
}
