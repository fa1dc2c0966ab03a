package kubetest

import (
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
)

// Canary is one secret value planted in a generated object: a position that a
// secret-like key, name or format governs, which no redacted output may show.
type Canary struct {
	// Value is the recognisable canary, "cnry" and hex (or "CNRY" inside a
	// format that wants upper case, such as an AWS access key id).
	Value string
	// Object is the object it was planted in, "Kind/name".
	Object string
	// Position says where in the object and in which form, for example
	// `data["app.json"] .db.password (JSON)` or "env PGPASSWORD (name)".
	Position string
	// Category groups positions for counting: "secret", "configmap",
	// "env-name", "env-value", "args", "annotation", "event".
	Category string
	// Forms are every encoding in which Value could appear in an output: raw
	// (which is also its JSON-escaped form: canaries are letters and digits
	// only), base64 (standard and URL alphabet) at each of the three byte
	// alignments it can take inside a longer encoded value, and base64 of its
	// standard base64 forms (a .dockerconfigjson auth inside Secret data).
	// An encoded form is the part of the encoding that depends on the canary
	// alone, so it is found whatever surrounds the canary.
	Forms []string
}

// Ordinary is a value that is not secret and must stay readable after
// redaction, planted beside the canaries: a host name, a log level, a port.
type Ordinary struct {
	// Value is the recognisable marker, "ordy" and hex.
	Value string
	// Object is the object it was planted in, "Kind/name".
	Object string
	// Position says where, as Canary.Position does.
	Position string
}

// Canaries is a generated set of objects with the canaries and ordinary
// values planted in them.
type Canaries struct {
	// Seed is the seed the set was generated from.
	Seed uint64
	// Namespace is the namespace of every namespaced object ("" for none).
	Namespace string
	// Objects are the generated objects, as encoding/json decodes them.
	Objects []map[string]any
	// Canaries are the secret values planted, one per position.
	Canaries []Canary
	// Ordinary are the values that must stay readable.
	Ordinary []Ordinary

	index map[string][]needle // needle prefix → needles
}

// needle is one form of one canary.
type needle struct {
	form   string
	canary int
}

// window is the prefix length the scanner indexes needles by; every form is
// at least this long.
const window = 12

// Leak is a canary found in an output.
type Leak struct {
	Canary Canary
	// Form is the form found; Form == Canary.Value when it was found raw.
	Form string
	// At is the byte offset of the first occurrence.
	At int
	// Context is the text around it, on one line.
	Context string
}

// String names the canary, where it was planted, the form found and where.
func (l Leak) String() string {
	how := "raw"
	if l.Form != l.Canary.Value {
		how = "encoded as " + l.Form
	}
	return fmt.Sprintf("canary %s of %s %s (%s) at byte %d: …%s…", l.Canary.Value, l.Canary.Object, l.Canary.Position, how, l.At, l.Context)
}

// Leaks returns every canary found in text, in any of its forms, once per
// canary. It scans text once, however many canaries there are.
func (c *Canaries) Leaks(text string) []Leak {
	if c.index == nil {
		c.buildIndex()
	}
	var leaks []Leak
	found := map[int]bool{}
	for i := 0; i+window <= len(text); i++ {
		ns, ok := c.index[text[i:i+window]]
		if !ok {
			continue
		}
		for _, n := range ns {
			if found[n.canary] || !strings.HasPrefix(text[i:], n.form) {
				continue
			}
			found[n.canary] = true
			leaks = append(leaks, Leak{Canary: c.Canaries[n.canary], Form: n.form, At: i, Context: around(text, i, len(n.form))})
		}
	}
	return leaks
}

func (c *Canaries) buildIndex() {
	c.index = map[string][]needle{}
	for i, k := range c.Canaries {
		for _, f := range k.Forms {
			c.index[f[:window]] = append(c.index[f[:window]], needle{form: f, canary: i})
		}
	}
}

// around returns up to 40 bytes either side of text[at:at+n], on one line.
func around(text string, at, n int) string {
	from, to := max(0, at-40), min(len(text), at+n+40)
	return strings.Join(strings.Fields(text[from:to]), " ")
}

// Missing returns the ordinary values of object ("Kind/name"; "" for every
// object) that text does not hold.
func (c *Canaries) Missing(text, object string) []Ordinary {
	var miss []Ordinary
	for _, o := range c.Ordinary {
		if (object == "" || o.Object == object) && !strings.Contains(text, o.Value) {
			miss = append(miss, o)
		}
	}
	return miss
}

// OrdinaryOf returns the ordinary values planted in object ("Kind/name").
func (c *Canaries) OrdinaryOf(object string) []Ordinary {
	var out []Ordinary
	for _, o := range c.Ordinary {
		if o.Object == object {
			out = append(out, o)
		}
	}
	return out
}

// Categories counts the planted positions by category, for a log line:
// "annotation 4, configmap 21, ...".
func (c *Canaries) Categories() string {
	counts := map[string]int{}
	for _, k := range c.Canaries {
		counts[k.Category]++
	}
	names := make([]string, 0, len(counts))
	for n := range counts {
		names = append(names, n)
	}
	slices.Sort(names)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("%s %d", n, counts[n])
	}
	return strings.Join(parts, ", ")
}

// Ref is how Canary.Object and Ordinary.Object name an object: "Kind/name".
func Ref(obj map[string]any) string {
	kind, _ := obj["kind"].(string)
	meta, _ := obj["metadata"].(map[string]any)
	name, _ := meta["name"].(string)
	return kind + "/" + name
}

// forms returns the forms of a canary value (see Canary.Forms).
func forms(v string) []string {
	out := []string{v}
	std := aligned(v, base64.StdEncoding)
	out = append(out, std...)
	out = append(out, aligned(v, base64.URLEncoding)...)
	for _, s := range std {
		out = append(out, aligned(s, base64.StdEncoding)...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// aligned returns the part of the base64 encoding of v that depends on v
// alone, for each of the three offsets v can start at inside a longer value:
// the encoding of the 3-byte groups made of v's bytes only.
func aligned(v string, enc *base64.Encoding) []string {
	var out []string
	for k := range 3 {
		buf := append(make([]byte, k), v...)
		full := len(buf) / 3
		if full*4 <= 4 {
			continue
		}
		s := enc.EncodeToString(buf[:full*3])
		start := 0
		if k > 0 {
			start = 4 // the first group holds the k bytes before v
		}
		if len(s)-start >= window {
			out = append(out, s[start:])
		}
	}
	return out
}
