package redact

import (
	"encoding/base64"
	"strings"
	"unicode/utf8"
)

// Object removes secret values from a Kubernetes object decoded from JSON
// (numbers as json.Number or float64, objects as map[string]any), in place,
// before anything prints it, and returns how many values it replaced:
//
//   - Secret data: every value becomes the base64 of "[REDACTED]" repeated to
//     the value's decoded size, so the object still decodes and describe
//     still shows the size; stringData values become "[REDACTED] N bytes".
//   - ConfigMap data and binaryData: each value is read by its content (JSON,
//     YAML, .properties, .env, INI; see Value) and values under secret-like
//     keys are replaced at any depth; the rest stays readable.
//   - Containers anywhere in the object (pods, workload templates, custom
//     resources): env values by the variable's name (Name) and by their
//     content (the text detectors), and args or command flags such as
//     --password=x or --token x.
//   - Annotations: the last-applied configuration is redacted as the object
//     it holds; any other value is read like a ConfigMap value.
//   - Any other field whose key looks secret (FieldName), at any depth, and
//     the messages of events.
//
// Lists (kind FooList or List) and server-side Tables are walked item by
// item; items without a kind take it from the list's kind.
func (r *Redactor) Object(obj map[string]any) int {
	w := &walker{r: r}
	w.object(obj, "")
	return w.n
}

// walker carries the count of one redaction. deep is set inside documents
// (ConfigMap values, annotations), where every string with no secret-like
// key still goes through the text detectors.
type walker struct {
	r    *Redactor
	n    int
	deep bool
}

// object redacts one object; kind is used when the object names none.
func (w *walker) object(obj map[string]any, kind string) {
	if k, ok := obj["kind"].(string); ok && k != "" {
		kind = k
	}
	switch {
	case kind == "Secret":
		w.secretData(obj, "data", true)
		w.secretData(obj, "stringData", false)
	case kind == "ConfigMap":
		w.configData(obj)
	case kind == "Table":
		if rows, ok := obj["rows"].([]any); ok {
			for _, row := range rows {
				if m, ok := row.(map[string]any); ok {
					if o, ok := m["object"].(map[string]any); ok {
						w.object(o, "")
					}
					w.cells(m)
				}
			}
		}
		return
	case kind == "Event":
		for _, f := range []string{"message", "note"} {
			if s, ok := obj[f].(string); ok {
				obj[f] = w.text(s)
			}
		}
	}
	if items, ok := obj["items"].([]any); ok {
		itemKind := strings.TrimSuffix(kind, "List")
		if kind == "List" {
			itemKind = ""
		}
		for _, it := range items {
			if m, ok := it.(map[string]any); ok {
				w.object(m, itemKind)
			}
		}
	}
	for k, v := range obj {
		switch k {
		case "items", "kind", "apiVersion":
			continue
		case "data", "stringData", "binaryData":
			if kind == "Secret" || kind == "ConfigMap" {
				continue
			}
		}
		obj[k] = w.field(k, v)
	}
}

// annotations redacts annotation values, the last-applied configuration
// as the object it holds and the others like ConfigMap values.
func (w *walker) annotations(ann map[string]any) {
	for k, v := range ann {
		s, ok := v.(string)
		if !ok {
			continue
		}
		if k == lastAppliedKey {
			ann[k] = w.lastApplied(s)
			continue
		}
		ann[k] = w.value(k, s)
	}
}

// lastApplied redacts the object a last-applied-configuration holds, and
// keeps kubectl's compact form with its trailing newline.
func (w *walker) lastApplied(s string) string {
	tree, ok := decodeJSON(s)
	obj, isObj := tree.(map[string]any)
	if !ok || !isObj {
		return w.value(lastAppliedKey, s)
	}
	nested := &walker{r: w.r}
	nested.object(obj, "")
	nested.sizeOnly(obj)
	if nested.n == 0 {
		return s
	}
	w.n += nested.n
	out, err := encodeJSON(obj, false)
	if err != nil {
		w.n++
		return Mark
	}
	if strings.HasSuffix(s, "\n") {
		out += "\n"
	}
	return out
}

// sizeOnly turns the base64 fill of a nested Secret's data into the
// readable "[REDACTED] N bytes": nothing decodes it as a typed object.
func (w *walker) sizeOnly(obj map[string]any) {
	if k, _ := obj["kind"].(string); k != "Secret" {
		return
	}
	if data, ok := obj["data"].(map[string]any); ok {
		for k, v := range data {
			if s, ok := v.(string); ok && s != "" {
				b, _ := base64.StdEncoding.DecodeString(s)
				data[k] = Size(len(b))
			}
		}
	}
}

// secretData replaces every value of a Secret's data or stringData.
func (w *walker) secretData(obj map[string]any, field string, encoded bool) {
	data, ok := obj[field].(map[string]any)
	if !ok {
		return
	}
	for k, v := range data {
		s, ok := v.(string)
		if !ok {
			if v != nil {
				data[k] = Mark
				w.n++
			}
			continue
		}
		if s == "" || s == Mark {
			continue
		}
		if encoded {
			data[k] = fill(decodedLen(s))
		} else {
			data[k] = Size(len(s))
		}
		w.n++
	}
}

// fill is the base64 of a redacted value of n bytes: "[REDACTED]" repeated
// and cut to n bytes, so a decoder still gets n bytes.
func fill(n int) string {
	if n <= 0 {
		return ""
	}
	b := []byte(strings.Repeat(Mark, n/len(Mark)+1)[:n])
	return base64.StdEncoding.EncodeToString(b)
}

// configData reads each ConfigMap value by its content; binary values are
// decoded, read the same way when they are text, and encoded again.
func (w *walker) configData(obj map[string]any) {
	if data, ok := obj["data"].(map[string]any); ok {
		for k, v := range data {
			if s, ok := v.(string); ok {
				data[k] = w.value(k, s)
			}
		}
	}
	bin, ok := obj["binaryData"].(map[string]any)
	if !ok {
		return
	}
	for k, v := range bin {
		s, ok := v.(string)
		if !ok || s == "" {
			continue
		}
		if Name(k) == Secret {
			bin[k] = fill(decodedLen(s))
			w.n++
			continue
		}
		raw, err := base64.StdEncoding.DecodeString(s)
		if err != nil || !printable(raw) {
			continue
		}
		if red := w.value(k, string(raw)); red != string(raw) {
			bin[k] = base64.StdEncoding.EncodeToString([]byte(red))
		}
	}
}

// field redacts the value of a field named key anywhere in an object.
func (w *walker) field(key string, v any) any {
	switch key {
	case "labels", "matchLabels", "nodeSelector", "managedFields":
		return v // names and field paths, never values
	}
	switch t := v.(type) {
	case string:
		if t == "" {
			return t
		}
		if key == "message" || key == "note" {
			return w.text(t) // events, conditions, termination messages
		}
		switch w.nameKind(key) {
		case Secret:
			if !trivial(t) {
				w.n++
				return Mark
			}
		case Reference:
			if !ReferenceValue(t) {
				w.n++
				return Mark
			}
		default:
			if w.deep {
				return w.text(t)
			}
		}
		return t
	case map[string]any:
		if key == "annotations" {
			w.annotations(t)
			return t
		}
		for k, c := range t {
			t[k] = w.field(k, c)
		}
		return t
	case []any:
		switch key {
		case "env":
			w.env(t)
			return t
		case "args", "command":
			w.args(t)
			return t
		}
		for i, c := range t {
			if m, ok := c.(map[string]any); ok {
				for k, cc := range m {
					m[k] = w.field(k, cc)
				}
				continue
			}
			if s, ok := c.(string); ok {
				switch {
				case w.nameKind(key) == Secret && !trivial(s):
					t[i] = Mark
					w.n++
				case w.deep:
					t[i] = w.text(s)
				}
			}
		}
		return t
	}
	return v
}

// nameKind judges a field's name: inside documents (ConfigMap values,
// annotations) a lone "key" holds a key, as in a JWKS; in Kubernetes
// objects it names a map key or a label and holds no secret.
func (w *walker) nameKind(key string) NameKind {
	if w.deep {
		return Name(key)
	}
	return FieldName(key)
}

// env redacts the values of a container's environment by the variable's
// name and by content.
func (w *walker) env(list []any) {
	for _, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			continue
		}
		name, _ := m["name"].(string)
		if val, ok := m["value"].(string); ok && val != "" {
			m["value"] = w.named(name, val)
		}
		for k, c := range m {
			if k != "name" && k != "value" {
				m[k] = w.field(k, c)
			}
		}
	}
}

// named redacts the value of a variable or flag: whole when the name holds
// a secret, whole when it speaks of one and the value is no reference, and
// through the text detectors otherwise.
func (w *walker) named(name, val string) string {
	switch Name(name) {
	case Secret:
		if trivial(val) {
			return val
		}
		w.n++
		return Mark
	case Reference:
		if !ReferenceValue(val) {
			w.n++
			return Mark
		}
		return val
	}
	return w.text(val)
}

// args redacts flags with secret-looking names in a command line given as
// a list: --password=x, -token=x, --token x, and any detected value.
func (w *walker) args(list []any) {
	for i := 0; i < len(list); i++ {
		s, ok := list[i].(string)
		if !ok {
			continue
		}
		flag := strings.TrimLeft(s, "-")
		if len(flag) == len(s) || flag == "" {
			list[i] = w.text(s)
			continue
		}
		if name, val, eq := strings.Cut(flag, "="); eq {
			if red := w.named(name, val); red != val {
				list[i] = s[:len(s)-len(val)] + red
			} else {
				list[i] = w.text(s)
			}
			continue
		}
		if i+1 < len(list) && Name(flag) != Plain {
			next, ok := list[i+1].(string)
			if ok && !strings.HasPrefix(next, "-") {
				list[i+1] = w.named(flag, next)
				i++
			}
		}
	}
}

// cells runs the text detectors over the printed cells of a table row.
func (w *walker) cells(row map[string]any) {
	cells, ok := row["cells"].([]any)
	if !ok {
		return
	}
	for i, c := range cells {
		if s, ok := c.(string); ok {
			cells[i] = w.text(s)
		}
	}
}

// text runs the text detectors over a value that has no structure.
func (w *walker) text(s string) string {
	if s == "" {
		return s
	}
	red, n := w.r.Redact(s)
	w.n += n
	return red
}

// trivial reports whether a value under a secret-looking name holds no
// secret worth removing: empty, a boolean, or already redacted.
func trivial(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "true", "false", "null", "~":
		return true
	}
	return strings.HasPrefix(s, Mark)
}

// printable reports whether b is UTF-8 text without control characters
// other than tabs and line ends.
func printable(b []byte) bool {
	if !utf8.Valid(b) {
		return false
	}
	for _, r := range string(b) {
		if r < 0x20 && r != '\n' && r != '\t' && r != '\r' {
			return false
		}
	}
	return true
}
