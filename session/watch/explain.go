package watch

import (
	"context"
	"strings"
	"time"

	"github.com/kuberesponder/kuberesponder/kube/redact"
	"github.com/kuberesponder/kuberesponder/kube/triage"
	"github.com/kuberesponder/kuberesponder/session/watch/sink"
)

// Explainer writes the model's six sections of a report, the way
// kuberesponder report asks them; a failure is said in the answer's Error.
type Explainer interface {
	Explain(ctx context.Context, r triage.Report) *triage.ModelAnswer
}

// explain asks the model about an incident already delivered, in the
// background: the rules report never waits for it. An answer within
// ModelTimeout goes out as an update of the same incident carrying the
// model's sections; a failure is logged and counted, and nothing more is sent.
func (w *Watcher) explain(ctx context.Context, d sink.Delivery, rep triage.Report, firedAt time.Time) {
	w.explaining.Add(1)
	go func() {
		defer w.explaining.Done()
		mctx, cancel := context.WithTimeout(ctx, w.cfg.ModelTimeout)
		defer cancel()
		ans := w.cfg.Explainer.Explain(mctx, rep)
		if ans == nil || ans.Error != "" || strings.TrimSpace(ans.Text) == "" {
			reason := "empty answer"
			if ans != nil && ans.Error != "" {
				reason = ans.Error
			}
			w.cfg.Metrics.explained.WithLabelValues("failed").Inc()
			w.cfg.Log.Error("model answer", "incident", d.ID, "error", reason)
			return
		}
		text, _ := redact.StripRedactor{}.Redact(ans.Text)
		rep.Model = &triage.ModelAnswer{Model: ans.Model, Text: text}
		js, err := rep.JSON()
		if err != nil {
			w.cfg.Log.Error("model answer", "incident", d.ID, "error", err)
			return
		}
		d.State, d.Report, d.Markdown, d.SentAt = sink.StateUpdated, js, rep.Markdown(w.cfg.Lang), w.cfg.Now().UTC()
		d.IdempotencyKey = idempotencyKey(d.ID, d.State, firedAt, "model")
		w.cfg.Metrics.explained.WithLabelValues("delivered").Inc()
		w.cfg.Out.Enqueue(d)
	}()
}
