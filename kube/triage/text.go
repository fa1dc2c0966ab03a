package triage

import (
	"fmt"
	"strings"

	"github.com/kuberesponder/kuberesponder/prompts/catalog"
)

// msg is a sentence kept by its key in the message catalog, so that it can
// be rendered in any supported language. The rules name their sentences
// without the layer ("ev.event" is the catalog's "triage.ev.event").
// Arguments that are msgs are rendered in the same language.
type msg struct {
	key  string
	args []any
}

func m(key string, args ...any) msg { return msg{key: key, args: args} }

// joinKey marks a msg that renders its arguments separated by the
// language's separator.
const joinKey = "\x00join"

// join renders parts separated by "; " (in English).
func join(parts []msg) msg {
	args := make([]any, len(parts))
	for i, p := range parts {
		args[i] = p
	}
	return msg{key: joinKey, args: args}
}

// in renders the sentence in lang, falling back to English. A sentence
// given as an argument loses its full stop.
func (x msg) in(lang string) string {
	args := make([]any, len(x.args))
	for i, a := range x.args {
		if sub, ok := a.(msg); ok {
			args[i] = strings.TrimSuffix(sub.in(lang), catalog.Text(lang, "triage.stop"))
		} else {
			args[i] = a
		}
	}
	switch x.key {
	case "":
		return ""
	case joinKey:
		s := make([]string, len(args))
		for i, a := range args {
			s[i] = fmt.Sprint(a)
		}
		return strings.Join(s, catalog.Text(lang, "triage.sep"))
	}
	return strings.TrimRight(fmt.Sprintf(catalog.Text(lang, "triage."+x.key), args...), " ")
}

// langOf returns the supported language lang names ("ja", else "en").
func langOf(lang string) string { return catalog.Lang(lang) }
