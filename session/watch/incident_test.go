package watch

import (
	"strings"
	"testing"
	"time"

	"github.com/kuberesponder/kuberesponder/kube/triage"
)

var t0 = time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)

// finding is a finding of rule on a pod owned by Deployment owner.
func finding(rule, owner string, u triage.Urgency) triage.Finding {
	return triage.Finding{
		Rule: rule, Urgency: u, Object: triage.ObjectRef{Kind: "Pod", Namespace: "shop", Name: owner + "-abc"},
		Impact: triage.Impact{Owners: []triage.ObjectRef{
			{Kind: "ReplicaSet", Namespace: "shop", Name: owner + "-5d"}, {Kind: "Deployment", Namespace: "shop", Name: owner},
		}},
	}
}

// step is one observation: seconds after t0, the findings, and the changes
// expected ("firing Deployment shop/web").
type step struct {
	at       int
	findings []triage.Finding
	want     []string
}

func changes(evs []Event) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.Change.String()+" "+e.Incident.Key)
	}
	return out
}

func TestTracker(t *testing.T) {
	web := finding("pod/crash-loop", "web", triage.High)
	webCritical := finding("pod/crash-loop", "web", triage.Critical)
	db := finding("scheduling/insufficient-memory", "db", triage.High)
	for _, tc := range []struct {
		name  string
		known []Incident
		steps []step
	}{
		{"existing at start, then nothing new", nil, []step{
			{0, []triage.Finding{web}, []string{"existing Deployment shop/web"}},
			{60, []triage.Finding{web}, nil},
		}},
		{"fires after settling, once", nil, []step{
			{0, nil, nil},
			{1, []triage.Finding{db}, nil},
			{20, []triage.Finding{db}, nil},
			{31, []triage.Finding{db}, []string{"firing Deployment shop/db"}},
			{90, []triage.Finding{db}, nil},
		}},
		{"gone before settling is never paged", nil, []step{
			{0, nil, nil},
			{1, []triage.Finding{db}, nil},
			{10, nil, nil},
			{50, []triage.Finding{db}, nil}, // a new sighting starts the clock again
			{79, []triage.Finding{db}, nil},
			{80, []triage.Finding{db}, []string{"firing Deployment shop/db"}},
		}},
		{"escalation posts an update, de-escalation does not", nil, []step{
			{0, nil, nil},
			{1, []triage.Finding{web}, nil},
			{31, []triage.Finding{web}, []string{"firing Deployment shop/web"}},
			{40, []triage.Finding{webCritical}, []string{"updated Deployment shop/web"}},
			{50, []triage.Finding{web}, nil},
			{60, []triage.Finding{webCritical}, nil},
		}},
		{"a flapping finding resolves only after resolve-after", nil, []step{
			{0, nil, nil},
			{1, []triage.Finding{db}, nil},
			{31, []triage.Finding{db}, []string{"firing Deployment shop/db"}},
			{40, nil, nil},
			{100, []triage.Finding{db}, nil},
			{110, nil, nil},
			{399, nil, nil},
			{400, nil, []string{"resolved Deployment shop/db"}},
			{500, nil, nil},
		}},
		{"a restart does not deliver again what was delivered", []Incident{{
			Key: "Deployment shop/db", Fingerprint: Fingerprint(db.Rule, OwnerOf(db)), Rule: db.Rule,
			Urgency: triage.High, Posted: triage.High, Firing: true, FirstSeen: t0.Add(-time.Hour), FiredAt: t0.Add(-time.Hour), LastSeen: t0.Add(-time.Minute),
		}}, []step{
			{0, []triage.Finding{db, web}, []string{"existing Deployment shop/web"}},
			{60, []triage.Finding{db, web}, nil},
			{70, []triage.Finding{web}, nil},
			{370, []triage.Finding{web}, []string{"resolved Deployment shop/db"}},
		}},
		{"findings of one owner are one incident", nil, []step{
			{0, nil, nil},
			{1, []triage.Finding{web, finding("workload/rollout-blocked", "web", triage.Medium)}, nil},
			{31, []triage.Finding{web, finding("workload/rollout-blocked", "web", triage.Medium)}, []string{"firing Deployment shop/web"}},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := NewTracker(30*time.Second, 5*time.Minute, tc.known)
			for _, s := range tc.steps {
				got := strings.Join(changes(tr.Observe(t0.Add(time.Duration(s.at)*time.Second), s.findings)), "; ")
				if want := strings.Join(s.want, "; "); got != want {
					t.Errorf("at %ds: changes %q, want %q", s.at, got, want)
				}
			}
		})
	}
}

func TestFingerprintIsStable(t *testing.T) {
	a := finding("pod/crash-loop", "web", triage.High)
	b := a
	b.Object.Name = "web-other-pod"
	b.Urgency = triage.Critical
	if Fingerprint(a.Rule, OwnerOf(a)) != Fingerprint(b.Rule, OwnerOf(b)) {
		t.Error("two pods of one Deployment have different fingerprints")
	}
	if Fingerprint(a.Rule, OwnerOf(a)) == Fingerprint("pod/oom-killed", OwnerOf(a)) {
		t.Error("two rules on one owner have the same fingerprint")
	}
}

// TestTrackerNamesByTheFindingAtFiring: an incident fires under the rule of
// its most urgent finding when it fires, not the first one seen while it
// settled; once delivered, its fingerprint no longer changes.
func TestTrackerNamesByTheFindingAtFiring(t *testing.T) {
	short := triage.Finding{Rule: "workload/replicas-short", Urgency: triage.Medium,
		Object: triage.ObjectRef{Kind: "Deployment", Namespace: "shop", Name: "web"}}
	sched := finding("scheduling/node-selector-mismatch", "web", triage.Critical)
	crash := finding("pod/crash-loop", "web", triage.Critical)
	owner := triage.ObjectRef{Kind: "Deployment", Namespace: "shop", Name: "web"}
	tr := NewTracker(30*time.Second, 5*time.Minute, nil)
	tr.Observe(t0, nil)
	tr.Observe(t0.Add(time.Second), []triage.Finding{short})
	tr.Observe(t0.Add(5*time.Second), []triage.Finding{sched})
	evs := tr.Observe(t0.Add(31*time.Second), []triage.Finding{sched})
	if len(evs) != 1 || evs[0].Change != Firing {
		t.Fatalf("changes %v, want one firing", changes(evs))
	}
	fired := evs[0].Incident
	if fired.Rule != sched.Rule || fired.Fingerprint != Fingerprint(sched.Rule, owner) {
		t.Errorf("fired as %s (%s), want %s", fired.Rule, fired.Fingerprint, sched.Rule)
	}
	tr.Observe(t0.Add(60*time.Second), []triage.Finding{crash})
	if got := tr.Firing(); len(got) != 1 || got[0].Fingerprint != fired.Fingerprint || got[0].Rule != sched.Rule {
		t.Errorf("after delivery the incident became %+v", got)
	}
}
