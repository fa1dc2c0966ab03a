package postmortem

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kuberesponder/kuberesponder/llm"
	"github.com/kuberesponder/kuberesponder/llm/llmtest/scripted"
	"github.com/kuberesponder/kuberesponder/session"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./session/postmortem -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the export; diff it with go test -update and git diff\n--- got ---\n%s", name, got)
	}
}

func readSeed(t *testing.T, lang string) *Dir {
	t.Helper()
	src, err := ReadDir(recordSeed(t, lang))
	if err != nil {
		t.Fatal(err)
	}
	return src
}

func TestGolden(t *testing.T) {
	for _, lang := range []string{"en", "ja"} {
		src := readSeed(t, lang)
		for _, f := range []Format{Markdown, JSON} {
			t.Run(lang+"/"+f.String(), func(t *testing.T) {
				b, err := Exporter{Format: f}.Render(context.Background(), src)
				if err != nil {
					t.Fatal(err)
				}
				golden(t, "seed."+lang+f.Ext(), b)
				if f == JSON && !json.Valid(b) {
					t.Error("the JSON export is not valid JSON")
				}
			})
		}
	}
}

// TestTimeline checks that the timeline is in time order and that every
// journal event that matters has its line, in journal order.
func TestTimeline(t *testing.T) {
	src := readSeed(t, "en")
	p, err := Exporter{}.Build(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(p.Timeline); i++ {
		if p.Timeline[i].Time.Before(p.Timeline[i-1].Time) {
			t.Errorf("timeline entry %d (%s) is before entry %d (%s)", i, p.Timeline[i].Time, i-1, p.Timeline[i-1].Time)
		}
	}
	if p.Timeline[0].Kind != EntryClusterEvent || !strings.Contains(p.Timeline[0].Text, "FailedScheduling") {
		t.Errorf("the timeline starts with %+v, want the FailedScheduling warning", p.Timeline[0])
	}
	// Every proposal, decision, result, fix, operator message, note and phase has an entry with its seq.
	bySeq := map[int][]EntryKind{}
	last := 0
	for _, e := range p.Timeline {
		if e.Seq == 0 {
			continue
		}
		if e.Seq < last {
			t.Errorf("journal event %d is listed after event %d", e.Seq, last)
		}
		last = e.Seq
		bySeq[e.Seq] = append(bySeq[e.Seq], e.Kind)
	}
	kinds := map[EntryKind]int{}
	for _, e := range src.Events() {
		got := bySeq[e.Seq]
		for _, k := range got {
			kinds[k]++
		}
		switch e.Kind {
		case session.KindResult:
			if e.Status == session.DeniedCall || e.Status == session.Interrupted {
				continue // said by the decision
			}
		case session.KindAssistant:
			if e.Text == "" {
				continue
			}
		}
		if len(got) == 0 {
			t.Errorf("journal event %d (%s) has no timeline entry", e.Seq, e.Kind)
		}
	}
	want := map[EntryKind]int{
		EntryStart: 1, EntryReport: 1, EntryFinding: 1, EntryPhase: 1, EntryProposal: 6,
		EntryApproval: 2, EntryEdit: 1, EntryDenial: 1, EntryResult: 4, EntryRefusal: 1,
		EntryFix: 1, EntryOperator: 1, EntryNote: 1, EntryRootCause: 1, EntryResolution: 1,
	}
	for k, n := range want {
		if kinds[k] != n {
			t.Errorf("%d timeline entries of kind %s, want %d", kinds[k], k, n)
		}
	}
	var denial Entry
	for _, e := range p.Timeline {
		if e.Kind == EntryDenial {
			denial = e
		}
	}
	if !strings.Contains(denial.Text, seedText["en"]["deny"]) || !strings.Contains(denial.Command, "logs ") {
		t.Errorf("denial entry %+v lacks its reason or command", denial)
	}
	if len(p.Commands) != 3 {
		t.Errorf("%d commands in the appendix, want 3 (two ran, one failed)", len(p.Commands))
	}
	if len(p.Resolution.Fixes) == 0 || p.Resolution.Fixes[0].Status != FixApplied || p.Resolution.Fixes[0].Source != "model" {
		t.Errorf("fixes %+v: want the proposed fix first, marked applied", p.Resolution.Fixes)
	}
	if !p.Journal.Verified {
		t.Errorf("journal not verified: %v", p.Journal.Problems)
	}
	if p.Impact.Start == nil || p.Impact.End == nil || p.Impact.Duration <= 0 {
		t.Errorf("impact %+v: want a duration from the first warning to the resolution", p.Impact)
	}
}

// TestNoCanary writes the seed's canary back into the journal and an output
// where the session had redacted it, as a crash or an older version could
// have left it, and checks that no export carries it.
func TestNoCanary(t *testing.T) {
	for _, lang := range []string{"en", "ja"} {
		dir := recordSeed(t, lang)
		appendOperator(t, dir, seedText[lang]["operator"])
		src, err := ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range src.Events() {
			if p := src.OutputPath(e); p != "" && e.CallID == "call_1" {
				if err := os.WriteFile(p, []byte(describePod), 0o600); err != nil {
					t.Fatal(err)
				}
			}
		}
		raw := ""
		for _, e := range src.Events() {
			b, _ := json.Marshal(e)
			raw += string(b)
			if p := src.OutputPath(e); p != "" {
				b, _ := os.ReadFile(p)
				raw += string(b)
			}
		}
		for _, planted := range []string{"Bearer " + canary, "DB_PASSWORD:  " + canary} {
			if !strings.Contains(raw, planted) {
				t.Fatalf("the journal and outputs lack the planted %q", planted)
			}
		}
		for _, f := range []Format{Markdown, JSON} {
			path, err := Exporter{Format: f}.Export(context.Background(), src)
			if err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(b, []byte(canary)) {
				t.Errorf("%s carries the canary", path)
			}
			if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
				t.Errorf("%s has mode %v, want 0600", path, fi.Mode().Perm())
			}
			if filepath.Dir(path) != src.Dir() {
				t.Errorf("export written to %s, want next to the journal in %s", path, src.Dir())
			}
		}
	}
}

func TestBrokenChain(t *testing.T) {
	dir := recordSeed(t, "en")
	path := filepath.Join(dir, session.JournalFile)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b = bytes.Replace(b, []byte("that pod is Running and healthy"), []byte("that pod is Running and fine!!"), 1)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	src, err := ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out, err := Exporter{}.Render(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(out, []byte("hash chain NOT verified")) {
		t.Errorf("a tampered journal exported without saying so:\n%s", out)
	}
}

func TestModelFailureFallsBackToRules(t *testing.T) {
	src := readSeed(t, "en")
	c := scripted.Func(func(context.Context, llm.Request, func(llm.Delta)) (llm.Reply, error) {
		return llm.Reply{}, errors.New("HTTP 500")
	})
	p, err := Exporter{Model: c, ModelName: "m"}.Build(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	if p.Summary.By != ByRules || !strings.Contains(p.Summary.Note, "HTTP 500") {
		t.Errorf("summary %+v: want rules with the model's failure noted", p.Summary)
	}
	bad := scripted.Func(func(context.Context, llm.Request, func(llm.Delta)) (llm.Reply, error) {
		return llm.Reply{Message: llm.Message{Content: "I cannot write JSON today."}}, nil
	})
	if p, _ = (Exporter{Model: bad}).Build(context.Background(), src); p.Lessons.By != ByRules || p.Lessons.Note == "" {
		t.Errorf("lessons %+v: want rules with a note after a draft that is not JSON", p.Lessons)
	}
}
