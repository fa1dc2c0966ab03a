package llm

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	openai "github.com/sashabaranov/go-openai"
)

// watchdog cancels an attempt when the endpoint stays silent too long:
// first until the response starts, then between reads of its body.
type watchdog struct {
	timer *time.Timer
	idle  time.Duration
	fired atomic.Bool

	mu     sync.Mutex
	window time.Duration // the silence currently allowed
}

func newWatchdog(first, idle time.Duration, cancel context.CancelFunc) *watchdog {
	w := &watchdog{idle: idle, window: first}
	w.timer = time.AfterFunc(first, func() {
		w.fired.Store(true)
		cancel()
	})
	return w
}

// touch records activity and rearms the idle window.
func (w *watchdog) touch() {
	if w.fired.Load() {
		return
	}
	w.mu.Lock()
	w.window = w.idle
	w.mu.Unlock()
	w.timer.Reset(w.idle)
}

func (w *watchdog) last() time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.window
}

func (w *watchdog) stop() { w.timer.Stop() }

// watchedTransport records the status and headers of the response (for
// Retry-After), feeds the watchdog on every read, and notes whether the
// stream's [DONE] marker arrived. go-openai calls it synchronously from
// the attempt's goroutine.
type watchedTransport struct {
	base   http.RoundTripper
	watch  *watchdog
	status int
	header http.Header
	body   *watchedBody
}

func (t *watchedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	t.watch.touch()
	t.status, t.header = resp.StatusCode, resp.Header
	t.body = &watchedBody{rc: resp.Body, watch: t.watch}
	resp.Body = t.body
	return resp, nil
}

type watchedBody struct {
	rc    io.ReadCloser
	watch *watchdog
	tail  []byte
	done  bool
}

var doneMark = []byte("[DONE]")

func (b *watchedBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if n > 0 {
		b.watch.touch()
		if !b.done {
			buf := append(b.tail, p[:n]...)
			b.done = bytes.Contains(buf, doneMark)
			b.tail = append(b.tail[:0], buf[max(0, len(buf)-len(doneMark)):]...)
		}
	}
	return n, err
}

func (b *watchedBody) Close() error { return b.rc.Close() }

// attempt makes one request and reads its whole reply.
func (o *OpenAI) attempt(ctx context.Context, cr openai.ChatCompletionRequest, onDelta func(Delta)) (Reply, *failure) {
	actx, cancel := context.WithTimeout(ctx, o.cfg.Timeout)
	defer cancel()
	w := newWatchdog(o.cfg.FirstByteTimeout, o.cfg.IdleTimeout, cancel)
	defer w.stop()
	rt := &watchedTransport{base: o.transport, watch: w}
	client := openai.NewClientWithConfig(o.clientConfig(rt))
	if !cr.Stream {
		return o.whole(actx, client, cr, rt, w, onDelta)
	}
	stream, err := client.CreateChatCompletionStream(actx, cr)
	if err != nil {
		return Reply{}, o.classify(err, rt, w, actx)
	}
	defer stream.Close()
	var a assembler
	for {
		chunk, err := stream.Recv()
		if errors.Is(err, io.EOF) && actx.Err() == nil {
			break
		}
		if err != nil {
			return Reply{}, o.classify(err, rt, w, actx)
		}
		if text := a.add(chunk); text != "" {
			onDelta(Delta{Content: text})
		}
	}
	if !a.choices {
		return Reply{}, &failure{reason: "no choices", retryAfter: -1, final: errors.New("model returned no choices")}
	}
	if a.finish == "" && (rt.body == nil || !rt.body.done) {
		return Reply{}, &failure{reason: "truncated stream", retry: true, retryAfter: -1,
			msg: "the stream ended without [DONE]", err: io.ErrUnexpectedEOF}
	}
	return a.reply(), nil
}

// whole makes a request without streaming.
func (o *OpenAI) whole(ctx context.Context, client *openai.Client, cr openai.ChatCompletionRequest,
	rt *watchedTransport, w *watchdog, onDelta func(Delta)) (Reply, *failure) {
	resp, err := client.CreateChatCompletion(ctx, cr)
	if err != nil {
		return Reply{}, o.classify(err, rt, w, ctx)
	}
	if len(resp.Choices) == 0 {
		return Reply{}, &failure{reason: "no choices", retryAfter: -1, final: errors.New("model returned no choices")}
	}
	c := resp.Choices[0]
	var a assembler
	a.text.WriteString(c.Message.Content)
	for _, tc := range c.Message.ToolCalls {
		tc.Index = nil
		a.addCall(tc)
	}
	a.finish, a.model = string(c.FinishReason), resp.Model
	if resp.Usage.TotalTokens > 0 {
		a.usage = &resp.Usage
	}
	if c.Message.Content != "" {
		onDelta(Delta{Content: c.Message.Content})
	}
	return a.reply(), nil
}

// assembler builds a reply from stream chunks: text in order, tool calls
// by index (or, from servers that send no index, by id), arguments
// concatenated across chunks.
type assembler struct {
	text    strings.Builder
	calls   []ToolCall
	byIndex map[int]int
	finish  string
	model   string
	usage   *openai.Usage
	choices bool
}

// add takes one chunk and returns its text.
func (a *assembler) add(c openai.ChatCompletionStreamResponse) string {
	if c.Usage != nil {
		a.usage = c.Usage
	}
	if c.Model != "" {
		a.model = c.Model
	}
	var text string
	for _, ch := range c.Choices {
		if ch.Index != 0 {
			continue
		}
		a.choices = true
		text += ch.Delta.Content
		for _, tc := range ch.Delta.ToolCalls {
			a.addCall(tc)
		}
		if ch.FinishReason != "" {
			a.finish = string(ch.FinishReason)
		}
	}
	a.text.WriteString(text)
	return text
}

func (a *assembler) addCall(tc openai.ToolCall) {
	i := -1
	switch {
	case tc.Index != nil:
		if a.byIndex == nil {
			a.byIndex = map[int]int{}
		}
		j, ok := a.byIndex[*tc.Index]
		if !ok {
			j = len(a.calls)
			a.byIndex[*tc.Index] = j
			a.calls = append(a.calls, ToolCall{})
		}
		i = j
	case len(a.calls) == 0,
		tc.ID != "" && a.calls[len(a.calls)-1].ID != "" && a.calls[len(a.calls)-1].ID != tc.ID,
		tc.ID == "" && tc.Function.Name != "" && a.calls[len(a.calls)-1].Name != "":
		a.calls = append(a.calls, ToolCall{})
		i = len(a.calls) - 1
	default:
		i = len(a.calls) - 1
	}
	c := &a.calls[i]
	if c.ID == "" {
		c.ID = tc.ID
	}
	if c.Name == "" {
		c.Name = tc.Function.Name
	}
	c.Arguments += tc.Function.Arguments
}

// reply returns the assembled reply; calls without an id get one.
func (a *assembler) reply() Reply {
	r := Reply{Message: Message{Role: Assistant, Content: a.text.String()}, FinishReason: a.finish, Model: a.model}
	for _, c := range a.calls {
		if c.ID == "" {
			c.ID = newCallID()
		}
		if strings.TrimSpace(c.Arguments) == "" {
			c.Arguments = "{}"
		}
		r.Message.ToolCalls = append(r.Message.ToolCalls, c)
	}
	if a.usage != nil {
		r.Usage = Usage{PromptTokens: a.usage.PromptTokens, CompletionTokens: a.usage.CompletionTokens, TotalTokens: a.usage.TotalTokens}
	}
	return r
}

// newCallID returns a fresh tool call id for a call the server sent without one.
func newCallID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "call_" + hex.EncodeToString(b[:])
}
