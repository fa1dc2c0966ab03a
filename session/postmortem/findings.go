package postmortem

import (
	"encoding/json"
	"fmt"
	"sort"
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
	Available *int
	Desired   *int
}

// line renders the finding for the timeline.
func (f finding) line() string {
	s := f.Object
	if f.Problem != "" {
		s += ": " + f.Problem
	}
	if f.Cause != "" {
		s += " — " + f.Cause
	}
	if f.Urgency != "" {
		s += " [" + f.Urgency + "]"
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
	seen := map[string]bool{}
	addEvent := func(m map[string]json.RawMessage) {
		ev, ok := clusterEvent(m)
		key := ev.Object + "\x00" + ev.Reason + "\x00" + ev.Message
		if ok && !seen[key] {
			seen[key] = true
			tf.events = append(tf.events, ev)
		}
	}
	for _, m := range list {
		f := finding{
			Object:   objectString(m["object"]),
			Problem:  text(m["problem"]),
			Cause:    text(m["cause"]),
			Urgency:  urgency(m["urgency"]),
			Evidence: texts(m["evidence"]),
			Fixes:    texts(first(m, "fixes", "fix")),
		}
		f.Impact, f.Available, f.Desired = impact(m["impact"])
		tf.findings = append(tf.findings, f)
		var evidence []map[string]json.RawMessage
		if json.Unmarshal(m["evidence"], &evidence) == nil {
			for _, ev := range evidence {
				if _, ok := ev["event"]; ok {
					var inner map[string]json.RawMessage
					if json.Unmarshal(ev["event"], &inner) == nil {
						addEvent(inner)
					}
					continue
				}
				addEvent(ev)
			}
		}
	}
	var events []map[string]json.RawMessage
	if json.Unmarshal(first(doc, "events", "warnings"), &events) == nil {
		for _, m := range events {
			addEvent(m)
		}
	}
	sort.SliceStable(tf.events, func(i, j int) bool { return tf.events[i].First.Before(tf.events[j].First) })
	return tf
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

// impact reads the impact lines and replica counts of a finding.
func impact(raw json.RawMessage) (lines []string, available, desired *int) {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return texts(raw), nil, nil
	}
	lines = texts(first(m, "lines", "text", "summary"))
	num := func(keys ...string) *int {
		var n int
		if json.Unmarshal(first(m, keys...), &n) == nil {
			return &n
		}
		return nil
	}
	available, desired = num("available", "availableReplicas"), num("desired", "desiredReplicas", "replicas")
	return lines, available, desired
}
