package llmtest

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"time"
)

const created = 1767225600 // 2026-01-01T00:00:00Z, fixed so responses are reproducible

type chunkDelta struct {
	Role      string         `json:"role,omitempty"`
	Content   *string        `json:"content,omitempty"`
	ToolCalls []wireToolCall `json:"tool_calls,omitempty"`
}

type chunkChoice struct {
	Index        int        `json:"index"`
	Delta        chunkDelta `json:"delta"`
	FinishReason *string    `json:"finish_reason"`
}

type chunk struct {
	ID      string        `json:"id"`
	Object  string        `json:"object"`
	Created int64         `json:"created"`
	Model   string        `json:"model"`
	Choices []chunkChoice `json:"choices"`
	Usage   *Usage        `json:"usage,omitempty"`
}

// chunks renders a turn as the sequence of stream chunks OpenAI would send.
func chunks(req Request, t Turn) []chunk {
	id := fmt.Sprintf("chatcmpl-llmtest-%d", req.N)
	mk := func(d chunkDelta, finish *string) chunk {
		return chunk{ID: id, Object: "chat.completion.chunk", Created: created, Model: req.Chat.Model,
			Choices: []chunkChoice{{Delta: d, FinishReason: finish}}}
	}
	empty := ""
	out := []chunk{mk(chunkDelta{Role: "assistant", Content: &empty}, nil)}
	if t.Fault.Kind == EmptyChoices {
		out[0].Choices = []chunkChoice{}
		return out
	}
	for _, p := range split(t.Text, t.chunks()) {
		out = append(out, mk(chunkDelta{Content: &p}, nil))
	}
	per := make([][]wireToolCall, len(t.ToolCalls))
	for i, tc := range t.ToolCalls {
		first := wireToolCall{ID: tc.ID, Type: "function"}
		first.Function.Name = tc.Name
		per[i] = append(per[i], first)
		for _, a := range split(tc.Arguments, t.chunks()) {
			var frag wireToolCall
			frag.Function.Arguments = a
			per[i] = append(per[i], frag)
		}
		for j := range per[i] {
			if !t.NoIndex {
				per[i][j].Index = &i
			}
		}
	}
	for _, tc := range order(per, t.Interleave) {
		out = append(out, mk(chunkDelta{ToolCalls: []wireToolCall{tc}}, nil))
	}
	finish := t.finishReason()
	out = append(out, mk(chunkDelta{}, &finish))
	if req.Chat.StreamOptions != nil && req.Chat.StreamOptions.IncludeUsage && !t.NoUsage {
		out = append(out, chunk{ID: id, Object: "chat.completion.chunk", Created: created,
			Model: req.Chat.Model, Choices: []chunkChoice{}, Usage: usage(req, t)})
	}
	return out
}

// order flattens per-call fragments, call by call or round-robin.
func order(per [][]wireToolCall, interleave bool) []wireToolCall {
	var out []wireToolCall
	if !interleave {
		for _, p := range per {
			out = append(out, p...)
		}
		return out
	}
	for j := 0; ; j++ {
		more := false
		for _, p := range per {
			if j < len(p) {
				out = append(out, p[j])
				more = true
			}
		}
		if !more {
			return out
		}
	}
}

// usage returns the turn's usage, or one derived from sizes (4 bytes a token).
func usage(req Request, t Turn) *Usage {
	if t.Usage != nil {
		return t.Usage
	}
	c := len(t.Text)
	for _, tc := range t.ToolCalls {
		c += len(tc.Name) + len(tc.Arguments)
	}
	u := &Usage{PromptTokens: len(req.Body)/4 + 1, CompletionTokens: c/4 + 1}
	u.TotalTokens = u.PromptTokens + u.CompletionTokens
	return u
}

func (s *Server) stream(w http.ResponseWriter, r *http.Request, req Request, t Turn) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	_ = rc.Flush()
	cs := chunks(req, t)
	for i, c := range cs {
		if t.Fault.Kind != NoFault && t.Fault.Kind != EmptyChoices && i == t.Fault.After {
			if !s.fault(w, r, t.Fault) {
				return
			}
		}
		if i > 0 && t.Delay > 0 && !s.pause(r, t.Delay) {
			return
		}
		b, _ := json.Marshal(c)
		if _, err := fmt.Fprintf(w, "data: %s\n\n", b); err != nil {
			return
		}
		if err := rc.Flush(); err != nil {
			return
		}
	}
	if f := t.Fault; f.After >= len(cs) && f.Kind != NoFault && f.Kind != EmptyChoices {
		if !s.fault(w, r, f) {
			return
		}
	}
	_, _ = fmt.Fprint(w, "data: [DONE]\n\n")
	_ = rc.Flush()
}

// fault injects f into a stream; it reports whether the stream goes on.
func (s *Server) fault(w http.ResponseWriter, r *http.Request, f Fault) bool {
	switch f.Kind {
	case Reset:
		reset(w)
		return false
	case Truncate:
		return false
	case Stall:
		if f.StallFor == 0 {
			s.pause(r, time.Duration(1<<62))
			return false
		}
		return s.pause(r, f.StallFor)
	case StreamError:
		msg := f.Message
		if msg == "" {
			msg = "llmtest: injected stream error"
		}
		b, _ := json.Marshal(map[string]any{"error": map[string]any{"message": msg, "type": "server_error"}})
		_, _ = fmt.Fprintf(w, "data: %s\n\n", b)
		_ = http.NewResponseController(w).Flush()
		return false
	}
	return true
}

// pause waits for d; it reports false when the client or the server left first.
func (s *Server) pause(r *http.Request, d time.Duration) bool {
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return true
	case <-r.Context().Done():
	case <-s.closing:
	}
	return false
}

// reset takes over the connection and closes it with a TCP reset.
func reset(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

// whole answers a request made without streaming.
func (s *Server) whole(w http.ResponseWriter, r *http.Request, req Request, t Turn) {
	switch t.Fault.Kind {
	case Reset:
		reset(w)
		return
	case Stall:
		if t.Fault.StallFor == 0 || !s.pause(r, t.Fault.StallFor) {
			s.pause(r, time.Duration(1<<62))
			return
		}
	case StreamError:
		writeError(w, http.StatusInternalServerError, "", t.Fault.Message)
		return
	}
	type msg struct {
		Role      string         `json:"role"`
		Content   *string        `json:"content"`
		ToolCalls []wireToolCall `json:"tool_calls,omitempty"`
	}
	m := msg{Role: "assistant"}
	if t.Text != "" || len(t.ToolCalls) == 0 {
		m.Content = &t.Text
	}
	for _, tc := range t.ToolCalls {
		wt := wireToolCall{ID: tc.ID, Type: "function"}
		wt.Function.Name, wt.Function.Arguments = tc.Name, tc.Arguments
		m.ToolCalls = append(m.ToolCalls, wt)
	}
	choices := []map[string]any{{"index": 0, "message": m, "finish_reason": t.finishReason()}}
	if t.Fault.Kind == EmptyChoices {
		choices = []map[string]any{}
	}
	resp := map[string]any{"id": fmt.Sprintf("chatcmpl-llmtest-%d", req.N), "object": "chat.completion",
		"created": created, "model": req.Chat.Model, "choices": choices}
	if !t.NoUsage {
		resp["usage"] = usage(req, t)
	}
	b, _ := json.Marshal(resp)
	w.Header().Set("Content-Type", "application/json")
	if t.Fault.Kind == Truncate {
		w.Header().Set("Content-Length", fmt.Sprint(len(b)))
		_, _ = w.Write(b[:len(b)/2])
		return
	}
	_, _ = w.Write(b)
}
