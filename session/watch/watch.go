// Package watch is kuberesponder's long-running front door: shared informers
// feed the same facts and the same pure rules as the report, findings that
// persist become incidents, and every incident is delivered (with the
// first-response report and a snapshot of the cluster at that moment) to the
// sinks of package sink. It also receives Alertmanager's webhook and serves
// health and metrics.
package watch

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/kuberesponder/kuberesponder/kube/snapshot"
	"github.com/kuberesponder/kuberesponder/kube/triage"
	"github.com/kuberesponder/kuberesponder/session/watch/sink"
)

// Capturer takes a snapshot of a namespace (all of them when empty).
type Capturer interface {
	Capture(ctx context.Context, namespace string) (*snapshot.File, error)
}

// Enqueuer takes deliveries without waiting (a Dispatcher).
type Enqueuer interface {
	Enqueue(d sink.Delivery)
}

// followUpTimeout bounds the follow-up reads of one evaluation.
const followUpTimeout = 10 * time.Second

// Config is what a Watcher needs.
type Config struct {
	// Client reads the cluster; build it over kube.ReadOnlyConfig.
	Client kubernetes.Interface
	// Namespace limits the watch to one namespace; empty means all.
	Namespace string
	// Settle is how long findings must persist to be an incident;
	// ResolveAfter how long they must be gone to resolve it.
	Settle, ResolveAfter time.Duration
	// IgnoreExisting skips the findings already there at start, instead of
	// delivering them as one summary.
	IgnoreExisting bool
	Lang           string
	// StateDir holds state.json (the incidents and Alertmanager groups
	// delivered and still open, for restarts) and the snapshots.
	StateDir string
	// Snapshots, when set, takes a snapshot per incident.
	Snapshots Capturer
	// SnapshotTimeout bounds one snapshot (default 30 s).
	SnapshotTimeout time.Duration
	Out             Enqueuer
	Metrics         *Metrics
	Log             *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Debounce waits this long after a change before evaluating (default 1 s);
	// Every evaluates anyway this often (default 30 s).
	Debounce, Every time.Duration
	// Explainer, when set, writes the model's six sections of each new
	// incident, delivered as an update after the rules report; ModelTimeout
	// bounds one answer (default 2 min).
	Explainer    Explainer
	ModelTimeout time.Duration
}

// Watcher turns the informers' view of the cluster into incidents.
type Watcher struct {
	cfg     Config
	state   *State
	cache   *informerCache
	tracker *Tracker
	ready   atomic.Bool
	// model writes the six sections of new incidents; nil without a model.
	model *modelWriter
}

// New checks the configuration and builds the informers; Run starts them.
func New(cfg Config) (*Watcher, error) {
	if cfg.Client == nil || cfg.Out == nil || cfg.Metrics == nil || cfg.Log == nil {
		return nil, fmt.Errorf("watch: client, output, metrics and log are required")
	}
	if cfg.StateDir == "" {
		return nil, fmt.Errorf("watch: a state directory is required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Debounce <= 0 {
		cfg.Debounce = time.Second
	}
	if cfg.Every <= 0 {
		cfg.Every = 30 * time.Second
	}
	if cfg.SnapshotTimeout <= 0 {
		cfg.SnapshotTimeout = 30 * time.Second
	}
	if cfg.Lang == "" {
		cfg.Lang = "en"
	}
	if err := os.MkdirAll(cfg.StateDir, 0o700); err != nil {
		return nil, fmt.Errorf("create the watch state directory: %w", err)
	}
	st, err := OpenState(cfg.StateDir)
	if err != nil {
		return nil, err
	}
	return &Watcher{
		cfg:     cfg,
		state:   st,
		cache:   newInformerCache(cfg.Client, cfg.Namespace),
		tracker: NewTracker(cfg.Settle, cfg.ResolveAfter, st.Incidents()),
		model:   newModelWriter(cfg.Explainer, cfg.ModelTimeout, cfg.Out, cfg.Metrics, cfg.Log, cfg.Lang, cfg.Now),
	}, nil
}

// State is the watcher's state file, which the Alertmanager receiver shares.
func (w *Watcher) State() *State { return w.state }

// Ready reports whether the informers hold their first lists (/readyz).
func (w *Watcher) Ready() bool { return w.ready.Load() }

// Run watches until ctx ends. It returns nil then, or the error that stopped
// it before the informers were synced.
func (w *Watcher) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer func() {
		cancel()
		w.cache.shutdown()
		w.model.wait() // nothing is queued after Run returns
	}()
	w.cache.start(ctx)
	if err := w.cache.waitSynced(ctx); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	w.ready.Store(true)
	w.cfg.Log.Info("informers synced", "namespace", orAll(w.cfg.Namespace), "server", w.cache.version)
	w.evaluate(ctx)
	for {
		wait := w.cfg.Every
		if next := w.tracker.Next(); !next.IsZero() {
			wait = min(wait, max(next.Sub(w.cfg.Now())+10*time.Millisecond, 10*time.Millisecond))
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case <-w.cache.changed:
			timer.Stop()
			if sleep(ctx, w.cfg.Debounce) != nil {
				return nil
			}
			select { // the changes of the debounce are in this evaluation
			case <-w.cache.changed:
			default:
			}
		case <-timer.C:
		}
		w.evaluate(ctx)
	}
}

func orAll(ns string) string {
	if ns == "" {
		return "all namespaces"
	}
	return ns
}

// evaluate builds the facts from the caches, runs the rules and delivers
// what changed.
func (w *Watcher) evaluate(ctx context.Context) {
	now := w.cfg.Now()
	facts, err := w.cache.facts(now)
	if err != nil {
		w.cfg.Log.Error("evaluate", "error", err)
		return
	}
	rep := triage.Build(facts).In(w.cfg.Lang)
	events := w.tracker.Observe(now, rep.Findings)
	defer w.cfg.Metrics.evaluated.Inc() // after the deliveries are queued
	if len(events) == 0 {
		return
	}
	rep = w.followUp(ctx, facts) // reads only when something is delivered
	var existing []Event
	for _, ev := range events {
		ev.Incident.Findings = withFollowUp(ev.Incident.Findings, rep)
		if ev.Change == Existing {
			existing = append(existing, ev)
			continue
		}
		if ev.Change == Firing {
			w.cfg.Metrics.incidents.WithLabelValues(ev.Incident.Urgency.String(), sink.SourceWatch).Inc()
			ev.Incident.Snapshot = w.snapshot(ctx, ev.Incident.Fingerprint, ev.Incident.Owner.Namespace, now)
			w.tracker.SetSnapshot(ev.Incident.Key, ev.Incident.Snapshot)
		}
		d, err := incidentDelivery(ev, rep, w.cfg.Lang, now)
		if err != nil {
			w.cfg.Log.Error("build a delivery", "incident", ev.Incident.Key, "error", err)
			continue
		}
		w.cfg.Out.Enqueue(d)
		if ev.Change == Firing {
			w.model.explain(ctx, d, ScopeReport(rep, ev.Incident.Findings), ev.Incident.FiredAt)
		}
	}
	if len(existing) > 0 && !w.cfg.IgnoreExisting {
		snap := w.snapshot(ctx, "existing", w.cfg.Namespace, now)
		d, err := summaryDelivery(existing, rep, snap, w.cfg.Lang, now)
		if err != nil {
			w.cfg.Log.Error("build the summary", "error", err)
		} else {
			w.cfg.Out.Enqueue(d)
		}
	}
	if err := w.state.SaveIncidents(w.tracker.Firing()); err != nil {
		w.cfg.Log.Error("save state", "error", err)
	}
}

// followUp builds the report of facts after the follow-up reads Gather also
// makes (config key names, previous log tails of crash-looping containers),
// bounded by followUpTimeout; what could not be read is a gap.
func (w *Watcher) followUp(ctx context.Context, facts *triage.Facts) triage.Report {
	ctx, cancel := context.WithTimeout(ctx, followUpTimeout)
	defer cancel()
	return triage.Build(triage.FollowUp(ctx, w.cfg.Client, facts)).In(w.cfg.Lang)
}

// withFollowUp replaces each finding by the one of rep with the same rule
// and object, which carries the follow-up reads' evidence.
func withFollowUp(fs []triage.Finding, rep triage.Report) []triage.Finding {
	type key struct {
		rule string
		obj  triage.ObjectRef
	}
	by := make(map[key]triage.Finding, len(rep.Findings))
	for _, f := range rep.Findings {
		by[key{f.Rule, f.Object}] = f
	}
	out := make([]triage.Finding, len(fs))
	for i, f := range fs {
		if g, ok := by[key{f.Rule, f.Object}]; ok {
			f = g
		}
		out[i] = f
	}
	return out
}

// snapshot saves the cluster state of namespace and returns the file, or ""
// when no snapshot could be taken (the delivery says so by omission).
func (w *Watcher) snapshot(ctx context.Context, name, namespace string, now time.Time) string {
	if w.cfg.Snapshots == nil {
		return ""
	}
	ctx, cancel := context.WithTimeout(ctx, w.cfg.SnapshotTimeout)
	defer cancel()
	f, err := w.cfg.Snapshots.Capture(ctx, namespace)
	if err != nil {
		w.cfg.Log.Error("snapshot", "incident", name, "error", err)
		return ""
	}
	dir := filepath.Join(w.cfg.StateDir, "snapshots")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		w.cfg.Log.Error("snapshot", "incident", name, "error", err)
		return ""
	}
	path := filepath.Join(dir, name+"-"+now.UTC().Format("20060102T150405Z")+".snap")
	out, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		w.cfg.Log.Error("snapshot", "incident", name, "error", err)
		return ""
	}
	err = f.Write(out)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		w.cfg.Log.Error("snapshot", "incident", name, "error", err)
		_ = os.Remove(path)
		return ""
	}
	return path
}

// AlertReport gives the report of namespace (all when empty) from the
// informer caches and, when name is set, saves a snapshot under that name.
// It fails while the informers are not synced.
func (w *Watcher) AlertReport(ctx context.Context, name, namespace string, now time.Time) (triage.Report, string, error) {
	if !w.Ready() {
		return triage.Report{}, "", fmt.Errorf("the informers are not synced yet")
	}
	facts, err := w.cache.facts(now)
	if err != nil {
		return triage.Report{}, "", err
	}
	rep := w.followUp(ctx, facts)
	if namespace != "" {
		var fs []triage.Finding
		for _, f := range rep.Findings {
			if f.Object.Namespace == "" || f.Object.Namespace == namespace {
				fs = append(fs, f)
			}
		}
		rep = ScopeReport(rep, fs)
	}
	snap := ""
	if name != "" {
		snap = w.snapshot(ctx, name, namespace, now)
	}
	return rep, snap, nil
}
