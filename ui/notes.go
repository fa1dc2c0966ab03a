package ui

import "fmt"

// note names a sentence the screen journals as a note.
type note int

// The notes the screen journals.
const (
	noteExportFailed note = iota
	noteReportFailed
	noteReportCancelled
	noteGoOn
)

// String returns the note in English.
func (n note) String() string { return noteText(n, "en") }

// noteText returns note n in lang (en or ja). Notes go into the journal and
// the postmortem, so they follow the session's language.
func noteText(n note, lang string) string {
	if lang == "ja" {
		switch n {
		case noteExportFailed:
			return "ポストモーテムの書き出しに失敗しました: %s"
		case noteReportFailed:
			return "一次対応のレポート作成に失敗しました: %s"
		case noteReportCancelled:
			return "一次対応のレポート作成を取り消しました。"
		case noteGoOn:
			return "分かっていることを入力するか、enter で調査を始めてください。"
		}
	}
	switch n {
	case noteExportFailed:
		return "The postmortem export failed: %s"
	case noteReportFailed:
		return "The first response failed: %s"
	case noteReportCancelled:
		return "The first response was cancelled."
	case noteGoOn:
		return "Type what you know, or press enter to start investigating."
	}
	return ""
}

// say returns note n in the session's language with args filled in.
func (m *Model) say(n note, args ...any) string {
	text := noteText(n, m.s.Meta().Lang)
	if len(args) == 0 {
		return text
	}
	return fmt.Sprintf(text, args...)
}
