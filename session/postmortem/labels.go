package postmortem

import (
	"strings"

	"github.com/kuberesponder/kuberesponder/prompts/catalog"
	"github.com/kuberesponder/kuberesponder/session"
)

// labels renders the postmortem's fixed words and sentences in one
// language, from the message catalog's "postmortem." keys.
type labels struct{ lang string }

// labelsFor returns the labels of lang; any language but "ja" reads as "en".
func labelsFor(lang string) labels { return labels{lang: catalog.Lang(lang)} }

// text renders the catalog message key (a full "postmortem." key) with args.
func (l labels) text(key string, args ...any) string { return catalog.Text(l.lang, key, args...) }

// word returns the translation of one of the journal's fixed words (risks,
// statuses, phases, urgencies); a word the catalog does not have is shown
// as it is.
func (l labels) word(w string) string {
	if key := "postmortem.word." + w; catalog.Has(key) {
		return l.text(key)
	}
	return w
}

func (l labels) started(m session.Meta) string {
	ns := m.Namespace
	if ns == "" {
		ns = l.text("postmortem.allNamespaces")
	}
	user := m.User
	if user == "" {
		user = "?"
	}
	return l.text("postmortem.started", user, m.Context, ns, m.Model)
}

func (l labels) reportMade(title string) string { return l.text("postmortem.reportMade", title) }

func (l labels) proposed(e session.Event) string {
	if e.Client != "" {
		return l.text("postmortem.agentCalled", e.Client, display(e.Command), l.word(e.Risk), e.Reason)
	}
	return l.text("postmortem.proposed", display(e.Command), l.word(e.Risk), e.Reason)
}

func (l labels) denied(reason string) string {
	if strings.TrimSpace(reason) == "" {
		return l.text("postmortem.deniedNoReason")
	}
	return l.text("postmortem.denied", reason)
}

func (l labels) edited(cmd string) string { return l.text("postmortem.edited", display(cmd)) }
func (l labels) interjected() string      { return l.text("postmortem.interjected") }

func (l labels) approved(e session.Event) string {
	if e.Client != "" {
		return l.text("postmortem.agentRan", e.Client)
	}
	switch e.Decision {
	case session.Always:
		return l.text("postmortem.approvedWith", l.text("postmortem.always"))
	case session.Auto:
		return l.text("postmortem.auto")
	}
	return l.text("postmortem.approved")
}

func (l labels) result(e session.Event) string {
	what := l.word(string(e.Status))
	if d := e.Detail(); d != "" {
		what = l.text("postmortem.statusLine", what, d)
	}
	return l.text("postmortem.result", what)
}

func (l labels) fix(e session.Event) string { return l.text("postmortem.fix", display(e.Command)) }
func (l labels) resolved() string           { return l.text("postmortem.resolved") }

func (l labels) phase(e session.Event) string {
	if e.Phase == session.PhaseInvestigation && strings.TrimSpace(e.Text) != "" {
		return l.text("postmortem.investigation", e.Text)
	}
	return l.text("postmortem.phase", l.word(string(e.Phase)))
}

func (l labels) lateOutput(e session.Event) string {
	return l.text("postmortem.late", display(e.Command), e.Summary)
}

// display renders a journaled command the way an operator types it.
func display(cmd string) string {
	cmd = strings.TrimSpace(cmd)
	if cmd == "" {
		return ""
	}
	return "kubectl " + strings.TrimPrefix(cmd, "kubectl ")
}

func (l labels) fixStatus(s FixStatus) string {
	switch s {
	case FixApplied:
		return l.text("postmortem.fixApplied")
	case FixNotApplied:
		return l.text("postmortem.fixNotApplied")
	}
	return l.text("postmortem.fixUnstated")
}

func (l labels) fixSource(src string) string {
	switch src {
	case string(ByModel):
		return l.text("postmortem.fixByModel")
	case string(ByRules):
		return l.text("postmortem.fixByRules")
	}
	return l.text("postmortem.fixByOperator")
}
