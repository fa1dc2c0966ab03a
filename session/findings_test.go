package session

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/kuberesponder/kuberesponder/kube/triage"
)

// TestDecodeFindings reads back what triage.Report.JSON writes, and the
// other shapes a journal may hold.
func TestDecodeFindings(t *testing.T) {
	at := time.Date(2025, 1, 2, 15, 4, 5, 0, time.UTC)
	rep := triage.Report{Version: 1, Lang: "ja", Collected: at, Urgency: "high", Findings: []triage.Finding{seedFinding()},
		Events: []triage.EventGroup{{Object: seedFinding().Object, Type: "Warning", Reason: "FailedScheduling", Message: "0/2 nodes are available", Count: 3, First: at, Last: at}}}
	rep.Findings[0].Urgency = triage.High
	doc, err := rep.JSON()
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeFindings(doc)
	if err != nil || !reflect.DeepEqual(got, rep) {
		t.Fatalf("the report document reads back as %+v, %v", got, err)
	}
	list, _ := json.Marshal(rep.Findings)
	for _, tc := range []struct {
		name     string
		raw      string
		findings int
		events   int
		fails    bool
	}{
		{"report", string(doc), 1, 1, false},
		{"bare list", string(list), 1, 0, false},
		{"empty", "", 0, 0, false},
		{"null", " null ", 0, 0, false},
		{"no findings", `{"version":1,"findings":[],"events":[]}`, 0, 0, false},
		{"not json", "not json", 0, 0, true},
		{"redacted into a string", `"{\"findings\": [{\"object\": [REDACTED]"`, 0, 0, true},
		{"unknown urgency", `[{"object":{"kind":"Pod","name":"a"},"urgency":"someday"}]`, 0, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := DecodeFindings(json.RawMessage(tc.raw))
			if (err != nil) != tc.fails || len(r.Findings) != tc.findings || len(r.Events) != tc.events {
				t.Errorf("%d findings, %d events, %v; want %d, %d, failure %v", len(r.Findings), len(r.Events), err, tc.findings, tc.events, tc.fails)
			}
		})
	}
}

func TestTitle(t *testing.T) {
	pod := triage.ObjectRef{Kind: "Pod", Namespace: "shop", Name: "web-1"}
	for _, tc := range []struct {
		name string
		rep  triage.Report
		want string
	}{
		{"the problem names the object", triage.Report{Findings: []triage.Finding{{Object: pod, Problem: "Pod web-1 is Pending."}}}, "Pod web-1 is Pending."},
		{"the object leads a problem that does not name it", triage.Report{Findings: []triage.Finding{{Object: pod, Problem: "Pending"}}}, "Pod shop/web-1: Pending"},
		{"a cluster-scoped object", triage.Report{Findings: []triage.Finding{{Object: triage.ObjectRef{Kind: "Node", Name: "n1"}, Problem: "NotReady"}}}, "Node n1: NotReady"},
		{"japanese", triage.Report{Lang: "ja", Findings: []triage.Finding{{Object: pod, Problem: "Pod web-1 が Pending のままです"}}}, "Pod web-1 が Pending のままです"},
		{"nothing found", triage.Report{Lang: "en"}, "no problems found"},
		{"nothing found, japanese", triage.Report{Lang: "ja"}, "問題は見つかりませんでした"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Title(tc.rep); got != tc.want {
				t.Errorf("Title = %q, want %q", got, tc.want)
			}
		})
	}
}
