package postmortem

import (
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/kuberesponder/kuberesponder/session"
)

// Source is the journal an export reads; *session.Session satisfies it.
type Source interface {
	Meta() session.Meta
	Dir() string
	Events() []session.Event
	OutputPath(e session.Event) string
}

// facts builds everything in a postmortem that comes from the journal alone:
// header, impact, detection, timeline, root-cause statement, resolution,
// fixes and commands. Narrative sections are filled in later.
func facts(src Source, l labels, maxLines int) *Postmortem {
	meta := src.Meta()
	events := src.Events()
	p := &Postmortem{
		Version:   Version,
		Lang:      l.lang,
		SessionID: meta.ID,
		Status:    string(session.PhaseTriage),
		Model:     meta.Model,
		Cluster: Cluster{
			Context: meta.Context, Name: meta.Cluster, Server: meta.Server,
			Namespace: meta.Namespace, Snapshot: meta.Snapshot,
		},
		Responders: []string{},
		Timeline:   []Entry{},
		Commands:   []Command{},
		Impact:     Impact{Objects: []Affected{}},
		Detection:  Detection{Events: []ClusterEvent{}},
		Resolution: Resolution{Fixes: []Fix{}},
	}
	if meta.User != "" {
		p.Responders = append(p.Responders, meta.User)
	}
	proposals := map[string]session.Event{}
	decided := map[string]bool{}
	var tf triageFacts
	for _, e := range events {
		t := e.Time.UTC()
		add := func(k EntryKind, cmd, text string) {
			en := Entry{Time: t, Kind: k, Seq: e.Seq, CallID: e.CallID, Command: cmd, Text: oneLine(text, 400)}
			switch e.Kind {
			case session.KindProposal:
				en.Risk, en.Reason = e.Risk, e.Reason
			case session.KindDecision:
				en.Status, en.Reason = string(e.Decision), e.Reason
			case session.KindResult:
				en.Status, en.Reason = string(e.Status), e.Reason
			case session.KindFix:
				en.Reason = e.Reason
			}
			p.Timeline = append(p.Timeline, en)
		}
		switch e.Kind {
		case session.KindStart:
			p.Date = t
			add(EntryStart, "", l.started(meta))
		case session.KindReport:
			p.Title = e.Title
			p.Detection.Reported = &t
			add(EntryReport, "", l.reportMade(e.Title))
			tf = parseFindings(e.Findings)
			for _, f := range tf.findings {
				add(EntryFinding, "", f.line(l))
			}
		case session.KindOperator:
			add(EntryOperator, "", l.text("postmortem.operator", e.Text))
		case session.KindAssistant:
			if strings.TrimSpace(e.Text) != "" {
				add(EntryAssistant, "", l.text("postmortem.assistant", e.Text))
			}
		case session.KindProposal:
			proposals[e.CallID] = e
			add(EntryProposal, e.Command, l.proposed(e))
		case session.KindDecision:
			decided[e.CallID] = true
			switch e.Decision {
			case session.Denied:
				add(EntryDenial, proposals[e.CallID].Command, l.denied(e.Reason))
			case session.Edited:
				add(EntryEdit, e.Command, l.edited(e.Command))
			case session.Interjected:
				add(EntryInterjection, proposals[e.CallID].Command, l.interjected())
			default:
				add(EntryApproval, proposals[e.CallID].Command, l.approved(e))
			}
		case session.KindResult:
			cmd := e.Command
			if cmd == "" {
				cmd = proposals[e.CallID].Command
			}
			switch {
			case e.Status == session.Refused:
				add(EntryRefusal, cmd, l.result(e))
			case (e.Status == session.DeniedCall || e.Status == session.Interrupted) && decided[e.CallID]:
				// the decision entry already says it
			default:
				add(EntryResult, cmd, l.result(e))
			}
			if e.Status == session.Ran || e.Status == session.Failed {
				p.Commands = append(p.Commands, command(src, e, cmd, maxLines))
			}
		case session.KindFix:
			add(EntryFix, e.Command, l.fix(e))
			p.Resolution.Fixes = append(p.Resolution.Fixes, Fix{Command: e.Command, Text: e.Reason, Source: string(ByModel), Status: FixUnstated, Time: &t})
		case session.KindError:
			add(EntryError, "", l.text("postmortem.error", e.Text))
		case session.KindNote:
			if e.Output != "" && e.Command != "" {
				add(EntryNote, e.Command, l.lateOutput(e))
				p.Commands = append(p.Commands, command(src, e, e.Command, maxLines))
				continue
			}
			add(EntryNote, "", l.text("postmortem.note", e.Text))
		case session.KindPhase:
			p.Status = string(e.Phase)
			switch e.Phase {
			case session.PhaseResolved:
				p.RootCause.Statement = strings.TrimSpace(e.Text)
				add(EntryRootCause, "", l.text("postmortem.rootCauseStated", e.Text))
				add(EntryResolution, "", l.resolved())
				p.Resolution.Resolved = true
				p.Resolution.Time = &t
				p.Resolution.Text = strings.TrimSpace(e.Text)
			default:
				add(EntryPhase, "", l.phase(e))
			}
		}
	}
	if p.Title == "" {
		p.Title = l.text("postmortem.untitled")
	}
	// Cluster events happened before the session; they lead the timeline.
	var cluster []Entry
	incident, omitted := tf.incidentEvents()
	p.Detection.OmittedEvents = omitted
	for _, ev := range incident {
		p.Detection.Events = append(p.Detection.Events, ev)
		cluster = append(cluster, Entry{Time: ev.First, Kind: EntryClusterEvent, Text: oneLine(ev.line(), 400)})
	}
	p.Timeline = append(cluster, p.Timeline...)
	sort.SliceStable(p.Timeline, func(i, j int) bool { return p.Timeline[i].Time.Before(p.Timeline[j].Time) })

	for _, f := range tf.findings {
		p.Impact.Objects = append(p.Impact.Objects, Affected{Object: f.Object, Problem: f.Problem, Urgency: f.Urgency, Owner: f.Owner, Available: f.Available, Desired: f.Desired})
		p.Impact.Text = append(p.Impact.Text, f.Impact...)
		for _, fx := range f.Fixes {
			p.Resolution.Fixes = append(p.Resolution.Fixes, Fix{Text: fx, Source: string(ByRules), Status: FixUnstated})
		}
	}
	// The operator's statements about fixes, in journal order: the last one wins.
	for _, e := range events {
		if e.Kind == session.KindNote || e.Kind == session.KindOperator {
			if fx, st, ok := statedFix(e.Text); ok {
				p.Resolution.Fixes = markFix(p.Resolution.Fixes, fx, st, e.Time.UTC())
			}
		}
	}
	if len(incident) > 0 {
		start := incident[0].First
		for _, ev := range incident {
			if ev.First.Before(start) {
				start = ev.First
			}
		}
		p.Impact.Start = &start
	}
	if p.Resolution.Time != nil {
		p.Impact.End = p.Resolution.Time
		if p.Impact.Start != nil {
			p.Impact.Duration = p.Impact.End.Sub(*p.Impact.Start)
			p.Impact.DurationSeconds = int64(p.Impact.Duration / time.Second)
		}
	}
	return p
}

// command reads the full output of a result and cuts it for the appendix.
func command(src Source, e session.Event, cmd string, maxLines int) Command {
	out := e.ModelView
	if e.Output != "" {
		if b, err := os.ReadFile(src.OutputPath(e)); err == nil {
			out = string(b)
		}
	}
	text, omitted := truncate(out, maxLines)
	c := Command{Seq: e.Seq, Time: e.Time.UTC(), CallID: e.CallID, Command: cmd, Status: string(e.Status), Summary: e.Summary, Output: text, OmittedLines: omitted}
	if e.Status == session.Failed {
		c.Error = e.Reason
	}
	return c
}

// truncate keeps the head and the tail of text, maxLines lines in all, and
// returns how many lines it left out.
func truncate(text string, maxLines int) (string, int) {
	text = strings.TrimRight(text, "\n")
	lines := strings.Split(text, "\n")
	if maxLines <= 0 || len(lines) <= maxLines {
		return text, 0
	}
	head := maxLines * 2 / 3
	tail := maxLines - head
	omitted := len(lines) - head - tail
	kept := append(append([]string{}, lines[:head]...), fmt.Sprintf("... %d lines omitted ...", omitted))
	kept = append(kept, lines[len(lines)-tail:]...)
	return strings.Join(kept, "\n"), omitted
}

var space = regexp.MustCompile(`\s+`)

// oneLine collapses whitespace and cuts text to max runes.
func oneLine(s string, max int) string {
	s = strings.TrimSpace(space.ReplaceAllString(s, " "))
	if r := []rune(s); len(r) > max {
		return string(r[:max-1]) + "…"
	}
	return s
}

// fixStatement matches what an operator types or notes about a fix:
// "applied: set resources deploy/web --requests=memory=5Gi",
// "not applied: ...", "適用済み: ...", "未適用: ...".
var fixStatement = regexp.MustCompile(`(?is)^\s*(applied|not applied|適用済み|適用した|適用|未適用)\s*[:：]\s*(?:kubectl\s+)?(.+?)\s*$`)

// statedFix reads an operator's statement about a fix.
func statedFix(text string) (fix string, st FixStatus, ok bool) {
	m := fixStatement.FindStringSubmatch(text)
	if m == nil {
		return "", "", false
	}
	st = FixApplied
	if w := strings.ToLower(m[1]); w == "not applied" || w == "未適用" {
		st = FixNotApplied
	}
	return m[2], st, true
}

// AppliedNote returns the note an operator journals to state that a proposed
// fix was applied (or not); the export marks the fix accordingly.
func AppliedNote(command string, applied bool) string {
	if applied {
		return "applied: " + command
	}
	return "not applied: " + command
}

// markFix marks the fix the statement names; a statement naming no known fix
// is recorded as a fix of its own, since the operator applied it.
func markFix(fixes []Fix, stated string, st FixStatus, t time.Time) []Fix {
	norm := func(s string) string {
		return strings.TrimPrefix(strings.Join(strings.Fields(s), " "), "kubectl ")
	}
	found := false
	for i := range fixes {
		if (fixes[i].Command != "" && norm(fixes[i].Command) == norm(stated)) || (fixes[i].Command == "" && norm(fixes[i].Text) == norm(stated)) {
			fixes[i].Status = st
			fixes[i].Stated = &t
			found = true
		}
	}
	if !found {
		fixes = append(fixes, Fix{Command: norm(stated), Source: "operator", Status: st, Stated: &t})
	}
	return fixes
}
