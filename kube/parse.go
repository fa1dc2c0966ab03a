package kube

import (
	"errors"
	"slices"
	"strings"
	"unicode/utf8"
)

// Parse turns one kubectl command line, with or without a leading "kubectl",
// into a classified Action. The line is split on blanks with single quotes,
// double quotes and backslashes only; nothing is ever handed to a shell.
//
// A refused line yields an Action with Risk Refused and a Reason the model can
// act on, together with a non-nil error whose text is that reason. Mutating
// lines are parsed without error: they are valid proposals that will never run.
func Parse(line string) (Action, error) {
	var words [16]string // longer lines grow onto the heap
	args, ascii, err := tokenize(line, words[:0])
	if err == nil && !ascii {
		err = checkInvisible(line)
	}
	if err != nil {
		a := Action{Input: line, Risk: Refused, Reason: err.Error()}
		return a, err
	}
	if len(args) > 0 && args[0] == "kubectl" {
		args = args[1:]
	}
	a := Action{Input: line}
	classifyCopy(&a, args)
	if a.Risk == Refused {
		return a, errors.New(a.Reason)
	}
	return a, nil
}

// ParseArgs classifies an argv (without the leading "kubectl") exactly as
// Parse classifies a line.
func ParseArgs(args []string) (Action, error) {
	for _, w := range args {
		if err := checkInvisible(w); err != nil {
			return Action{Args: slices.Clone(args), Risk: Refused, Reason: err.Error()}, err
		}
		// A word that is a shell operator was meant for a shell: refuse it
		// with the reason Parse gives.
		if w != "" && strings.Trim(w, "|;&<>0123456789") == "" && strings.Trim(w, "0123456789") != "" {
			if _, _, err := tokenize(w, nil); err != nil {
				return Action{Args: slices.Clone(args), Risk: Refused, Reason: err.Error()}, err
			}
		}
	}
	var a Action
	classifyCopy(&a, args)
	if a.Risk == Refused {
		return a, errors.New(a.Reason)
	}
	return a, nil
}

// classifyCopy classifies a copy of args. One slice holds the words and
// room for one name cut from TYPE/NAME; operands are a part of the words, so
// a line usually costs this one allocation. No words leave Args nil.
func classifyCopy(a *Action, args []string) {
	n := len(args)
	if n == 0 {
		classify(a, nil, nil)
		return
	}
	store := make([]string, n, n+1)
	copy(store, args)
	classify(a, store[:n:n], store[n:n:n+1])
	// Flags are set in line order; sort them, and leave no room for an
	// append to a copy to write into this action's flags.
	a.Flags.sort()
	a.Flags = slices.Clip(a.Flags)
}

// tokenize splits a line into words the way a POSIX shell would for plain
// words and quotes, and refuses every construct a shell would interpret.
// The words are appended to args; ascii reports that the line holds no byte
// above 0x7f (which checkInvisible must then look at).
func tokenize(line string, args []string) (words []string, ascii bool, err error) {
	var buf []byte     // used only for words that need unquoting
	start := -1        // start of the current word in line, -1 outside a word
	rewritten := false // the current word lives in buf, not in line[start:i]
	var high byte      // every byte of the line or-ed together
	flush := func(end int) {
		if start < 0 {
			return
		}
		if rewritten {
			args = append(args, string(buf))
		} else {
			args = append(args, line[start:end])
		}
		start, rewritten, buf = -1, false, buf[:0]
	}
	// toBuf switches the current word to buf, copying what was read so far.
	toBuf := func(i int) {
		if start < 0 {
			start = i
		}
		if !rewritten {
			buf = append(buf[:0], line[start:i]...)
			rewritten = true
		}
	}
	for i := 0; i < len(line); i++ {
		c := line[i]
		if plainByte(c) {
			// A run of plain bytes: the common case, taken in one step.
			j := i + 1
			for j < len(line) && plainByte(line[j]) {
				j++
			}
			if start < 0 {
				start = i
			}
			if rewritten {
				buf = append(buf, line[i:j]...)
			}
			i = j - 1
			continue
		}
		high |= c
		if err := checkControl(c); err != nil {
			return nil, false, err
		}
		switch c {
		case ' ', '\t':
			flush(i)
			continue
		case '|':
			if i+1 < len(line) && line[i+1] == '|' {
				return nil, false, errSeq("||")
			}
			return nil, false, errors.New("pipes are not supported; narrow with -l, --field-selector or --tail instead")
		case ';':
			return nil, false, errSeq(";")
		case '&':
			if i+1 < len(line) && line[i+1] == '&' {
				return nil, false, errSeq("&&")
			}
			if i+1 < len(line) && line[i+1] == '>' || i > 0 && line[i-1] == '>' {
				return nil, false, errRedirect
			}
			return nil, false, errors.New("background jobs (&) are not supported; every command runs to completion, one at a time")
		case '>', '<':
			return nil, false, errRedirect
		case '`':
			return nil, false, errSubst
		case '(', ')':
			return nil, false, errors.New("unquoted parentheses are not supported; quote selector expressions, e.g. -l 'env in (prod,staging)'")
		case '$':
			if err := dollarError(line, i); err != nil {
				return nil, false, err
			}
		case '#':
			if start < 0 {
				return nil, false, errors.New("comments (#) are not supported; send the command alone")
			}
		case '\\':
			if i+1 >= len(line) {
				return nil, false, errors.New("a trailing backslash is not supported; send the command on one line")
			}
			toBuf(i)
			i++
			high |= line[i]
			if err := checkControl(line[i]); err != nil {
				return nil, false, err
			}
			buf = append(buf, line[i])
			continue
		case '\'':
			toBuf(i)
			end := strings.IndexByte(line[i+1:], '\'')
			if end < 0 {
				return nil, false, errors.New("unterminated single quote")
			}
			for j := i + 1; j <= i+end; j++ {
				high |= line[j]
				if err := checkControl(line[j]); err != nil {
					return nil, false, err
				}
			}
			buf = append(buf, line[i+1:i+1+end]...)
			i += end + 1
			continue
		case '"':
			toBuf(i)
			j, err := readDouble(line, i+1, &buf, &high)
			if err != nil {
				return nil, false, err
			}
			i = j
			continue
		}
		if start < 0 {
			start = i
		}
		if rewritten {
			buf = append(buf, c)
		}
	}
	flush(len(line))
	if len(args) == 0 {
		return nil, false, errors.New("empty command; propose one kubectl command such as get pods -n NAMESPACE")
	}
	return args, high < utf8.RuneSelf, nil
}

// plainByte reports whether c is a printable ASCII byte that means nothing
// to a shell: it simply belongs to the word being read.
// The bits are the printable ASCII bytes other than | ; & > < ` ( ) $ # \ ' "
// (TestPlainByte spells the set out).
func plainByte(c byte) bool {
	const low, high uint64 = 0xa7fffc2200000000, 0x6ffffffeefffffff // bytes 0-63, 64-127
	if c < 64 {
		return low>>c&1 != 0
	}
	return c < 128 && high>>(c-64)&1 != 0
}

// readDouble reads a double-quoted string starting after the opening quote
// at i, appends its content to buf and returns the index of the closing quote.
func readDouble(line string, i int, buf *[]byte, high *byte) (int, error) {
	for ; i < len(line); i++ {
		c := line[i]
		*high |= c
		if err := checkControl(c); err != nil {
			return 0, err
		}
		switch c {
		case '"':
			return i, nil
		case '`':
			return 0, errSubst
		case '$':
			if err := dollarError(line, i); err != nil {
				return 0, err
			}
		case '\\':
			if i+1 < len(line) {
				switch n := line[i+1]; n {
				case '$', '`', '"', '\\':
					*buf = append(*buf, n)
					i++
					continue
				}
			}
		}
		*buf = append(*buf, c)
	}
	return 0, errors.New("unterminated double quote")
}

var (
	errRedirect = errors.New("redirects (>, <) are not supported; the output is captured and shown to you")
	errSubst    = errors.New("command substitution is not supported; write the value itself")
)

func errSeq(op string) error {
	return errors.New(op + " is not supported; propose one command at a time")
}

// dollarError reports a $ that a shell would expand; a lone $ followed by a
// blank or the end of a double-quoted word is harmless and returns nil.
func dollarError(line string, i int) error {
	if i+1 < len(line) {
		switch n := line[i+1]; {
		case n == '(':
			return errSubst
		case n == '{' || n == '_' || n == '?' || n == '@' || n == '*' || n == '$' || n == '!' || n == '#' ||
			n >= 'a' && n <= 'z' || n >= 'A' && n <= 'Z' || n >= '0' && n <= '9':
			return errors.New("shell variables are not expanded; write the value itself")
		}
	}
	return nil
}

// checkInvisible refuses C1 control characters and bidirectional overrides,
// which would make the command shown to the operator differ from what runs.
func checkInvisible(s string) error {
	for i := 0; i < len(s); i++ {
		if s[i] < utf8.RuneSelf {
			if err := checkControl(s[i]); err != nil {
				return err
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || r >= 0x80 && r <= 0x9f || r >= 0x200b && r <= 0x200f ||
			r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 || r == 0xfeff {
			return errors.New("invisible, direction-changing or invalid characters are not allowed in a command")
		}
		i += size - 1
	}
	return nil
}

func checkControl(c byte) error {
	switch {
	case c == '\n' || c == '\r':
		return errors.New("newlines are not supported; propose one command at a time")
	case c < 0x20 && c != '\t' || c == 0x7f:
		return errors.New("control characters are not allowed in a command")
	}
	return nil
}

// quote returns s quoted so that tokenize yields s again; plain words are
// returned unchanged.
func quote(s string) string {
	if s == "" {
		return "''"
	}
	safe := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-_./:=,@%+", c) >= 0) {
			safe = false
			break
		}
	}
	if safe && s[0] != '#' {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// String returns the canonical command: "kubectl", the verb, the operands,
// then --namespace, --all-namespaces and every other flag in long form,
// sorted by name, each word quoted where needed. Mutating and refused actions
// are shown with their words as given.
func (a Action) String() string {
	var b strings.Builder
	b.Grow(len(a.Input) + 32)
	a.writeTo(&b)
	return b.String()
}

// writeTo writes the canonical command to b.
func (a Action) writeTo(b *strings.Builder) {
	b.WriteString("kubectl")
	if a.Verb == "" || a.Risk == Mutating || a.Risk == Refused {
		if a.Args == nil && a.Input != "" {
			b.WriteByte(' ')
			b.WriteString(quote(strings.TrimPrefix(strings.TrimSpace(a.Input), "kubectl ")))
			return
		}
		for _, w := range a.Args {
			b.WriteByte(' ')
			b.WriteString(quote(w))
		}
		return
	}
	b.WriteByte(' ')
	b.WriteString(a.Verb)
	if a.SubVerb != "" {
		b.WriteByte(' ')
		b.WriteString(a.SubVerb)
	}
	for _, w := range a.Operands {
		b.WriteByte(' ')
		b.WriteString(quote(w))
	}
	if a.Namespace != "" {
		b.WriteString(" --namespace=")
		b.WriteString(quote(a.Namespace))
	}
	if a.AllNamespaces {
		b.WriteString(" --all-namespaces")
	}
	for _, f := range a.Flags {
		b.WriteString(" --")
		b.WriteString(f.Name)
		if f.Value != "true" {
			b.WriteByte('=')
			b.WriteString(quote(f.Value))
		}
	}
}
