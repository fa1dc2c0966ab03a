package watch

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/kuberesponder/kuberesponder/kube/triage"
	"github.com/kuberesponder/kuberesponder/session/watch/sink"
)

// receiverAt returns a receiver over the state file of dir, as a restarted
// watcher builds it, and what it enqueues.
func receiverAt(t *testing.T, dir string, now time.Time, ex Explainer) (*AlertReceiver, *recorder) {
	t.Helper()
	st, err := OpenState(dir)
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	web := triage.Finding{Rule: "scheduling/insufficient-memory", Urgency: triage.High, Problem: "Pod shop/web-1 is Pending",
		Object: triage.ObjectRef{Kind: "Pod", Namespace: "shop", Name: "web-1"},
		Impact: triage.Impact{Owners: []triage.ObjectRef{{Kind: "Deployment", Namespace: "shop", Name: "web"}}}}
	ar := NewAlertReceiver(AlertConfig{Gather: fixedReport{[]triage.Finding{web}}, Out: rec, Metrics: NewMetrics(),
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), State: st, Now: func() time.Time { return now },
		Explainer: ex, ModelTimeout: time.Second})
	t.Cleanup(ar.Close)
	return ar, rec
}

func decoded(t *testing.T, b string) *AlertPayload {
	t.Helper()
	p, err := DecodeAlerts([]byte(b))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestAlertGroupsSurviveARestart: a group delivered as firing is kept in the
// state file, so the receiver of a restarted watcher neither posts its
// repeat nor an unchanged group again, and closes it when resolved, with
// the same id and the duration from the alert's start to its end.
func TestAlertGroupsSurviveARestart(t *testing.T) {
	start := time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC) // the payload's startsAt
	resolvedBody := strings.Replace(body("resolved", "aaa"), `"endsAt":"0001-01-01T00:00:00Z"`, `"endsAt":"2026-12-05T08:42:00Z"`, 1)
	for _, tc := range []struct {
		name  string
		after []string // payloads to the restarted receiver
		want  []string // the states it delivers
	}{
		{"repeat after the restart", []string{body("firing", "aaa")}, nil},
		{"resolved after the restart", []string{body("firing", "aaa"), resolvedBody, resolvedBody}, []string{sink.StateResolved}},
		{"changed after the restart", []string{body("firing", "bbb")}, []string{sink.StateUpdated}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			first, rec1 := receiverAt(t, dir, start.Add(time.Minute), nil)
			if err := first.handle(context.Background(), decoded(t, body("firing", "aaa"))); err != nil {
				t.Fatal(err)
			}
			if len(rec1.ds) != 1 || rec1.ds[0].State != sink.StateFiring {
				t.Fatalf("before the restart: %+v", rec1.ds)
			}
			fired := rec1.ds[0]
			first.Close()

			second, rec2 := receiverAt(t, dir, start.Add(time.Hour), nil)
			for _, b := range tc.after {
				if err := second.handle(context.Background(), decoded(t, b)); err != nil {
					t.Fatal(err)
				}
			}
			var got []string
			for _, d := range rec2.ds {
				got = append(got, d.State)
				if d.ID != fired.ID || d.Fingerprint != fired.Fingerprint || !d.StartedAt.Equal(fired.StartedAt) {
					t.Errorf("%s: id %s, fingerprint %s, started %s; fired as %s, %s, %s",
						d.State, d.ID, d.Fingerprint, d.StartedAt, fired.ID, fired.Fingerprint, fired.StartedAt)
				}
				if d.State == sink.StateResolved && (d.DurationSeconds != 42*60 || d.ResolvedAt == nil || !d.ResolvedAt.Equal(start.Add(42*time.Minute))) {
					t.Errorf("resolved after %vs at %v, want 2520s at 08:42", d.DurationSeconds, d.ResolvedAt)
				}
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("the restarted receiver delivered %v, want %v", got, tc.want)
			}
		})
	}
}

// TestStateKeepsBothParts: the tracker's incidents and the receiver's groups
// share one file, and saving one part keeps the other.
func TestStateKeepsBothParts(t *testing.T) {
	dir := t.TempDir()
	st, err := OpenState(dir)
	if err != nil {
		t.Fatal(err)
	}
	in := Incident{Key: "Deployment shop/web", Fingerprint: "f1", Firing: true}
	g := AlertGroup{ID: "am-1-x", Fingerprint: "am-1", Alerts: "aaa"}
	if err := st.SaveIncidents([]Incident{in}); err != nil {
		t.Fatal(err)
	}
	if err := st.PutAlertGroup(g); err != nil {
		t.Fatal(err)
	}
	again, err := OpenState(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := again.Incidents(); len(got) != 1 || got[0].Fingerprint != "f1" {
		t.Errorf("incidents after reopening: %+v", got)
	}
	if got := again.AlertGroups(); len(got) != 1 || got[0] != g {
		t.Errorf("alert groups after reopening: %+v", got)
	}
}

// answering is a model that answers at once, or never (until its context
// ends) when text is empty.
type answering struct{ text string }

func (a answering) Explain(ctx context.Context, r triage.Report) *triage.ModelAnswer {
	if a.text == "" {
		<-ctx.Done()
		return &triage.ModelAnswer{Error: ctx.Err().Error()}
	}
	return &triage.ModelAnswer{Model: "m", Text: a.text}
}

// TestAlertGroupModelSections: with a model, a firing group's rules report
// is delivered first and the model's sections follow as an update of the
// same group; a silent model adds nothing and is counted as failed.
func TestAlertGroupModelSections(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		want       []string
		outcome    string
	}{
		{"answers", "1. Location: web-1 wants more memory than any node has", []string{sink.StateFiring, sink.StateUpdated}, "delivered"},
		{"never answers", "", []string{sink.StateFiring}, "failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ar, rec := receiverAt(t, t.TempDir(), time.Now(), answering{tc.text})
			if err := ar.handle(context.Background(), decoded(t, body("firing", "aaa"))); err != nil {
				t.Fatal(err)
			}
			ar.model.wait()
			var got []string
			for _, d := range rec.ds {
				got = append(got, d.State)
				var rep triage.Report
				if err := json.Unmarshal(d.Report, &rep); err != nil {
					t.Fatal(err)
				}
				withModel := rep.Model != nil && rep.Model.Text == tc.text
				if withModel != (d.State == sink.StateUpdated) || d.Alert == nil || len(rep.Findings) == 0 {
					t.Errorf("%s: model %+v, alert %+v, %d findings", d.State, rep.Model, d.Alert, len(rep.Findings))
				}
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("delivered %v, want %v", got, tc.want)
			}
			if n := testutil.ToFloat64(ar.cfg.Metrics.explained.WithLabelValues(tc.outcome)); n != 1 {
				t.Errorf("model answers %s: %v, want 1", tc.outcome, n)
			}
		})
	}
}

// TestStateWritesOnlyChanges: the watcher saves after every evaluation; a
// save of what the file already holds does not write it again.
func TestStateWritesOnlyChanges(t *testing.T) {
	dir := t.TempDir()
	st, err := OpenState(dir)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "state.json")
	g := AlertGroup{ID: "am-1-x", Fingerprint: "am-1", Alerts: "aaa"}
	if err := st.PutAlertGroup(g); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := st.PutAlertGroup(g); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("an unchanged save wrote the file again (%v)", err)
	}
	if err := st.SaveIncidents([]Incident{{Key: "Deployment shop/web", Fingerprint: "f1", Firing: true}}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("a changed save: %v", err)
	}
}
