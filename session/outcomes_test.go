package session

import (
	"fmt"
	"testing"
)

// TestOutcome checks that the session tells how each call was answered,
// the same after a resume, and nothing about a call still pending.
func TestOutcome(t *testing.T) {
	s, _ := startSession(t, Options{})
	step, err := s.ModelReplied(calls("",
		kc("c1", "describe pod web-1 -n shop", "its events"),
		kc("c2", "delete pod web-1 -n shop", "restart it"),
		kc("c3", "get pods -n shop", "the others")))
	if err != nil || step.Kind != StepApprove || step.CallID != "c1" {
		t.Fatalf("%+v %v", step, err)
	}
	if o, ok := s.Outcome("c1"); ok {
		t.Errorf("a pending call has an outcome: %+v", o)
	}
	if _, err := s.Edit("c1", "describe pod web-2 -n shop"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ActionDone("c1", fakeResult("Name: web-2\n"), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Deny("c3", "not now"); err != nil {
		t.Fatal(err)
	}
	want := map[string]Outcome{
		"c1": {Status: Ran, Command: "kubectl describe pod web-2 --namespace=shop"},
		"c2": {Status: NotExecuted, Command: "kubectl delete pod web-1 -n shop"},
		"c3": {Status: DeniedCall, Command: "kubectl get pods --namespace=shop"},
	}
	check := func(s *Session) {
		t.Helper()
		for id, w := range want {
			if o, ok := s.Outcome(id); !ok || o != w {
				t.Errorf("Outcome(%s) = %+v, %v; want %+v", id, o, ok, w)
			}
		}
		if o, ok := s.Outcome("c9"); ok {
			t.Errorf("an unknown call has an outcome: %+v", o)
		}
	}
	check(s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := Open(s.Dir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	check(r)
}

// TestOutcomeWhileRecording asks for outcomes from another goroutine while
// the session records, as a responder beside the screen does (go test -race).
func TestOutcomeWhileRecording(t *testing.T) {
	s, _ := startSession(t, Options{MaxSteps: 100})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 2000; i++ {
			s.Outcome(fmt.Sprintf("c%d", i%20))
		}
	}()
	for i := 0; i < 20; i++ {
		id := fmt.Sprintf("c%d", i)
		if _, err := s.ModelReplied(calls("", kc(id, fmt.Sprintf("get pods -n ns%d", i), ""))); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Deny(id, ""); err != nil {
			t.Fatal(err)
		}
	}
	<-done
	if o, ok := s.Outcome("c19"); !ok || o.Status != DeniedCall {
		t.Errorf("Outcome(c19) = %+v, %v", o, ok)
	}
}

// TestEventDetail checks what a result says beyond its status, from its
// typed fields, for the summaries the session writes and a runner's own.
func TestEventDetail(t *testing.T) {
	for _, tt := range []struct {
		e    Event
		want string
	}{
		{Event{Status: Ran, Summary: "3 lines"}, "3 lines"},
		{Event{Status: DeniedCall, Reason: "only shop", Summary: DefaultSummary(DeniedCall, "only shop")}, "only shop"},
		{Event{Status: Failed, Reason: "forbidden", Summary: DefaultSummary(Failed, "forbidden")}, "forbidden"},
		{Event{Status: Failed, Reason: "forbidden", Summary: "0 lines"}, "0 lines"},
		{Event{Status: Interrupted, Summary: DefaultSummary(Interrupted, "")}, ""},
		{Event{Status: Refused, Reason: "not a kubectl command"}, "not a kubectl command"},
	} {
		if got := tt.e.Detail(); got != tt.want {
			t.Errorf("Detail of %+v = %q, want %q", tt.e, got, tt.want)
		}
	}
}
