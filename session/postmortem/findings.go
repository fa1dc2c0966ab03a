package postmortem

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/kuberesponder/kuberesponder/kube/triage"
	"github.com/kuberesponder/kuberesponder/session"
)

// finding is what the postmortem uses of one first-response finding.
type finding struct {
	Object    string
	Problem   string
	Cause     string
	Urgency   string
	Evidence  []string
	Impact    []string
	Fixes     []string
	Owner     string // the top of the owner chain, e.g. the Deployment
	Available *int
	Desired   *int
	names     []string // names of the object, its related objects and its owners
}

// what names the finding: its problem, prefixed with the object unless the
// problem already names it.
func (f finding) what() string { return whatOf(f.Object, f.Problem) }

// nameOf returns the name in "Kind namespace/name" or "kind/name".
func nameOf(object string) string {
	if i := strings.LastIndexAny(object, " /"); i >= 0 {
		return object[i+1:]
	}
	return object
}

func whatOf(object, problem string) string {
	name := nameOf(object)
	switch {
	case problem == "":
		return object
	case name != "" && strings.Contains(problem, name):
		return problem
	}
	return object + ": " + problem
}

// line renders the finding for the timeline.
func (f finding) line(l labels) string {
	s := f.what()
	if f.Cause != "" {
		s += " — " + f.Cause
	}
	if f.Urgency != "" {
		s += " [" + l.text("postmortem.urgency") + " " + l.word(f.Urgency) + "]"
	}
	return s
}

func (e ClusterEvent) line() string {
	s := fmt.Sprintf("Warning %s %s: %s", e.Reason, e.Object, e.Message)
	if e.Count > 1 {
		s += fmt.Sprintf(" (x%d)", e.Count)
	}
	return s
}

// triageFacts is what the postmortem reads from the report event's findings.
type triageFacts struct {
	findings []finding
	events   []ClusterEvent
}

// parseFindings reads the first-response findings JSON with
// session.DecodeFindings. Findings that cannot be read give none: the
// postmortem is still written from the rest of the journal.
func parseFindings(raw json.RawMessage) triageFacts {
	rep, err := session.DecodeFindings(raw)
	if err != nil {
		return triageFacts{}
	}
	return factsOf(rep)
}

// factsOf takes what the postmortem uses from a first-response report: its
// findings, and its warning events, oldest first. The events come from the
// report's event list alone, never from the evidence sentences, which are
// written in the report's language.
func factsOf(rep triage.Report) triageFacts {
	var tf triageFacts
	for _, f := range rep.Findings {
		tf.findings = append(tf.findings, findingOf(f))
	}
	for _, g := range rep.Events {
		if ev, ok := clusterEvent(g); ok {
			tf.events = append(tf.events, ev)
		}
	}
	sort.SliceStable(tf.events, func(i, j int) bool { return tf.events[i].First.Before(tf.events[j].First) })
	return tf
}

// findingOf takes what the postmortem uses of one finding.
func findingOf(f triage.Finding) finding {
	out := finding{
		Object:   objectString(f.Object),
		Problem:  strings.TrimSpace(f.Problem),
		Cause:    strings.TrimSpace(f.Cause),
		Urgency:  f.Urgency.String(),
		Evidence: lines(f.Evidence),
		Fixes:    lines(f.Fixes),
		Impact:   lines([]string{f.Impact.Summary}),
	}
	if n := len(f.Impact.Owners); n > 0 {
		out.Owner = objectString(f.Impact.Owners[n-1])
	}
	if f.Impact.Desired != 0 { // else no replicated owner
		available, desired := f.Impact.Available, f.Impact.Desired
		out.Available, out.Desired = &available, &desired
	}
	out.names = append(out.names, f.Object.Name)
	for _, r := range append(append([]triage.ObjectRef{}, f.Related...), f.Impact.Owners...) {
		out.names = append(out.names, r.Name)
	}
	return out
}

// maxClusterEvents bounds the warning events a postmortem lists.
const maxClusterEvents = 20

// incidentEvents returns the warning events about the objects the findings
// name (their related objects and owners included), oldest first, at most
// maxClusterEvents; when none is about them, the oldest events. Warnings
// about unrelated objects would stretch the incident's duration and bury the
// timeline. omitted counts the events left out.
func (tf triageFacts) incidentEvents() (events []ClusterEvent, omitted int) {
	names := map[string]bool{}
	for _, f := range tf.findings {
		for _, n := range f.names {
			if n != "" {
				names[n] = true
			}
		}
	}
	for _, ev := range tf.events {
		if names[nameOf(ev.Object)] {
			events = append(events, ev)
		}
	}
	if len(events) == 0 {
		events = tf.events
	}
	if len(events) > maxClusterEvents {
		events = events[:maxClusterEvents]
	}
	return events, len(tf.events) - len(events)
}

// clusterEvent reads a warning event group; ok is false when g is not one.
func clusterEvent(g triage.EventGroup) (ClusterEvent, bool) {
	ev := ClusterEvent{
		Object:  objectString(g.Object),
		Reason:  strings.TrimSpace(g.Reason),
		Message: strings.TrimSpace(g.Message),
		Count:   g.Count,
		First:   g.First.UTC(),
		Last:    g.Last.UTC(),
	}
	if g.Type != "" && g.Type != "Warning" {
		return ev, false
	}
	if g.First.IsZero() {
		ev.First = ev.Last
	}
	if g.Last.IsZero() {
		ev.Last = ev.First
	}
	if ev.Reason == "" || ev.First.IsZero() {
		return ev, false
	}
	if ev.Count < 1 {
		ev.Count = 1
	}
	return ev, true
}

// lines trims texts and drops the empty ones.
func lines(texts []string) []string {
	var out []string
	for _, s := range texts {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// objectString renders "Kind namespace/name", "" for no object.
func objectString(o triage.ObjectRef) string {
	if o.Name == "" {
		return ""
	}
	return strings.TrimSpace(o.String())
}
