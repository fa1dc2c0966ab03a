package kube

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"k8s.io/client-go/rest"
)

func TestRunNeverSendsWrites(t *testing.T) {
	rec := &recorder{}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	e, err := NewExecutor(&rest.Config{Host: srv.URL}, ExecOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, g := range [][]parseCase{neverRuns, refused} {
		for _, tc := range g {
			a, _ := Parse(tc.line)
			res, err := e.Run(ctx, a)
			if !errors.Is(err, ErrNotExecuted) {
				t.Errorf("Run(%q) error = %v, want ErrNotExecuted", tc.line, err)
			}
			if res.Output != "" {
				t.Errorf("Run(%q) output %q", tc.line, res.Output)
			}
		}
	}
	// An action whose fields were changed after parsing is judged by its words.
	forged := Action{Args: []string{"delete", "pod", "web-1"}, Verb: "get", Risk: ReadOnly}
	if _, err := e.Run(ctx, forged); !errors.Is(err, ErrNotExecuted) || !strings.Contains(err.Error(), "delete") {
		t.Errorf("forged action: %v", err)
	}
	if got := rec.requests(); len(got) != 0 {
		t.Errorf("the server saw %v", got)
	}
}

func TestBudget(t *testing.T) {
	e, err := NewExecutor(&rest.Config{Host: "http://127.0.0.1:1"}, ExecOptions{TokenBudget: 300})
	if err != nil {
		t.Fatal(err)
	}
	small := "NAME   READY\nweb-1  1/1\n"
	if view, n := e.budget(small); view != small || n != 0 {
		t.Errorf("small output changed: %q %d", view, n)
	}
	var b strings.Builder
	b.WriteString("NAME                      READY   STATUS    RESTARTS   AGE\n")
	for i := 0; i < 1000; i++ {
		fmt.Fprintf(&b, "web-%04d                  1/1     Running   0          5m\n", i)
	}
	view, omitted := e.budget(b.String())
	if omitted == 0 || !strings.HasPrefix(view, "NAME ") || !strings.Contains(view, "web-0999") {
		t.Fatalf("view keeps neither head nor tail (%d omitted):\n%s", omitted, view)
	}
	want := fmt.Sprintf("... %d lines omitted; narrow with --tail, --since, -l or --field-selector ...", omitted)
	if !strings.Contains(view, want) {
		t.Errorf("view lacks %q:\n%s", want, view)
	}
	if n, _ := e.codec.Count(view); n > 300 {
		t.Errorf("view has %d tokens, budget 300", n)
	}
	if kept := strings.Count(view, "\n") - 1; kept+omitted != 1001 {
		t.Errorf("kept %d + omitted %d lines != 1001", kept, omitted)
	}
}

func TestCapWriter(t *testing.T) {
	w := &capWriter{max: 10}
	if n, err := w.Write([]byte("12345")); n != 5 || err != nil {
		t.Fatal(n, err)
	}
	if n, err := w.Write([]byte("67890abc")); n != 5 || !errors.Is(err, errOutputFull) || !w.full {
		t.Fatal(n, err)
	}
	if _, err := w.Write([]byte("x")); !errors.Is(err, errOutputFull) || w.buf.String() != "1234567890" {
		t.Fatal(err, w.buf.String())
	}
}

func TestClientVersionMatchesGoMod(t *testing.T) {
	data, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	want := "k8s.io/client-go v0." + strings.TrimPrefix(clientVersion, "v1.")
	if !strings.Contains(string(data), want) {
		t.Errorf("go.mod does not require %s; update clientVersion", want)
	}
}
