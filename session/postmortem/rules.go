package postmortem

import (
	"strings"
	"time"

	"github.com/kuberesponder/kuberesponder/prompts/catalog"
)

// tally counts what happened in the session, for the drafted sections.
type tally struct {
	proposals, approvals, denials, edits, refusals, ran, failed, fixes int
	reasons                                                            []string
}

func count(p *Postmortem) tally {
	var t tally
	for _, e := range p.Timeline {
		switch e.Kind {
		case EntryProposal:
			t.proposals++
		case EntryApproval:
			t.approvals++
		case EntryDenial:
			t.denials++
		case EntryEdit:
			t.edits++
		case EntryRefusal:
			t.refusals++
		case EntryFix:
			t.fixes++
		}
	}
	for _, c := range p.Commands {
		if c.Status == "failed" {
			t.failed++
		} else {
			t.ran++
		}
	}
	for _, e := range p.Detection.Events {
		if !contains(t.reasons, e.Reason) {
			t.reasons = append(t.reasons, e.Reason)
		}
	}
	return t
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// count renders a count with its noun, key a "postmortem.n…" message: "1
// command", "3 commands", "3 件". The key's ".one" form, where there is one,
// renders a count of one.
func (l labels) count(n int, key string) string {
	if n == 1 && catalog.Has(key+".one") {
		key += ".one"
	}
	return l.text(key, n)
}

// draftByRules fills the narrative sections deterministically from the facts.
func draftByRules(p *Postmortem, tf triageFacts) {
	l := labelsFor(p.Lang)
	t := count(p)
	sep := l.text("postmortem.sep")

	var sum []string
	if len(tf.findings) == 0 {
		sum = append(sum, l.text("postmortem.rules.noFindings"))
	} else {
		var fs []string
		for _, f := range tf.findings {
			fs = append(fs, f.what())
		}
		sum = append(sum, l.text("postmortem.rules.found", l.count(len(tf.findings), "postmortem.n.problem"), strings.TrimRight(strings.Join(fs, sep), ".")))
	}
	sum = append(sum, l.text("postmortem.rules.investigated", l.count(t.proposals, "postmortem.n.proposal"),
		l.count(t.ran+t.failed, "postmortem.n.command"), l.count(t.failed, "postmortem.n"), l.count(t.denials, "postmortem.n.proposal"),
		l.count(t.edits, "postmortem.n.command"), l.count(len(modelFixes(p)), "postmortem.n.fix")))
	if p.Resolution.Resolved && p.Resolution.Time != nil {
		sum = append(sum, l.text("postmortem.rules.resolvedWith", ts(*p.Resolution.Time), p.RootCause.Statement))
	} else {
		sum = append(sum, l.text("postmortem.rules.unresolved"))
	}
	p.Summary = Drafted{By: ByRules, Text: strings.Join(sum, "\n\n")}

	var rc []string
	if p.RootCause.Statement != "" {
		rc = append(rc, l.text("postmortem.rules.statementIs"))
	}
	for _, f := range tf.findings {
		if f.Cause != "" {
			rc = append(rc, l.text("postmortem.rules.ruleCause", f.Object, f.Cause))
		}
		if len(f.Evidence) > 0 {
			rc = append(rc, l.text("postmortem.rules.evidence", strings.Join(f.Evidence, sep)))
		}
	}
	if len(rc) == 0 {
		rc = append(rc, l.text("postmortem.rules.noCause"))
	}
	p.RootCause.Analysis = Drafted{By: ByRules, Text: strings.Join(rc, "\n\n")}

	var items []string
	for _, f := range p.Resolution.Fixes {
		what := f.Text
		if f.Command != "" {
			what = "`" + display(f.Command) + "`"
		}
		switch f.Status {
		case FixApplied:
			items = append(items, l.text("postmortem.rules.confirmFix", what))
		case FixUnstated:
			if f.Source != string(ByRules) || len(modelFixes(p)) == 0 {
				items = append(items, l.text("postmortem.rules.applyFix", what))
			}
		}
	}
	if len(t.reasons) > 0 {
		items = append(items, l.text("postmortem.rules.alert", strings.Join(t.reasons, ", ")))
	}
	if t.failed > 0 {
		items = append(items, l.text("postmortem.rules.retryFail", l.count(t.failed, "postmortem.n.command")))
	}
	if !p.Resolution.Resolved {
		items = append(items, l.text("postmortem.rules.finish"))
	}
	if !p.Journal.Verified {
		items = append(items, l.text("postmortem.rules.checkJournal"))
	}
	p.ActionItems = Drafted{By: ByRules, Items: items}

	var lessons []string
	if p.Impact.Start != nil && !p.Date.IsZero() && p.Date.After(*p.Impact.Start) {
		lessons = append(lessons, l.text("postmortem.rules.detectLag", p.Date.Sub(*p.Impact.Start).Round(time.Second)))
	}
	if t.denials > 0 {
		lessons = append(lessons, l.text("postmortem.rules.denied", l.count(t.denials, "postmortem.n.proposal")))
	}
	if t.edits > 0 {
		lessons = append(lessons, l.text("postmortem.rules.edited", l.count(t.edits, "postmortem.n.command")))
	}
	if t.refusals > 0 {
		lessons = append(lessons, l.text("postmortem.rules.refused", l.count(t.refusals, "postmortem.n.proposal")))
	}
	if len(modelFixes(p)) > 0 {
		lessons = append(lessons, l.text("postmortem.rules.fixesAsText"))
	}
	if len(lessons) == 0 {
		lessons = append(lessons, l.text("postmortem.rules.noLessons"))
	}
	p.Lessons = Drafted{By: ByRules, Items: lessons}
}

// modelFixes returns the fixes proposed during the session or by the operator.
func modelFixes(p *Postmortem) []Fix {
	var out []Fix
	for _, f := range p.Resolution.Fixes {
		if f.Source != string(ByRules) {
			out = append(out, f)
		}
	}
	return out
}
