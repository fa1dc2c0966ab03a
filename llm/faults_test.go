package llm

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kuberesponder/kuberesponder/llm/llmtest"
)

func TestFaultThenRetrySucceeds(t *testing.T) {
	partial := llmtest.Turn{Text: "The pod is Pend", Chunks: 3}
	tests := []struct {
		name      string
		fault     llmtest.Turn
		reason    string
		minWait   time.Duration // lower bound of the wait asked for
		maxWait   time.Duration
		idleLimit time.Duration
		timeout   time.Duration
	}{
		{"429 with Retry-After", llmtest.Error(429, "1"), "429", time.Second, 1100 * time.Millisecond, 0, 0},
		{"429 with Retry-After date", llmtest.Error(429, time.Now().Add(3*time.Second).UTC().Format(http.TimeFormat)), "429", time.Second, 3300 * time.Millisecond, 0, 0},
		{"500", llmtest.Error(500, ""), "500", 500 * time.Millisecond, time.Second, 0, 0},
		{"503 with Retry-After", llmtest.Error(503, "2"), "503", 2 * time.Second, 2200 * time.Millisecond, 0, 0},
		{"408", llmtest.Error(408, ""), "408", 0, time.Second, 0, 0},
		{"409", llmtest.Error(409, ""), "409", 0, time.Second, 0, 0},
		{"502 with an HTML body", llmtest.Turn{Fault: llmtest.Fault{Kind: llmtest.HTTPError, Status: 502, Body: "<html><h1>502 Bad Gateway</h1></html>"}}, "502", 0, time.Second, 0, 0},
		{"reset before the first chunk", partial.WithFault(llmtest.Fault{Kind: llmtest.Reset}), "connection reset", 0, time.Second, 0, 0},
		{"reset mid-stream", partial.WithFault(llmtest.Fault{Kind: llmtest.Reset, After: 2}), "connection reset", 0, time.Second, 0, 0},
		{"truncated stream", partial.WithFault(llmtest.Fault{Kind: llmtest.Truncate, After: 3}), "truncated stream", 0, time.Second, 0, 0},
		{"stall past the idle timeout", partial.WithFault(llmtest.Fault{Kind: llmtest.Stall, After: 2}), "stalled", 0, time.Second, 150 * time.Millisecond, 0},
		{"stall before the first chunk", partial.WithFault(llmtest.Fault{Kind: llmtest.Stall, After: 0}), "stalled", 0, time.Second, 150 * time.Millisecond, 0},
		{"error event in the stream", partial.WithFault(llmtest.Fault{Kind: llmtest.StreamError, After: 2}), "stream error", 0, time.Second, 0, 0},
		{"whole reply too slow", llmtest.Turn{Text: "abcdef", Chunks: 6, Delay: 100 * time.Millisecond}, "timeout", 0, time.Second, 0, 250 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := llmtest.New(t, tt.fault, llmtest.Text("The pod is Pending."))
			var rec recorder
			c := newClient(t, srv, &rec, func(c *Config) {
				if tt.idleLimit > 0 {
					c.IdleTimeout, c.FirstByteTimeout = tt.idleLimit, tt.idleLimit
				}
				if tt.timeout > 0 {
					c.Timeout = tt.timeout
				}
			})
			rep, err := c.Complete(context.Background(), ask("why?"), rec.onDelta)
			if err != nil {
				t.Fatalf("Complete: %v", err)
			}
			if rep.Message.Content != "The pod is Pending." || strings.Join(rec.text, "") != rep.Message.Content {
				t.Errorf("reply %q, text after the retry notice %q", rep.Message.Content, rec.text)
			}
			if len(rec.retries) != 1 || len(rec.waits) != 1 {
				t.Fatalf("retry notices %+v, sleeps %v; want one of each", rec.retries, rec.waits)
			}
			r := rec.retries[0]
			if r.Reason != tt.reason || r.Attempt != 1 || r.Of != DefaultMaxRetries || r.Wait != rec.waits[0] {
				t.Errorf("notice %+v (slept %v), want reason %q, retry 1 of %d", r, rec.waits[0], tt.reason, DefaultMaxRetries)
			}
			if r.Wait < tt.minWait || r.Wait > tt.maxWait {
				t.Errorf("wait %v, want within [%v, %v]", r.Wait, tt.minWait, tt.maxWait)
			}
			if n := len(srv.Requests()); n != 2 {
				t.Errorf("%d requests, want 2", n)
			}
		})
	}
}

func TestGiveUp(t *testing.T) {
	five := func(turn llmtest.Turn) []llmtest.Turn { return []llmtest.Turn{turn, turn, turn, turn, turn} }
	tests := []struct {
		name    string
		turns   []llmtest.Turn
		want    string // substring of the error
		status  int
		retries int
	}{
		{"401", []llmtest.Turn{llmtest.Error(401, "")}, "model endpoint %s: 401 unauthorized: check OPENAI_API_KEY", 401, 0},
		{"401 echoing the key", []llmtest.Turn{{Fault: llmtest.Fault{Kind: llmtest.HTTPError, Status: 401, Message: "Incorrect API key provided: " + testKey}}},
			"401 unauthorized", 401, 0},
		{"400 echoing the key", []llmtest.Turn{{Fault: llmtest.Fault{Kind: llmtest.HTTPError, Status: 400, Message: "bad key " + testKey}}},
			"model endpoint %s rejected the request (400 bad request): bad key [redacted]", 400, 0},
		{"404", []llmtest.Turn{llmtest.Error(404, "")}, `404 not found: check the base URL and the model name "test-model"`, 404, 0},
		{"400 context length", []llmtest.Turn{{Fault: llmtest.Fault{Kind: llmtest.HTTPError, Status: 400, Message: "maximum context length is 8192 tokens"}}},
			"rejected the request (400 bad request): maximum context length is 8192 tokens", 400, 0},
		{"500 five times", five(llmtest.Error(500, "")), "model endpoint %s: 500 internal server error, gave up after 4 retries", 500, 4},
		{"429 five times", five(llmtest.Error(429, "1")), "429 rate limited, gave up after 4 retries", 429, 4},
		{"429 asking for an hour", []llmtest.Turn{llmtest.Error(429, "3600")}, "429 rate limited; it asks to wait 1h0m0s, longer than 1m0s", 429, 0},
		{"reset five times", five(llmtest.Turn{Text: "abc", Fault: llmtest.Fault{Kind: llmtest.Reset, After: 1}}), "model endpoint %s dropped the connection, gave up after 4 retries", 0, 4},
		{"truncated five times", five(llmtest.Turn{Text: "abc", Fault: llmtest.Fault{Kind: llmtest.Truncate, After: 2}}), "ended the reply stream early, gave up after 4 retries", 0, 4},
		{"stalled five times", five(llmtest.Turn{Text: "abc", Fault: llmtest.Fault{Kind: llmtest.Stall, After: 1}}), "sent nothing for 100ms, gave up after 4 retries", 0, 4},
		{"empty choices", []llmtest.Turn{{Fault: llmtest.Fault{Kind: llmtest.EmptyChoices}}}, "model returned no choices", 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := llmtest.New(t, tt.turns...)
			var rec recorder
			c := newClient(t, srv, &rec, func(c *Config) { c.IdleTimeout = 100 * time.Millisecond })
			_, err := c.Complete(context.Background(), ask("why?"), rec.onDelta)
			if err == nil {
				t.Fatal("Complete succeeded, want an error")
			}
			want := strings.ReplaceAll(tt.want, "%s", srv.URL())
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q, want it to contain %q", err, want)
			}
			assertNoKey(t, err)
			var e *Error
			if tt.name != "empty choices" && (!errors.As(err, &e) || e.Status != tt.status || e.Retries != tt.retries) {
				t.Errorf("error %#v, want *Error with status %d after %d retries", err, tt.status, tt.retries)
			}
			if len(rec.retries) != tt.retries || len(srv.Requests()) != len(tt.turns) {
				t.Errorf("%d notices, %d requests; want %d and %d", len(rec.retries), len(srv.Requests()), tt.retries, len(tt.turns))
			}
		})
	}
}

// assertNoKey fails unless the API key is absent from err and everything it wraps.
func assertNoKey(t *testing.T, err error) {
	t.Helper()
	for e := err; e != nil; e = errors.Unwrap(e) {
		if strings.Contains(e.Error(), testKey) || strings.Contains(e.Error(), testKey[3:12]) {
			t.Errorf("error chain leaks the API key: %q", e)
		}
	}
}

func TestSlowButAlive(t *testing.T) {
	srv := llmtest.New(t, llmtest.Turn{Text: "abcdef", Delay: 20 * time.Millisecond,
		Fault: llmtest.Fault{Kind: llmtest.Stall, After: 2, StallFor: 100 * time.Millisecond}})
	var rec recorder
	c := newClient(t, srv, &rec, func(c *Config) { c.IdleTimeout = 2 * time.Second })
	rep, err := c.Complete(context.Background(), ask("hi"), rec.onDelta)
	if err != nil || rep.Message.Content != "abcdef" || len(rec.retries) != 0 {
		t.Errorf("reply %q, error %v, %d retries; want the text without retries", rep.Message.Content, err, len(rec.retries))
	}
}

func TestTimeoutGiveUp(t *testing.T) {
	slow := llmtest.Turn{Text: "abcdef", Chunks: 6, Delay: 100 * time.Millisecond}
	srv := llmtest.New(t, slow, slow)
	var rec recorder
	c := newClient(t, srv, &rec, func(c *Config) { c.Timeout, c.MaxRetries = 150*time.Millisecond, 1 })
	_, err := c.Complete(context.Background(), ask("hi"), rec.onDelta)
	want := "model endpoint " + srv.URL() + " sent no complete reply within 150ms, gave up after 1 retries"
	if err == nil || err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
}

func TestUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	o, err := NewOpenAI(Config{APIKey: testKey, BaseURL: "http://" + addr + "/v1", Model: "m", MaxRetries: 2})
	if err != nil {
		t.Fatal(err)
	}
	var waits []time.Duration
	o.sleep = func(context.Context, time.Duration) error { return nil }
	_, err = o.Complete(context.Background(), ask("hi"), func(d Delta) {
		if d.Retry != nil {
			waits = append(waits, d.Retry.Wait)
		}
	})
	want := "model endpoint http://" + addr + "/v1 unreachable, gave up after 2 retries: dial tcp " + addr
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %q, want prefix %q", err, want)
	}
	assertNoKey(t, err)
	// Backoff without Retry-After: 1 s then 2 s, each jittered into [d/2, d).
	if len(waits) != 2 || waits[0] < 500*time.Millisecond || waits[0] >= time.Second || waits[1] < time.Second || waits[1] >= 2*time.Second {
		t.Errorf("waits %v, want about 1 s then 2 s with jitter", waits)
	}
}

func TestCancel(t *testing.T) {
	t.Run("during the stream", func(t *testing.T) {
		srv := llmtest.New(t, llmtest.Turn{Text: "abcdef", Fault: llmtest.Fault{Kind: llmtest.Stall, After: 2}})
		var rec recorder
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		c := newClient(t, srv, &rec, nil)
		_, err := c.Complete(ctx, ask("hi"), func(d Delta) {
			rec.onDelta(d)
			cancel() // the operator pressed Esc after the first text
		})
		if !errors.Is(err, context.Canceled) || !strings.HasPrefix(err.Error(), "model call canceled") {
			t.Errorf("error %v, want a canceled call", err)
		}
		if len(rec.retries) != 0 || len(srv.Requests()) != 1 {
			t.Errorf("%d retries, %d requests after cancel; want 0 and 1", len(rec.retries), len(srv.Requests()))
		}
	})
	t.Run("during the backoff", func(t *testing.T) {
		srv := llmtest.New(t, llmtest.Error(429, "30"))
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		o, err := NewOpenAI(Config{APIKey: testKey, BaseURL: srv.URL(), Model: "m"})
		if err != nil {
			t.Fatal(err)
		}
		notices := 0
		_, err = o.Complete(ctx, ask("hi"), func(d Delta) {
			if d.Retry != nil {
				notices++
				cancel() // real sleep of 30 s, ended by the cancel
			}
		})
		if !errors.Is(err, context.Canceled) || notices != 1 || len(srv.Requests()) != 1 {
			t.Errorf("error %v after %d notices and %d requests; want canceled, 1, 1", err, notices, len(srv.Requests()))
		}
	})
	t.Run("before the call", func(t *testing.T) {
		srv := llmtest.New(t)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		var rec recorder
		if _, err := newClient(t, srv, &rec, nil).Complete(ctx, ask("hi"), nil); !errors.Is(err, context.Canceled) {
			t.Errorf("error %v, want canceled", err)
		}
	})
}

func TestRetryAfterHeader(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		h    http.Header
		want time.Duration
	}{
		{nil, -1},
		{http.Header{}, -1},
		{http.Header{"Retry-After": {"3"}}, 3 * time.Second},
		{http.Header{"Retry-After": {"0.5"}}, 500 * time.Millisecond},
		{http.Header{"Retry-After": {now.Add(7 * time.Second).Format(http.TimeFormat)}}, 7 * time.Second},
		{http.Header{"Retry-After": {now.Add(-time.Minute).Format(http.TimeFormat)}}, 0},
		{http.Header{"Retry-After": {"soon"}}, -1},
		{http.Header{"Retry-After": {"20"}, "Retry-After-Ms": {"1500"}}, 1500 * time.Millisecond},
	}
	for _, tt := range tests {
		if got := retryAfter(tt.h, now); got != tt.want {
			t.Errorf("retryAfter(%v) = %v, want %v", tt.h, got, tt.want)
		}
	}
}
