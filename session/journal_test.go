package session

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kuberesponder/kuberesponder/llm"
)

func TestJournalFilesAndModes(t *testing.T) {
	s, _ := startSession(t, Options{})
	step, _ := s.ModelReplied(calls("", kc("c1", "get pods -n shop", "a")))
	step, _ = s.Approve(step.CallID, false)
	if _, err := s.ActionDone(step.CallID, fakeResult("NAME READY\nweb 1/1\n"), nil); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]os.FileMode{
		s.Dir():                             0o700,
		filepath.Join(s.Dir(), JournalFile): 0o600,
	} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s: mode %v, want %v", path, got, want)
		}
	}
	res := kinds(s, KindResult)[0]
	out := s.OutputPath(res)
	fi, err := os.Stat(out)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("output %s: %v %v", out, fi, err)
	}
	if b, _ := os.ReadFile(out); string(b) != "NAME READY\nweb 1/1\n" {
		t.Errorf("output file holds %q", b)
	}
}

func TestVerifyDetectsEdits(t *testing.T) {
	s, _ := startSession(t, Options{})
	step, _ := s.ModelReplied(calls("", kc("c1", "get pods -n shop", "a")))
	step, _ = s.Approve(step.CallID, false)
	if _, err := s.ActionDone(step.CallID, fakeResult("web 1/1\n"), nil); err != nil {
		t.Fatal(err)
	}
	s.Close()
	dir := s.Dir()
	rep, err := Verify(dir)
	if err != nil || !rep.OK() || rep.Events != len(s.Events()) || rep.Outputs != 1 {
		t.Fatalf("intact journal: %+v, %v", rep, err)
	}
	journal := filepath.Join(dir, JournalFile)
	orig, _ := os.ReadFile(journal)
	tests := []struct {
		name, want string
		edit       func()
	}{
		{"changed text", "changed after it was written", func() {
			os.WriteFile(journal, bytes.Replace(orig, []byte("get pods"), []byte("get podz"), 1), 0o600)
		}},
		{"dropped line", "sequence number", func() {
			lines := bytes.SplitAfter(orig, []byte("\n"))
			os.WriteFile(journal, bytes.Join(append(lines[:2:2], lines[3:]...), nil), 0o600)
		}},
		{"changed output", "output out/", func() {
			os.WriteFile(journal, orig, 0o600)
			out := s.OutputPath(kinds(s, KindResult)[0])
			os.WriteFile(out, []byte("web 0/1\n"), 0o600)
		}},
	}
	for _, tt := range tests {
		tt.edit()
		rep, err := Verify(dir)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if rep.OK() || !strings.Contains(strings.Join(rep.Problems, "\n"), tt.want) {
			t.Errorf("%s: problems %q, want one about %q", tt.name, rep.Problems, tt.want)
		}
	}
	// A tampered journal is not resumed.
	os.WriteFile(journal, bytes.Replace(orig, []byte("get pods"), []byte("get podz"), 1), 0o600)
	if _, err := Open(dir, Options{}); err == nil || !strings.Contains(err.Error(), "cannot be resumed") {
		t.Errorf("Open of a tampered journal: %v", err)
	}
}

// TestResumePendingApproval writes events, reopens the session and expects
// the pending proposal to be asked again, with the state unchanged.
func TestResumePendingApproval(t *testing.T) {
	clk := newClock()
	s, _ := startSession(t, Options{Now: clk.Now})
	step, _ := s.ModelReplied(calls("Checking the pod.", kc("c1", descPod, "events"), kc("c2", descNodes, "memory")))
	step, _ = s.Approve(step.CallID, false)
	if _, err := s.ActionDone(step.CallID, fakeResult("Events: FailedScheduling\n"), nil); err != nil {
		t.Fatal(err)
	}
	before := s.Next()
	if before.Kind != StepApprove || before.CallID != "c2" {
		t.Fatalf("before: %+v", before)
	}
	events := s.Events()
	s.Close()

	r, err := Open(s.Dir(), Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if !reflect.DeepEqual(normalize(r.Events()), normalize(events)) {
		t.Error("events differ after Open")
	}
	after := r.Next()
	if after.Kind != StepApprove || after.CallID != "c2" || after.Action.String() != before.Action.String() || after.Reason != "memory" {
		t.Fatalf("after Open: %+v", after)
	}
	if r.Meta() != s.Meta() || r.Phase() != PhaseInvestigation || r.Recovered() != "" {
		t.Errorf("meta %+v phase %v recovered %q", r.Meta(), r.Phase(), r.Recovered())
	}
	step, err = r.Approve("c2", false)
	if err != nil || step.Kind != StepRun {
		t.Fatalf("approve after resume: %+v %v", step, err)
	}
	step, err = r.ActionDone("c2", fakeResult("Allocated resources: memory 89%\n"), nil)
	if err != nil || step.Kind != StepModel {
		t.Fatalf("after the last result: %+v %v", step.Kind, err)
	}
	if err := checkAnswered(step.Request.Messages); err != nil {
		t.Error(err)
	}
	if rep, _ := Verify(r.Dir()); !rep.OK() {
		t.Error(rep.Problems)
	}
}

// normalize drops the monotonic clock and location so events compare by value.
func normalize(es []Event) []Event {
	out := append([]Event(nil), es...)
	for i := range out {
		out[i].Time = out[i].Time.UTC().Round(0)
	}
	return out
}

func TestResumeStates(t *testing.T) {
	tests := []struct {
		name string
		do   func(s *Session)
		want StepKind
	}{
		{"awaiting the model", func(s *Session) {}, StepModel},
		{"approved, killed while running", func(s *Session) {
			st, _ := s.ModelReplied(calls("", kc("c1", "get nodes", "a")))
			s.Approve(st.CallID, false)
		}, StepRun},
		{"after a model error", func(s *Session) { s.ModelFailed(os.ErrDeadlineExceeded) }, StepIdle},
		{"answered", func(s *Session) { s.ModelReplied(say("The cause is memory.")) }, StepIdle},
		{"resolved", func(s *Session) {
			s.ModelReplied(say("The cause is memory."))
			s.Resolve("10Gi request larger than any node's free memory")
		}, StepDone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := startSession(t, Options{})
			tt.do(s)
			want := s.Next()
			s.Close()
			r, err := Open(s.Dir(), Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			got := r.Next()
			if got.Kind != tt.want || want.Kind != tt.want {
				t.Errorf("live %v, resumed %v, want %v", want.Kind, got.Kind, tt.want)
			}
			if got.Kind == StepModel && !reflect.DeepEqual(got.Request, want.Request) {
				t.Error("the resumed request differs from the live one")
			}
		})
	}
}

func TestOpenTornLastLine(t *testing.T) {
	s, _ := startSession(t, Options{})
	step, _ := s.ModelReplied(calls("", kc("c1", descPod, "events")))
	n := len(s.Events())
	s.Close()
	journal := filepath.Join(s.Dir(), JournalFile)
	f, _ := os.OpenFile(journal, os.O_WRONLY|os.O_APPEND, 0o600)
	f.WriteString(`{"seq":99,"time":"2026-03-14T12:10:00Z","kind":"decision","callId":"c1","deci`)
	f.Close()

	r, err := Open(s.Dir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Recovered() == "" {
		t.Error("the torn line was not reported")
	}
	if got := len(r.Events()); got != n+1 {
		t.Errorf("%d events, want %d and a recovered note", got, n+1)
	}
	if next := r.Next(); next.Kind != StepApprove || next.CallID != step.CallID {
		t.Errorf("after recovery: %+v", next)
	}
	r.Close()
	if rep, _ := Verify(s.Dir()); !rep.OK() || rep.Torn {
		t.Errorf("verify after recovery: %+v", rep)
	}
	// A whole last event whose newline was lost is kept.
	data, _ := os.ReadFile(journal)
	os.WriteFile(journal, bytes.TrimSuffix(data, []byte("\n")), 0o600)
	r, err = Open(s.Dir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.Recovered() != "" || len(r.Events()) != n+1 {
		t.Errorf("missing newline: recovered %q, %d events", r.Recovered(), len(r.Events()))
	}
	if err := r.Note("still here"); err != nil {
		t.Fatal(err)
	}
	if rep, _ := Verify(s.Dir()); !rep.OK() {
		t.Error(rep.Problems)
	}
}

func TestStore(t *testing.T) {
	root := t.TempDir()
	clk := newClock()
	var ids []string
	for i, ctx := range []string{"prod", "staging"} {
		id := NewID(time.Date(2026, 3, 14, 12, i, 0, 0, time.UTC))
		ids = append(ids, id)
		s, err := New(filepath.Join(root, id), Meta{Context: ctx, Model: "offline"}, Options{Now: clk.Now})
		if err != nil {
			t.Fatal(err)
		}
		s.Report(FirstResponse{Markdown: "# r", Findings: []byte(`[{"object":{"kind":"Pod","namespace":"shop","name":"web-1"},"problem":"Pending"}]`)})
		s.Close()
	}
	if _, err := New(filepath.Join(root, ids[0]), Meta{}, Options{}); err == nil {
		t.Error("New over an existing session succeeded")
	}
	list, err := List(root)
	if err != nil || len(list) != 2 {
		t.Fatalf("List = %+v, %v", list, err)
	}
	if list[0].ID != ids[1] || list[0].Context != "staging" || list[0].Title != "Pod shop/web-1: Pending" || list[0].Phase != PhaseTriage {
		t.Errorf("newest = %+v", list[0])
	}
	for arg, want := range map[string]string{"last": ids[1], ids[0]: ids[0], ids[0][:17]: ids[0]} {
		dir, err := FindDir(root, arg)
		if err != nil || filepath.Base(dir) != want {
			t.Errorf("FindDir(%q) = %q, %v; want %s", arg, dir, err, want)
		}
	}
	for _, bad := range []string{"", "nope", "../x", "2026"} {
		if _, err := FindDir(root, bad); err == nil {
			t.Errorf("FindDir(%q) found something", bad)
		}
	}
	t.Setenv("XDG_STATE_HOME", "/state")
	if d, _ := StateDir(); d != "/state/kuberesponder/sessions" {
		t.Errorf("StateDir = %s", d)
	}
	t.Setenv("XDG_STATE_HOME", "")
	t.Setenv("HOME", "/home/op")
	if d, _ := StateDir(); d != "/home/op/.local/state/kuberesponder/sessions" {
		t.Errorf("StateDir = %s", d)
	}
}

var _ = llm.User
