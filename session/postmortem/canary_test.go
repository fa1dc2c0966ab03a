package postmortem

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/kuberesponder/kuberesponder/kube/kubetest"
	"github.com/kuberesponder/kuberesponder/session"
)

// plantCanaries writes generated canaries into a recorded session after the
// session's own redaction, as a crash or an older version could have left
// them, in the forms the export's text layer is the only net for: the
// Secrets and warning Events as raw YAML in one result output and as raw
// JSON in another (where event messages carry their URLs and escaped
// newlines escaped once more), and the event messages as operator lines appended
// to the journal. It returns the canaries of those objects and every text
// planted.
func plantCanaries(t *testing.T, dir string, seed uint64) (*kubetest.Canaries, string) {
	t.Helper()
	set := kubetest.GenerateCanaries(seed, kubetest.CanaryOptions{Namespace: "default"})
	var secrets, events []map[string]any
	for _, obj := range set.Objects {
		switch obj["kind"] {
		case "Secret":
			secrets = append(secrets, obj)
		case "Event":
			events = append(events, obj)
		}
	}
	set = only(set, append(append([]map[string]any(nil), secrets...), events...))
	asYAML, err := yaml.Marshal(list(set.Objects))
	if err != nil {
		t.Fatal(err)
	}
	asJSON, err := json.MarshalIndent(list(set.Objects), "", "    ")
	if err != nil {
		t.Fatal(err)
	}
	src, err := ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	outputs := [][]byte{asYAML, asJSON}
	var planted strings.Builder
	for _, e := range src.Events() {
		path := src.OutputPath(e)
		if e.Kind != session.KindResult || path == "" || len(outputs) == 0 {
			continue
		}
		if err := os.WriteFile(path, outputs[0], 0o600); err != nil {
			t.Fatal(err)
		}
		planted.Write(outputs[0])
		outputs = outputs[1:]
	}
	if len(outputs) > 0 {
		t.Fatalf("the seed session has too few result outputs: %d left to plant", len(outputs))
	}

	// Operator lines, one per warning event message, appended raw.
	var texts []string
	for _, obj := range events {
		msg, _ := obj["message"].(string)
		texts = append(texts, msg)
		planted.WriteString(msg + "\n")
	}
	appendOperator(t, dir, texts...)
	return set, planted.String()
}

// appendOperator appends operator lines holding texts to the journal in dir
// as they are, unredacted, chained to its last event.
func appendOperator(t *testing.T, dir string, texts ...string) {
	t.Helper()
	src, err := ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	journal := src.Events()
	last := journal[len(journal)-1]
	f, err := os.OpenFile(filepath.Join(dir, session.JournalFile), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for i, text := range texts {
		line, err := json.Marshal(session.Event{Seq: last.Seq + 1 + i, Time: last.Time, Kind: session.KindOperator, Text: text, Prev: last.Hash})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write(append(line, '\n')); err != nil {
			t.Fatal(err)
		}
	}
}

// list wraps objs in a List, as kubectl get prints several objects.
func list(objs []map[string]any) map[string]any {
	return map[string]any{"apiVersion": "v1", "kind": "List", "items": objs}
}

// only returns the part of set planted in objs.
func only(set *kubetest.Canaries, objs []map[string]any) *kubetest.Canaries {
	refs := map[string]bool{}
	for _, obj := range objs {
		refs[kubetest.Ref(obj)] = true
	}
	out := &kubetest.Canaries{Seed: set.Seed, Namespace: set.Namespace, Objects: objs}
	for _, k := range set.Canaries {
		if refs[k.Object] {
			out.Canaries = append(out.Canaries, k)
		}
	}
	for _, o := range set.Ordinary {
		if refs[o.Object] {
			out.Ordinary = append(out.Ordinary, o)
		}
	}
	return out
}

// nothing is a Redactor that removes nothing.
type nothing struct{}

func (nothing) Redact(text string) (string, int) { return text, 0 }

// TestPlantedCanaries plants canaries where the session's redaction never
// saw them and checks that no export, Markdown or JSON, carries one in any
// encoding, while the ordinary values planted beside them stay readable.
// The same export without redaction must carry them: that proves the planted
// text reaches the document.
func TestPlantedCanaries(t *testing.T) {
	for _, tc := range []struct {
		lang string
		seed uint64
	}{
		{"en", 1}, {"ja", 2}, {"en", 3},
	} {
		for _, f := range []Format{Markdown, JSON} {
			t.Run(fmt.Sprintf("%s/seed=%d/%s", tc.lang, tc.seed, f), func(t *testing.T) {
				dir := recordSeed(t, tc.lang)
				set, planted := plantCanaries(t, dir, tc.seed)
				if len(set.Leaks(planted)) != len(set.Canaries) {
					t.Fatalf("planted %d of %d canaries", len(set.Leaks(planted)), len(set.Canaries))
				}
				src, err := ReadDir(dir)
				if err != nil {
					t.Fatal(err)
				}
				x := Exporter{Format: f, MaxOutputLines: 1 << 20}
				raw := x
				raw.Redactor = nothing{}
				b, err := raw.Render(context.Background(), src)
				if err != nil {
					t.Fatal(err)
				}
				if n := len(set.Leaks(string(b))); n != len(set.Canaries) {
					t.Fatalf("an export without redaction carries %d of %d canaries: the planted text does not reach it", n, len(set.Canaries))
				}

				path, err := x.Export(context.Background(), src)
				if err != nil {
					t.Fatal(err)
				}
				b, err = os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				check := &kubetest.CanaryCheck{Set: set}
				check.Leaks(t, filepath.Base(path), string(b))
				check.Kept(t, filepath.Base(path), string(b), "")
			})
		}
	}
}
