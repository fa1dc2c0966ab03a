package mcp

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
)

// HTTP limits: a client that sends nothing for sessionTimeout loses its
// MCP session; a request's headers must arrive within headerTimeout.
const (
	sessionTimeout  = 30 * time.Minute
	headerTimeout   = 10 * time.Second
	shutdownTimeout = 5 * time.Second
	maxRequestBytes = 1 << 20
)

// ErrTokenRequired is returned by ServeHTTP for an address other than
// loopback without a bearer token.
var ErrTokenRequired = errors.New("serving MCP over HTTP on an address other than loopback needs a bearer token: give one with --token-file")

// Loopback reports whether addr (host:port) is reached only from this
// machine: a loopback IP or "localhost". An empty host (every interface)
// and any other name are not.
func Loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// Handler returns the streamable HTTP handler of the server. With a token,
// every request must carry it as "Authorization: Bearer <token>"; a missing
// or wrong one is answered 401. A browser's cross-origin request is
// answered 403, and so is a loopback request naming another host (DNS
// rebinding). Malformed JSON-RPC is answered with a protocol error by the
// SDK's handler.
func (s *Server) Handler(token string) http.Handler {
	var h http.Handler = sdk.NewStreamableHTTPHandler(func(*http.Request) *sdk.Server { return s.srv },
		&sdk.StreamableHTTPOptions{SessionTimeout: sessionTimeout, MaxRequestBodyBytes: maxRequestBytes})
	h = http.NewCrossOriginProtection().Handler(h)
	if token == "" {
		return h
	}
	want := sha256.Sum256([]byte(token))
	verify := func(_ context.Context, got string, _ *http.Request) (*auth.TokenInfo, error) {
		sum := sha256.Sum256([]byte(got))
		if subtle.ConstantTimeCompare(sum[:], want[:]) != 1 {
			return nil, fmt.Errorf("%w: the bearer token is wrong", auth.ErrInvalidToken)
		}
		return &auth.TokenInfo{}, nil
	}
	return auth.RequireBearerToken(verify, &auth.RequireBearerTokenOptions{AllowMissingExpiration: true})(h)
}

// ServeHTTP serves MCP over streamable HTTP on addr until ctx ends. It
// refuses to start on an address other than loopback without a token.
// ready, when not nil, is called with the address listened on.
func (s *Server) ServeHTTP(ctx context.Context, addr, token string, ready func(net.Addr)) error {
	if token == "" && !Loopback(addr) {
		return ErrTokenRequired
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	srv := &http.Server{Handler: s.Handler(token), ReadHeaderTimeout: headerTimeout}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if ready != nil {
		ready(ln.Addr())
	}
	err = srv.Serve(ln)
	if errors.Is(err, http.ErrServerClosed) {
		<-stopped
		return nil
	}
	return fmt.Errorf("serve MCP on %s: %w", addr, err)
}
