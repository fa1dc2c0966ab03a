// Package sinktest runs receivers that hold senders to the contract of the
// real thing, over real HTTP on loopback: a Slack incoming webhook that
// rejects what Slack rejects, and a webhook that verifies the HMAC signature
// and counts repeats by idempotency key. Both can answer with faults first.
package sinktest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/kuberesponder/kuberesponder/session/watch/sink"
)

// Fault is one answer given instead of accepting a request.
type Fault struct {
	Status     int
	RetryAfter string        // the Retry-After header, if any
	Stall      time.Duration // wait this long (or until the client gives up) before answering
}

// receiver is what both receivers share: recorded bodies and faults.
type receiver struct {
	srv      *httptest.Server
	mu       sync.Mutex
	faults   []Fault
	down     bool
	attempts int
	rejected []string
}

// URL is where to post.
func (r *receiver) URL() string { return r.srv.URL }

// Fail makes the next requests answer with faults, in order.
func (r *receiver) Fail(f ...Fault) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.faults = append(r.faults, f...)
}

// Down makes every request fail with 503 until Down(false).
func (r *receiver) Down(down bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.down = down
}

// Attempts counts the requests received, faults included.
func (r *receiver) Attempts() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.attempts
}

// Rejected lists why requests that broke the contract were refused.
func (r *receiver) Rejected() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.rejected...)
}

// fault answers with the next fault, if any; it reports whether it did.
func (r *receiver) fault(w http.ResponseWriter, req *http.Request) bool {
	r.mu.Lock()
	r.attempts++
	if r.down {
		r.mu.Unlock()
		http.Error(w, "down", http.StatusServiceUnavailable)
		return true
	}
	if len(r.faults) == 0 {
		r.mu.Unlock()
		return false
	}
	f := r.faults[0]
	r.faults = r.faults[1:]
	r.mu.Unlock()
	if f.Stall > 0 {
		// The server notices a client that gave up only once the body is read.
		_, _ = io.Copy(io.Discard, req.Body)
		select {
		case <-time.After(f.Stall):
		case <-req.Context().Done():
			return true
		}
	}
	if f.RetryAfter != "" {
		w.Header().Set("Retry-After", f.RetryAfter)
	}
	http.Error(w, http.StatusText(f.Status), f.Status)
	return true
}

func (r *receiver) reject(w http.ResponseWriter, status int, why string) {
	r.mu.Lock()
	r.rejected = append(r.rejected, why)
	r.mu.Unlock()
	http.Error(w, why, status)
}

// Webhook verifies each delivery's signature and records it.
type Webhook struct {
	receiver
	secret     []byte
	deliveries []sink.Delivery
	seen       map[string]int
}

// NewWebhook starts a webhook receiver checking signatures under secret
// (none when empty); it stops when the test ends.
func NewWebhook(t testing.TB, secret []byte) *Webhook {
	h := &Webhook{secret: secret, seen: map[string]int{}}
	h.srv = httptest.NewServer(http.HandlerFunc(h.serve))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *Webhook) serve(w http.ResponseWriter, req *http.Request) {
	if h.fault(w, req) {
		return
	}
	body, err := io.ReadAll(io.LimitReader(req.Body, 8<<20))
	if err != nil {
		h.reject(w, http.StatusBadRequest, "unreadable body")
		return
	}
	if req.Method != http.MethodPost || req.Header.Get("Content-Type") != "application/json" {
		h.reject(w, http.StatusBadRequest, "not a JSON POST")
		return
	}
	if req.Header.Get(sink.HeaderVersion) != strconv.Itoa(sink.EnvelopeVersion) {
		h.reject(w, http.StatusBadRequest, "envelope version header "+req.Header.Get(sink.HeaderVersion))
		return
	}
	if len(h.secret) > 0 {
		ts := req.Header.Get(sink.HeaderTimestamp)
		sec, err := strconv.ParseInt(ts, 10, 64)
		if err != nil || time.Since(time.Unix(sec, 0)).Abs() > 5*time.Minute {
			h.reject(w, http.StatusUnauthorized, "timestamp missing or too far off")
			return
		}
		// Computed here from the documented contract, not with the sender's code.
		mac := hmac.New(sha256.New, h.secret)
		mac.Write([]byte(ts + "."))
		mac.Write(body)
		want := "sha256=" + hex.EncodeToString(mac.Sum(nil))
		if !hmac.Equal([]byte(want), []byte(req.Header.Get(sink.HeaderSignature))) {
			h.reject(w, http.StatusUnauthorized, "bad signature")
			return
		}
	}
	var d sink.Delivery
	if err := json.Unmarshal(body, &d); err != nil {
		h.reject(w, http.StatusBadRequest, "body is not an envelope: "+err.Error())
		return
	}
	key := req.Header.Get(sink.HeaderIdempotency)
	if key == "" || key != d.IdempotencyKey {
		h.reject(w, http.StatusBadRequest, "idempotency key header missing or not the envelope's")
		return
	}
	h.mu.Lock()
	h.seen[key]++
	if h.seen[key] == 1 {
		h.deliveries = append(h.deliveries, d)
	}
	h.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// Deliveries returns the deliveries accepted, repeats left out.
func (h *Webhook) Deliveries() []sink.Delivery {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]sink.Delivery(nil), h.deliveries...)
}

// Repeats counts deliveries received again under the same idempotency key.
func (h *Webhook) Repeats() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, c := range h.seen {
		n += c - 1
	}
	return n
}

// Slack is an incoming webhook that enforces Slack's documented limits.
type Slack struct {
	receiver
	messages []map[string]any
}

// NewSlack starts a Slack receiver; it stops when the test ends.
func NewSlack(t testing.TB) *Slack {
	s := &Slack{}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

// Messages returns the messages accepted.
func (s *Slack) Messages() []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]map[string]any(nil), s.messages...)
}

func (s *Slack) serve(w http.ResponseWriter, req *http.Request) {
	if s.fault(w, req) {
		return
	}
	var msg map[string]any
	if err := json.NewDecoder(io.LimitReader(req.Body, 8<<20)).Decode(&msg); err != nil {
		s.reject(w, http.StatusBadRequest, "invalid_payload")
		return
	}
	if why := CheckSlack(msg); why != "" {
		s.reject(w, http.StatusBadRequest, why)
		return
	}
	s.mu.Lock()
	s.messages = append(s.messages, msg)
	s.mu.Unlock()
	fmt.Fprint(w, "ok")
}

// CheckSlack returns why Slack would refuse msg ("" when it would not):
// at most 50 blocks; header text plain_text of 1-150 characters; section text
// of 1-3,000 characters and at most 10 fields of up to 2,000; context blocks
// of 1-10 elements; block ids up to 255; top-level text up to 40,000.
func CheckSlack(msg map[string]any) string {
	text, _ := msg["text"].(string)
	blocks, hasBlocks := msg["blocks"].([]any)
	if text == "" && !hasBlocks {
		return "no_text"
	}
	if utf8.RuneCountInString(text) > 40000 {
		return "invalid_blocks: text over 40,000 characters"
	}
	if len(blocks) > 50 {
		return fmt.Sprintf("invalid_blocks: %d blocks, more than 50", len(blocks))
	}
	for i, b := range blocks {
		if why := checkBlock(b); why != "" {
			return fmt.Sprintf("invalid_blocks: block %d: %s", i, why)
		}
	}
	return ""
}

func textOf(v any) (typ, text string, ok bool) {
	m, ok := v.(map[string]any)
	if !ok {
		return "", "", false
	}
	typ, _ = m["type"].(string)
	text, ok = m["text"].(string)
	return typ, text, ok && (typ == "plain_text" || typ == "mrkdwn")
}

func length(s string, lo, hi int) bool {
	n := utf8.RuneCountInString(s)
	return n >= lo && n <= hi
}

func checkBlock(v any) string {
	b, ok := v.(map[string]any)
	if !ok {
		return "not an object"
	}
	if id, _ := b["block_id"].(string); utf8.RuneCountInString(id) > 255 {
		return "block_id over 255 characters"
	}
	switch b["type"] {
	case "header":
		typ, text, ok := textOf(b["text"])
		if !ok || typ != "plain_text" || !length(text, 1, 150) {
			return fmt.Sprintf("header text must be plain_text of 1-150 characters (%s, %d)", typ, utf8.RuneCountInString(text))
		}
	case "section":
		_, hasText := b["text"]
		fields, _ := b["fields"].([]any)
		if !hasText && len(fields) == 0 {
			return "section needs text or fields"
		}
		if hasText {
			if _, text, ok := textOf(b["text"]); !ok || !length(text, 1, 3000) {
				return fmt.Sprintf("section text must be 1-3000 characters (%d)", utf8.RuneCountInString(text))
			}
		}
		if len(fields) > 10 {
			return fmt.Sprintf("%d section fields, more than 10", len(fields))
		}
		for _, f := range fields {
			if _, text, ok := textOf(f); !ok || !length(text, 1, 2000) {
				return fmt.Sprintf("section field must be 1-2000 characters (%d)", utf8.RuneCountInString(text))
			}
		}
	case "context":
		els, _ := b["elements"].([]any)
		if len(els) < 1 || len(els) > 10 {
			return fmt.Sprintf("context needs 1-10 elements, has %d", len(els))
		}
		for _, e := range els {
			if _, text, ok := textOf(e); !ok || !length(text, 1, 3000) {
				return "context element must be text of 1-3000 characters"
			}
		}
	case "divider":
	default:
		return fmt.Sprintf("block type %v not expected", b["type"])
	}
	return ""
}
