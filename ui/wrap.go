package ui

import (
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
)

// wrap wraps plain text at width w: at blanks, and hard only inside a word
// wider than w. Hyphens are not break points, so names such as
// "nginx-with-10gi-77579bdb99-nj6bq" stay on one line.
func wrap(s string, w int) []string {
	w = max(w, 1)
	s = ansi.Wrap(strings.ReplaceAll(s, "-", string(nbHyphen)), w, "")
	return strings.Split(strings.ReplaceAll(s, string(nbHyphen), "-"), "\n")
}

// wrapCommand wraps a command line at blanks outside quotes only, so that
// flags, names and quoted values stay whole and unchanged ("--all-namespaces",
// "nginx-with-10gi", 'a  b'); a word wider than w is cut at w.
func wrapCommand(s string, w int) []string {
	w = max(w, 1)
	var lines []string
	cur := ""
	for _, word := range commandWords(s) {
		switch {
		case cur == "":
		case ansi.StringWidth(cur)+1+ansi.StringWidth(word) <= w:
			cur += " " + word
			continue
		default:
			lines = append(lines, cur)
		}
		parts := strings.Split(ansi.Hardwrap(word, w, true), "\n")
		lines = append(lines, parts[:len(parts)-1]...)
		cur = parts[len(parts)-1]
	}
	return append(lines, cur)
}

// commandWords splits a command line at the spaces outside single and
// double quotes; a backslash keeps the byte after it.
func commandWords(s string) []string {
	var words []string
	start := 0
	var quote byte
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case quote != 0:
			if c == quote {
				quote = 0
			} else if quote == '"' && c == '\\' {
				i++
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '\\':
			i++
		case c == ' ':
			if i > start {
				words = append(words, s[start:i])
			}
			start = i + 1
		}
	}
	if start < len(s) {
		words = append(words, s[start:])
	}
	return words
}

// wrapStyledCommand is wrapStyled for a command line: it breaks at blanks only.
func wrapStyledCommand(prefix, cmd string, w int, style lipgloss.Style) []string {
	pw := lipgloss.Width(prefix)
	return styleLines(prefix, wrapCommand(cmd, w-pw), style)
}

// wrapStyled wraps text after a styled prefix; continuation lines are
// indented to the prefix's width.
func wrapStyled(prefix, text string, w int, style lipgloss.Style) []string {
	return styleLines(prefix, wrap(text, w-lipgloss.Width(prefix)), style)
}

// styleLines renders lines in style after prefix, indenting the
// continuation lines to the prefix's width.
func styleLines(prefix string, lines []string, style lipgloss.Style) []string {
	pw := lipgloss.Width(prefix)
	pad := strings.Repeat(" ", pw)
	for i, l := range lines {
		if i == 0 {
			lines[i] = prefix + style.Render(l)
		} else {
			lines[i] = pad + style.Render(l)
		}
	}
	return lines
}

// truncate cuts s to width w with an ellipsis.
func truncate(s string, w int) string {
	return ansi.Truncate(s, max(w, 1), "…")
}
