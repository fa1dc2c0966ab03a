// Package prompts holds the embedded text templates the product sends to a
// model: the system prompt, the first-response prompt, the kubectl tool
// description and the postmortem prompt, in every supported language.
package prompts

import (
	"bytes"
	"embed"
	"fmt"
	"text/template"
)

//go:embed templates/*.tmpl
var files embed.FS

// Render executes the template NAME.LANG.tmpl (falling back to NAME.en.tmpl)
// with data and returns the text.
func Render(name, lang string, data any) (string, error) {
	path := fmt.Sprintf("templates/%s.%s.tmpl", name, lang)
	src, err := files.ReadFile(path)
	if err != nil {
		path = fmt.Sprintf("templates/%s.en.tmpl", name)
		if src, err = files.ReadFile(path); err != nil {
			return "", fmt.Errorf("prompt template %q: %w", name, err)
		}
	}
	t, err := template.New(name).Option("missingkey=error").Parse(string(src))
	if err != nil {
		return "", fmt.Errorf("parse prompt template %s: %w", path, err)
	}
	var b bytes.Buffer
	if err := t.Execute(&b, data); err != nil {
		return "", fmt.Errorf("render prompt template %s: %w", path, err)
	}
	return b.String(), nil
}
