package watch

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Readier says whether the watcher is ready (its informers synced).
type Readier interface {
	Ready() bool
}

// ServerConfig is what the listener serves.
type ServerConfig struct {
	// Addr is host:port; a non-loopback host needs Token.
	Addr string
	// Token, when set, is required as "Authorization: Bearer TOKEN" on the
	// Alertmanager endpoint.
	Token   string
	Ready   Readier
	Metrics *Metrics
	// Alerts receives Alertmanager's webhook at /alertmanager; nil serves none.
	Alerts http.Handler
	Log    *slog.Logger
}

// Loopback reports whether addr's host is a loopback address or localhost.
func Loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Handler returns the routes: /healthz, /readyz, /metrics and /alertmanager.
func Handler(cfg ServerConfig) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if cfg.Ready == nil || !cfg.Ready.Ready() {
			http.Error(w, "informers not synced", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(cfg.Metrics.Registry, promhttp.HandlerOpts{}))
	if cfg.Alerts != nil {
		mux.Handle("POST /alertmanager", bearer(cfg.Token, cfg.Alerts))
	}
	return mux
}

// bearer requires the token when one is set.
func bearer(token string, next http.Handler) http.Handler {
	if token == "" {
		return next
	}
	want := []byte("Bearer " + token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := []byte(strings.TrimSpace(r.Header.Get("Authorization")))
		if subtle.ConstantTimeCompare(got, want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="kuberesponder"`)
			http.Error(w, "a bearer token is required", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// Serve listens on cfg.Addr until ctx ends. It refuses a non-loopback address
// without a token; bound, when set, is told the address once it is bound.
func Serve(ctx context.Context, cfg ServerConfig, bound func(addr string)) error {
	if !Loopback(cfg.Addr) && cfg.Token == "" {
		return errors.New("listen: a non-loopback address needs --listen-token-file")
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	if bound != nil {
		bound(ln.Addr().String())
	}
	srv := &http.Server{
		Handler:           Handler(cfg),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(cfg.Log.Handler(), slog.LevelWarn),
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return fmt.Errorf("serve on %s: %w", ln.Addr(), err)
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
		return nil
	}
}
