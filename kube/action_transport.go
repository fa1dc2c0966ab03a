package kube

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/kuberesponder/kuberesponder/kube/redact"
)

// actionTransport is the transport of one action's clients. It sends
// nothing once the action's context has ended (an abandoned action stops
// issuing requests and its requests in flight are cancelled), and it
// removes secret values from every JSON object the API server returns
// before kubectl's printers and describers see it: get in every output
// format, describe, events and rollout all print redacted objects.
type actionTransport struct {
	next http.RoundTripper
	ctx  context.Context
	red  *redact.Redactor
	n    *atomic.Int64 // values redacted in responses
}

// protobufType is the media type of Kubernetes protobuf, which this
// transport cannot redact; action clients ask for JSON only.
const protobufType = "application/vnd.kubernetes.protobuf"

func (t *actionTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := t.ctx.Err(); err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, fmt.Errorf("not sent: the action has ended: %w", err)
	}
	rctx, cancel := context.WithCancel(req.Context())
	stop := context.AfterFunc(t.ctx, cancel)
	done := func() { stop(); cancel() }
	resp, err := t.next.RoundTrip(req.WithContext(rctx))
	if err != nil {
		done()
		return nil, err
	}
	resp.Body = &doneBody{ReadCloser: resp.Body, done: done}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp, nil
	}
	if err := t.redactBody(req, resp); err != nil {
		resp.Body.Close()
		return nil, err
	}
	return resp, nil
}

// doneBody releases the request's context when the body is closed.
type doneBody struct {
	io.ReadCloser
	done func()
}

func (b *doneBody) Close() error {
	err := b.ReadCloser.Close()
	b.done()
	return err
}

// redactBody replaces a JSON body by its redacted form: whole for a single
// response, event by event for a watch stream.
func (t *actionTransport) redactBody(req *http.Request, resp *http.Response) error {
	media, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	switch {
	case media == protobufType:
		return fmt.Errorf("refused a protobuf response from %s: only JSON can be redacted", req.URL.Path)
	case media != "application/json":
		return nil // logs (text/plain), OpenAPI documents: no objects
	}
	switch enc := strings.ToLower(resp.Header.Get("Content-Encoding")); enc {
	case "", "identity":
	case "gzip":
		zr, err := gzip.NewReader(resp.Body)
		if err != nil {
			return fmt.Errorf("read gzip response of %s: %w", req.URL.Path, err)
		}
		resp.Body = readCloser{Reader: zr, Closer: resp.Body}
		resp.Header.Del("Content-Encoding")
	default:
		return fmt.Errorf("refused a response of %s encoded as %q: it cannot be redacted", req.URL.Path, enc)
	}
	if w := req.URL.Query().Get("watch"); w == "true" || w == "1" {
		resp.Body = t.watchBody(resp.Body)
		resp.ContentLength = -1
		resp.Header.Del("Content-Length")
		return nil
	}
	raw, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return fmt.Errorf("read response of %s: %w", req.URL.Path, err)
	}
	out, err := t.redactJSON(raw)
	if err != nil {
		return fmt.Errorf("redact response of %s: %w", req.URL.Path, err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(out))
	resp.ContentLength = int64(len(out))
	resp.Header.Set("Content-Length", strconv.Itoa(len(out)))
	return nil
}

// readCloser joins a reader and the closer of what it reads.
type readCloser struct {
	io.Reader
	io.Closer
}

// redactJSON redacts one JSON object; the bytes are kept as they came when
// nothing was replaced.
func (t *actionTransport) redactJSON(raw []byte) ([]byte, error) {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var obj map[string]any
	if err := d.Decode(&obj); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	n := t.red.Object(obj)
	if n == 0 {
		return raw, nil
	}
	t.n.Add(int64(n))
	return encode(obj)
}

// watchBody redacts a stream of watch events as it is read.
func (t *actionTransport) watchBody(body io.ReadCloser) io.ReadCloser {
	pr, pw := io.Pipe()
	go func() {
		d := json.NewDecoder(body)
		d.UseNumber()
		for {
			var ev map[string]any
			err := d.Decode(&ev)
			if errors.Is(err, io.EOF) {
				pw.Close()
				return
			}
			if err != nil {
				pw.CloseWithError(fmt.Errorf("decode watch event: %w", err))
				return
			}
			if obj, ok := ev["object"].(map[string]any); ok {
				t.n.Add(int64(t.red.Object(obj)))
			}
			out, err := encode(ev)
			if err == nil {
				_, err = pw.Write(out)
			}
			if err != nil {
				pw.CloseWithError(err)
				return
			}
		}
	}()
	return readCloser{Reader: pr, Closer: closers{pr, body}}
}

// closers closes each of its members.
type closers []io.Closer

func (c closers) Close() error {
	var errs []error
	for _, x := range c {
		errs = append(errs, x.Close())
	}
	return errors.Join(errs...)
}

// encode writes v as JSON without HTML escaping.
func encode(v any) ([]byte, error) {
	var b bytes.Buffer
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	if err := e.Encode(v); err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	return b.Bytes(), nil
}
