package prompts

import (
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"testing"
	"text/template"
	"text/template/parse"
)

// langs are the languages every rendered template is written in.
var langs = []string{"en", "ja"}

// templateCases gives each template the product renders data shaped like
// the product's, every value a marker the output must show.
var templateCases = []struct {
	name string
	data map[string]any
	// shown are the markers that must appear in the output.
	shown []string
}{
	{"system", map[string]any{
		"Context": "ctx-mark", "Cluster": "cluster-mark", "Server": "server-mark", "User": "user-mark",
		"Namespace": "ns-mark", "Snapshot": "snap-mark", "Title": "title-mark", "Report": "report-mark", "MaxSteps": 17,
	}, []string{"ctx-mark", "cluster-mark", "user-mark", "ns-mark", "snap-mark", "title-mark", "report-mark", "17"}},
	{"investigate", map[string]any{"Namespace": "ns-mark", "MaxSteps": 17}, nil},
	{"tool-kubectl", nil, nil},
	{"first-response", map[string]any{
		"Scope": "scope-mark", "Collected": "collected-mark", "Cluster": []string{"cluster-line-mark"},
		"Urgency": "urgency-mark", "Findings": "findings-mark", "Events": "events-mark", "EventGroups": 23,
		"Gaps": []string{"gap-mark"},
	}, []string{"scope-mark", "collected-mark", "cluster-line-mark", "urgency-mark", "findings-mark", "events-mark", "23", "gap-mark"}},
	{"postmortem", map[string]any{
		"Title": "title-mark", "Status": "status-mark", "Context": "ctx-mark", "Namespace": "ns-mark",
		"Statement": "statement-mark", "Findings": []string{"finding-mark"}, "Impact": []string{"impact-mark"},
		"Timeline": []string{"timeline-mark"}, "Fixes": []string{"fix-mark"}, "Commands": []string{"command-mark"},
	}, []string{"title-mark", "status-mark", "ctx-mark", "ns-mark", "statement-mark", "finding-mark", "impact-mark", "timeline-mark", "fix-mark", "command-mark"}},
}

// TestTemplates renders every template in every language with the same
// data: each language has its own file, refers to the same fields, shows
// every marker, and fails on a missing field rather than printing "<no value>".
func TestTemplates(t *testing.T) {
	for _, tc := range templateCases {
		fields := map[string][]string{}
		for _, lang := range langs {
			t.Run(tc.name+"/"+lang, func(t *testing.T) {
				src, err := fs.ReadFile(files, fmt.Sprintf("templates/%s.%s.tmpl", tc.name, lang))
				if err != nil {
					t.Fatalf("no %s template in %s: %v", tc.name, lang, err)
				}
				fields[lang] = fieldsOf(t, tc.name, string(src))
				out, err := Render(tc.name, lang, tc.data)
				if err != nil {
					t.Fatal(err)
				}
				if strings.TrimSpace(out) == "" {
					t.Error("renders empty")
				}
				if strings.Contains(out, "<no value>") {
					t.Errorf("renders a missing value:\n%s", out)
				}
				for _, m := range tc.shown {
					if !strings.Contains(out, m) {
						t.Errorf("does not show %s:\n%s", m, out)
					}
				}
				for _, f := range fields[lang] {
					partial := map[string]any{}
					for k, v := range tc.data {
						if k != f {
							partial[k] = v
						}
					}
					if _, err := Render(tc.name, lang, partial); err == nil {
						t.Errorf("renders without .%s", f)
					}
				}
			})
		}
		if !slices.Equal(fields["en"], fields["ja"]) {
			t.Errorf("%s: the languages refer to different fields: en %v, ja %v", tc.name, fields["en"], fields["ja"])
		}
	}
}

// TestEveryTemplateCovered checks that TestTemplates covers every embedded
// template, so that a new one is rendered in both languages too.
func TestEveryTemplateCovered(t *testing.T) {
	entries, err := fs.ReadDir(files, "templates")
	if err != nil {
		t.Fatal(err)
	}
	covered := map[string]bool{}
	for _, tc := range templateCases {
		covered[tc.name] = true
	}
	for _, e := range entries {
		name, _, _ := strings.Cut(e.Name(), ".")
		if !covered[name] {
			t.Errorf("template %s is not in templateCases", e.Name())
		}
	}
}

func TestRenderErrors(t *testing.T) {
	tests := []struct {
		name, tmpl, lang string
		data             any
		want             string
	}{
		{"unknown template", "no-such-template", "en", nil, `prompt template "no-such-template"`},
		{"missing field", "system", "ja", map[string]any{}, "render prompt template templates/system.ja.tmpl"},
		{"unknown language falls back to en", "tool-kubectl", "fr", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Render(tt.tmpl, tt.lang, tt.data)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("err = %v, want none", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("err = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// fieldsOf returns the sorted, distinct top-level fields (.Name) src refers to.
func fieldsOf(t *testing.T, name, src string) []string {
	t.Helper()
	tmpl, err := template.New(name).Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	var walk func(n parse.Node, top bool)
	walk = func(n parse.Node, top bool) {
		switch n := n.(type) {
		case *parse.ListNode:
			if n == nil {
				return
			}
			for _, c := range n.Nodes {
				walk(c, top)
			}
		case *parse.ActionNode:
			walk(n.Pipe, top)
		case *parse.PipeNode:
			if n == nil {
				return
			}
			for _, c := range n.Cmds {
				for _, a := range c.Args {
					walk(a, top)
				}
			}
		case *parse.FieldNode:
			if top {
				out = append(out, n.Ident[0])
			}
		case *parse.IfNode:
			walk(n.Pipe, top)
			walk(n.List, top)
			walk(n.ElseList, top)
		case *parse.RangeNode:
			walk(n.Pipe, top)
			walk(n.List, false) // inside, dot is an element
			walk(n.ElseList, top)
		case *parse.WithNode:
			walk(n.Pipe, top)
			walk(n.List, false)
			walk(n.ElseList, top)
		}
	}
	walk(tmpl.Tree.Root, true)
	slices.Sort(out)
	return slices.Compact(out)
}
