package triage

import (
	"context"

	"github.com/kuberesponder/kuberesponder/llm"
)

// Ask asks client (model names it to the endpoint) for the six sections of
// r in lang, grounded by r's findings through Prompt. A failure is kept in
// the answer rather than returned, so that the rule report, which stands on
// its own, is still delivered: `report`, the session's first response and
// the watcher all call Ask and treat its answer the same way. ctx bounds the
// call.
func Ask(ctx context.Context, client llm.Client, model string, r Report, lang string) *ModelAnswer {
	ans := &ModelAnswer{Model: model}
	prompt, err := Prompt(r, lang)
	if err != nil {
		ans.Error = err.Error()
		return ans
	}
	reply, err := client.Complete(ctx, llm.Request{Model: model, Messages: []llm.Message{{Role: llm.User, Content: prompt}}}, nil)
	if err != nil {
		ans.Error = err.Error()
		return ans
	}
	ans.Text = reply.Message.Content
	return ans
}
