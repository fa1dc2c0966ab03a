package llm

import (
	"sync"

	"github.com/tiktoken-go/tokenizer"
)

// codec is the o200k_base vocabulary, loaded on first use and immutable after.
var codec = sync.OnceValue(func() tokenizer.Codec {
	c, err := tokenizer.Get(tokenizer.O200kBase)
	if err != nil {
		return nil
	}
	return c
})

// CountTokens returns the number of o200k_base tokens in text (the encoding
// of gpt-4o and later; a close estimate for other models).
func CountTokens(text string) int {
	if text == "" {
		return 0
	}
	c := codec()
	if c == nil {
		return len(text)/4 + 1
	}
	n, err := c.Count(text)
	if err != nil {
		return len(text)/4 + 1
	}
	return n
}

// Per-message overhead of the chat format, as OpenAI documents it for
// gpt-4o: a few tokens frame each message and prime the reply.
const (
	tokensPerMessage = 3
	tokensPerCall    = 3
	tokensPerReply   = 3
)

// CountMessage returns the tokens one message takes in a request.
func CountMessage(m Message) int {
	n := tokensPerMessage + CountTokens(string(m.Role)) + CountTokens(m.Content)
	for _, tc := range m.ToolCalls {
		n += tokensPerCall + CountTokens(tc.ID) + CountTokens(tc.Name) + CountTokens(tc.Arguments)
	}
	if m.ToolCallID != "" {
		n += CountTokens(m.ToolCallID)
	}
	return n
}

// CountMessages returns the tokens msgs take in a request, reply priming included.
func CountMessages(msgs []Message) int {
	n := tokensPerReply
	for _, m := range msgs {
		n += CountMessage(m)
	}
	return n
}

// CountTools returns the tokens the tool specifications take in a request.
func CountTools(tools []ToolSpec) int {
	n := 0
	for _, t := range tools {
		n += tokensPerCall + CountTokens(t.Name) + CountTokens(t.Description) + CountTokens(string(t.Parameters))
	}
	return n
}

// estimate counts the usage of a call whose endpoint reported none.
func estimate(req Request, reply Message) Usage {
	u := Usage{PromptTokens: CountMessages(req.Messages) + CountTools(req.Tools), Estimated: true}
	u.CompletionTokens = CountTokens(reply.Content)
	for _, tc := range reply.ToolCalls {
		u.CompletionTokens += tokensPerCall + CountTokens(tc.Name) + CountTokens(tc.Arguments)
	}
	u.TotalTokens = u.PromptTokens + u.CompletionTokens
	return u
}
