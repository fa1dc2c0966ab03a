// Package sink delivers incidents of kuberesponder watch: the versioned
// envelope (docs/incident-json.md), and one Sender per destination — stdout,
// a directory, a signed webhook, a Slack incoming webhook.
package sink

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"time"
)

// EnvelopeVersion is the version of the envelope's JSON schema.
const EnvelopeVersion = 1

// The states of a delivery.
const (
	StateFiring   = "firing"
	StateUpdated  = "updated"
	StateResolved = "resolved"
	// StateSummary lists the incidents already there when the watcher started.
	StateSummary = "summary"
	// StateDigest lists deliveries held back by a sink's rate limit.
	StateDigest = "digest"
)

// The sources of an incident.
const (
	SourceWatch        = "watch"
	SourceAlertmanager = "alertmanager"
)

// Delivery is one message about an incident: the envelope every sink renders.
type Delivery struct {
	Version int `json:"version"`
	// ID names the occurrence (fingerprint and firing time); Fingerprint the
	// problem across occurrences (rule and owner, or the alert group).
	ID          string `json:"id"`
	Fingerprint string `json:"fingerprint"`
	// IdempotencyKey is the same for every attempt of this delivery, across
	// retries and restarts: receivers drop repeats by it.
	IdempotencyKey string `json:"idempotencyKey"`
	State          string `json:"state"`
	Source         string `json:"source"`
	Title          string `json:"title"`
	Urgency        string `json:"urgency"`
	// Owner is the object the incident is about, "Kind namespace/name".
	Owner     string    `json:"owner,omitempty"`
	Rule      string    `json:"rule,omitempty"`
	StartedAt time.Time `json:"startedAt"`
	SentAt    time.Time `json:"sentAt"`
	// ResolvedAt and DurationSeconds are set when the state is resolved.
	ResolvedAt      *time.Time `json:"resolvedAt,omitempty"`
	DurationSeconds float64    `json:"durationSeconds,omitempty"`
	// Snapshot is the snapshot file of the cluster at alert time;
	// SnapshotHint tells how to open it.
	Snapshot     string `json:"snapshot,omitempty"`
	SnapshotHint string `json:"snapshotHint,omitempty"`
	// Alert is the Alertmanager group that raised the incident.
	Alert *Alert `json:"alert,omitempty"`
	// Incidents lists the incidents of a summary or a digest.
	Incidents []Brief `json:"incidents,omitempty"`
	// Report is the first-response report (docs/report-json.md), scoped to
	// the incident; Markdown is the same report as text.
	Report   json.RawMessage `json:"report,omitempty"`
	Markdown string          `json:"-"`
	// Digest holds the parts a chat message shows.
	Digest Digest `json:"-"`
}

// Alert is what an Alertmanager group said.
type Alert struct {
	Name        string            `json:"name"`
	Status      string            `json:"status"`
	Receiver    string            `json:"receiver,omitempty"`
	GroupKey    string            `json:"groupKey"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Alerts      int               `json:"alerts"`
}

// Brief is one line of a summary or a digest.
type Brief struct {
	ID      string `json:"id"`
	State   string `json:"state"`
	Title   string `json:"title"`
	Urgency string `json:"urgency"`
	Owner   string `json:"owner,omitempty"`
}

// Digest is the report cut into what a chat message needs.
type Digest struct {
	Location string   // the finding's object and problem
	Evidence []string // the key evidence lines
	Impact   string
	Cause    string
	Commands []string // the first read-only commands to run
}

// Sender delivers one message. An error that wraps *RetryError asks for a
// retry after its delay; an error wrapping ErrPermanent is not retried.
type Sender interface {
	Send(ctx context.Context, d Delivery) error
}

// ErrPermanent marks a failure that a retry cannot mend (a 4xx other than
// 408 and 429, a message that cannot be built).
var ErrPermanent = errors.New("permanent failure")

// RetryError is a failure to retry after At least After (Retry-After).
type RetryError struct {
	After time.Duration
	Err   error
}

func (e *RetryError) Error() string {
	return fmt.Sprintf("%v (retry after %s)", e.Err, e.After)
}

func (e *RetryError) Unwrap() error { return e.Err }

// classify turns an HTTP response status into nil, a retry, or a permanent
// failure. what names the sink without its URL.
func classify(what string, resp *http.Response, now time.Time) error {
	code := resp.StatusCode
	if code >= 200 && code < 300 {
		return nil
	}
	err := fmt.Errorf("%s answered %d %s", what, code, http.StatusText(code))
	if code == http.StatusTooManyRequests || code == http.StatusRequestTimeout || code >= 500 {
		return &RetryError{After: retryAfter(resp.Header.Get("Retry-After"), now), Err: err}
	}
	return fmt.Errorf("%w: %w", ErrPermanent, err)
}

// retryAfter reads a Retry-After header (seconds or an HTTP date); zero when
// absent or unreadable.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// postError describes a failed POST without its URL: net/http errors quote
// the URL, which may carry a token.
func postError(what string, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	// Dial and lookup errors name the host: keep only what happened.
	var dns *net.DNSError
	var op *net.OpError
	switch {
	case errors.As(err, &dns):
		err = fmt.Errorf("lookup: %s", dns.Err)
	case errors.As(err, &op):
		err = fmt.Errorf("%s: %w", op.Op, op.Err)
	}
	return &RetryError{Err: fmt.Errorf("post to %s: %w", what, err)}
}

// durationText renders seconds as a rounded duration ("4m30s").
func durationText(s float64) string {
	return (time.Duration(s * float64(time.Second))).Round(time.Second).String()
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
