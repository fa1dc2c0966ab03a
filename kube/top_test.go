package kube

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"k8s.io/client-go/rest"
)

// metricsServer serves discovery with the metrics.k8s.io group and canned
// pod and node metrics, the way metrics-server answers.
func metricsServer(withMetrics bool) *httptest.Server {
	groups := `{"kind":"APIGroupList","apiVersion":"v1","groups":[]}`
	if withMetrics {
		groups = `{"kind":"APIGroupList","apiVersion":"v1","groups":[{"name":"metrics.k8s.io","versions":[{"groupVersion":"metrics.k8s.io/v1beta1","version":"v1beta1"}],"preferredVersion":{"groupVersion":"metrics.k8s.io/v1beta1","version":"v1beta1"}}]}`
	}
	answers := map[string]string{
		"/api":  `{"kind":"APIVersions","versions":["v1"],"serverAddressByClientCIDRs":[]}`,
		"/apis": groups,
		"/apis/metrics.k8s.io/v1beta1": `{"kind":"APIResourceList","apiVersion":"v1","groupVersion":"metrics.k8s.io/v1beta1","resources":[
			{"name":"nodes","singularName":"","namespaced":false,"kind":"NodeMetrics","verbs":["get","list"]},
			{"name":"pods","singularName":"","namespaced":true,"kind":"PodMetrics","verbs":["get","list"]}]}`,
		"/apis/metrics.k8s.io/v1beta1/namespaces/shop/pods": `{"kind":"PodMetricsList","apiVersion":"metrics.k8s.io/v1beta1","items":[
			{"metadata":{"name":"web-2","namespace":"shop"},"containers":[{"name":"app","usage":{"cpu":"250m","memory":"64Mi"}},{"name":"proxy","usage":{"cpu":"5m","memory":"10Mi"}}]},
			{"metadata":{"name":"web-1","namespace":"shop"},"containers":[{"name":"app","usage":{"cpu":"1200000n","memory":"131072Ki"}}]}]}`,
		"/apis/metrics.k8s.io/v1beta1/nodes": `{"kind":"NodeMetricsList","apiVersion":"metrics.k8s.io/v1beta1","items":[
			{"metadata":{"name":"node-2"},"usage":{"cpu":"2","memory":"6Gi"}},
			{"metadata":{"name":"node-1"},"usage":{"cpu":"500m","memory":"1Gi"}}]}`,
		"/api/v1/nodes": `{"kind":"NodeList","apiVersion":"v1","items":[
			{"metadata":{"name":"node-1"},"status":{"allocatable":{"cpu":"4","memory":"8Gi"}}},
			{"metadata":{"name":"node-2"},"status":{"allocatable":{"cpu":"4","memory":"8Gi"}}},
			{"metadata":{"name":"node-3"},"status":{"allocatable":{"cpu":"4","memory":"8Gi"}}}]}`,
	}
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := answers[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(body))
	}))
}

// TestTop checks top against a metrics API answering like metrics-server;
// kubectl rounds CPU up to whole millicores (1.2m prints as 2m).
func TestTop(t *testing.T) {
	srv := metricsServer(true)
	defer srv.Close()
	e, err := NewExecutor(&rest.Config{Host: srv.URL}, ExecOptions{Namespace: "shop"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ line, want string }{
		{"top pod", "NAME    CPU(cores)   MEMORY(bytes)   \nweb-1   2m           128Mi           \nweb-2   255m         74Mi            \n"},
		{"top pod --sort-by=memory --no-headers", "web-1   2m     128Mi   \nweb-2   255m   74Mi    \n"},
		{"top pod --containers", "POD     NAME    CPU(cores)   MEMORY(bytes)   \nweb-1   app     2m           128Mi           \nweb-2   app     250m         64Mi            \nweb-2   proxy   5m           10Mi            \n"},
		// node-3 has no metrics: kubectl prints it last, every value <unknown>.
		{"top node", "NAME     CPU(cores)   CPU(%)      MEMORY(bytes)   MEMORY(%)   \nnode-1   500m         12%         1024Mi          12%         \nnode-2   2000m        50%         6144Mi          75%         \nnode-3   <unknown>    <unknown>   <unknown>       <unknown>   \n"},
	}
	for _, tc := range tests {
		a, err := Parse(tc.line)
		if err != nil {
			t.Fatal(err)
		}
		res, err := e.Run(context.Background(), a)
		if err != nil {
			t.Fatalf("%s: %v", tc.line, err)
		}
		if res.Output != tc.want {
			t.Errorf("%s:\n%q\nwant\n%q", tc.line, res.Output, tc.want)
		}
	}

	none := metricsServer(false)
	defer none.Close()
	e, err = NewExecutor(&rest.Config{Host: none.URL}, ExecOptions{})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := Parse("top pod")
	if _, err := e.Run(context.Background(), a); err == nil || err.Error() != "metrics API not available on this cluster" {
		t.Errorf("without metrics: %v", err)
	}
}
