package llm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	openai "github.com/sashabaranov/go-openai"
)

// Defaults of Config.
const (
	DefaultMaxRetries       = 4
	DefaultTimeout          = 5 * time.Minute
	DefaultIdleTimeout      = 60 * time.Second
	DefaultFirstByteTimeout = 2 * time.Minute
	DefaultMaxWait          = time.Minute
	DefaultKeyName          = "OPENAI_API_KEY"
)

// Config configures an OpenAI-compatible endpoint. Only APIKey (or a
// keyless local BaseURL) and Model are usually needed.
type Config struct {
	APIKey  string // never logged, never part of an error
	BaseURL string // e.g. https://api.openai.com/v1, http://localhost:11434/v1; empty means OpenAI
	Model   string // default model of requests that name none

	// Azure OpenAI: set AzureDeployment (or use a *.openai.azure.com BaseURL
	// without /openai/v1) and APIVersion, e.g. "2024-10-21".
	Azure           bool
	AzureDeployment string
	APIVersion      string // sent as ?api-version= when set

	Timeout          time.Duration // whole attempt; DefaultTimeout when zero
	FirstByteTimeout time.Duration // wait for the response to start; DefaultFirstByteTimeout when zero
	IdleTimeout      time.Duration // longest silence inside a stream; DefaultIdleTimeout when zero
	MaxRetries       int           // retries after the first attempt; DefaultMaxRetries when zero, none when negative
	MaxWait          time.Duration // longest Retry-After honoured; DefaultMaxWait when zero
	NoStream         bool          // ask for whole replies instead of a stream
	KeyName          string        // where the key comes from, for messages; DefaultKeyName when empty

	Transport http.RoundTripper // base transport; a clone of http.DefaultTransport when nil
}

// OpenAI is a Client for OpenAI-compatible chat completion endpoints:
// OpenAI, Azure OpenAI, Ollama, vLLM, LiteLLM and the like.
type OpenAI struct {
	cfg       Config
	endpoint  string // BaseURL for messages, without credentials
	transport http.RoundTripper
	noUsage   atomic.Bool // the endpoint rejected stream_options

	sleep func(ctx context.Context, d time.Duration) error
	jit   func() float64 // uniform in [0,1)
}

var _ Client = (*OpenAI)(nil)

// ErrNoAPIKey is returned by NewOpenAI when a hosted endpoint has no API key.
var ErrNoAPIKey = errors.New("no API key for the model endpoint: set OPENAI_API_KEY, or run with --offline to work without a model")

// NewOpenAI returns a client for cfg. It fails with ErrNoAPIKey when the
// endpoint is OpenAI or Azure and no key is given; local endpoints such as
// Ollama or vLLM may go without one.
func NewOpenAI(cfg Config) (*OpenAI, error) {
	if cfg.BaseURL == "" {
		cfg.BaseURL = "https://api.openai.com/v1"
	}
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("model endpoint %q is not a URL like https://api.openai.com/v1", redactURL(cfg.BaseURL))
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("model endpoint %s: scheme must be http or https", redactURL(cfg.BaseURL))
	}
	host := strings.ToLower(u.Hostname())
	if cfg.AzureDeployment != "" || (strings.HasSuffix(host, ".openai.azure.com") && !strings.Contains(u.Path, "/openai/v1")) {
		cfg.Azure = true
	}
	if cfg.APIKey == "" && (cfg.Azure || host == "api.openai.com") {
		return nil, ErrNoAPIKey
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.FirstByteTimeout == 0 {
		cfg.FirstByteTimeout = DefaultFirstByteTimeout
	}
	if cfg.IdleTimeout == 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	if cfg.MaxRetries == 0 {
		cfg.MaxRetries = DefaultMaxRetries
	}
	if cfg.MaxRetries < 0 {
		cfg.MaxRetries = 0
	}
	if cfg.MaxWait == 0 {
		cfg.MaxWait = DefaultMaxWait
	}
	if cfg.KeyName == "" {
		cfg.KeyName = DefaultKeyName
	}
	o := &OpenAI{cfg: cfg, endpoint: redactURL(cfg.BaseURL), transport: cfg.Transport, sleep: sleepCtx, jit: jitter}
	if o.transport == nil {
		o.transport = http.DefaultTransport.(*http.Transport).Clone()
	}
	return o, nil
}

// String describes the configuration with the API key redacted.
func (c Config) String() string {
	key := "none"
	if c.APIKey != "" {
		key = "[redacted]"
	}
	return fmt.Sprintf("Config{BaseURL: %s, Model: %q, Azure: %v, AzureDeployment: %q, APIVersion: %q, APIKey: %s}",
		redactURL(c.BaseURL), c.Model, c.Azure, c.AzureDeployment, c.APIVersion, key)
}

// GoString is String, so that %#v redacts the key too.
func (c Config) GoString() string { return c.String() }

// String names the endpoint and model; the key is never printed.
func (o *OpenAI) String() string {
	return fmt.Sprintf("OpenAI(%s, model %q)", o.endpoint, o.cfg.Model)
}

// Endpoint returns the base URL the client talks to, without credentials.
func (o *OpenAI) Endpoint() string { return o.endpoint }

// redactURL drops user info and the query from a URL meant for a message.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable URL)"
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	return strings.TrimRight(u.String(), "/")
}

// clientConfig returns the go-openai configuration for one attempt.
func (o *OpenAI) clientConfig(rt http.RoundTripper) openai.ClientConfig {
	var cc openai.ClientConfig
	if o.cfg.Azure {
		cc = openai.DefaultAzureConfig(o.cfg.APIKey, o.cfg.BaseURL)
		if dep := o.cfg.AzureDeployment; dep != "" {
			cc.AzureModelMapperFunc = func(string) string { return dep }
		}
	} else {
		cc = openai.DefaultConfig(o.cfg.APIKey)
		cc.BaseURL = o.cfg.BaseURL
	}
	if o.cfg.APIVersion != "" {
		cc.APIVersion = o.cfg.APIVersion
	}
	cc.HTTPClient = &http.Client{Transport: rt}
	return cc
}

// model returns the model a request is sent to.
func (o *OpenAI) model(req Request) string {
	switch {
	case req.Model != "":
		return req.Model
	case o.cfg.Model != "":
		return o.cfg.Model
	}
	return o.cfg.AzureDeployment
}

// reasoningModel tells whether a model takes max_completion_tokens and
// rejects sampling settings.
func reasoningModel(m string) bool {
	for _, p := range []string{"o1", "o3", "o4", "gpt-5"} {
		if strings.HasPrefix(m, p) {
			return true
		}
	}
	return false
}

var emptySchema = json.RawMessage(`{"type":"object","properties":{}}`)

// chatRequest converts a Request to the go-openai wire request.
func (o *OpenAI) chatRequest(req Request) (openai.ChatCompletionRequest, error) {
	model := o.model(req)
	if model == "" {
		return openai.ChatCompletionRequest{}, errors.New("no model name configured: set the model to use")
	}
	cr := openai.ChatCompletionRequest{Model: model, Messages: make([]openai.ChatCompletionMessage, 0, len(req.Messages))}
	for _, m := range req.Messages {
		cr.Messages = append(cr.Messages, wireMessage(m))
	}
	for _, t := range req.Tools {
		params := t.Parameters
		if len(params) == 0 {
			params = emptySchema
		}
		cr.Tools = append(cr.Tools, openai.Tool{Type: openai.ToolTypeFunction, Function: &openai.FunctionDefinition{
			Name: t.Name, Description: t.Description, Parameters: params,
		}})
	}
	reasoning := reasoningModel(model)
	if req.Temperature != nil && !reasoning {
		cr.Temperature = *req.Temperature
	}
	if req.MaxTokens > 0 {
		if reasoning {
			cr.MaxCompletionTokens = req.MaxTokens
		} else {
			cr.MaxTokens = req.MaxTokens
		}
	}
	if !o.cfg.NoStream {
		cr.Stream = true
		if !o.noUsage.Load() {
			cr.StreamOptions = &openai.StreamOptions{IncludeUsage: true}
		}
	}
	return cr, nil
}

// wireMessage converts one message. Tool answers and plain assistant
// messages never go out empty: OpenAI rejects a missing content there.
func wireMessage(m Message) openai.ChatCompletionMessage {
	w := openai.ChatCompletionMessage{Role: string(m.Role), Content: m.Content, ToolCallID: m.ToolCallID}
	for _, tc := range m.ToolCalls {
		args := tc.Arguments
		if strings.TrimSpace(args) == "" {
			args = "{}"
		}
		w.ToolCalls = append(w.ToolCalls, openai.ToolCall{ID: tc.ID, Type: openai.ToolTypeFunction,
			Function: openai.FunctionCall{Name: tc.Name, Arguments: args}})
	}
	if w.Content == "" && (m.Role == Tool || (m.Role == Assistant && len(m.ToolCalls) == 0)) {
		w.Content = "(empty)"
	}
	return w
}
