package watch

import (
	"context"
	"log/slog"
	"strings"
	"sync"
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

// modelWriter asks the model about reports already delivered, in the
// background, for the watcher's incidents and the receiver's alert groups
// alike. A nil *modelWriter asks nothing.
type modelWriter struct {
	model   Explainer
	timeout time.Duration
	out     Enqueuer
	metrics *Metrics
	log     *slog.Logger
	lang    string
	now     func() time.Time
	// running counts the answers still being written.
	running sync.WaitGroup
}

// newModelWriter returns the writer of ex's answers, each bounded by
// timeout (default 2 min), or nil without ex.
func newModelWriter(ex Explainer, timeout time.Duration, out Enqueuer, metrics *Metrics, log *slog.Logger, lang string, now func() time.Time) *modelWriter {
	if ex == nil {
		return nil
	}
	if timeout <= 0 {
		timeout = 2 * time.Minute
	}
	return &modelWriter{model: ex, timeout: timeout, out: out, metrics: metrics, log: log, lang: lang, now: now}
}

// explain asks the model about a delivered report: the rules report never
// waits for it. An answer within the timeout goes out as an update of the
// same delivery carrying the model's sections; a failure is logged and
// counted, and nothing more is sent. A report without findings gives the
// model nothing to ground its sections in and is not asked about.
func (m *modelWriter) explain(ctx context.Context, d sink.Delivery, rep triage.Report, firedAt time.Time) {
	if m == nil || len(rep.Findings) == 0 {
		return
	}
	m.running.Add(1)
	go func() {
		defer m.running.Done()
		mctx, cancel := context.WithTimeout(ctx, m.timeout)
		defer cancel()
		ans := m.model.Explain(mctx, rep)
		if ans == nil || ans.Error != "" || strings.TrimSpace(ans.Text) == "" {
			reason := "empty answer"
			if ans != nil && ans.Error != "" {
				reason = ans.Error
			}
			m.metrics.explained.WithLabelValues("failed").Inc()
			m.log.Error("model answer", "incident", d.ID, "source", d.Source, "error", reason)
			return
		}
		text, _ := redact.StripRedactor{}.Redact(ans.Text)
		rep.Model = &triage.ModelAnswer{Model: ans.Model, Text: text}
		js, err := rep.JSON()
		if err != nil {
			m.log.Error("model answer", "incident", d.ID, "source", d.Source, "error", err)
			return
		}
		d.State, d.Report, d.Markdown, d.SentAt = sink.StateUpdated, js, rep.Markdown(m.lang), m.now().UTC()
		d.IdempotencyKey = idempotencyKey(d.ID, d.State, firedAt, "model")
		m.metrics.explained.WithLabelValues("delivered").Inc()
		m.out.Enqueue(d)
	}()
}

// wait returns once every answer asked for has been delivered or given up.
func (m *modelWriter) wait() {
	if m != nil {
		m.running.Wait()
	}
}
