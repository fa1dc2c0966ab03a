package kube

import (
	"fmt"
	"strings"
)

// budget cuts text to the token budget for the model: as many whole lines
// from the head and from the tail as fit in half the budget each, joined by
// a line saying how many lines were left out and how to narrow the command.
// It returns the view and the number of lines left out. Tokens are counted
// line by line and only until each half is full, so a huge output costs no
// more than the budget to cut.
func (e *Executor) budget(text string) (string, int) {
	max := e.opts.TokenBudget
	if len(text) <= max { // a token is at least one byte
		return text, 0
	}
	lines := strings.SplitAfter(text, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	half := max / 2
	head, used := 0, 0
	for head < len(lines) {
		n := e.count(lines[head])
		if used+n > half {
			break
		}
		used += n
		head++
	}
	tail, usedTail := len(lines), 0
	for tail > head {
		n := e.count(lines[tail-1])
		if usedTail+n > max-used-40 {
			break
		}
		usedTail += n
		tail--
	}
	omitted := tail - head
	if omitted == 0 {
		return text, 0
	}
	var b strings.Builder
	for _, l := range lines[:head] {
		b.WriteString(l)
	}
	if head > 0 && !strings.HasSuffix(lines[head-1], "\n") {
		b.WriteByte('\n')
	}
	fmt.Fprintf(&b, "... %d lines omitted; narrow with --tail, --since, -l or --field-selector ...\n", omitted)
	for _, l := range lines[tail:] {
		b.WriteString(l)
	}
	return b.String(), omitted
}

// count returns the number of tokens of s; a line too long to count
// quickly is estimated at one token per byte.
func (e *Executor) count(s string) int {
	if len(s) > 16<<10 {
		return len(s)
	}
	n, err := e.codec.Count(s)
	if err != nil {
		return len(s)
	}
	return n
}
