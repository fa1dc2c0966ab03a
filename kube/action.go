// Package kube turns kubectl command lines into classified, read-only actions
// and runs them in-process through client-go.
package kube

import (
	"encoding/json"
	"fmt"
	"time"
)

// Risk is our classification of an action; it is never taken from the model.
type Risk int

const (
	// ReadOnly actions run after the operator approves them.
	ReadOnly Risk = iota
	// Sensitive actions can show Secret values; they run with every value redacted.
	Sensitive
	// Mutating actions change cluster state; they never run and are shown as fixes.
	Mutating
	// Refused actions are not supported at all; the reason goes back to the model.
	Refused
)

// String returns the lower-case name of the risk.
func (r Risk) String() string {
	switch r {
	case ReadOnly:
		return "read-only"
	case Sensitive:
		return "sensitive"
	case Mutating:
		return "mutating"
	case Refused:
		return "refused"
	}
	return "unknown"
}

// Action is one parsed and classified kubectl command line.
type Action struct {
	// Input is the line as proposed, before parsing.
	Input string `json:"input,omitempty"`
	// Args is argv without the leading "kubectl".
	Args []string `json:"args"`
	// Verb is the kubectl verb ("get", "describe", "rollout", ...).
	Verb string `json:"verb"`
	// SubVerb is the second word of two-word verbs ("status" in "rollout status").
	SubVerb string `json:"subVerb,omitempty"`
	// Resource is the resource as typed ("pods", "deploy", "pod/web-1" splits into Resource and Names).
	Resource string `json:"resource,omitempty"`
	// Names are the object names given.
	Names []string `json:"names,omitempty"`
	// Operands are the words after the verb (and sub-verb) that are not flags,
	// as typed: "pods web-1", "pod/web-1", "create pods" for auth can-i.
	Operands []string `json:"operands,omitempty"`
	// Namespace is the namespace given with -n/--namespace, empty when none.
	Namespace string `json:"namespace,omitempty"`
	// AllNamespaces is true for -A/--all-namespaces.
	AllNamespaces bool `json:"allNamespaces,omitempty"`
	// Flags holds the remaining flags by canonical long name, sorted by name;
	// boolean flags hold "true".
	Flags Flags `json:"flags,omitempty"`
	// Risk is our classification.
	Risk Risk `json:"risk"`
	// Reason explains the risk to a human (and, when refused, to the model).
	Reason string `json:"reason"`
}

// Result is what running an action produced.
type Result struct {
	// Command is the canonical command that ran.
	Command string `json:"command"`
	// Output is the full, redacted, terminal-safe output, kept locally.
	Output string `json:"output"`
	// ModelView is Output cut to the model's token budget.
	ModelView string `json:"modelView"`
	// Summary is one line describing the result ("12 lines", "3 values redacted").
	Summary string `json:"summary"`
	// Redactions counts the values the redactor removed.
	Redactions int `json:"redactions"`
	// OmittedLines counts lines left out of ModelView.
	OmittedLines int `json:"omittedLines"`
	// Started is when the action started.
	Started time.Time `json:"started"`
	// Duration is how long it ran.
	Duration time.Duration `json:"duration"`
}

// Flag is one flag of an action: its canonical long name and its value.
type Flag struct {
	Name  string
	Value string
}

// Flags are an action's flags, sorted by name, each name at most once. In
// JSON they are an object of name to value.
type Flags []Flag

// Get returns the value of the named flag, or "" when it is not set.
func (f Flags) Get(name string) string {
	v, _ := f.Lookup(name)
	return v
}

// Lookup returns the value of the named flag and whether it is set.
func (f Flags) Lookup(name string) (string, bool) {
	for _, x := range f {
		if x.Name == name {
			return x.Value, true
		}
	}
	return "", false
}

// sort puts the flags in name order; there are only a few.
func (f Flags) sort() {
	for i := 1; i < len(f); i++ {
		for j := i; j > 0 && f[j].Name < f[j-1].Name; j-- {
			f[j], f[j-1] = f[j-1], f[j]
		}
	}
}

// MarshalJSON writes the flags as an object of name to value.
func (f Flags) MarshalJSON() ([]byte, error) {
	m := make(map[string]string, len(f))
	for _, x := range f {
		m[x.Name] = x.Value
	}
	return json.Marshal(m)
}

// UnmarshalJSON reads an object of name to value.
func (f *Flags) UnmarshalJSON(b []byte) error {
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("reading action flags: %w", err)
	}
	*f = nil
	for k, v := range m {
		*f = append(*f, Flag{Name: k, Value: v})
	}
	f.sort()
	return nil
}

// CutNote begins the line the executor appends to an output it cut at
// ExecOptions.MaxBytes; a reader of the output (the offline responder)
// tells that line from the command's own by it.
const CutNote = "[output cut at "
