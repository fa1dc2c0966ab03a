package kube

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
)

// recorder is an API server stand-in that records what reached it.
type recorder struct {
	mu   sync.Mutex
	seen []string
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	r.seen = append(r.seen, req.Method+" "+req.URL.Path)
	r.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.Write([]byte(`{"kind":"Status","apiVersion":"v1","status":"Success"}`))
}

func (r *recorder) requests() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.seen...)
}

func TestReadOnlyConfig(t *testing.T) {
	rec := &recorder{}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	for _, prefix := range []string{"", "/k8s/clusters/c-1"} {
		t.Run("prefix="+prefix, func(t *testing.T) {
			cfg := ReadOnlyConfig(&rest.Config{Host: srv.URL + prefix})
			if cfg.QPS != clientQPS || cfg.Burst != clientBurst {
				t.Errorf("QPS/Burst = %v/%v", cfg.QPS, cfg.Burst)
			}
			rc, err := rest.UnversionedRESTClientFor(withCodec(cfg))
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			tests := []struct {
				method, path string
				header       string
				allowed      bool
			}{
				{"GET", "/api/v1/namespaces/shop/pods", "", true},
				{"GET", "/api/v1/namespaces/proxy/pods", "", true},
				{"GET", "/api/v1/namespaces/shop/pods/web-1/log", "", true},
				{"HEAD", "/version", "", true},
				{"GET", "/api/v1/namespaces/shop/pods?watch=true", "", true},
				{"POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", "", true},
				{"POST", "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews", "", true},
				{"POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", "", true},
				{"POST", "/apis/authentication.k8s.io/v1beta1/selfsubjectreviews", "", true},
				{"POST", "/api/v1/namespaces/shop/pods", "", false},
				{"POST", "/apis/authorization.k8s.io/v1/namespaces/shop/localsubjectaccessreviews", "", false},
				{"POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", "", false},
				{"POST", "/apis/authentication.k8s.io/v1/selfsubjectaccessreviews", "", false},
				{"POST", "/apis/authentication.k8s.io/v1/tokenreviews", "", false},
				{"POST", "/api/v1/namespaces/shop/serviceaccounts/default/token", "", false},
				{"POST", "/api/v1/namespaces/shop/pods/web-1/exec", "", false},
				{"POST", "/api/v1/namespaces/shop/pods/web-1/eviction", "", false},
				{"PUT", "/api/v1/namespaces/shop/pods/web-1", "", false},
				{"PATCH", "/apis/apps/v1/namespaces/shop/deployments/web", "", false},
				{"DELETE", "/api/v1/namespaces/shop/pods/web-1", "", false},
				{"DELETE", "/api/v1/namespaces/shop/pods", "", false},
				{"OPTIONS", "/api", "", false},
				{"GET", "/api/v1/namespaces/shop/pods/web-1/exec", "", false},
				{"GET", "/api/v1/namespaces/shop/pods/web-1/attach", "", false},
				{"GET", "/api/v1/namespaces/shop/pods/web-1/portforward", "", false},
				{"GET", "/api/v1/namespaces/shop/services/web:80/proxy/admin", "", false},
				{"GET", "/api/v1/nodes/node-1/proxy/configz", "", false},
				{"GET", "/api/v1/namespaces/shop/pods", "websocket", false},
			}
			for _, tc := range tests {
				before := len(rec.requests())
				req := rc.Verb(tc.method).AbsPath(strings.Split(tc.path, "?")[0])
				if tc.header != "" {
					req = req.SetHeader("Upgrade", tc.header).SetHeader("Connection", "Upgrade")
				}
				if tc.method == "POST" || tc.method == "PUT" || tc.method == "PATCH" {
					req = req.Body([]byte(`{}`))
				}
				err := req.Do(ctx).Error()
				reached := len(rec.requests()) > before
				var refused *RefusedRequestError
				switch {
				case tc.allowed && (err != nil || !reached):
					t.Errorf("%s %s: err=%v reached=%v, want it sent", tc.method, tc.path, err, reached)
				case !tc.allowed && (reached || !errors.As(err, &refused)):
					t.Errorf("%s %s: err=%v reached=%v, want a RefusedRequestError and no request", tc.method, tc.path, err, reached)
				case !tc.allowed && (refused.Method != tc.method || !strings.Contains(err.Error(), tc.method+" "+prefix+strings.Split(tc.path, "?")[0])):
					t.Errorf("%s %s: error %q does not name the method and path", tc.method, tc.path, err)
				}
			}
		})
	}
}

func TestReadOnlyClientset(t *testing.T) {
	rec := &recorder{}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	cs, err := kubernetes.NewForConfig(ReadOnlyConfig(&rest.Config{Host: srv.URL}))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	err = cs.CoreV1().Pods("shop").Delete(ctx, "web-1", metav1.DeleteOptions{})
	var refused *RefusedRequestError
	if !errors.As(err, &refused) || refused.Method != "DELETE" {
		t.Errorf("Delete: %v", err)
	}
	_, err = cs.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, &authorizationv1.SelfSubjectAccessReview{}, metav1.CreateOptions{})
	if errors.As(err, &refused) {
		t.Errorf("self-subject access review refused: %v", err)
	}
	want := []string{"POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews"}
	if got := rec.requests(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("server saw %v, want %v", got, want)
	}
}

func withCodec(cfg *rest.Config) *rest.Config {
	c := rest.CopyConfig(cfg)
	c.NegotiatedSerializer = scheme.Codecs.WithoutConversion()
	return c
}
