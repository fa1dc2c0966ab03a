package postmortem

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
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
		s += " [" + l.urgency + " " + l.word(f.Urgency) + "]"
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

// parseFindings reads the first-response findings JSON. It accepts the
// report document ({"findings": [...], "events": [...]}) or a bare list of
// findings, and ignores what it does not know, so that a journal written by
// an older or newer version still exports.
func parseFindings(raw json.RawMessage) triageFacts {
	var tf triageFacts
	if len(raw) == 0 {
		return tf
	}
	var doc map[string]json.RawMessage
	var list []map[string]json.RawMessage
	if json.Unmarshal(raw, &list) != nil {
		if json.Unmarshal(raw, &doc) != nil {
			return tf
		}
		_ = json.Unmarshal(doc["findings"], &list)
	}
	var quoted []ClusterEvent // events quoted as evidence
	for _, m := range list {
		f := finding{
			Object:   objectString(m["object"]),
			Problem:  text(m["problem"]),
			Cause:    text(m["cause"]),
			Urgency:  urgency(m["urgency"]),
			Evidence: texts(m["evidence"]),
			Fixes:    texts(first(m, "fixes", "fix")),
		}
		f.Impact, f.Owner, f.Available, f.Desired = impact(m["impact"])
		f.names = append(f.names, nameOf(f.Object))
		var refs []json.RawMessage
		_ = json.Unmarshal(m["related"], &refs)
		var im map[string]json.RawMessage
		if json.Unmarshal(m["impact"], &im) == nil {
			var owners []json.RawMessage
			_ = json.Unmarshal(im["owners"], &owners)
			refs = append(refs, owners...)
		}
		for _, r := range refs {
			f.names = append(f.names, nameOf(objectString(r)))
		}
		tf.findings = append(tf.findings, f)
		for _, line := range f.Evidence {
			if ev, ok := eventLine(line); ok {
				quoted = append(quoted, ev)
			}
		}
	}
	// The report's own event list is the better source: it names objects
	// fully. Events quoted as evidence stand in when it is missing.
	var events []map[string]json.RawMessage
	_ = json.Unmarshal(first(doc, "events", "warnings"), &events)
	for _, m := range events {
		if ev, ok := clusterEvent(m); ok {
			tf.events = append(tf.events, ev)
		}
	}
	if len(tf.events) == 0 {
		seen := map[string]bool{}
		for _, ev := range quoted {
			if key := ev.Object + "\x00" + ev.Reason + "\x00" + ev.Message; !seen[key] {
				seen[key] = true
				tf.events = append(tf.events, ev)
			}
		}
	}
	sort.SliceStable(tf.events, func(i, j int) bool { return tf.events[i].First.Before(tf.events[j].First) })
	return tf
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

// evidenceEvent matches an event quoted as evidence:
// "Warning FailedScheduling pod/web-1: 0/2 nodes ... (×3, first 2025-01-02T15:04:05Z, last 2025-01-02T15:09:05Z)".
var evidenceEvent = regexp.MustCompile(`^Warning (\S+) (\S+): (.*) \(×(\d+),\D*?(\d{4}-\d\d-\d\dT[^\s,)]+)\D*?(\d{4}-\d\d-\d\dT[^\s,)]+)\)$`)

// eventLine reads a warning event from an evidence line.
func eventLine(s string) (ClusterEvent, bool) {
	m := evidenceEvent.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return ClusterEvent{}, false
	}
	first, err1 := time.Parse(time.RFC3339, m[5])
	last, err2 := time.Parse(time.RFC3339, m[6])
	if err1 != nil || err2 != nil {
		return ClusterEvent{}, false
	}
	n, _ := strconv.Atoi(m[4])
	return ClusterEvent{Object: m[2], Reason: m[1], Message: m[3], Count: n, First: first.UTC(), Last: last.UTC()}, true
}

func first(m map[string]json.RawMessage, keys ...string) json.RawMessage {
	for _, k := range keys {
		if v, ok := m[k]; ok {
			return v
		}
	}
	return nil
}

// clusterEvent reads a warning event group; ok is false when m is not one.
func clusterEvent(m map[string]json.RawMessage) (ClusterEvent, bool) {
	ev := ClusterEvent{
		Object:  objectString(first(m, "object", "involvedObject")),
		Reason:  text(m["reason"]),
		Message: text(m["message"]),
	}
	if typ := text(m["type"]); typ != "" && typ != "Warning" {
		return ev, false
	}
	_ = json.Unmarshal(m["count"], &ev.Count)
	ev.First = timeOf(first(m, "first", "firstTimestamp", "firstSeen"))
	ev.Last = timeOf(first(m, "last", "lastTimestamp", "lastSeen"))
	if ev.First.IsZero() {
		ev.First = ev.Last
	}
	if ev.Last.IsZero() {
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

func timeOf(raw json.RawMessage) time.Time {
	var t time.Time
	if json.Unmarshal(raw, &t) != nil {
		return time.Time{}
	}
	return t.UTC()
}

// text reads a JSON string, or the "text" or "message" of an object.
func text(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return strings.TrimSpace(s)
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) == nil {
		for _, k := range []string{"text", "line", "message", "summary", "command"} {
			if v := text(m[k]); v != "" {
				return v
			}
		}
		if v := objectString(raw); v != "" {
			return v
		}
	}
	return ""
}

// texts reads a string, a list of strings or a list of objects with text.
func texts(raw json.RawMessage) []string {
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) != nil {
		if s := text(raw); s != "" {
			return []string{s}
		}
		return nil
	}
	var out []string
	for _, r := range list {
		if s := text(r); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// objectString reads "Kind ns/name" from a string or {kind, namespace, name}.
func objectString(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var o struct{ Kind, Namespace, Name string }
	if json.Unmarshal(raw, &o) != nil || o.Name == "" {
		return ""
	}
	if o.Namespace == "" {
		return strings.TrimSpace(o.Kind + " " + o.Name)
	}
	return strings.TrimSpace(o.Kind + " " + o.Namespace + "/" + o.Name)
}

// urgency reads "high" or {"level": "high", "rule": ...}.
func urgency(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) == nil {
		return text(first(m, "level", "urgency", "value"))
	}
	return ""
}

// impact reads the impact lines, the top owner and its replica counts.
func impact(raw json.RawMessage) (lines []string, owner string, available, desired *int) {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return texts(raw), "", nil, nil
	}
	lines = texts(first(m, "lines", "text", "summary"))
	var owners []json.RawMessage
	if json.Unmarshal(m["owners"], &owners) == nil && len(owners) > 0 {
		owner = objectString(owners[len(owners)-1])
	}
	num := func(keys ...string) *int {
		var n int
		if json.Unmarshal(first(m, keys...), &n) == nil {
			return &n
		}
		return nil
	}
	available, desired = num("available", "availableReplicas"), num("desired", "desiredReplicas", "replicas")
	if desired != nil && *desired == 0 {
		available, desired = nil, nil // no replicated owner
	}
	return lines, owner, available, desired
}
