package redact

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"regexp"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// Value returns the value of a ConfigMap key or an annotation with the
// secrets it holds removed, and how many values it replaced. The key
// decides first (a secret-looking key loses its whole value); then the
// content is read as JSON, YAML, or .properties/.env/INI lines, whatever
// the key's file name says, and values under secret-looking keys are
// replaced at any depth, everything else kept as it was written. A value
// none of these read goes through the text detectors.
func (r *Redactor) Value(key, value string) (string, int) {
	w := &walker{r: r}
	out := w.value(key, value)
	return out, w.n
}

// value is Value on a walker.
func (w *walker) value(key, s string) string {
	switch FieldName(key) {
	case Secret:
		if trivial(s) {
			return s
		}
		w.n++
		return Mark
	case Reference:
		if !ReferenceValue(s) {
			w.n++
			return Mark
		}
		return s
	}
	t := strings.TrimSpace(s)
	if t == "" {
		return s
	}
	if t[0] == '{' || t[0] == '[' {
		if tree, ok := decodeJSON(t); ok {
			return w.jsonValue(s, tree)
		}
	}
	if out, ok := w.yamlValue(s); ok {
		return out
	}
	if out, ok := w.linesValue(s); ok {
		return out
	}
	return w.text(s)
}

// jsonValue redacts a JSON document; it is written again (keys sorted,
// indented as the original was) only when something was replaced.
func (w *walker) jsonValue(s string, tree any) string {
	nested := &walker{r: w.r, deep: true}
	if m, ok := tree.(map[string]any); ok && m["kind"] != nil && m["apiVersion"] != nil {
		nested.object(m, "")
		nested.sizeOnly(m)
	} else {
		tree = nested.field("", tree)
	}
	if nested.n == 0 {
		return s
	}
	out, err := encodeJSON(tree, strings.Contains(strings.TrimSpace(s), "\n"))
	if err != nil {
		w.n++
		return Mark
	}
	w.n += nested.n
	return out
}

// decodeJSON decodes one whole JSON value, numbers kept as written.
func decodeJSON(s string) (any, bool) {
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, false
	}
	if _, err := d.Token(); !errors.Is(err, io.EOF) {
		return nil, false
	}
	return v, true
}

// encodeJSON writes v without HTML escaping, indented by two spaces when
// indent is set, without a trailing newline.
func encodeJSON(v any, indent bool) (string, error) {
	var b bytes.Buffer
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	if indent {
		e.SetIndent("", "  ")
	}
	if err := e.Encode(v); err != nil {
		return "", err
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

// yamlValue redacts a YAML document (or several) whose root is a mapping
// or a sequence; ok is false for anything else. Comments and key order
// survive; the text is written again only when something was replaced.
func (w *walker) yamlValue(s string) (string, bool) {
	if !strings.Contains(s, ": ") && !strings.Contains(s, ":\n") && !strings.HasPrefix(strings.TrimSpace(s), "- ") {
		return "", false
	}
	var docs []*yaml.Node
	d := yaml.NewDecoder(strings.NewReader(s))
	for {
		var doc yaml.Node
		err := d.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil || len(doc.Content) != 1 {
			return "", false
		}
		if k := doc.Content[0].Kind; k != yaml.MappingNode && k != yaml.SequenceNode {
			return "", false
		}
		docs = append(docs, &doc)
	}
	if len(docs) == 0 {
		return "", false
	}
	nested := &walker{r: w.r, deep: true}
	for _, doc := range docs {
		nested.yamlNode(doc.Content[0], "", false)
	}
	if nested.n == 0 {
		return s, true
	}
	var b bytes.Buffer
	e := yaml.NewEncoder(&b)
	e.SetIndent(2)
	for _, doc := range docs {
		if err := e.Encode(doc); err != nil {
			w.n++
			return Mark, true
		}
	}
	if err := e.Close(); err != nil {
		w.n++
		return Mark, true
	}
	w.n += nested.n
	out := b.String()
	if !strings.HasSuffix(s, "\n") {
		out = strings.TrimSuffix(out, "\n")
	}
	return out, true
}

// yamlNode redacts a node found under key; all is set inside the data of a
// Secret manifest, where every value goes.
func (w *walker) yamlNode(n *yaml.Node, key string, all bool) {
	switch n.Kind {
	case yaml.ScalarNode:
		switch {
		case n.Tag == "!!null" || n.Tag == "!!bool":
		case all || w.nameKind(key) == Secret && !trivial(n.Value) ||
			w.nameKind(key) == Reference && !ReferenceValue(n.Value):
			w.markNode(n)
		case w.deep && n.Tag == "!!str":
			if red := w.text(n.Value); red != n.Value {
				n.Value, n.Style = red, 0
			}
		}
	case yaml.SequenceNode:
		for _, c := range n.Content {
			w.yamlNode(c, key, all)
		}
	case yaml.MappingNode:
		secret := yamlField(n, "kind") == "Secret"
		name := yamlField(n, "name")
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			switch {
			case secret && (k.Value == "data" || k.Value == "stringData"):
				w.yamlNode(v, k.Value, true)
			case k.Value == "value" && name != "" && v.Kind == yaml.ScalarNode:
				if red := w.named(name, v.Value); red != v.Value {
					v.Value, v.Style, v.Tag = red, 0, "!!str"
				}
			default:
				w.yamlNode(v, k.Value, all)
			}
		}
	case yaml.AliasNode, yaml.DocumentNode:
		for _, c := range n.Content {
			w.yamlNode(c, key, all)
		}
	}
}

// markNode makes n the scalar Mark.
func (w *walker) markNode(n *yaml.Node) {
	*n = yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: Mark, Line: n.Line, Column: n.Column}
	w.n++
}

// yamlField returns the scalar value of key in a mapping node.
func yamlField(n *yaml.Node, key string) string {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key && n.Content[i+1].Kind == yaml.ScalarNode {
			return n.Content[i+1].Value
		}
	}
	return ""
}

// assignLine matches a .properties, .env or INI assignment: an optional
// "export ", the key, then "=" or ":" and the value.
var assignLine = regexp.MustCompile(`^(\s*(?:export\s+)?)([A-Za-z0-9_.\-/\[\]@$]+)(\s*[=:]\s*)(.*)$`)

// blankLine matches a .properties assignment whose key and value are
// parted by blanks alone ("smtp.pass hunter2"); it counts only in text
// that is already read as properties.
var blankLine = regexp.MustCompile(`^(\s*)([A-Za-z0-9_.\-]+)([ \t]+)(\S.*)$`)

// linesValue redacts .properties, .env and INI text: most of its lines
// that are not blank, comments or [sections] assign a value to a key. A
// value continued with a trailing backslash takes its next lines with it.
func (w *walker) linesValue(s string) (string, bool) {
	lines := strings.Split(s, "\n")
	assigns, others := 0, 0
	for _, l := range lines {
		switch t := strings.TrimSpace(l); {
		case t == "" || t[0] == '#' || t[0] == ';' || t[0] == '!' || t[0] == '[' && strings.HasSuffix(t, "]"):
		case assignLine.MatchString(l):
			assigns++
		default:
			others++
		}
	}
	if assigns == 0 || others > assigns {
		return "", false
	}
	for i := 0; i < len(lines); i++ {
		m := assignLine.FindStringSubmatch(lines[i])
		if m == nil {
			m = blankLine.FindStringSubmatch(lines[i])
		}
		t := strings.TrimSpace(lines[i])
		if m == nil || t[0] == '#' || t[0] == ';' || t[0] == '!' {
			lines[i] = w.text(lines[i])
			continue
		}
		end := i
		for end < len(lines)-1 && continued(lines[end]) {
			end++
		}
		val := strings.Join(lines[i:end+1], "\n")[len(m[1])+len(m[2])+len(m[3]):]
		red := w.named(m[2], unquote(val))
		if red == unquote(val) {
			i = end
			continue
		}
		lines[i] = m[1] + m[2] + m[3] + requote(val, red)
		for j := i + 1; j <= end; j++ {
			lines[j] = "\x00"
		}
		i = end
	}
	kept := lines[:0]
	for _, l := range lines {
		if l != "\x00" {
			kept = append(kept, l)
		}
	}
	return strings.Join(kept, "\n"), true
}

// continued reports whether a properties line ends with an odd number of
// backslashes, which carries its value on to the next line.
func continued(l string) bool {
	n := len(l) - len(strings.TrimRight(l, `\`))
	return n%2 == 1
}

// unquote strips one pair of matching quotes.
func unquote(v string) string {
	t := strings.TrimSpace(v)
	if len(t) >= 2 && (t[0] == '"' || t[0] == '\'') && t[len(t)-1] == t[0] {
		return t[1 : len(t)-1]
	}
	return v
}

// requote puts the quotes of the original value around its redaction.
func requote(orig, red string) string {
	t := strings.TrimSpace(orig)
	if len(t) >= 2 && (t[0] == '"' || t[0] == '\'') && t[len(t)-1] == t[0] {
		return string(t[0]) + red + string(t[0])
	}
	return red
}
