package kube

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"k8s.io/client-go/rest"
)

// The paths in the library code the engine calls that end the process or
// escape our recover, and how each is kept unreachable. Found by grepping
// kubectl, cli-runtime, client-go and klog v0.37.2 for klog.Fatal*,
// klog.Exit*, os.Exit, log.Fatal, panic( and goroutines (a panic in a
// goroutine we did not start is not caught by Executor.Run's recover).
//
//   - kubectl/pkg/cmd/get/sorter.go TableSorter.Less and RuntimeSort.Less:
//     klog.Exitf when the --sort-by field is not a sortable scalar (a map,
//     list or bool) or holds different kinds in different objects (a string
//     and a number); RuntimeSort.Less also klog.Fatalf's when the path cannot
//     be read from an object the first pass of SortObjects did not look at
//     (a [0] on a string). Kept unreachable by sortby.go: --sort-by is a
//     field path of fields and array indices only (checkSortBy, at parse
//     time); kubectl's get never sees --sort-by (its own sort of the infos
//     and its SortingPrinter never run); our printer checks every object
//     the sort will compare, with the same JSONPath, and only then hands
//     them to kubectl's SortingPrinter. TestDeadlySortBy.
//   - kubectl/pkg/cmd/get/sorter.go RuntimeSort.Less: panic on a JSONPath
//     that does not parse: SortObjects parsed it first; and checkSortBy.
//   - kubectl/pkg/util/interrupt: RunLogs and RunLogsContext install a
//     handler that calls os.Exit(1) on SIGINT, SIGTERM, SIGHUP or SIGQUIT
//     while logs are read. runLogs reads the logs itself and never calls them.
//   - kubectl/pkg/cmd/get/get.go watch uses the same interrupt handler: the
//     watch flags are never defined or set (the parser refuses -w).
//   - kubectl/pkg/cmd/util/helpers.go CheckErr, fatal, GetFlag*: klog.Fatal
//     and os.Exit. CheckErr is only called from cobra Run functions, which
//     the engine never calls (it builds options and calls Complete, Validate
//     and Run itself). GetFlag* exit when a flag is not defined on the
//     command: get's Complete reads no-headers, defined by PrintFlags, for
//     every value; clusterinfo's Complete is not called.
//   - kubectl/pkg/cmd/auth/cani.go os.Exit(1) for --quiet: in the cobra Run
//     function only; runCanI calls RunAccessCheck.
//   - kubectl/pkg/describe/describe.go klog.Fatalf when describers cannot be
//     registered: a static table, the same for every flag value.
//   - client-go/tools/clientcmd GetConfigFromFileOrDie, *OrDie
//     constructors: never called; the engine reads no kubeconfig per action.
//   - kubectl/pkg/explain formatter panic and client-go/rest urlbackoff
//     panic: run on the dispatch goroutine, whose recover turns a panic into
//     an error sentence.
//   - logs' parallelConsumeRequest goroutines: only with --follow, which
//     the parser refuses.

// deadlyServer serves discovery, Secrets and Pods in namespace shop whose
// fields break kubectl's sorter: maps, lists, booleans, a field that is a
// string in one pod and a number in the other, and a list in one pod that is
// a string in the other. Table requests get a Table whose rows carry the
// whole object only when asked with includeObject=Object, as the API server
// answers.
func deadlyServer(t *testing.T) (*httptest.Server, func() []string) {
	secrets := []map[string]any{
		{"apiVersion": "v1", "kind": "Secret", "metadata": map[string]any{"name": "b-creds", "namespace": "shop", "labels": map[string]any{"app": "b"}},
			"type": "Opaque", "data": map[string]any{"password": "aHVudGVyMg=="}},
		{"apiVersion": "v1", "kind": "Secret", "metadata": map[string]any{"name": "a-creds", "namespace": "shop", "labels": map[string]any{"app": "a"}},
			"type": "Opaque", "data": map[string]any{"token": "dG9rZW4="}},
	}
	pods := []map[string]any{
		{"apiVersion": "v1", "kind": "Pod", "metadata": map[string]any{"name": "web-2", "namespace": "shop"},
			"spec":   map[string]any{"nodeName": "node-b", "enableServiceLinks": true, "containers": []any{map[string]any{"name": "app"}}},
			"status": map[string]any{"phase": "Running", "surge": "25%", "ports": []any{"80"}, "ratio": 1.5}},
		{"apiVersion": "v1", "kind": "Pod", "metadata": map[string]any{"name": "web-1", "namespace": "shop"},
			"spec":   map[string]any{"nodeName": "node-a", "enableServiceLinks": false, "containers": []any{map[string]any{"name": "app"}}},
			"status": map[string]any{"phase": "Pending", "surge": 1, "ports": "none", "ratio": 2}},
	}
	var mu sync.Mutex
	var seen []string
	answers := map[string]string{
		"/api":  `{"kind":"APIVersions","versions":["v1"],"serverAddressByClientCIDRs":[]}`,
		"/apis": `{"kind":"APIGroupList","apiVersion":"v1","groups":[]}`,
		"/api/v1": `{"kind":"APIResourceList","groupVersion":"v1","resources":[
			{"name":"pods","singularName":"pod","namespaced":true,"kind":"Pod","verbs":["get","list"],"shortNames":["po"]},
			{"name":"secrets","singularName":"secret","namespaced":true,"kind":"Secret","verbs":["get","list"]}]}`,
	}
	lists := map[string][]map[string]any{"/api/v1/namespaces/shop/secrets": secrets, "/api/v1/namespaces/shop/pods": pods}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Method+" "+r.URL.String())
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if body, ok := answers[r.URL.Path]; ok {
			fmt.Fprint(w, body)
			return
		}
		items, ok := lists[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		var body any = map[string]any{"apiVersion": "v1", "kind": "List", "metadata": map[string]any{"resourceVersion": "7"}, "items": items}
		if strings.Contains(r.Header.Get("Accept"), "as=Table") {
			rows := []any{}
			for _, it := range items {
				obj := any(map[string]any{"apiVersion": "meta.k8s.io/v1", "kind": "PartialObjectMetadata", "metadata": it["metadata"]})
				if r.URL.Query().Get("includeObject") == "Object" {
					obj = it
				}
				rows = append(rows, map[string]any{"cells": []any{it["metadata"].(map[string]any)["name"]}, "object": obj})
			}
			body = map[string]any{"apiVersion": "meta.k8s.io/v1", "kind": "Table", "metadata": map[string]any{"resourceVersion": "7"},
				"columnDefinitions": []any{map[string]any{"name": "Name", "type": "string", "format": "name"}}, "rows": rows}
		}
		if err := json.NewEncoder(w).Encode(body); err != nil {
			t.Error(err)
		}
	}))
	return srv, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), seen...)
	}
}

// TestDeadlySortBy runs the --sort-by lines that once ended the whole
// process through kubectl's sorter (klog.Exitf, klog.Fatalf): each must now
// either sort or fail with one sentence that names --sort-by. Before the
// fix, this test binary exited at the first line.
func TestDeadlySortBy(t *testing.T) {
	srv, _ := deadlyServer(t)
	defer srv.Close()
	e, err := NewExecutor(&rest.Config{Host: srv.URL}, ExecOptions{Namespace: "shop"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		line string
		want string // in the output when it sorts; "" when it must fail
	}{
		{"get secrets --sort-by={.metadata}", ""},
		{"get secrets --sort-by=.metadata -o yaml", ""},
		{"get secrets --sort-by=.data", ""},
		{"get secrets --sort-by=.metadata.labels -o json", ""},
		{"get secrets --sort-by=.metadata.labels -o name", ""},
		{"get pods,secrets --sort-by=.metadata", ""},
		{"get pods --sort-by=.spec.containers", ""},
		{"get pods --sort-by=.spec.containers[0] -o wide", ""},
		{"get pods --sort-by=.spec.enableServiceLinks", ""},
		{"get pods --sort-by=.status.surge", ""},
		{"get pods --sort-by=.status.ratio -o yaml", ""},
		{"get pods --sort-by=.status.ports[0] -o json", ""},
		{"get pods --sort-by=.status.ports[0]", ""},
		// Fields that sort, as kubectl sorts them.
		{"get secrets --sort-by=.metadata.name", "a-creds\nb-creds\n"},
		{"get secrets --sort-by={.metadata.name} -o name", "secret/a-creds\nsecret/b-creds\n"},
		{"get pods --sort-by=.spec.nodeName", "web-1\nweb-2\n"},
		{"get pods --sort-by=.status.phase -o name", "pod/web-1\npod/web-2\n"},
		{"get pods --sort-by=.metadata.missing", ""},
	}
	for _, tc := range tests {
		t.Run(tc.line, func(t *testing.T) {
			a, err := Parse(tc.line)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			res, err := e.Run(context.Background(), a)
			if tc.want != "" {
				if err != nil {
					t.Fatalf("Run: %v", err)
				}
				if got := squeeze(res.Output); !strings.Contains(got, tc.want) {
					t.Errorf("output %q, want it to hold %q", res.Output, tc.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("Run sorted: %q", res.Output)
			}
			if errors.Is(err, ErrNotExecuted) || !strings.Contains(err.Error(), "sort") || strings.Contains(err.Error(), "\n") {
				t.Errorf("Run error %q, want one sentence about --sort-by", err)
			}
		})
	}
}

// squeeze keeps the first word of every line, which is the name in get's
// table and the whole line of -o name.
func squeeze(s string) string {
	var b strings.Builder
	for line := range strings.Lines(s) {
		if f := strings.Fields(line); len(f) > 0 && f[0] != "NAME" {
			b.WriteString(f[0] + "\n")
		}
	}
	return b.String()
}

// TestCheckSortBy checks which --sort-by values the parser lets through.
func TestCheckSortBy(t *testing.T) {
	tests := []struct {
		value string
		ok    bool
	}{
		{".metadata.name", true},
		{"metadata.name", true},
		{"{.metadata.creationTimestamp}", true},
		{".status.containerStatuses[0].restartCount", true},
		{".status.containerStatuses[-1].restartCount", true},
		{"{.metadata}", true}, // refused at run time, against the objects
		{".metadata.labels.*", false},
		{".spec.containers[*].name", true}, // a slice: the first, in list order
		{"..name", false},
		{`.items[?(@.x=="y")]`, false},
		{".spec.containers[0,1]", false},
		{"{range .items}{.x}{end}", false},
		{"{.a}{.b}", false},
		{".spec[", false},
		{"." + strings.Repeat("a", maxSortBy), false},
	}
	for _, tc := range tests {
		a, err := Parse("get pods --sort-by=" + quote(tc.value))
		if (err == nil) != tc.ok {
			t.Errorf("--sort-by=%s: risk %s, error %v; want accepted %v", tc.value, a.Risk, err, tc.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "--sort-by") {
			t.Errorf("--sort-by=%s: error %q does not name the flag", tc.value, err)
		}
	}
}
