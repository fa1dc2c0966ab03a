package kube

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"k8s.io/client-go/rest"
)

// Client-side rate limits of every client the product builds. client-go's
// defaults (5 requests/s, burst 10) make paged lists of large clusters wait
// on the limiter far longer than on the server.
const (
	clientQPS   = 50
	clientBurst = 100
)

// selfReviews are the only resources a read-only client may POST to: they
// ask the server what the caller may do or who the caller is, and change
// nothing.
var selfReviews = map[string]string{
	"selfsubjectaccessreviews": "authorization.k8s.io",
	"selfsubjectrulesreviews":  "authorization.k8s.io",
	"selfsubjectreviews":       "authentication.k8s.io",
}

// streamSubresources open a stream into a container or the cluster network
// even over GET (exec and attach use WebSockets over GET).
var streamSubresources = map[string]bool{"exec": true, "attach": true, "portforward": true, "proxy": true}

// RefusedRequestError is returned for a request the read-only transport
// did not send.
type RefusedRequestError struct {
	Method string
	Path   string
}

func (e *RefusedRequestError) Error() string {
	return fmt.Sprintf("read-only client refused %s %s: only reads may reach the API server", e.Method, e.Path)
}

// ReadOnlyConfig returns a copy of cfg whose transport sends only GET and HEAD
// requests, and POSTs to self-subject access, rules and identity reviews.
// Any other request fails with a *RefusedRequestError before it leaves the
// process, as do requests for exec, attach, port-forward and proxy
// subresources and protocol upgrades. The copy also gets deliberate
// client-side rate limits.
func ReadOnlyConfig(cfg *rest.Config) *rest.Config {
	c := rest.CopyConfig(cfg)
	prefix := ""
	if u, err := url.Parse(c.Host); err == nil {
		prefix = strings.TrimRight(u.Path, "/")
	}
	c.Wrap(func(rt http.RoundTripper) http.RoundTripper {
		return &readOnlyTransport{next: rt, prefix: prefix}
	})
	c.QPS, c.Burst = clientQPS, clientBurst
	return c
}

type readOnlyTransport struct {
	next   http.RoundTripper
	prefix string // path of the server URL, for servers behind a path prefix
}

func (t *readOnlyTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if !t.allowed(req) {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, &RefusedRequestError{Method: req.Method, Path: req.URL.Path}
	}
	return t.next.RoundTrip(req)
}

func (t *readOnlyTransport) allowed(req *http.Request) bool {
	if req.Header.Get("Upgrade") != "" || strings.Contains(strings.ToLower(req.Header.Get("Connection")), "upgrade") {
		return false
	}
	path := req.URL.Path
	if req.URL.RawPath != "" || strings.Contains(path, "/../") || strings.HasSuffix(path, "/..") {
		return false // encoded or dot segments: never needed by a read
	}
	switch req.Method {
	case http.MethodGet, http.MethodHead:
		segs := strings.Split(strings.Trim(path, "/"), "/")
		for i, s := range segs {
			if streamSubresources[s] && i >= 2 && (segs[i-2] == "pods" || segs[i-2] == "services" || segs[i-2] == "nodes") {
				return false
			}
		}
		return true
	case http.MethodPost:
		rest, ok := strings.CutPrefix(path, t.prefix+"/apis/")
		if !ok {
			return false
		}
		parts := strings.Split(rest, "/")
		return len(parts) == 3 && selfReviews[parts[2]] == parts[0] && parts[1] != ""
	}
	return false
}
