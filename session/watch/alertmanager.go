package watch

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kuberesponder/kuberesponder/kube/triage"
	"github.com/kuberesponder/kuberesponder/session/watch/sink"
)

// AlertPayload is Alertmanager's webhook body, version 4
// (prometheus.io/docs/alerting/latest/configuration/#webhook_config).
type AlertPayload struct {
	Version           string            `json:"version"`
	GroupKey          string            `json:"groupKey"`
	TruncatedAlerts   int               `json:"truncatedAlerts"`
	Status            string            `json:"status"`
	Receiver          string            `json:"receiver"`
	GroupLabels       map[string]string `json:"groupLabels"`
	CommonLabels      map[string]string `json:"commonLabels"`
	CommonAnnotations map[string]string `json:"commonAnnotations"`
	ExternalURL       string            `json:"externalURL"`
	Alerts            []AlertItem       `json:"alerts"`
}

// AlertItem is one alert of a group.
type AlertItem struct {
	Status       string            `json:"status"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
	Fingerprint  string            `json:"fingerprint"`
}

// DecodeAlerts reads and checks a version 4 payload: one JSON object, no
// trailing data, a group key, a known status, and alerts that say theirs.
func DecodeAlerts(body []byte) (*AlertPayload, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	var p AlertPayload
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("decode the Alertmanager payload: %w", err)
	}
	if dec.More() {
		return nil, errors.New("decode the Alertmanager payload: data after the JSON object")
	}
	if p.Version != "4" {
		return nil, fmt.Errorf("Alertmanager payload version %q: only version 4 is understood", p.Version)
	}
	if p.GroupKey == "" {
		return nil, errors.New("Alertmanager payload: no groupKey")
	}
	if p.Status != "firing" && p.Status != "resolved" {
		return nil, fmt.Errorf("Alertmanager payload: status %q is neither firing nor resolved", p.Status)
	}
	if len(p.Alerts) == 0 {
		return nil, errors.New("Alertmanager payload: no alerts")
	}
	for i, a := range p.Alerts {
		if a.Status != "firing" && a.Status != "resolved" {
			return nil, fmt.Errorf("Alertmanager payload: alert %d has status %q", i, a.Status)
		}
	}
	return &p, nil
}

// AlertReporter gives the first-response report scoped to a namespace
// (empty: all) and a snapshot of it saved under name.
type AlertReporter interface {
	AlertReport(ctx context.Context, name, namespace string, now time.Time) (triage.Report, string, error)
}

// AlertConfig is what the receiver needs.
type AlertConfig struct {
	Gather  AlertReporter
	Out     Enqueuer
	Metrics *Metrics
	Log     *slog.Logger
	Lang    string
	// MaxBody bounds a request body in bytes (default 1 MiB).
	MaxBody int64
	Now     func() time.Time
	// State keeps the open groups across restarts (the watcher's state
	// file); nil keeps them in memory only.
	State *State
	// Explainer, when set, writes the model's six sections of each group's
	// report, delivered as an update after it; ModelTimeout bounds one
	// answer (default 2 min).
	Explainer    Explainer
	ModelTimeout time.Duration
}

// AlertReceiver turns Alertmanager groups into incidents: the first firing
// notification of a group delivers its scoped report, a change in its alerts
// an update, and resolved closes it. Repeats are not delivered again, also
// after a restart: the open groups are kept in the state file.
type AlertReceiver struct {
	cfg AlertConfig
	// open holds the groups delivered and not resolved: cfg.State.
	open *State
	// model writes the six sections of firing groups; nil without a model.
	// Its answers live until Close, not for the request that asked.
	model  *modelWriter
	life   context.Context
	cancel context.CancelFunc
}

// NewAlertReceiver returns the handler of POST /alertmanager, with the
// groups cfg.State holds open. Close it after the listener stops.
func NewAlertReceiver(cfg AlertConfig) *AlertReceiver {
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = 1 << 20
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Lang == "" {
		cfg.Lang = "en"
	}
	a := &AlertReceiver{cfg: cfg, open: cfg.State,
		model: newModelWriter(cfg.Explainer, cfg.ModelTimeout, cfg.Out, cfg.Metrics, cfg.Log, cfg.Lang, cfg.Now)}
	if a.open == nil {
		a.open = memoryState()
	}
	a.life, a.cancel = context.WithCancel(context.Background())
	return a
}

// Close stops the model answers still being written (each is counted as
// failed) and waits for them, so that nothing is queued after it returns.
func (a *AlertReceiver) Close() {
	a.cancel()
	a.model.wait()
}

func (a *AlertReceiver) reply(w http.ResponseWriter, code int, msg string) {
	a.cfg.Metrics.alerts.WithLabelValues(strconv.Itoa(code)).Inc()
	http.Error(w, msg, code)
}

// ServeHTTP answers 200 once the group is handled, 400 on a malformed body,
// 413 on a body over MaxBody and 503 while the informers are not synced.
func (a *AlertReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, a.cfg.MaxBody))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		a.cfg.Log.Warn("alertmanager request refused", "reason", "body too large", "limit", a.cfg.MaxBody)
		a.reply(w, http.StatusRequestEntityTooLarge, "body too large")
		return
	}
	if err != nil {
		a.reply(w, http.StatusBadRequest, "unreadable body")
		return
	}
	p, err := DecodeAlerts(body)
	if err != nil {
		a.cfg.Log.Warn("alertmanager request refused", "reason", "malformed payload", "error", err)
		a.reply(w, http.StatusBadRequest, err.Error())
		return
	}
	if err := a.handle(r.Context(), p); err != nil {
		a.cfg.Log.Error("alertmanager group", "error", err)
		a.reply(w, http.StatusServiceUnavailable, "not ready: try again")
		return
	}
	a.cfg.Metrics.alerts.WithLabelValues("200").Inc()
	w.WriteHeader(http.StatusOK)
}

// Scope is the object an alert group is about, from its labels.
type Scope struct {
	Namespace string
	// Kind and Name name the object when a label says which; empty otherwise.
	Kind, Name string
}

// scopeLabels maps the usual alert labels (kube-state-metrics, the
// kube-prometheus rules) to kinds, most specific first.
var scopeLabels = []struct{ label, kind string }{
	{"pod", "Pod"}, {"deployment", "Deployment"}, {"statefulset", "StatefulSet"}, {"daemonset", "DaemonSet"},
	{"job_name", "Job"}, {"replicaset", "ReplicaSet"}, {"persistentvolumeclaim", "PersistentVolumeClaim"},
	{"service", "Service"}, {"node", "Node"},
}

// ScopeOf reads the scope of a group from its common labels, then from its
// first alert's.
func ScopeOf(p *AlertPayload) Scope {
	labels := p.CommonLabels
	if len(labels) == 0 {
		labels = p.Alerts[0].Labels
	}
	s := Scope{Namespace: labels["namespace"]}
	for _, l := range scopeLabels {
		if v := labels[l.label]; v != "" {
			s.Kind, s.Name = l.kind, v
			break
		}
	}
	return s
}

// Matches reports whether a finding is about the scope's object: the object
// itself, a related one, or one of its owners.
func (s Scope) Matches(f triage.Finding) bool {
	if s.Kind == "Node" {
		if f.Object.Kind == "Node" && f.Object.Name == s.Name {
			return true
		}
		for _, n := range f.Impact.Nodes {
			if n == s.Name {
				return true
			}
		}
		return false
	}
	if s.Namespace != "" && f.Object.Namespace != "" && f.Object.Namespace != s.Namespace {
		return false
	}
	if s.Kind == "" {
		return true
	}
	refs := append([]triage.ObjectRef{f.Object}, f.Related...)
	refs = append(refs, f.Impact.Owners...)
	for _, o := range refs {
		if o.Kind == s.Kind && o.Name == s.Name {
			return true
		}
	}
	return false
}

func (a *AlertReceiver) handle(ctx context.Context, p *AlertPayload) error {
	now := a.cfg.Now()
	sum := sha256.Sum256([]byte(p.Receiver + "\x00" + p.GroupKey))
	fp := "am-" + hex.EncodeToString(sum[:8])
	var firing []string
	started := now
	for _, al := range p.Alerts {
		if al.Status == "firing" {
			firing = append(firing, al.Fingerprint)
		}
		if !al.StartsAt.IsZero() && al.StartsAt.Before(started) {
			started = al.StartsAt
		}
	}
	sort.Strings(firing)
	key := strings.Join(firing, ",")
	g, isOpen := a.open.AlertGroup(fp) // a copy: the open group changes once the delivery is built
	state := sink.StateFiring
	switch {
	case p.Status == "resolved" && !isOpen:
		return nil // nothing open: a resolved repeat, or one never delivered as firing
	case p.Status == "resolved":
		state = sink.StateResolved
	case isOpen && g.Alerts == key:
		return nil // a repeat of what was delivered, before or after a restart
	case isOpen:
		state = sink.StateUpdated
	}
	scope := ScopeOf(p)
	if !isOpen {
		g = AlertGroup{Fingerprint: fp, Started: started.UTC()}
		g.ID = fp + "-" + g.Started.Format("20060102T150405Z")
	}
	name := ""
	if state == sink.StateFiring {
		name = g.ID // a snapshot of the state at alert time
	}
	rep, snap, err := a.cfg.Gather.AlertReport(ctx, name, scope.Namespace, now)
	if err != nil {
		return err
	}
	if state == sink.StateFiring {
		g.Snapshot = snap
	}
	g.Alerts = key
	var fs []triage.Finding
	for _, f := range rep.Findings {
		if scope.Matches(f) {
			fs = append(fs, f)
		}
	}
	scoped := ScopeReport(rep, fs)
	d, err := alertDelivery(p, &g, scope, scoped, state, a.cfg.Lang, now)
	if err != nil {
		return err
	}
	// A failure to save is logged: the delivery goes out anyway, and a
	// restart may post it again.
	if state == sink.StateResolved {
		err = a.open.DropAlertGroup(fp)
	} else {
		err = a.open.PutAlertGroup(g)
	}
	if err != nil {
		a.cfg.Log.Error("save the open alert groups", "error", err)
	}
	if state == sink.StateFiring {
		a.cfg.Metrics.incidents.WithLabelValues(d.Urgency, sink.SourceAlertmanager).Inc()
	}
	a.cfg.Out.Enqueue(d)
	if state == sink.StateFiring {
		a.model.explain(a.life, d, scoped, g.Started)
	}
	return nil
}

// endOf is when a resolved group ended: the latest endsAt of its alerts,
// or now when none is set or it is not after the group started.
func endOf(p *AlertPayload, started, now time.Time) time.Time {
	var end time.Time
	for _, al := range p.Alerts {
		if al.EndsAt.After(end) {
			end = al.EndsAt
		}
	}
	if end.IsZero() || !end.After(started) || end.After(now) {
		return now
	}
	return end
}

// alertDelivery builds the envelope of an alert group: the alert on top,
// then the report of what the rules found in its scope.
func alertDelivery(p *AlertPayload, g *AlertGroup, scope Scope, rep triage.Report, state, lang string, now time.Time) (sink.Delivery, error) {
	js, err := rep.JSON()
	if err != nil {
		return sink.Delivery{}, err
	}
	labels := p.CommonLabels
	if len(labels) == 0 {
		labels = p.Alerts[0].Labels
	}
	ann := p.CommonAnnotations
	if len(ann) == 0 {
		ann = p.Alerts[0].Annotations
	}
	name := labels["alertname"]
	d := sink.Delivery{
		Version: sink.EnvelopeVersion, ID: g.ID, Fingerprint: g.Fingerprint, State: state,
		Source: sink.SourceAlertmanager, Urgency: rep.Urgency, StartedAt: g.Started, SentAt: now.UTC(),
		Snapshot: g.Snapshot, SnapshotHint: snapshotHint(g.Snapshot), Report: js, Markdown: rep.Markdown(lang),
		Alert: &sink.Alert{Name: name, Status: p.Status, Receiver: p.Receiver, GroupKey: p.GroupKey,
			Labels: labels, Annotations: ann, Alerts: len(p.Alerts)},
	}
	if scope.Kind != "" {
		d.Owner = triage.ObjectRef{Kind: scope.Kind, Namespace: scope.Namespace, Name: scope.Name}.String()
	} else if scope.Namespace != "" {
		d.Owner = "Namespace " + scope.Namespace
	}
	d.Title = name
	if s := ann["summary"]; s != "" {
		d.Title += ": " + s
	}
	if len(rep.Findings) > 0 {
		d.Digest = digestOf(rep.Findings[0])
		d.Rule = rep.Findings[0].Rule
	}
	extra := ""
	switch state {
	case sink.StateResolved:
		end := endOf(p, g.Started, now).UTC()
		d.ResolvedAt = &end
		d.DurationSeconds = end.Sub(g.Started).Seconds()
		d.Title = "Resolved: " + d.Title
	case sink.StateUpdated:
		extra = g.Alerts
	}
	d.IdempotencyKey = idempotencyKey(d.ID, state, g.Started, extra)
	return d, nil
}
