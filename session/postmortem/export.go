package postmortem

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"

	"github.com/kuberesponder/kuberesponder/kube/redact"
	"github.com/kuberesponder/kuberesponder/llm"
	"github.com/kuberesponder/kuberesponder/prompts/catalog"
	"github.com/kuberesponder/kuberesponder/session"
)

// Redactor removes secret values from text and counts what it removed.
type Redactor interface {
	Redact(text string) (string, int)
}

var _ Redactor = (*redact.Redactor)(nil)

// DefaultMaxOutputLines is how many lines of each command's output the
// appendix keeps (head and tail) when Exporter.MaxOutputLines is zero.
const DefaultMaxOutputLines = 60

// Exporter writes postmortems. The zero value drafts from rules, writes
// Markdown in the session's language and redacts with kube/redact.
type Exporter struct {
	// Model drafts the narrative sections; nil drafts them from rules.
	Model llm.Client
	// ModelName is the model asked; it goes into the request.
	ModelName string
	// Lang overrides the session's language ("en" or "ja") when not empty.
	Lang string
	// Format is the output format; Markdown when empty.
	Format Format
	// Redactor runs over every string before it is written; redact.New() when nil.
	Redactor Redactor
	// MaxOutputLines bounds each command's output in the appendix.
	MaxOutputLines int
	// Verify checks the journal's hash chain; session.Verify when nil.
	Verify func(dir string) (session.VerifyReport, error)
}

// Build reads the journal and returns the redacted postmortem. A model that
// fails or answers badly is not fatal: the rules draft instead, and the
// drafted sections say why.
func (x Exporter) Build(ctx context.Context, src Source) (*Postmortem, error) {
	if x.Redactor == nil {
		x.Redactor = redact.New()
	}
	lang := x.Lang
	if lang == "" {
		lang = src.Meta().Lang
	}
	lang = catalog.Lang(lang)
	max := x.MaxOutputLines
	if max == 0 {
		max = DefaultMaxOutputLines
	}
	p := facts(src, labelsFor(lang), max)
	p.Journal = x.verify(src)
	tf := findingsOf(src)
	draftByRules(p, tf)
	if x.Model != nil {
		rules := *p
		if err := draftByModel(ctx, x.Model, x.ModelName, x.Redactor, p, tf); err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("export postmortem: %w", ctx.Err())
			}
			*p = rules
			note := err.Error()
			p.Summary.Note, p.RootCause.Analysis.Note = note, note
			p.ActionItems.Note, p.Lessons.Note = note, note
		}
	}
	p.Redactions = redactAll(reflect.ValueOf(p).Elem(), x.Redactor)
	return p, nil
}

// Render builds the postmortem and renders it in the exporter's format.
func (x Exporter) Render(ctx context.Context, src Source) ([]byte, error) {
	p, err := x.Build(ctx, src)
	if err != nil {
		return nil, err
	}
	b, err := Render(p, x.format())
	if err != nil {
		return nil, err
	}
	// One more pass over the whole document catches a secret split across fields.
	r := x.Redactor
	if r == nil {
		r = redact.New()
	}
	out, _ := r.Redact(string(b))
	if x.format() == JSON && !json.Valid([]byte(out)) {
		return b, nil // every field is already redacted; keep the document valid
	}
	return []byte(out), nil
}

// Export writes the postmortem next to the journal (postmortem.md or
// postmortem.json in the session directory) and returns the file's path.
func (x Exporter) Export(ctx context.Context, src Source) (string, error) {
	b, err := x.Render(ctx, src)
	if err != nil {
		return "", err
	}
	path := filepath.Join(src.Dir(), "postmortem"+x.format().Ext())
	if err := WriteFile(path, b); err != nil {
		return "", err
	}
	return path, nil
}

// WriteFile writes b to path (0600) through a temporary file and a rename,
// so a reader never sees half a postmortem.
func WriteFile(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".postmortem-*")
	if err != nil {
		return fmt.Errorf("write postmortem %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("write postmortem %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write postmortem %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write postmortem %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write postmortem %s: %w", path, err)
	}
	return nil
}

func (x Exporter) format() Format {
	if x.Format == "" {
		return Markdown
	}
	return x.Format
}

func (x Exporter) verify(src Source) Journal {
	verify := x.Verify
	if verify == nil {
		verify = session.Verify
	}
	events := src.Events()
	j := Journal{Events: len(events)}
	if len(events) > 0 {
		j.LastHash = events[len(events)-1].Hash
	}
	rep, err := verify(src.Dir())
	if err != nil {
		j.Problems = []string{err.Error()}
		return j
	}
	j.Problems = rep.Problems
	// The session may have gone on since the snapshot; what was exported
	// must be a prefix of what was verified.
	if rep.Events < len(events) {
		j.Problems = append(j.Problems, fmt.Sprintf("the journal holds %d events but %d were exported", rep.Events, len(events)))
	}
	j.Verified = len(j.Problems) == 0
	return j
}

// findingsOf returns the findings of the last first-response report.
func findingsOf(src Source) triageFacts {
	var tf triageFacts
	for _, e := range src.Events() {
		if e.Kind == session.KindReport {
			tf = parseFindings(e.Findings)
		}
	}
	return tf
}

// redactAll runs r over every string reachable from v and returns how many
// values it removed.
func redactAll(v reflect.Value, r Redactor) int {
	n := 0
	switch v.Kind() {
	case reflect.String:
		if v.CanSet() {
			s, k := r.Redact(v.String())
			if k > 0 || s != v.String() {
				v.SetString(s)
			}
			n += k
		}
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			n += redactAll(v.Elem(), r)
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				n += redactAll(v.Field(i), r)
			}
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			n += redactAll(v.Index(i), r)
		}
	}
	return n
}
