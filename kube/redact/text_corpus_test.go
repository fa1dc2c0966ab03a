package redact

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// maxWrongWords is how many words of the corpus of ordinary logs and
// manifests the redactor may remove before TestCorpusFalsePositives fails.
const maxWrongWords = 10

// TestCorpusFalsePositives runs the redactor over testdata/corpus, ordinary
// logs, describe outputs, tables and manifests holding no secret, and
// counts the words it removed: every one of them is a false positive. A
// word is a run of characters between blanks and JSON, YAML or logfmt
// punctuation; it counts as removed when the output holds fewer copies of
// it than the input.
func TestCorpusFalsePositives(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "corpus", "*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus: %v", err)
	}
	r := New()
	var words, wrong, lines int
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		in := string(b)
		out, _ := r.Redact(in)
		lost := lostWords(in, out)
		n := 0
		for w, c := range lost {
			n += c
			t.Logf("%s: %q removed %d time(s)", filepath.Base(f), w, c)
		}
		words += len(corpusWords(in))
		lines += strings.Count(in, "\n")
		wrong += n
	}
	t.Logf("corpus: %d files, %d lines, %d words; wrongly redacted: %d words (%.3f%%)",
		len(files), lines, words, wrong, 100*float64(wrong)/float64(words))
	if wrong > maxWrongWords {
		t.Errorf("%d words of ordinary text redacted, want at most %d", wrong, maxWrongWords)
	}
}

// lostWords returns the words of in that out holds fewer times, with how
// many copies went missing.
func lostWords(in, out string) map[string]int {
	count := make(map[string]int)
	for _, w := range corpusWords(in) {
		count[w]++
	}
	for _, w := range corpusWords(out) {
		count[w]--
	}
	lost := make(map[string]int)
	for w, c := range count {
		if c > 0 {
			lost[w] = c
		}
	}
	return lost
}

// corpusWords splits text into words at blanks and punctuation.
func corpusWords(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		return r <= ' ' || strings.ContainsRune(`"{}[](),:;='<>`, r)
	})
}

// BenchmarkRedactCorpus measures the redactor over about 1 MiB of each kind
// of ordinary text in the corpus: logs, and kubectl output with manifests.
func BenchmarkRedactCorpus(b *testing.B) {
	for _, kind := range []struct{ name, glob string }{
		{"logs", "*.log"},
		{"kubectl", "*.[ty][xa]*"}, // describe.txt, events.txt, kubectl_get.txt, manifests.yaml
	} {
		files, _ := filepath.Glob(filepath.Join("testdata", "corpus", kind.glob))
		var sb strings.Builder
		for sb.Len() < 1<<20 {
			for _, f := range files {
				data, err := os.ReadFile(f)
				if err != nil {
					b.Fatal(err)
				}
				sb.Write(data)
			}
		}
		text := sb.String()
		b.Run(kind.name, func(b *testing.B) {
			r := New()
			b.SetBytes(int64(len(text)))
			b.ReportAllocs()
			for b.Loop() {
				r.Redact(text)
			}
		})
	}
}
