package llm

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Error is a failed model call, described in one sentence for the operator.
type Error struct {
	Endpoint string // base URL, without credentials
	Status   int    // HTTP status, 0 when the call got none
	Retries  int    // retries made before giving up
	Msg      string
	Err      error
}

// Error returns the sentence.
func (e *Error) Error() string { return e.Msg }

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// giveUp builds the final error after the last failed attempt.
func (o *OpenAI) giveUp(f *failure, retries int) error {
	after := ""
	if retries > 0 {
		after = fmt.Sprintf(", gave up after %d retries", retries)
	}
	detail := oneLine(f.msg)
	if detail != "" {
		detail = ": " + detail
	}
	ep := o.endpoint
	var msg string
	switch {
	case f.status == http.StatusUnauthorized:
		msg = fmt.Sprintf("model endpoint %s: 401 unauthorized: check %s", ep, o.cfg.KeyName)
	case f.status == http.StatusForbidden:
		msg = fmt.Sprintf("model endpoint %s: 403 forbidden: the key in %s has no access to model %q%s", ep, o.cfg.KeyName, o.cfg.Model, detail)
	case f.status == http.StatusNotFound && o.cfg.Azure:
		msg = fmt.Sprintf("model endpoint %s: 404 not found: check the deployment %q and api-version %q", ep, o.azureDeployment(), o.cfg.APIVersion)
	case f.status == http.StatusNotFound:
		msg = fmt.Sprintf("model endpoint %s: 404 not found: check the base URL and the model name %q", ep, o.cfg.Model)
	case f.status > 0 && !retryable(f.status):
		msg = fmt.Sprintf("model endpoint %s rejected the request (%s)%s", ep, statusText(f.status), detail)
	case f.status > 0:
		msg = fmt.Sprintf("model endpoint %s: %s%s%s", ep, statusText(f.status), after, detail)
	case f.phrase != "":
		msg = fmt.Sprintf("model endpoint %s %s%s", ep, f.phrase, after)
	case f.reason == "connection reset":
		msg = fmt.Sprintf("model endpoint %s dropped the connection%s%s", ep, after, detail)
	case f.reason == "truncated stream":
		msg = fmt.Sprintf("model endpoint %s ended the reply stream early%s", ep, after)
	case f.reason == "malformed stream" || f.reason == "stream error":
		msg = fmt.Sprintf("model endpoint %s sent a broken reply stream%s%s", ep, after, detail)
	case f.reason == "no choices":
		msg = "model returned no choices"
	default:
		msg = fmt.Sprintf("model endpoint %s unreachable%s%s", ep, after, detail)
	}
	return o.scrub(&Error{Endpoint: ep, Status: f.status, Retries: retries, Msg: msg, Err: f.err})
}

func (o *OpenAI) azureDeployment() string {
	if o.cfg.AzureDeployment != "" {
		return o.cfg.AzureDeployment
	}
	return o.cfg.Model
}

// scrub makes sure the API key appears nowhere in e, also not in what it wraps.
func (o *OpenAI) scrub(e *Error) error {
	key := o.cfg.APIKey
	if len(key) < 4 {
		return e
	}
	e.Msg = strings.ReplaceAll(e.Msg, key, "[redacted]")
	if e.Err != nil && strings.Contains(e.Err.Error(), key) {
		e.Err = errors.New(strings.ReplaceAll(e.Err.Error(), key, "[redacted]"))
	}
	return e
}

// oneLine shortens a server message to one line of at most 300 characters.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 300 {
		s = string(r[:300]) + "…"
	}
	return s
}
