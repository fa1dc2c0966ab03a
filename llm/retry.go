package llm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	openai "github.com/sashabaranov/go-openai"
)

// Backoff bounds: the n-th retry waits about backoffBase·2^(n-1), at most backoffCap.
const (
	backoffBase = time.Second
	backoffCap  = 30 * time.Second
)

// failure is why one attempt failed.
type failure struct {
	status     int           // HTTP status, 0 when none
	reason     string        // short: "429", "connection reset", "stalled"
	retry      bool          // worth another attempt
	retryAfter time.Duration // asked by the server; negative when not given
	msg        string        // server message or cause, may be empty
	phrase     string        // what the endpoint did, for the final sentence: "sent nothing for 1m0s"
	err        error
	noOptions  bool // the endpoint rejected stream_options: resend without them
	final      error
}

// Complete sends req and returns the assistant's reply. Text fragments and
// retry notices go to onDelta as they arrive. Failed attempts are retried
// with exponential backoff and jitter, honouring Retry-After, at most
// Config.MaxRetries times; after a retry notice the text streamed so far is
// void and the reply streams again from its start.
func (o *OpenAI) Complete(ctx context.Context, req Request, onDelta func(Delta)) (Reply, error) {
	if onDelta == nil {
		onDelta = func(Delta) {}
	}
	cr, err := o.chatRequest(req)
	if err != nil {
		return Reply{}, err
	}
	for retries := 0; ; {
		rep, f := o.attempt(ctx, cr, onDelta)
		if f == nil {
			if rep.Usage == (Usage{}) {
				rep.Usage = estimate(req, rep.Message)
			}
			return rep, nil
		}
		if ctx.Err() != nil {
			return Reply{}, fmt.Errorf("model call canceled: %w", ctx.Err())
		}
		if f.noOptions && cr.StreamOptions != nil {
			o.noUsage.Store(true)
			cr.StreamOptions = nil
			continue
		}
		if f.final != nil {
			return Reply{}, f.final
		}
		if !f.retry || retries >= o.cfg.MaxRetries {
			return Reply{}, o.giveUp(f, retries)
		}
		if f.retryAfter > o.cfg.MaxWait {
			return Reply{}, o.scrub(&Error{Endpoint: o.endpoint, Status: f.status, Retries: retries, Err: f.err,
				Msg: fmt.Sprintf("model endpoint %s: %s; it asks to wait %s, longer than %s", o.endpoint,
					statusText(f.status), f.retryAfter.Round(time.Second), o.cfg.MaxWait)})
		}
		retries++
		wait := o.backoff(retries, f.retryAfter)
		onDelta(Delta{Retry: &Retry{Attempt: retries, Of: o.cfg.MaxRetries, Wait: wait, Reason: f.reason, Status: f.status}})
		if err := o.sleep(ctx, wait); err != nil {
			return Reply{}, fmt.Errorf("model call canceled: %w", err)
		}
	}
}

// backoff returns the wait before retry n (1-based).
func (o *OpenAI) backoff(n int, retryAfter time.Duration) time.Duration {
	if retryAfter >= 0 {
		return retryAfter + time.Duration(o.jit()*float64(retryAfter)/10)
	}
	d := backoffCap
	if n < 6 {
		d = min(backoffBase<<(n-1), backoffCap)
	}
	return d/2 + time.Duration(o.jit()*float64(d/2))
}

func jitter() float64 { return rand.Float64() }

// sleepCtx sleeps for d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// retryAfter reads Retry-After (seconds or an HTTP date) or the
// retry-after-ms header OpenAI and Azure send; negative when absent.
func retryAfter(h http.Header, now time.Time) time.Duration {
	if h == nil {
		return -1
	}
	if v := h.Get("Retry-After-Ms"); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms >= 0 {
			return time.Duration(ms * float64(time.Millisecond))
		}
	}
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return -1
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil && s >= 0 {
		return time.Duration(s * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0)
	}
	return -1
}

// retryable tells whether an HTTP status is worth another attempt.
func retryable(status int) bool {
	return status == http.StatusRequestTimeout || status == http.StatusConflict ||
		status == http.StatusTooManyRequests || status >= 500
}

// classify turns the error of one attempt into a failure.
func (o *OpenAI) classify(err error, rt *watchedTransport, w *watchdog, actx context.Context) *failure {
	f := &failure{retryAfter: -1, err: err}
	var apiErr *openai.APIError
	var reqErr *openai.RequestError
	var netErr net.Error
	var synErr *json.SyntaxError
	switch {
	case w.fired.Load():
		f.reason, f.retry, f.phrase = "stalled", true, fmt.Sprintf("sent nothing for %s", w.last())
	case errors.Is(actx.Err(), context.DeadlineExceeded):
		f.reason, f.retry, f.phrase = "timeout", true, fmt.Sprintf("sent no complete reply within %s", o.cfg.Timeout)
	case errors.As(err, &apiErr) && apiErr.HTTPStatusCode > 0:
		f.status, f.msg = apiErr.HTTPStatusCode, apiErr.Message
	case errors.As(err, &reqErr) && reqErr.HTTPStatusCode > 0:
		f.status, f.msg = reqErr.HTTPStatusCode, bodyText(reqErr.Body)
	case errors.As(err, &apiErr):
		// An error event inside a 200 stream.
		f.reason, f.msg = "stream error", apiErr.Message
		f.retry = !strings.Contains(apiErr.Type, "invalid_request")
	case errors.Is(err, openai.ErrTooManyEmptyStreamMessages), errors.As(err, &synErr):
		f.reason, f.retry, f.msg = "malformed stream", true, err.Error()
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF),
		errors.Is(err, syscall.EPIPE):
		f.reason, f.retry, f.msg = "connection reset", true, cause(err)
	case errors.As(err, &netErr) && netErr.Timeout():
		f.reason, f.retry, f.msg = "timeout", true, cause(err)
	case errors.As(err, &netErr):
		f.reason, f.retry, f.msg = "network error", true, cause(err)
	default:
		f.final = o.scrub(&Error{Endpoint: o.endpoint, Err: err,
			Msg: fmt.Sprintf("model request to %s failed: %s", o.endpoint, cause(err))})
		return f
	}
	if f.status > 0 {
		f.reason, f.retry = strconv.Itoa(f.status), retryable(f.status)
		if rt.status == f.status {
			f.retryAfter = retryAfter(rt.header, time.Now())
		}
		f.noOptions = f.status == http.StatusBadRequest &&
			(strings.Contains(f.msg, "stream_options") || strings.Contains(f.msg, "include_usage"))
	}
	return f
}

// cause returns the innermost useful text of a transport error.
func cause(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return err.Error()
}

// bodyText returns the start of a non-JSON error body on one line.
func bodyText(b []byte) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

func statusText(status int) string {
	t := strings.ToLower(http.StatusText(status))
	if status == http.StatusTooManyRequests {
		t = "rate limited"
	}
	if t == "" {
		t = "error"
	}
	return fmt.Sprintf("%d %s", status, t)
}
