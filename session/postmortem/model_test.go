package postmortem

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kuberesponder/kuberesponder/llm"
	"github.com/kuberesponder/kuberesponder/llm/llmtest"
	"github.com/kuberesponder/kuberesponder/session"
)

// draftJSON is what the scripted model answers; it echoes a token it should
// never have seen, which the export must still redact.
func draftJSON(lang string) string {
	d := draft{
		Summary:     "A Deployment asked for more memory than any worker had free, so one replica stayed Pending until the request was lowered.",
		RootCause:   "The memory request of nginx-with-10gi (10Gi) exceeded the free allocatable memory of every worker.\n\n## Evidence\nThe FailedScheduling event and describe node show it. Bearer " + canary,
		ActionItems: []string{"- Right-size the memory request of nginx-with-10gi.", "Alert on FailedScheduling events."},
		Lessons:     []string{"Read the Pending pod before the healthy ones."},
	}
	if lang == "ja" {
		d = draft{
			Summary:     "Deployment がどのワーカーの空きよりも多いメモリを要求し、要求を下げるまで 1 つのレプリカが Pending のままでした。",
			RootCause:   "nginx-with-10gi のメモリ要求 (10Gi) がすべてのワーカーの空きを上回っていました。",
			ActionItems: []string{"nginx-with-10gi のメモリ要求を見直す。"},
			Lessons:     []string{"正常な Pod より先に Pending の Pod を確認する。"},
		}
	}
	b, _ := json.Marshal(d)
	return "```json\n" + string(b) + "\n```"
}

func modelClient(t *testing.T, srv *llmtest.Server) llm.Client {
	t.Helper()
	c, err := llm.NewOpenAI(llm.Config{BaseURL: srv.URL(), APIKey: "test-key", Model: "test-model", MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestModelDraft(t *testing.T) {
	for _, lang := range []string{"en", "ja"} {
		t.Run(lang, func(t *testing.T) {
			src := readSeed(t, lang)
			srv := llmtest.New(t, llmtest.Text(draftJSON(lang)))
			x := Exporter{Model: modelClient(t, srv), ModelName: "test-model"}
			p, err := x.Build(context.Background(), src)
			if err != nil {
				t.Fatal(err)
			}
			for name, d := range map[string]Drafted{"summary": p.Summary, "root cause": p.RootCause.Analysis,
				"action items": p.ActionItems, "lessons": p.Lessons} {
				if d.By != ByModel || d.Note != "" {
					t.Errorf("%s: drafted by %s (note %q), want the model", name, d.By, d.Note)
				}
			}
			// Facts never come from the model.
			rules, err := Exporter{}.Build(context.Background(), src)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(p.Timeline, rules.Timeline) || !reflect.DeepEqual(p.Commands, rules.Commands) ||
				!reflect.DeepEqual(p.Resolution, rules.Resolution) || p.RootCause.Statement != rules.RootCause.Statement {
				t.Error("the model's draft changed the facts")
			}
			reqs := srv.Requests()
			if len(reqs) != 1 {
				t.Fatalf("%d requests, want 1", len(reqs))
			}
			sent := string(reqs[0].Body)
			if strings.Contains(sent, canary) {
				t.Error("the prompt carried the canary to the model")
			}
			prompt := reqs[0].Chat.Messages[0].Content
			for _, want := range []string{pendingPod, "describe node 3shake-k8s-node-001", seedText[lang]["deny"], seedText[lang]["cause"]} {
				if !strings.Contains(prompt, want) {
					t.Errorf("the prompt lacks %q", want)
				}
			}
			if lang == "ja" && !strings.Contains(prompt, "日本語で書いてください") {
				t.Error("the ja prompt is not in Japanese")
			}
			b, err := Render(p, Markdown)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(b, []byte(canary)) {
				t.Error("the model's echo of a secret reached the export")
			}
			if strings.Contains(string(b), "\n## Evidence") {
				t.Error("the model's text opened a heading in the document")
			}
			golden(t, "seed."+lang+".model.md", b)
		})
	}
}

// memSource is a journal held in memory whose text was never redacted, to
// prove that the export redacts on its own.
type memSource struct {
	dir    string
	events []session.Event
}

func (m memSource) Meta() session.Meta                { return *m.events[0].Meta }
func (m memSource) Dir() string                       { return m.dir }
func (m memSource) Events() []session.Event           { return m.events }
func (m memSource) OutputPath(e session.Event) string { return filepath.Join(m.dir, e.Output) }

func TestRedactsUnredactedJournal(t *testing.T) {
	dir := t.TempDir()
	secret := "password=" + canary
	bearer := "Authorization: Bearer " + canary
	out := "env:\n  DB_PASSWORD: " + canary + "\n  API_TOKEN: " + canary + "\n"
	if err := os.WriteFile(filepath.Join(dir, "out.txt"), []byte(out), 0o600); err != nil {
		t.Fatal(err)
	}
	at := func(s int) time.Time { return seedStart.Add(time.Duration(s) * time.Second) }
	findings := `{"findings":[{"object":{"kind":"Pod","namespace":"default","name":"web"},"problem":"` + bearer +
		`","cause":"` + secret + `","evidence":["` + bearer + `"],"fixes":["` + bearer + `"]}]}`
	src := memSource{dir: dir, events: []session.Event{
		{Seq: 1, Time: at(0), Kind: session.KindStart, Meta: &session.Meta{ID: "x", User: "oncall", Lang: "en", Model: "offline"}},
		{Seq: 2, Time: at(1), Kind: session.KindReport, Title: bearer, Findings: json.RawMessage(findings)},
		{Seq: 3, Time: at(2), Kind: session.KindOperator, Text: bearer},
		{Seq: 4, Time: at(3), Kind: session.KindAssistant, Text: secret},
		{Seq: 5, Time: at(4), Kind: session.KindProposal, CallID: "c1", Command: "get pods", Reason: bearer},
		{Seq: 6, Time: at(5), Kind: session.KindDecision, CallID: "c1", Decision: session.Approved},
		{Seq: 7, Time: at(6), Kind: session.KindResult, CallID: "c1", Status: session.Ran, Command: "get pods", Output: "out.txt", Summary: bearer},
		{Seq: 8, Time: at(7), Kind: session.KindProposal, CallID: "c2", Command: "get secret", Reason: secret},
		{Seq: 9, Time: at(8), Kind: session.KindDecision, CallID: "c2", Decision: session.Denied, Reason: bearer},
		{Seq: 10, Time: at(9), Kind: session.KindNote, Text: secret},
		{Seq: 11, Time: at(10), Kind: session.KindPhase, Phase: session.PhaseResolved, Text: bearer},
	}}
	verify := func(string) (session.VerifyReport, error) { return session.VerifyReport{Events: 11}, nil }
	for _, f := range []Format{Markdown, JSON} {
		b, err := Exporter{Format: f, Verify: verify}.Render(context.Background(), src)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(canary)) {
			t.Errorf("%s export carries the canary:\n%s", f, b)
		}
	}
	p, err := Exporter{Verify: verify}.Build(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	if p.Redactions < 10 {
		t.Errorf("%d values redacted, want every planted one", p.Redactions)
	}
}
