package llm

import (
	"context"
	"strings"
	"testing"

	"github.com/kuberesponder/kuberesponder/llm/llmtest"
)

func TestCountTokens(t *testing.T) {
	tests := []struct {
		text string
		want int
	}{
		{"", 0},
		{"hello world", 2},
		{"kubectl describe pod web-1 -n shop", 10},
	}
	for _, tt := range tests {
		if got := CountTokens(tt.text); got != tt.want {
			t.Errorf("CountTokens(%q) = %d, want %d", tt.text, got, tt.want)
		}
	}
	long := strings.Repeat("0/3 nodes are available: 3 Insufficient cpu. ", 200)
	if n := CountTokens(long); n < 1000 || n > 3000 {
		t.Errorf("CountTokens(9 KB of events) = %d, want about 2000", n)
	}
}

func TestCountMessages(t *testing.T) {
	msgs := []Message{{Role: User, Content: "hello world"}}
	if got, want := CountMessages(msgs), tokensPerReply+tokensPerMessage+1+2; got != want {
		t.Errorf("CountMessages = %d, want %d", got, want)
	}
	withCall := append(msgs, Message{Role: Assistant, ToolCalls: []ToolCall{{ID: "c1", Name: "kubectl", Arguments: `{"command":"get pods"}`}}},
		Message{Role: Tool, ToolCallID: "c1", Content: "web-1 Pending"})
	if CountMessages(withCall) <= CountMessages(msgs)+CountMessage(withCall[2]) {
		t.Errorf("tool calls are not counted")
	}
}

// BenchmarkStream measures a whole streamed reply of 2,000 chunks over
// loopback HTTP: SSE parsing, JSON decoding and assembly.
func BenchmarkStream(b *testing.B) {
	text := strings.Repeat("The pod is Pending because no node has enough CPU. ", 200)
	turns := make([]llmtest.Turn, b.N)
	for i := range turns {
		turns[i] = llmtest.Turn{Text: text, Chunks: 2000}
	}
	srv := llmtest.New(nil, turns...)
	defer srv.Close()
	o, err := NewOpenAI(Config{APIKey: testKey, BaseURL: srv.URL(), Model: "m"})
	if err != nil {
		b.Fatal(err)
	}
	req := ask("why?")
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := o.Complete(context.Background(), req, nil); err != nil {
			b.Fatal(err)
		}
	}
}
