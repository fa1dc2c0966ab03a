package catalog

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// embedded loads the embedded catalog or stops the test.
func embedded(t *testing.T) table {
	t.Helper()
	tab, err := load(files)
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

// TestEveryKeyInEveryLanguage checks that each language has every key of
// every other, and no empty message.
func TestEveryKeyInEveryLanguage(t *testing.T) {
	tab := embedded(t)
	for _, a := range languages {
		for _, b := range languages {
			for key, msg := range tab[a] {
				if _, ok := tab[b][key]; !ok {
					t.Errorf("%s has %s, %s does not", a, key, b)
				}
				if strings.TrimSpace(msg) == "" {
					t.Errorf("%s %s is empty", a, key)
				}
			}
		}
	}
}

// TestSameArguments checks that each language's message takes the same
// arguments, each with the same verb, as the English one: a translation may
// reorder its arguments with %[n] but not drop, add or retype one.
func TestSameArguments(t *testing.T) {
	tab := embedded(t)
	for key, en := range tab["en"] {
		want, err := verbs(en)
		if err != nil {
			t.Errorf("en %s: %v", key, err)
			continue
		}
		for _, lang := range languages[1:] {
			got, err := verbs(tab[lang][key])
			switch {
			case err != nil:
				t.Errorf("%s %s: %v", lang, key, err)
			case !maps.Equal(got, want):
				t.Errorf("%s %s takes %v, en takes %v", lang, key, got, want)
			}
		}
	}
}

// TestEveryLanguageRenders renders every message in every language with the
// arguments the English one takes, one of the right type for each verb:
// nothing prints a formatting error, and a language never falls back to
// English for a key it has.
func TestEveryLanguageRenders(t *testing.T) {
	tab := embedded(t)
	for _, lang := range languages {
		for key, msg := range tab[lang] {
			args := argsFor(t, tab["en"][key])
			out := Text(lang, key, args...)
			if strings.Contains(out, "%!") {
				t.Errorf("%s %s renders %q", lang, key, out)
			}
			if want := fmt.Sprintf(msg, args...); len(args) > 0 && out != want {
				t.Errorf("%s %s renders %q, want %q", lang, key, out, want)
			}
		}
	}
}

// TestText covers the lookup's fallbacks.
func TestText(t *testing.T) {
	tab, err := load(fstest.MapFS{
		"messages/x.en.json": {Data: []byte(`{"x.both": "%d apples", "x.enOnly": "only %s", "x.plain": "100%"}`)},
		"messages/x.ja.json": {Data: []byte(`{"x.both": "りんご %d 個", "x.plain": "100%"}`)},
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, lang, key string
		args            []any
		want            string
	}{
		{"english", "en", "x.both", []any{3}, "3 apples"},
		{"japanese", "ja", "x.both", []any{3}, "りんご 3 個"},
		{"unknown language reads as english", "fr", "x.both", []any{3}, "3 apples"},
		{"missing in ja falls back to english", "ja", "x.enOnly", []any{"this"}, "only this"},
		{"unknown key renders as itself", "ja", "x.none", nil, "x.none"},
		{"no args: the message as written", "en", "x.plain", nil, "100%"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tab.text(tt.lang, tt.key, tt.args...); got != tt.want {
				t.Errorf("text(%q, %q) = %q, want %q", tt.lang, tt.key, got, tt.want)
			}
		})
	}
}

// TestTextUsesTheEmbeddedCatalog checks the package-level lookup against a
// known message of each language.
func TestTextUsesTheEmbeddedCatalog(t *testing.T) {
	if got := Text("ja", "report.none"); got != "問題は見つかりませんでした。" {
		t.Errorf("ja = %q", got)
	}
	if got := Text("en", "report.healthy", 7); got != "7 pods are running and ready; they are not findings." {
		t.Errorf("en = %q", got)
	}
	if !Has("report.none") || Has("report.noSuchKey") {
		t.Error("Has does not tell the catalog's keys")
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name  string
		files fstest.MapFS
		want  string
	}{
		{"no language in the name", fstest.MapFS{"messages/x.json": {Data: []byte(`{}`)}}, "want LAYER.LANG.json"},
		{"unknown language", fstest.MapFS{"messages/x.fr.json": {Data: []byte(`{}`)}}, "want LAYER.LANG.json"},
		{"not JSON", fstest.MapFS{"messages/x.en.json": {Data: []byte(`{`)}}, "parse message file x.en.json"},
		{"key outside the layer", fstest.MapFS{"messages/x.en.json": {Data: []byte(`{"y.a": "a"}`)}}, `key "y.a" is not in layer "x"`},
		{"no catalog", fstest.MapFS{}, "read the message catalog"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load(tt.files)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// TestNoKeyWrittenTwice checks the files themselves: encoding/json keeps the
// last of two equal keys, so a key written twice in one file would lose a
// message silently.
func TestNoKeyWrittenTwice(t *testing.T) {
	entries, err := fs.ReadDir(files, "messages")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := fs.ReadFile(files, "messages/"+e.Name())
		if err != nil {
			t.Fatal(err)
		}
		dec := json.NewDecoder(strings.NewReader(string(b)))
		seen := map[string]bool{}
		if _, err := dec.Token(); err != nil { // {
			t.Fatal(err)
		}
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				t.Fatal(err)
			}
			var v string
			if err := dec.Decode(&v); err != nil {
				t.Fatalf("%s %v: %v", e.Name(), k, err)
			}
			key, _ := k.(string)
			if seen[key] {
				t.Errorf("%s writes %s twice", e.Name(), key)
			}
			seen[key] = true
		}
	}
}

// verbs returns the verb each argument of a printf format is printed with,
// by argument number (from 1).
func verbs(format string) (map[int]string, error) {
	out := map[int]string{}
	arg := 1
	for i := 0; i < len(format); i++ {
		if format[i] != '%' {
			continue
		}
		i++
		for i < len(format) && strings.IndexByte("+-# 0123456789.", format[i]) >= 0 {
			i++
		}
		if i < len(format) && format[i] == '[' {
			end := strings.IndexByte(format[i:], ']')
			if end < 0 {
				return nil, fmt.Errorf("unclosed [ in %q", format)
			}
			if _, err := fmt.Sscanf(format[i+1:i+end], "%d", &arg); err != nil {
				return nil, fmt.Errorf("bad argument index in %q: %w", format, err)
			}
			i += end + 1
		}
		if i >= len(format) {
			return nil, fmt.Errorf("%% at the end of %q", format)
		}
		if format[i] == '%' {
			continue
		}
		v := string(format[i])
		if prev, ok := out[arg]; ok && prev != v {
			return nil, fmt.Errorf("argument %d printed with %%%s and %%%s in %q", arg, prev, v, format)
		}
		out[arg] = v
		arg++
	}
	return out, nil
}

// argsFor returns one argument of the right type for each verb of format.
func argsFor(t *testing.T, format string) []any {
	t.Helper()
	vs, err := verbs(format)
	if err != nil {
		t.Fatal(err)
	}
	args := make([]any, len(vs))
	for _, n := range slices.Sorted(maps.Keys(vs)) {
		if n < 1 || n > len(vs) {
			t.Fatalf("%q skips an argument", format)
		}
		switch vs[n] {
		case "d":
			args[n-1] = n
		case "q", "s", "v":
			args[n-1] = fmt.Sprintf("arg%d", n)
		default:
			t.Fatalf("%q: verb %%%s has no test argument", format, vs[n])
		}
	}
	return args
}
