package watch

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/kuberesponder/kuberesponder/kube/triage"
	"github.com/kuberesponder/kuberesponder/session/watch/sink"
)

// idempotencyKey is the same for every attempt of one delivery, across
// retries and restarts.
func idempotencyKey(id, state string, at time.Time, extra string) string {
	sum := sha256.Sum256([]byte(id + "\x00" + state + "\x00" + at.UTC().Format(time.RFC3339Nano) + "\x00" + extra))
	return hex.EncodeToString(sum[:16])
}

// ScopeReport returns the report cut to some findings: their urgency, counts and
// the warning events about their objects.
func ScopeReport(r triage.Report, findings []triage.Finding) triage.Report {
	objs := map[triage.ObjectRef]bool{}
	for _, f := range findings {
		objs[f.Object] = true
		for _, o := range f.Related {
			objs[o] = true
		}
		for _, o := range f.Impact.Owners {
			objs[o] = true
		}
	}
	all := r.Events
	r.Findings = append([]triage.Finding{}, findings...)
	r.Events = []triage.EventGroup{}
	for _, g := range all {
		if objs[g.Object] {
			r.Events = append(r.Events, g)
		}
	}
	r.Urgency = "none"
	by := map[string]int{}
	for c := triage.Critical; c <= triage.Low; c++ {
		by[c.String()] = 0
	}
	for _, f := range r.Findings {
		by[f.Urgency.String()]++
		if urgencyRank(f.Urgency.String()) < urgencyRank(r.Urgency) {
			r.Urgency = f.Urgency.String()
		}
	}
	r.Summary.ByUrgency = by
	return r
}

// digestOf cuts a finding into the parts a chat message shows.
func digestOf(f triage.Finding) sink.Digest {
	return sink.Digest{
		Location: f.Object.String() + ": " + f.Problem,
		Evidence: first(f.Evidence, 3),
		Impact:   f.Impact.Summary,
		Cause:    f.Cause,
		Commands: first(f.NextActions, 3),
	}
}

func first(s []string, n int) []string {
	if len(s) > n {
		return append([]string(nil), s[:n]...)
	}
	return append([]string(nil), s...)
}

// snapshotHint tells the on-call how to open a snapshot.
func snapshotHint(path string) string {
	if path == "" {
		return ""
	}
	return "kuberesponder --snapshot " + path
}

// incidentDelivery builds the envelope of one incident change.
func incidentDelivery(ev Event, full triage.Report, lang string, now time.Time) (sink.Delivery, error) {
	in := ev.Incident
	rep := ScopeReport(full, in.Findings)
	js, err := rep.JSON()
	if err != nil {
		return sink.Delivery{}, err
	}
	d := sink.Delivery{
		Version: sink.EnvelopeVersion, ID: in.ID(), Fingerprint: in.Fingerprint,
		State: ev.Change.String(), Source: sink.SourceWatch,
		Urgency: in.Urgency.String(), Owner: in.Owner.String(), Rule: in.Rule,
		StartedAt: in.FirstSeen.UTC(), SentAt: now.UTC(),
		Snapshot: in.Snapshot, SnapshotHint: snapshotHint(in.Snapshot),
		Report: js, Markdown: rep.Markdown(lang),
	}
	d.Title = in.Owner.String()
	if len(in.Findings) > 0 {
		d.Title = in.Findings[0].Problem + " (" + in.Owner.String() + ")"
		d.Digest = digestOf(in.Findings[0])
	}
	extra := ""
	switch ev.Change {
	case Updated:
		extra = in.Urgency.String()
	case Resolved:
		t := in.LastSeen.UTC()
		d.ResolvedAt = &t
		d.DurationSeconds = ev.Duration.Seconds()
		d.Title = "Resolved: " + d.Title
	}
	d.IdempotencyKey = idempotencyKey(d.ID, d.State, in.FiredAt, extra)
	return d, nil
}

// summaryDelivery lists the incidents already there when the watcher started.
func summaryDelivery(evs []Event, full triage.Report, snap, lang string, now time.Time) (sink.Delivery, error) {
	var fs []triage.Finding
	d := sink.Delivery{
		Version: sink.EnvelopeVersion, State: sink.StateSummary, Source: sink.SourceWatch,
		StartedAt: now.UTC(), SentAt: now.UTC(), Snapshot: snap, SnapshotHint: snapshotHint(snap),
		Urgency: evs[0].Incident.Urgency.String(),
	}
	var keys []string
	for _, ev := range evs {
		in := ev.Incident
		fs = append(fs, in.Findings...)
		keys = append(keys, in.Fingerprint)
		title := in.Owner.String()
		if len(in.Findings) > 0 {
			title = in.Findings[0].Problem + " (" + in.Owner.String() + ")"
		}
		d.Incidents = append(d.Incidents, sink.Brief{ID: in.ID(), State: sink.StateFiring, Title: title,
			Urgency: in.Urgency.String(), Owner: in.Owner.String()})
	}
	rep := ScopeReport(full, fs)
	js, err := rep.JSON()
	if err != nil {
		return sink.Delivery{}, err
	}
	d.Report, d.Markdown = js, rep.Markdown(lang)
	d.Title = fmt.Sprintf("%d incidents already open when the watcher started", len(evs))
	d.Digest = digestOf(evs[0].Incident.Findings[0])
	sum := sha256.Sum256([]byte(strings.Join(keys, ",")))
	d.Fingerprint = "summary-" + hex.EncodeToString(sum[:8])
	d.ID = d.Fingerprint + "-" + now.UTC().Format("20060102T150405Z")
	d.IdempotencyKey = idempotencyKey(d.ID, d.State, now, "")
	return d, nil
}
