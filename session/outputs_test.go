package session

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/kuberesponder/kuberesponder/llm/llmtest/scripted"
)

// TestOpenSweepsOrphanOutputs kills a session, in effect, at the two points
// of a run where a file exists that no event names — after the engine
// staged the output, and after Executed linked it to the result event's
// number but before the event was appended — and checks that Open removes
// both, that the call is to run again, and that running it journals its
// output under the number the orphan had taken.
func TestOpenSweepsOrphanOutputs(t *testing.T) {
	s, _ := startSession(t, Options{})
	eng := NewEngine(s, scripted.New(), &fakeRunner{out: map[string]string{"kubectl get pods --namespace=shop": "web-1 1/1 Running\n"}})
	step, _ := s.ModelReplied(calls("", kc("c1", "get pods -n shop", "list pods")))
	step, _ = s.Approve(step.CallID, false)
	ex := eng.Execute(context.Background(), step)
	if ex.staged == "" {
		t.Fatal("the engine staged no output")
	}
	next := outputName(s.j.seq + 1)
	// The link Executed makes, without the event it precedes.
	if err := os.Link(filepath.Join(s.Dir(), ex.staged), filepath.Join(s.Dir(), next)); err != nil {
		t.Fatal(err)
	}
	kept := filepath.Join(s.Dir(), outDir, "notes.md") // not an output name: stays
	if err := os.WriteFile(kept, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	s.Close()

	r, err := Open(s.Dir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if files := outFiles(t, r); !reflect.DeepEqual(files, []string{"notes.md"}) {
		t.Fatalf("after Open the output directory holds %v, want only notes.md", files)
	}
	again := r.Next()
	if again.Kind != StepRun || again.CallID != "c1" {
		t.Fatalf("after Open: step %v %q, want the call to run again", again.Kind, again.CallID)
	}
	if _, err := r.Executed(NewEngine(r, scripted.New(), &fakeRunner{}).Execute(context.Background(), again)); err != nil {
		t.Fatalf("running the call again: %v", err)
	}
	var named string
	for _, e := range r.Events() {
		if e.Kind == KindResult {
			named = e.Output
		}
	}
	if named != next {
		t.Errorf("the result names %q, want %q", named, next)
	}
	if rep, err := Verify(r.Dir()); err != nil || !rep.OK() {
		t.Errorf("Verify: %v %v", err, rep.Problems)
	}
}

// TestOrphanOutput lists which names in the output directory Open removes.
func TestOrphanOutput(t *testing.T) {
	for _, tt := range []struct {
		name string
		last int
		want bool
	}{
		{"run-123.tmp", 9, true},
		{"0010.txt", 9, true},
		{"0009.txt", 9, false},
		{"0001.txt", 9, false},
		{"12345.txt", 9, true},
		{"notes.txt", 9, false},
		{"run-1.txt", 9, false},
		{"0010.txt.bak", 9, false},
	} {
		if got := orphanOutput(tt.name, tt.last); got != tt.want {
			t.Errorf("orphanOutput(%q, %d) = %v, want %v", tt.name, tt.last, got, tt.want)
		}
	}
}
