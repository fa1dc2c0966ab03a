package session

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kuberesponder/kuberesponder/kube"
	"github.com/kuberesponder/kuberesponder/llm"
	"github.com/kuberesponder/kuberesponder/llm/llmtest/scripted"
)

// panicky is a runner with a fault.
type panicky struct{}

func (panicky) Run(context.Context, kube.Action) (kube.Result, error) { panic("nil map") }

// outFiles lists the files of the session's output directory.
func outFiles(t *testing.T, s *Session) []string {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(s.Dir(), outDir))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

// TestEngineExecute runs actions through the engine and checks what is
// journaled and what is left in the output directory.
func TestEngineExecute(t *testing.T) {
	tests := []struct {
		name   string
		runner Runner
		// between runs after Execute and before Executed.
		between  func(s *Session) error
		status   Status // of the call's result
		note     bool   // the output is journaled as a late note
		wantErr  string // Executed fails with this
		wantFile string // the output file the journal names, "" for none
		files    int    // files left in the output directory
	}{
		{name: "ran", runner: &fakeRunner{out: map[string]string{"kubectl get pods --namespace=shop": "web-1 1/1 token=abcdefghijklmnopqrstuvwxyz012345\n"}},
			status: Ran, wantFile: "out/0007.txt", files: 1},
		{name: "failed", runner: &fakeRunner{fail: map[string]error{"kubectl get pods --namespace=shop": errors.New("forbidden")}},
			status: Failed, wantFile: "out/0007.txt", files: 1},
		{name: "a fault in the runner", runner: panicky{}, status: Failed, wantFile: "out/0007.txt", files: 1},
		{name: "the operator interjected", runner: &fakeRunner{},
			between: func(s *Session) error { _, err := s.Operator("wait"); return err },
			status:  Interrupted, note: true, wantFile: "out/0009.txt", files: 1},
		{name: "already answered", runner: &fakeRunner{},
			between: func(s *Session) error { return s.Resolve("the request was too large") },
			status:  DeniedCall, wantErr: "already answered"},
		{name: "a link at the output's name", runner: &fakeRunner{},
			between: func(s *Session) error {
				return os.Symlink(filepath.Join(s.Dir(), JournalFile), filepath.Join(s.Dir(), outDir, "0007.txt"))
			},
			wantErr: "file exists", files: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := startSession(t, Options{})
			eng := NewEngine(s, scripted.New(), tt.runner)
			step, _ := s.ModelReplied(calls("", kc("c1", "get pods -n shop", "list pods")))
			step, _ = s.Approve(step.CallID, false)
			if step.Kind != StepRun || step.Command != "kubectl get pods --namespace=shop" {
				t.Fatalf("step %v %q", step.Kind, step.Command)
			}
			ex := eng.Execute(context.Background(), step)
			if tt.between != nil {
				if err := tt.between(s); err != nil {
					t.Fatal(err)
				}
			}
			_, err := s.Executed(ex)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Executed: %v, want an error about %q", err, tt.wantErr)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if st := statuses(s); tt.status != "" && (len(st) != 1 || st[0] != tt.status) {
				t.Errorf("statuses %v, want %s", st, tt.status)
			}
			var named string
			for _, e := range s.Events() {
				if e.Output != "" {
					named = e.Output
					if tt.note != (e.Kind == KindNote) {
						t.Errorf("output journaled in a %s event", e.Kind)
					}
				}
			}
			if files := outFiles(t, s); named != tt.wantFile || len(files) != tt.files {
				t.Errorf("output %q journaled, files %v; want %q and %d files", named, files, tt.wantFile, tt.files)
			}
			if rep, err := Verify(s.Dir()); err != nil || !rep.OK() {
				t.Errorf("Verify: %v %v", err, rep.Problems)
			}
			if named != "" {
				b, _ := os.ReadFile(filepath.Join(s.Dir(), named))
				if strings.Contains(string(b), "abcdefghijklmnopqrstuvwxyz012345") {
					t.Errorf("the output file holds a secret: %q", b)
				}
			}
		})
	}
}

// TestEngineComplete checks what the engine hands on of a model call and
// that ModelDone journals the reply or the failure.
func TestEngineComplete(t *testing.T) {
	s, step := startSession(t, Options{})
	eng := NewEngine(s, scripted.New(say("Looking at the pods.")).StreamAt(0,
		llm.Delta{Retry: &llm.Retry{Attempt: 1, Of: 4, Wait: 2 * time.Second, Reason: "429", Status: 429}},
		llm.Delta{Content: "Looking"}), &fakeRunner{})
	var got []Delta
	reply, err := eng.Complete(context.Background(), step, func(d Delta) { got = append(got, d) })
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Retry == nil || *got[0].Retry != (Retry{Attempt: 1, Of: 4, Wait: 2 * time.Second, Reason: "429"}) || got[1].Text != "Looking" {
		t.Errorf("deltas %+v", got)
	}
	if _, err := s.ModelDone(reply, nil); err != nil {
		t.Fatal(err)
	}
	if a := kinds(s, KindAssistant); len(a) != 1 || a[0].Text != "Looking at the pods." {
		t.Errorf("assistant events %+v", a)
	}
	if _, err := eng.Complete(context.Background(), s.Next(), nil); err == nil {
		t.Error("Complete of an idle step asked the model")
	}
	s.Operator("and the nodes?")
	_, err = NewEngine(s, scripted.New().FailAt(0, llm.ErrNoAPIKey), nil).Complete(context.Background(), s.Next(), nil)
	if _, rerr := s.ModelDone(Reply{}, err); rerr != nil || len(kinds(s, KindError)) != 1 {
		t.Errorf("ModelDone of %v: %v, errors %+v", err, rerr, kinds(s, KindError))
	}
}
