package session

import (
	"fmt"
	"strings"

	"github.com/kuberesponder/kuberesponder/kube"
)

// Card is what the approval card of a pending proposal shows and offers. The
// session decides all of it; a screen only renders it.
type Card struct {
	// Risk is the action's risk as kube.Risk.String spells it ("read-only",
	// "sensitive", "mutating", "refused").
	Risk string
	// Classified says why the action has that risk, in kube's words.
	Classified string
	// Runnable is true when approving runs the action: read-only and
	// sensitive actions. Anything else is a change for a human to make.
	Runnable bool
	// MayAlwaysAllow is true when the operator may always allow this exact
	// command: read-only actions only, never one that can show a Secret.
	MayAlwaysAllow bool
	// ClusterScoped is true when the namespace does not matter to the
	// action: it reads cluster-scoped resources only (kube.ClusterScoped),
	// top node, or no objects at all (version, api-resources).
	ClusterScoped bool
	// AllNamespaces is true when the action reads every namespace (-A).
	AllNamespaces bool
	// Namespace is the namespace a namespaced action reads: its -n, else
	// the session's namespace, else "default". "" when ClusterScoped or
	// AllNamespaces.
	Namespace string
	// Warning is one sentence for the operator when cluster text the model
	// read since the operator last spoke reads like an instruction to the
	// model; "" otherwise.
	Warning string
}

// runnable reports whether an approved action runs: read-only and
// sensitive ones do, changes never.
func runnable(a kube.Action) bool { return a.Risk == kube.ReadOnly || a.Risk == kube.Sensitive }

// mayAlwaysAllow reports whether an action may be always allowed: read-only
// only, so a command that can show a Secret always asks.
func mayAlwaysAllow(a kube.Action) bool { return a.Risk == kube.ReadOnly }

// card describes the approval card of action a in the session as it is now.
func (s *Session) card(a kube.Action) Card {
	c := Card{
		Risk:           a.Risk.String(),
		Classified:     a.Reason,
		Runnable:       runnable(a),
		MayAlwaysAllow: mayAlwaysAllow(a),
		ClusterScoped:  !namespaced(a),
		Warning:        injectionWarning(s.events),
	}
	switch {
	case c.ClusterScoped:
	case a.AllNamespaces:
		c.AllNamespaces = true
	default:
		c.Namespace = a.Namespace
		if c.Namespace == "" {
			c.Namespace = s.st.meta.Namespace
		}
		if c.Namespace == "" {
			c.Namespace = "default"
		}
	}
	return c
}

// namespaced reports whether the namespace matters to an action: false for
// cluster-scoped resources (nodes, namespaces, persistent volumes, …), for
// top node and for verbs that read no objects (version, api-resources).
func namespaced(a kube.Action) bool {
	switch a.Verb {
	case "version", "api-resources", "api-versions", "cluster-info":
		return false
	case "top":
		return !kube.ClusterScoped(a.SubVerb)
	}
	if a.Resource == "" {
		return true
	}
	for _, r := range strings.Split(a.Resource, ",") {
		if !kube.ClusterScoped(r) {
			return true
		}
	}
	return false
}

// injectionPhrases returns fragments of cluster text that address the model.
func injectionPhrases() []string {
	return []string{
		"ignore previous", "ignore all previous", "ignore the above", "ignore your instructions",
		"disregard previous", "disregard all", "disregard the above", "forget your instructions",
		"new instructions", "system prompt", "you are now", "as an ai", "you must run",
		"run the following command", "execute the following", "approve this", "assistant:",
		"<|im_start|>", "[inst]", "### instruction", "指示を無視", "以前の指示", "システムプロンプト",
	}
}

// injectionWarning looks at the cluster text the model read since the
// operator last spoke (results, and the report in the first turn) and
// returns a warning when some of it reads like an instruction to the model.
func injectionWarning(events []Event) string {
	from := 0
	for i := len(events) - 1; i >= 0; i-- {
		if events[i].Kind == KindOperator {
			from = i
			break
		}
	}
	phrases := injectionPhrases()
	for _, e := range events[from:] {
		var text, where string
		switch e.Kind {
		case KindResult:
			text, where = e.ModelView, "the output of kubectl "+strings.TrimPrefix(e.Command, "kubectl ")
		case KindReport:
			text, where = e.Text, "the first-response report"
		default:
			continue
		}
		low := strings.ToLower(text)
		for _, p := range phrases {
			if i := strings.Index(low, p); i >= 0 {
				frag := oneLine(text[i:min(len(text), i+60)])
				return fmt.Sprintf("This proposal follows cluster text that reads like an instruction to the model (%q in %s). Check that the command serves your investigation.", frag, oneLine(where))
			}
		}
	}
	return ""
}
