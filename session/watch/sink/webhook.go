package sink

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// The webhook's headers (docs/incident-json.md).
const (
	HeaderVersion     = "X-Kuberesponder-Version"
	HeaderIdempotency = "Idempotency-Key"
	HeaderTimestamp   = "X-Kuberesponder-Timestamp"
	HeaderSignature   = "X-Kuberesponder-Signature"
)

// Webhook posts the envelope as JSON, signed with HMAC-SHA256 when it has a
// secret.
type Webhook struct {
	name   string
	url    string
	secret []byte
	client *http.Client
	now    func() time.Time
}

// NewWebhook returns a webhook sink. name is what errors say instead of the
// URL; secret may be empty (unsigned).
func NewWebhook(name, url string, secret []byte, client *http.Client) *Webhook {
	if client == nil {
		client = &http.Client{}
	}
	return &Webhook{name: name, url: url, secret: secret, client: client, now: time.Now}
}

var _ Sender = (*Webhook)(nil)

// Sign returns the signature of body sent at timestamp (Unix seconds):
// "sha256=" and the hex HMAC-SHA256 of "TIMESTAMP.BODY" under secret.
func Sign(secret []byte, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(timestamp))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// Send posts d once.
func (s *Webhook) Send(ctx context.Context, d Delivery) error {
	body, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("%w: encode delivery %s: %w", ErrPermanent, d.ID, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%w: build the request to %s", ErrPermanent, s.name)
	}
	now := s.now()
	ts := strconv.FormatInt(now.Unix(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "kuberesponder-watch")
	req.Header.Set(HeaderVersion, strconv.Itoa(EnvelopeVersion))
	req.Header.Set(HeaderIdempotency, d.IdempotencyKey)
	req.Header.Set(HeaderTimestamp, ts)
	if len(s.secret) > 0 {
		req.Header.Set(HeaderSignature, Sign(s.secret, ts, body))
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return postError(s.name, err)
	}
	defer resp.Body.Close()
	return classify(s.name, resp, now)
}
