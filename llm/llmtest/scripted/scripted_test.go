package scripted

import (
	"context"
	"errors"
	"testing"

	"github.com/kuberesponder/kuberesponder/llm"
)

func ask(text string) llm.Request {
	return llm.Request{Messages: []llm.Message{{Role: llm.User, Content: text}}}
}

// TestScript checks the order of answers around a failed request, the
// deltas streamed before an answer, the record of requests and the end of
// the script.
func TestScript(t *testing.T) {
	boom := errors.New("HTTP 500")
	c := New(Text("one"), Calls("two", Kubectl("c1", "get pods", "list"))).FailAt(1, boom).StreamAt(2, llm.Delta{Content: "tw"})
	var streamed []string
	onDelta := func(d llm.Delta) { streamed = append(streamed, d.Content) }
	ctx := context.Background()

	if r, err := c.Complete(ctx, ask("a"), onDelta); err != nil || r.Message.Content != "one" {
		t.Fatalf("request 1: %+v %v", r, err)
	}
	if _, err := c.Complete(ctx, ask("b"), onDelta); !errors.Is(err, boom) {
		t.Fatalf("request 2: %v, want %v", err, boom)
	}
	r, err := c.Complete(ctx, ask("c"), onDelta)
	if err != nil || r.Message.Content != "two" || len(r.Message.ToolCalls) != 1 ||
		r.Message.ToolCalls[0].Arguments != `{"command":"get pods","reason":"list"}` {
		t.Fatalf("request 3: %+v %v", r, err)
	}
	if len(streamed) != 1 || streamed[0] != "tw" {
		t.Errorf("streamed %q, want the delta of request 3 only", streamed)
	}
	if _, err := c.Complete(ctx, ask("d"), nil); err == nil {
		t.Error("request 4 answered past the end of the script")
	}
	reqs := c.Requests()
	if len(reqs) != 4 || reqs[2].Messages[0].Content != "c" {
		t.Errorf("recorded %d requests: %+v", len(reqs), reqs)
	}
	if last, ok := c.Last(); !ok || last.Messages[0].Content != "d" {
		t.Errorf("last = %+v %v", last, ok)
	}
}

// TestFunc checks that a Func client answers with its function and records.
func TestFunc(t *testing.T) {
	c := Func(func(_ context.Context, req llm.Request, _ func(llm.Delta)) (llm.Reply, error) {
		return Text("echo " + req.Messages[0].Content), nil
	})
	r, err := c.Complete(context.Background(), ask("x"), nil)
	if err != nil || r.Message.Content != "echo x" || len(c.Requests()) != 1 {
		t.Fatalf("%+v %v %d", r, err, len(c.Requests()))
	}
}
