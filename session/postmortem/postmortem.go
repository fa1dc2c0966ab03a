// Package postmortem turns a session journal into a blameless postmortem, in
// Markdown for people and in a stable JSON schema for tooling.
//
// Facts — the timeline, the commands that ran and their outputs — always come
// from the journal. Narrative sections (summary, root cause analysis, action
// items, lessons learned) are drafted by a model when one is given and by
// deterministic rules otherwise, and always say which drafted them. Every
// string passes the redactor before anything is written.
package postmortem

import "time"

// Version is the version of the JSON schema. It changes only when a field is
// renamed, removed or changes meaning; new fields do not change it.
const Version = 1

// Drafter says who wrote a narrative section.
type Drafter string

// The drafters of narrative sections.
const (
	ByModel Drafter = "model" // drafted by the model from the journal
	ByRules Drafter = "rules" // drafted by deterministic rules from the journal
)

// String returns the drafter's name.
func (d Drafter) String() string { return string(d) }

// FixStatus says whether a proposed fix was applied, as the operator stated it.
type FixStatus string

// The states of a proposed fix.
const (
	FixApplied    FixStatus = "applied"     // the operator stated it was applied
	FixNotApplied FixStatus = "not-applied" // the operator stated it was not applied
	FixUnstated   FixStatus = "unstated"    // the operator said nothing about it
)

// String returns the status's name.
func (s FixStatus) String() string { return string(s) }

// Postmortem is the whole document. Its JSON form is the documented schema.
type Postmortem struct {
	Version     int        `json:"version"`
	Lang        string     `json:"lang"`
	Title       string     `json:"title"`
	Status      string     `json:"status"` // the session's phase: triage, investigation, resolved
	Date        time.Time  `json:"date"`   // when the session started (UTC)
	SessionID   string     `json:"sessionId"`
	Cluster     Cluster    `json:"cluster"`
	Responders  []string   `json:"responders"`
	Model       string     `json:"model"` // the session's model, "offline" when none
	Journal     Journal    `json:"journal"`
	Summary     Drafted    `json:"summary"`
	Impact      Impact     `json:"impact"`
	Detection   Detection  `json:"detection"`
	Timeline    []Entry    `json:"timeline"`
	RootCause   RootCause  `json:"rootCause"`
	Resolution  Resolution `json:"resolution"`
	ActionItems Drafted    `json:"actionItems"`
	Lessons     Drafted    `json:"lessons"`
	Commands    []Command  `json:"commands"`
	Redactions  int        `json:"redactions"` // values removed by the redactor while exporting
}

// Cluster says where the incident happened.
type Cluster struct {
	Context   string `json:"context,omitempty"`
	Name      string `json:"name,omitempty"`
	Server    string `json:"server,omitempty"`
	Namespace string `json:"namespace,omitempty"` // "" means all namespaces
	Snapshot  string `json:"snapshot,omitempty"`  // set when the session ran on a snapshot
}

// Journal says whether the journal's hash chain verified.
type Journal struct {
	Verified bool     `json:"verified"`
	Events   int      `json:"events"`
	LastHash string   `json:"lastHash,omitempty"`
	Problems []string `json:"problems,omitempty"`
}

// Drafted is a narrative section and who drafted it. Text holds prose; Items
// holds list sections (action items, lessons).
type Drafted struct {
	By    Drafter  `json:"by"`
	Text  string   `json:"text,omitempty"`
	Items []string `json:"items,omitempty"`
	Note  string   `json:"note,omitempty"` // why rules drafted it although a model was configured
}

// Impact is what the incident affected, from the first-response findings.
type Impact struct {
	Objects         []Affected    `json:"objects"`
	Start           *time.Time    `json:"start,omitempty"` // first warning event seen by the cluster
	End             *time.Time    `json:"end,omitempty"`   // resolution
	Duration        time.Duration `json:"-"`
	DurationSeconds int64         `json:"durationSeconds,omitempty"` // End - Start
	Text            []string      `json:"text,omitempty"`            // impact lines of the findings
}

// Affected is one object a finding names, with its replicas when known.
type Affected struct {
	Object    string `json:"object"`
	Problem   string `json:"problem,omitempty"`
	Urgency   string `json:"urgency,omitempty"`
	Owner     string `json:"owner,omitempty"` // top of the owner chain; the replicas are its
	Available *int   `json:"available,omitempty"`
	Desired   *int   `json:"desired,omitempty"`
}

// Detection is how the incident was noticed.
type Detection struct {
	Events        []ClusterEvent `json:"events"`
	OmittedEvents int            `json:"omittedEvents,omitempty"` // warning groups about other objects, or beyond the first 20
	Reported      *time.Time     `json:"reported,omitempty"`      // when the first-response report was made
}

// ClusterEvent is one warning event group from the cluster.
type ClusterEvent struct {
	Object  string    `json:"object"`
	Reason  string    `json:"reason"`
	Message string    `json:"message"`
	Count   int       `json:"count"`
	First   time.Time `json:"first"`
	Last    time.Time `json:"last"`
}

// EntryKind is the kind of a timeline entry.
type EntryKind string

// The kinds of timeline entries.
const (
	EntryClusterEvent EntryKind = "cluster-event"
	EntryStart        EntryKind = "session-start"
	EntryReport       EntryKind = "report"
	EntryFinding      EntryKind = "finding"
	EntryOperator     EntryKind = "operator"
	EntryAssistant    EntryKind = "assistant"
	EntryProposal     EntryKind = "proposal"
	EntryApproval     EntryKind = "approval"
	EntryEdit         EntryKind = "edit"
	EntryDenial       EntryKind = "denial"
	EntryInterjection EntryKind = "interjection"
	EntryResult       EntryKind = "result"
	EntryRefusal      EntryKind = "refusal"
	EntryFix          EntryKind = "fix"
	EntryError        EntryKind = "error"
	EntryNote         EntryKind = "note"
	EntryPhase        EntryKind = "phase"
	EntryRootCause    EntryKind = "root-cause"
	EntryResolution   EntryKind = "resolution"
)

// String returns the kind's name.
func (k EntryKind) String() string { return string(k) }

// Entry is one line of the timeline. Seq is the journal sequence number; it
// is zero for events that happened in the cluster before the session.
type Entry struct {
	Time    time.Time `json:"time"`
	Kind    EntryKind `json:"kind"`
	Seq     int       `json:"seq,omitempty"`
	CallID  string    `json:"callId,omitempty"`
	Command string    `json:"command,omitempty"`
	Risk    string    `json:"risk,omitempty"`   // proposals: read-only, sensitive, mutating, refused
	Status  string    `json:"status,omitempty"` // decisions: the decision; results: how the call was answered
	Reason  string    `json:"reason,omitempty"` // the model's reason, a deny reason or a refusal reason, verbatim
	Text    string    `json:"text"`             // the line as the Markdown timeline shows it, in the export's language
}

// RootCause holds the operator's statement from the journal and the drafted
// analysis around it.
type RootCause struct {
	Statement string  `json:"statement,omitempty"` // as stated when the incident was resolved
	Analysis  Drafted `json:"analysis"`
}

// Resolution is how the incident ended and the fixes that were proposed.
type Resolution struct {
	Resolved bool       `json:"resolved"`
	Time     *time.Time `json:"time,omitempty"`
	Text     string     `json:"text,omitempty"`
	Fixes    []Fix      `json:"fixes"`
}

// Fix is a change proposed for a human to apply; kuberesponder never applies one.
type Fix struct {
	Command string     `json:"command,omitempty"`
	Text    string     `json:"text,omitempty"`
	Source  string     `json:"source"` // "model" (a proposed write) or "rules" (a finding)
	Status  FixStatus  `json:"status"`
	Time    *time.Time `json:"time,omitempty"`   // when it was proposed
	Stated  *time.Time `json:"stated,omitempty"` // when the operator stated its status
}

// Command is one action that ran, with its redacted, truncated output.
type Command struct {
	Seq          int       `json:"seq"`
	Time         time.Time `json:"time"`
	CallID       string    `json:"callId,omitempty"`
	Command      string    `json:"command"`
	Status       string    `json:"status"`
	Summary      string    `json:"summary,omitempty"`
	Error        string    `json:"error,omitempty"` // why a failed command failed
	Output       string    `json:"output"`
	OmittedLines int       `json:"omittedLines,omitempty"`
}
