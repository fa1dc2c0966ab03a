package postmortem

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kuberesponder/kuberesponder/session"
)

func TestStatedFix(t *testing.T) {
	for _, tc := range []struct {
		text string
		fix  string
		st   FixStatus
		ok   bool
	}{
		{"applied: kubectl set resources deploy/web --requests=memory=5Gi", "set resources deploy/web --requests=memory=5Gi", FixApplied, true},
		{"Applied: scale deploy/web --replicas=3", "scale deploy/web --replicas=3", FixApplied, true},
		{"not applied: delete pod web-1", "delete pod web-1", FixNotApplied, true},
		{"適用済み：kubectl scale deploy/web --replicas=3", "scale deploy/web --replicas=3", FixApplied, true},
		{"未適用: scale deploy/web --replicas=3", "scale deploy/web --replicas=3", FixNotApplied, true},
		{"Applied it.", "", "", false},
		{"I have not applied anything yet", "", "", false},
	} {
		fix, st, ok := statedFix(tc.text)
		if fix != tc.fix || st != tc.st || ok != tc.ok {
			t.Errorf("statedFix(%q) = %q, %q, %v; want %q, %q, %v", tc.text, fix, st, ok, tc.fix, tc.st, tc.ok)
		}
	}
	if got, _, _ := statedFix(AppliedNote("kubectl scale deploy/web --replicas=3", true)); got != "scale deploy/web --replicas=3" {
		t.Errorf("AppliedNote does not round-trip: %q", got)
	}
}

func TestMarkFix(t *testing.T) {
	fixes := []Fix{{Command: "kubectl scale deploy/web --replicas=3", Source: "model", Status: FixUnstated}}
	fixes = markFix(fixes, "scale  deploy/web   --replicas=3", FixApplied, seedStart)
	if len(fixes) != 1 || fixes[0].Status != FixApplied || fixes[0].Stated == nil {
		t.Errorf("the stated fix was not matched: %+v", fixes)
	}
	fixes = markFix(fixes, "rollout restart deploy/web", FixApplied, seedStart)
	if len(fixes) != 2 || fixes[1].Source != "operator" {
		t.Errorf("a fix the operator applied on their own is not listed: %+v", fixes)
	}
}

func TestTruncate(t *testing.T) {
	lines := make([]string, 100)
	for i := range lines {
		lines[i] = "line"
	}
	for _, tc := range []struct {
		text        string
		max         int
		wantLines   int
		wantOmitted int
	}{
		{"a\nb\nc\n", 60, 3, 0},
		{strings.Join(lines, "\n"), 60, 61, 40},
		{strings.Join(lines, "\n"), 0, 100, 0},
	} {
		got, omitted := truncate(tc.text, tc.max)
		if n := len(strings.Split(got, "\n")); n != tc.wantLines || omitted != tc.wantOmitted {
			t.Errorf("truncate(%d lines, %d) = %d lines, %d omitted; want %d, %d", len(strings.Split(tc.text, "\n")), tc.max, n, omitted, tc.wantLines, tc.wantOmitted)
		}
	}
}

func TestParseFindings(t *testing.T) {
	ev := `{"object":{"kind":"Pod","namespace":"shop","name":"web-1"},"type":"Warning","reason":"BackOff","message":"Back-off restarting","count":7,"first":"2025-01-02T15:00:00Z","last":"2025-01-02T15:09:00Z"}`
	finding := `{"object":{"kind":"Pod","namespace":"shop","name":"web-1"},"problem":"Pod shop/web-1 restarts","cause":"OOMKilled","urgency":"high",
		"evidence":["Warning BackOff pod/web-1: Back-off restarting (×7, first 2025-01-02T15:00:00Z, last 2025-01-02T15:09:00Z)"],
		"impact":{"owners":[{"kind":"ReplicaSet","namespace":"shop","name":"web-7d"},{"kind":"Deployment","namespace":"shop","name":"web"}],"available":0,"desired":3,"summary":"Deployment shop/web: 0 of 3 available"},
		"fixes":["Raise the memory limit."]}`
	for _, tc := range []struct {
		name       string
		raw        string
		findings   int
		events     int
		eventObj   string
		wantOwner  string
		wantDesire int
	}{
		{"report", `{"version":1,"findings":[` + finding + `],"events":[` + ev + `]}`, 1, 1, "Pod shop/web-1", "Deployment shop/web", 3},
		{"list of findings alone", `[` + finding + `]`, 1, 0, "", "Deployment shop/web", 3},
		{"no findings", `{"findings":[],"events":[]}`, 0, 0, "", "", 0},
		{"not json", `not json`, 0, 0, "", "", 0},
		{"empty", ``, 0, 0, "", "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tf := parseFindings(json.RawMessage(tc.raw))
			if len(tf.findings) != tc.findings || len(tf.events) != tc.events {
				t.Fatalf("%d findings, %d events; want %d, %d", len(tf.findings), len(tf.events), tc.findings, tc.events)
			}
			if tc.events > 0 {
				e := tf.events[0]
				if e.Object != tc.eventObj || e.Count != 7 || e.First.Hour() != 15 || e.Reason != "BackOff" {
					t.Errorf("event %+v", e)
				}
			}
			if tc.findings > 0 {
				f := tf.findings[0]
				if f.Owner != tc.wantOwner || f.Desired == nil || *f.Desired != tc.wantDesire || *f.Available != 0 || f.Urgency != "high" || len(f.Fixes) != 1 {
					t.Errorf("finding %+v", f)
				}
			}
		})
	}
}

// TestExportLiveSession exports a session that is still open, the way the
// screen does on ctrl+e, and keeps using the session afterwards.
func TestExportLiveSession(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "live")
	s, err := session.New(dir, session.Meta{User: "oncall", Lang: "en", Model: "offline"}, session.Options{Now: seedClock()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Note("looking at it"); err != nil {
		t.Fatal(err)
	}
	snap := Snapshot(s)
	if err := s.Note("more after the snapshot"); err != nil {
		t.Fatal(err)
	}
	path, err := Exporter{}.Export(context.Background(), snap)
	if err != nil {
		t.Fatal(err)
	}
	if path != filepath.Join(dir, "postmortem.md") {
		t.Errorf("written to %s, want next to the journal", path)
	}
	b, _ := os.ReadFile(path)
	if !strings.Contains(string(b), "hash chain verified (2 events)") || strings.Contains(string(b), "more after the snapshot") {
		t.Errorf("the export does not hold exactly the snapshot, verified:\n%s", b)
	}
	if !strings.Contains(string(b), "The incident was not marked resolved") {
		t.Error("an unresolved session must say so")
	}
}

// BenchmarkExport exports a journal of 1,000 commands holding 10 MB of output.
func BenchmarkExport(b *testing.B) {
	dir := b.TempDir()
	out := strings.Repeat("nginx-with-10gi-6b7f9c8d4-84s9k   0/1     Pending   0          5m    <none>\n", 130)
	if err := os.WriteFile(filepath.Join(dir, "out.txt"), []byte(out), 0o600); err != nil {
		b.Fatal(err)
	}
	events := []session.Event{{Seq: 1, Time: seedStart, Kind: session.KindStart, Meta: &session.Meta{ID: "bench", Lang: "en"}}}
	for i := 0; i < 1000; i++ {
		at := seedStart.Add(time.Duration(i) * time.Second)
		id := fmt.Sprintf("c%d", i)
		events = append(events,
			session.Event{Time: at, Kind: session.KindProposal, CallID: id, Command: "kubectl get pods -A", Risk: "read-only", Reason: "look"},
			session.Event{Time: at, Kind: session.KindDecision, CallID: id, Decision: session.Approved},
			session.Event{Time: at, Kind: session.KindResult, CallID: id, Command: "kubectl get pods -A", Status: session.Ran, Output: "out.txt", Summary: "130 lines"})
	}
	for i := range events {
		events[i].Seq = i + 1
	}
	src := memSource{dir: dir, events: events}
	verify := func(string) (session.VerifyReport, error) { return session.VerifyReport{Events: len(events)}, nil }
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := (Exporter{Verify: verify}).Render(context.Background(), src); err != nil {
			b.Fatal(err)
		}
	}
}

func TestIncidentEvents(t *testing.T) {
	ev := func(kind, name string, hour int) string {
		return fmt.Sprintf(`{"object":{"kind":%q,"namespace":"shop","name":%q},"type":"Warning","reason":"R","message":"m","count":1,"first":"2025-01-02T%02d:00:00Z","last":"2025-01-02T%02d:00:00Z"}`, kind, name, hour, hour)
	}
	finding := `{"object":{"kind":"Pod","namespace":"shop","name":"web-1"},"related":[{"kind":"Pod","namespace":"shop","name":"web-2"}],
		"impact":{"owners":[{"kind":"ReplicaSet","namespace":"shop","name":"web-7d"},{"kind":"Deployment","namespace":"shop","name":"web"}]}}`
	raw := `{"findings":[` + finding + `],"events":[` + ev("Node", "old-node", 3) + "," + ev("Pod", "web-2", 10) + "," +
		ev("Deployment", "web", 9) + "," + ev("Pod", "other", 11) + `]}`
	got, omitted := parseFindings(json.RawMessage(raw)).incidentEvents()
	if len(got) != 2 || omitted != 2 || got[0].Object != "Deployment shop/web" || got[1].Object != "Pod shop/web-2" {
		t.Errorf("incident events %+v, %d omitted: want the Deployment's and web-2's, oldest first", got, omitted)
	}
	noMatch := `{"findings":[],"events":[` + ev("Pod", "a", 5) + "," + ev("Pod", "b", 4) + `]}`
	if got, omitted := parseFindings(json.RawMessage(noMatch)).incidentEvents(); len(got) != 2 || omitted != 0 || got[0].Object != "Pod shop/b" {
		t.Errorf("with no finding every event is the incident's, oldest first: %+v, %d", got, omitted)
	}
}

// TestEvidenceInAnyLanguage exports the seed incident's first response in
// English and in Japanese, as the report document and as a bare list of its
// findings: the warning events and the evidence of the postmortem are the
// same in both languages, because they are read from the report's fields,
// not from its sentences.
func TestEvidenceInAnyLanguage(t *testing.T) {
	export := func(lang string, raw json.RawMessage) *Postmortem {
		t.Helper()
		src := memSource{dir: t.TempDir(), events: []session.Event{
			{Seq: 1, Time: seedStart, Kind: session.KindStart, Meta: &session.Meta{ID: "x", User: "oncall", Lang: lang, Model: "offline"}},
			{Seq: 2, Time: seedStart.Add(time.Second), Kind: session.KindReport, Title: "seed", Findings: raw},
		}}
		verify := func(string) (session.VerifyReport, error) { return session.VerifyReport{Events: 2}, nil }
		p, err := Exporter{Verify: verify}.Build(context.Background(), src)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	shapes := map[string]func(doc []byte) json.RawMessage{
		"report":    func(doc []byte) json.RawMessage { return doc },
		"bare list": func(doc []byte) json.RawMessage { return findingsList(t, doc) },
	}
	for name, shape := range shapes {
		t.Run(name, func(t *testing.T) {
			var got [2]*Postmortem
			var evidence [2]int
			for i, lang := range []string{"en", "ja"} {
				_, doc, _ := seedReport(t, lang)
				got[i] = export(lang, shape(doc))
				evidence[i] = evidenceOf(shape(doc))
			}
			en, ja := got[0], got[1]
			if !reflect.DeepEqual(en.Detection, ja.Detection) {
				t.Errorf("the warning events depend on the language:\nen %+v\nja %+v", en.Detection, ja.Detection)
			}
			if name == "report" && len(en.Detection.Events) == 0 {
				t.Error("the report's warning events are not in the postmortem")
			}
			if len(en.Impact.Objects) == 0 || !reflect.DeepEqual(en.Impact.Objects[0].Object, ja.Impact.Objects[0].Object) {
				t.Errorf("affected objects: en %+v, ja %+v", en.Impact.Objects, ja.Impact.Objects)
			}
			if evidence[0] == 0 || evidence[0] != evidence[1] {
				t.Errorf("%d evidence lines in English, %d in Japanese", evidence[0], evidence[1])
			}
		})
	}
}

// findingsList cuts a report document down to its bare list of findings.
func findingsList(t *testing.T, doc []byte) json.RawMessage {
	t.Helper()
	var d struct{ Findings json.RawMessage }
	if err := json.Unmarshal(doc, &d); err != nil {
		t.Fatal(err)
	}
	return d.Findings
}

// evidenceOf counts the evidence lines of the findings.
func evidenceOf(raw json.RawMessage) int {
	n := 0
	for _, f := range parseFindings(raw).findings {
		n += len(f.Evidence)
	}
	return n
}
