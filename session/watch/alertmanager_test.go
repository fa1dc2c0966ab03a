package watch

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kuberesponder/kuberesponder/kube/triage"
	"github.com/kuberesponder/kuberesponder/session/watch/sink"
)

// fixedReport answers every alert with the same findings.
type fixedReport struct{ findings []triage.Finding }

func (f fixedReport) AlertReport(context.Context, string, string, time.Time) (triage.Report, string, error) {
	return triage.Report{Version: triage.ReportVersion, Lang: "en", Urgency: "high", Findings: f.findings, Events: []triage.EventGroup{}}, "", nil
}

// recorder keeps what is enqueued.
type recorder struct {
	mu sync.Mutex
	ds []sink.Delivery
}

func (r *recorder) Enqueue(d sink.Delivery) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ds = append(r.ds, d)
}

const firingPayload = `{"version":"4","groupKey":"{}:{alertname=\"KubeDeploymentReplicasMismatch\", namespace=\"shop\"}",
"truncatedAlerts":0,"status":"%s","receiver":"kuberesponder",
"groupLabels":{"alertname":"KubeDeploymentReplicasMismatch","namespace":"shop"},
"commonLabels":{"alertname":"KubeDeploymentReplicasMismatch","namespace":"shop","deployment":"web","severity":"warning"},
"commonAnnotations":{"summary":"Deployment shop/web has not matched its replicas"},
"externalURL":"http://127.0.0.1:9093",
"alerts":[{"status":"%s","labels":{"alertname":"KubeDeploymentReplicasMismatch","namespace":"shop","deployment":"web"},
"annotations":{"summary":"Deployment shop/web has not matched its replicas"},
"startsAt":"2026-12-05T08:00:00Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://prometheus/graph","fingerprint":"%s"}]}`

func body(status, fingerprint string) string {
	s := firingPayload
	for _, v := range []string{status, status, fingerprint} {
		s = strings.Replace(s, "%s", v, 1)
	}
	return s
}

func TestAlertReceiver(t *testing.T) {
	web := triage.Finding{Rule: "scheduling/insufficient-memory", Urgency: triage.High, Problem: "Pod shop/web-1 is Pending",
		Object: triage.ObjectRef{Kind: "Pod", Namespace: "shop", Name: "web-1"},
		Impact: triage.Impact{Owners: []triage.ObjectRef{{Kind: "ReplicaSet", Namespace: "shop", Name: "web-5d"}, {Kind: "Deployment", Namespace: "shop", Name: "web"}}}}
	other := triage.Finding{Rule: "service/no-matching-pods", Urgency: triage.Medium, Object: triage.ObjectRef{Kind: "Service", Namespace: "shop", Name: "orphan"}}
	elsewhere := triage.Finding{Rule: "pod/crash-loop", Urgency: triage.High, Object: triage.ObjectRef{Kind: "Pod", Namespace: "bank", Name: "web-1"},
		Impact: triage.Impact{Owners: []triage.ObjectRef{{Kind: "Deployment", Namespace: "bank", Name: "web"}}}}
	type req struct {
		body, token string
		code        int
		state       string // the delivery expected, "" for none
	}
	for _, tc := range []struct {
		name  string
		token string
		reqs  []req
	}{
		{"firing, repeated, resolved, resolved again", "", []req{
			{body("firing", "aaa"), "", 200, "firing"},
			{body("firing", "aaa"), "", 200, ""},
			{body("firing", "bbb"), "", 200, "updated"},
			{body("resolved", "bbb"), "", 200, "resolved"},
			{body("resolved", "bbb"), "", 200, ""},
		}},
		{"malformed bodies get 400", "", []req{
			{"{", "", 400, ""},
			{"[]", "", 400, ""},
			{`{"version":"3","groupKey":"k","status":"firing","alerts":[{"status":"firing"}]}`, "", 400, ""},
			{`{"version":"4","groupKey":"","status":"firing","alerts":[{"status":"firing"}]}`, "", 400, ""},
			{`{"version":"4","groupKey":"k","status":"pending","alerts":[{"status":"firing"}]}`, "", 400, ""},
			{`{"version":"4","groupKey":"k","status":"firing","alerts":[]}`, "", 400, ""},
			{`{"version":"4","groupKey":"k","status":"firing","alerts":[{"status":"firing"}]} {}`, "", 400, ""},
			{strings.Repeat(" ", 2<<10) + body("firing", "a"), "", 413, ""},
		}},
		{"a token is required when set", "t0ken", []req{
			{body("firing", "aaa"), "", 401, ""},
			{body("firing", "aaa"), "wrong", 401, ""},
			{body("firing", "aaa"), "t0ken", 200, "firing"},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{}
			m := NewMetrics()
			log := slog.New(slog.NewTextHandler(io.Discard, nil))
			ar := NewAlertReceiver(AlertConfig{Gather: fixedReport{[]triage.Finding{web, other, elsewhere}}, Out: rec, Metrics: m, Log: log, MaxBody: 2 << 10})
			srv := httptest.NewServer(Handler(ServerConfig{Token: tc.token, Metrics: m, Alerts: ar, Log: log}))
			defer srv.Close()
			for i, r := range tc.reqs {
				before := len(rec.ds)
				hr, _ := http.NewRequest(http.MethodPost, srv.URL+"/alertmanager", strings.NewReader(r.body))
				if r.token != "" {
					hr.Header.Set("Authorization", "Bearer "+r.token)
				}
				resp, err := http.DefaultClient.Do(hr)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != r.code {
					t.Errorf("request %d: status %d, want %d", i, resp.StatusCode, r.code)
				}
				got := ""
				if len(rec.ds) > before {
					got = rec.ds[len(rec.ds)-1].State
				}
				if got != r.state || len(rec.ds) > before+1 {
					t.Errorf("request %d: delivered %q (%d), want %q", i, got, len(rec.ds)-before, r.state)
				}
			}
			for _, d := range rec.ds {
				if d.Source != sink.SourceAlertmanager || d.Alert == nil || d.Alert.Name != "KubeDeploymentReplicasMismatch" ||
					d.Owner != "Deployment shop/web" || d.Rule != web.Rule || !strings.Contains(string(d.Report), "web-1") ||
					strings.Contains(string(d.Report), "orphan") || strings.Contains(string(d.Report), "bank") {
					t.Errorf("delivery not scoped to the alert's deployment: %+v\n%s", d, d.Report)
				}
			}
		})
	}
}

func TestLoopback(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:8080": true, "[::1]:80": true, "localhost:1": true,
		"0.0.0.0:8080": false, ":8080": false, "10.0.0.1:80": false, "example.com:80": false,
	} {
		if Loopback(addr) != want {
			t.Errorf("Loopback(%q) = %v", addr, !want)
		}
	}
	if err := Serve(context.Background(), ServerConfig{Addr: "0.0.0.0:0"}, nil); err == nil {
		t.Error("Serve listened on every address without a token")
	}
}

// FuzzDecodeAlerts: no input makes the decoder panic, and whatever it
// accepts holds what the receiver relies on.
func FuzzDecodeAlerts(f *testing.F) {
	f.Add([]byte(body("firing", "aaa")))
	f.Add([]byte(body("resolved", "b")))
	f.Add([]byte(`{"version":"4","groupKey":"k","status":"firing","alerts":[{"status":"firing","labels":null}]}`))
	f.Add([]byte(`{"version":"4","alerts":[{}]}`))
	f.Add([]byte("{"))
	m, log := NewMetrics(), slog.New(slog.NewTextHandler(io.Discard, nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := DecodeAlerts(b)
		if err != nil {
			return
		}
		if p.Version != "4" || p.GroupKey == "" || len(p.Alerts) == 0 {
			t.Fatalf("accepted %q", b)
		}
		s := ScopeOf(p) // reads labels that may be nil
		_ = s.Matches(triage.Finding{})
		// The receiver turns what the decoder accepts into deliveries
		// without failing or panicking, twice (a repeat) and once resolved.
		rec := &recorder{}
		ar := NewAlertReceiver(AlertConfig{Gather: fixedReport{}, Out: rec, Metrics: m, Log: log})
		for range 2 {
			if err := ar.handle(context.Background(), p); err != nil {
				t.Fatalf("handle %q: %v", b, err)
			}
		}
		p.Status = "resolved"
		if err := ar.handle(context.Background(), p); err != nil {
			t.Fatalf("handle resolved %q: %v", b, err)
		}
		for _, d := range rec.ds {
			if _, err := json.Marshal(d); err != nil {
				t.Fatalf("encode the delivery of %q: %v", b, err)
			}
		}
	})
}
