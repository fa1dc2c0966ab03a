// Package catalog holds every fixed sentence and word the product prints, in
// every supported language (English and Japanese), and renders them.
//
// The messages live in embedded files, messages/LAYER.LANG.json, one flat
// object of key → printf format per layer and language. Every key starts
// with its layer's name: "triage." (the rules' findings), "report." (the
// first-response report), "postmortem." (the exported postmortem),
// "offline." (the offline responder) and "session." (the session's notes).
// The package imports nothing of the product, so that every layer can use it.
package catalog

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"sync"
)

// languages are the languages every message is written in, English first:
// a message a language lacks is rendered in English.
var languages = [...]string{"en", "ja"}

//go:embed messages/*.json
var files embed.FS

// table maps a language to its messages, key → format.
type table map[string]map[string]string

// messages reads the embedded files once; the table it returns is never
// changed after.
var messages = sync.OnceValues(func() (table, error) { return load(files) })

// Lang returns the supported language lang names: "ja" for "ja", else "en".
func Lang(lang string) string {
	if lang == "ja" {
		return "ja"
	}
	return "en"
}

// Text renders the message key in lang with args, the way fmt.Sprintf
// renders a format; without args the message is returned as it is written.
// A language other than "ja" reads as "en", a message missing in lang is
// rendered in English, and a key no language has renders as the key itself.
func Text(lang, key string, args ...any) string {
	t, err := messages()
	if err != nil {
		return key
	}
	return t.text(lang, key, args...)
}

// Has reports whether key is a message of the catalog.
func Has(key string) bool {
	t, err := messages()
	if err != nil {
		return false
	}
	_, ok := t["en"][key]
	return ok
}

// text renders key in lang with args; see Text.
func (t table) text(lang, key string, args ...any) string {
	format, ok := t[Lang(lang)][key]
	if !ok {
		format, ok = t["en"][key]
	}
	if !ok {
		return key
	}
	if len(args) == 0 {
		return format
	}
	return fmt.Sprintf(format, args...)
}

// load reads every messages/LAYER.LANG.json file of fsys into a table. A
// file of an unknown language, a key outside its file's layer or a key
// written twice is an error.
func load(fsys fs.FS) (table, error) {
	entries, err := fs.ReadDir(fsys, "messages")
	if err != nil {
		return nil, fmt.Errorf("read the message catalog: %w", err)
	}
	t := table{}
	for _, lang := range languages {
		t[lang] = map[string]string{}
	}
	for _, e := range entries {
		if err := loadFile(fsys, e.Name(), t); err != nil {
			return nil, err
		}
	}
	return t, nil
}

func loadFile(fsys fs.FS, name string, t table) error {
	layer, lang, ok := strings.Cut(strings.TrimSuffix(name, ".json"), ".")
	if !ok || t[lang] == nil || path.Ext(name) != ".json" {
		return fmt.Errorf("message file %s: want LAYER.LANG.json with LANG one of %v", name, languages)
	}
	b, err := fs.ReadFile(fsys, path.Join("messages", name))
	if err != nil {
		return fmt.Errorf("read message file %s: %w", name, err)
	}
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("parse message file %s: %w", name, err)
	}
	for k, v := range m {
		if !strings.HasPrefix(k, layer+".") {
			return fmt.Errorf("message file %s: key %q is not in layer %q", name, k, layer)
		}
		if _, dup := t[lang][k]; dup {
			return fmt.Errorf("message file %s: key %q written twice", name, k)
		}
		t[lang][k] = v
	}
	return nil
}
