package kube

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/client-go/rest"
)

// podServer answers discovery for core/v1 pods and every pod GET, after
// delay, with a pod whose environment holds a canary under a name the old
// layer cannot judge (KEY). served counts the pod requests.
func podServer(delay time.Duration, served *atomic.Int64) *httptest.Server {
	answers := map[string]string{
		"/api":  `{"kind":"APIVersions","versions":["v1"],"serverAddressByClientCIDRs":[]}`,
		"/apis": `{"kind":"APIGroupList","apiVersion":"v1","groups":[]}`,
		"/api/v1": `{"kind":"APIResourceList","groupVersion":"v1","resources":[
			{"name":"pods","singularName":"pod","namespaced":true,"kind":"Pod","verbs":["get","list"],"shortNames":["po"]}]}`,
	}
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if body, ok := answers[r.URL.Path]; ok {
			w.Write([]byte(body))
			return
		}
		name, ok := strings.CutPrefix(r.URL.Path, "/api/v1/namespaces/shop/pods/")
		if !ok {
			http.NotFound(w, r)
			return
		}
		served.Add(1)
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
		fmt.Fprintf(w, `{"kind":"Pod","apiVersion":"v1","metadata":{"name":%q,"namespace":"shop"},
			"spec":{"containers":[{"name":"app","image":"shop/web:1","env":[
			{"name":"KEY","value":"pg-canary-%s"},{"name":"LOG_LEVEL","value":"info"}]}]}}`, name, name)
	}))
}

// TestAbandonedActionStopsRequests runs a get of 200 pods that cannot
// finish in time: once Run has returned, the action sends nothing more.
func TestAbandonedActionStopsRequests(t *testing.T) {
	var served atomic.Int64
	srv := podServer(40*time.Millisecond, &served)
	defer srv.Close()
	e, err := NewExecutor(&rest.Config{Host: srv.URL}, ExecOptions{Namespace: "shop", Timeout: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, 200)
	for i := range names {
		names[i] = fmt.Sprintf("n%d", i)
	}
	a, err := Parse("get pods " + strings.Join(names, " "))
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.Run(context.Background(), a)
	if err == nil || !strings.Contains(err.Error(), "did not finish") {
		t.Fatalf("Run = %v, want a time-out", err)
	}
	atReturn := served.Load()
	time.Sleep(600 * time.Millisecond)
	if after := served.Load() - atReturn; after > 0 {
		t.Errorf("the abandoned action sent %d more requests after Run returned (%d before)", after, atReturn)
	}
	if atReturn == 0 {
		t.Errorf("no request reached the server")
	}
}

// TestObjectsRedactedBeforePrinting checks that get in several formats and
// describe print the pod's environment already redacted by the transport,
// ordinary values kept.
func TestObjectsRedactedBeforePrinting(t *testing.T) {
	var served atomic.Int64
	srv := podServer(0, &served)
	defer srv.Close()
	e, err := NewExecutor(&rest.Config{Host: srv.URL}, ExecOptions{Namespace: "shop"})
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{
		"get pod web -o yaml", "get pod web -o json", "describe pod web",
	} {
		a, err := Parse(line)
		if err != nil {
			t.Fatal(err)
		}
		res, err := e.Run(context.Background(), a)
		if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		if strings.Contains(res.Output, "pg-canary") {
			t.Errorf("%s: canary printed:\n%s", line, res.Output)
		}
		if !strings.Contains(res.Output, "info") {
			t.Errorf("%s: the ordinary value is gone:\n%s", line, res.Output)
		}
		if res.Redactions == 0 {
			t.Errorf("%s: no redaction counted", line)
		}
	}
}
