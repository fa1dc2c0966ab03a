package watch

import (
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"time"

	"github.com/kuberesponder/kuberesponder/kube/triage"
)

// Change is what happened to an incident at one observation.
type Change int

// The changes an observation can make.
const (
	// Firing: findings about one owner have persisted for the settle time.
	Firing Change = iota
	// Updated: a firing incident became more urgent.
	Updated
	// Resolved: a firing incident's findings have been gone for resolve-after.
	Resolved
	// Existing: the incident was already there when the watcher started.
	Existing
)

// String names the change as the envelope's state does.
func (c Change) String() string {
	switch c {
	case Firing:
		return "firing"
	case Updated:
		return "updated"
	case Resolved:
		return "resolved"
	case Existing:
		return "existing"
	}
	return "unknown"
}

// Incident is a group of findings about the same owner (a Deployment, a
// StatefulSet, a Node, ...) followed through time.
type Incident struct {
	// Key is the owner the findings are about, "Kind namespace/name".
	Key string `json:"key"`
	// Fingerprint is stable across restarts and re-lists: Rule and the
	// owner, hashed. Both are set when the incident fires, from its most
	// urgent finding then, and no longer change.
	Fingerprint string           `json:"fingerprint"`
	Owner       triage.ObjectRef `json:"owner"`
	Rule        string           `json:"rule"`
	// Urgency is the most urgent finding's; Posted is the urgency last delivered.
	Urgency triage.Urgency `json:"urgency"`
	Posted  triage.Urgency `json:"posted"`
	Firing  bool           `json:"firing"`
	// FirstSeen is when the findings appeared; FiredAt when the incident was
	// delivered; LastSeen when its findings were last there.
	FirstSeen time.Time `json:"firstSeen"`
	FiredAt   time.Time `json:"firedAt,omitzero"`
	LastSeen  time.Time `json:"lastSeen"`
	// Snapshot is the file of the cluster state saved when it fired.
	Snapshot string `json:"snapshot,omitempty"`
	// Findings are the current findings (the last ones seen, once resolved).
	Findings []triage.Finding `json:"-"`
}

// ID names one occurrence of the incident: its fingerprint and when it fired.
func (in *Incident) ID() string {
	return in.Fingerprint + "-" + in.FiredAt.UTC().Format("20060102T150405Z")
}

// Event is one change to deliver.
type Event struct {
	Change   Change
	Incident Incident
	// Duration is how long a resolved incident lasted.
	Duration time.Duration
}

// Tracker turns successive sets of findings into incident changes. It is pure:
// time comes in with each observation, and nothing is sent from here.
type Tracker struct {
	settle, resolveAfter time.Duration
	open                 map[string]*Incident
	started              bool
}

// NewTracker returns a tracker; known are incidents delivered before a
// restart, which are not delivered again.
func NewTracker(settle, resolveAfter time.Duration, known []Incident) *Tracker {
	t := &Tracker{settle: settle, resolveAfter: resolveAfter, open: map[string]*Incident{}}
	for _, in := range known {
		if in.Firing {
			in := in
			t.open[in.Key] = &in
		}
	}
	return t
}

// OwnerOf is the object an incident is about: the top of the finding's owner
// chain, or the object itself.
func OwnerOf(f triage.Finding) triage.ObjectRef {
	if n := len(f.Impact.Owners); n > 0 {
		return f.Impact.Owners[n-1]
	}
	return f.Object
}

// Fingerprint hashes a rule and an owner.
func Fingerprint(rule string, owner triage.ObjectRef) string {
	sum := sha256.Sum256([]byte(rule + "\x00" + owner.String()))
	return hex.EncodeToString(sum[:8])
}

// Group gathers findings by owner; each group keeps the findings' order
// (most urgent first).
func Group(findings []triage.Finding) map[string][]triage.Finding {
	g := map[string][]triage.Finding{}
	for _, f := range findings {
		k := OwnerOf(f).String()
		g[k] = append(g[k], f)
	}
	return g
}

// Observe takes the findings seen at now and returns what changed, ordered by
// urgency then key. The first observation reports what is already there as
// Existing (minus what was delivered before a restart); later ones report an
// incident once its findings have persisted for the settle time.
func (t *Tracker) Observe(now time.Time, findings []triage.Finding) []Event {
	first := !t.started
	t.started = true
	var out []Event
	groups := Group(findings)
	for key, fs := range groups {
		top := fs[0]
		for _, f := range fs[1:] {
			if f.Urgency < top.Urgency {
				top = f
			}
		}
		in := t.open[key]
		if in == nil {
			in = &Incident{Key: key, Owner: OwnerOf(top), FirstSeen: now}
			t.open[key] = in
		}
		in.Findings, in.Urgency, in.LastSeen = fs, top.Urgency, now
		// An incident is named when it fires, by the rule that explains it
		// by then (a pod's scheduling failure, say, rather than its
		// Deployment's missing replica seen first while it settled); once
		// delivered, its name no longer changes.
		fire := func() {
			in.Rule, in.Fingerprint = top.Rule, Fingerprint(top.Rule, in.Owner)
			in.Firing, in.FiredAt, in.Posted = true, now, in.Urgency
		}
		switch {
		case first && !in.Firing:
			fire()
			out = append(out, Event{Change: Existing, Incident: *in})
		case !in.Firing && now.Sub(in.FirstSeen) >= t.settle:
			fire()
			out = append(out, Event{Change: Firing, Incident: *in})
		case in.Firing && in.Urgency < in.Posted:
			in.Posted = in.Urgency
			out = append(out, Event{Change: Updated, Incident: *in})
		}
	}
	for key, in := range t.open {
		if _, ok := groups[key]; ok {
			continue
		}
		switch {
		case !in.Firing:
			delete(t.open, key) // gone before it settled: a rollout, a restart
		case now.Sub(in.LastSeen) >= t.resolveAfter:
			delete(t.open, key)
			out = append(out, Event{Change: Resolved, Incident: *in, Duration: in.LastSeen.Sub(in.FirstSeen)})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].Incident, out[j].Incident
		if a.Urgency != b.Urgency {
			return a.Urgency < b.Urgency
		}
		return a.Key < b.Key
	})
	return out
}

// SetSnapshot records the snapshot saved for the incident under key.
func (t *Tracker) SetSnapshot(key, path string) {
	if in := t.open[key]; in != nil {
		in.Snapshot = path
	}
}

// Firing returns the incidents delivered and not resolved, to be saved.
func (t *Tracker) Firing() []Incident {
	var out []Incident
	for _, in := range t.open {
		if in.Firing {
			out = append(out, *in)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// Next returns when an observation could next change something without any
// new findings: a pending incident settling or a firing one resolving. Zero
// means nothing is waiting.
func (t *Tracker) Next() time.Time {
	var next time.Time
	for _, in := range t.open {
		at := in.FirstSeen.Add(t.settle)
		if in.Firing {
			at = in.LastSeen.Add(t.resolveAfter)
		}
		if next.IsZero() || at.Before(next) {
			next = at
		}
	}
	return next
}
