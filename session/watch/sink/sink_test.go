package sink_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/kuberesponder/kuberesponder/session/watch/sink"
	"github.com/kuberesponder/kuberesponder/session/watch/sink/sinktest"
)

func delivery(state string) sink.Delivery {
	at := time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)
	return sink.Delivery{
		Version: sink.EnvelopeVersion, ID: "0123abcd-20261205T080000Z", Fingerprint: "0123abcd", IdempotencyKey: "k-" + state,
		State: state, Source: sink.SourceWatch, Title: "Pod shop/web-1 cannot be scheduled (Deployment shop/web)",
		Urgency: "high", Owner: "Deployment shop/web", Rule: "scheduling/insufficient-memory", StartedAt: at, SentAt: at,
		Snapshot: "/state/snapshots/0123abcd.snap", SnapshotHint: "kuberesponder --snapshot /state/snapshots/0123abcd.snap",
		Report: []byte(`{"version":1}`), Markdown: "# report",
		Digest: sink.Digest{Location: "Pod shop/web-1: Pending", Evidence: []string{"Warning FailedScheduling pod/web-1: 0/2 nodes are available"},
			Impact: "Deployment shop/web: 1 of 2 available", Cause: "no node has 10Gi free", Commands: []string{"kubectl describe pod web-1 -n shop"}},
	}
}

// huge returns a delivery with every part far over Slack's limits.
func huge() sink.Delivery {
	d := delivery(sink.StateSummary)
	long := strings.Repeat("evidence <with> & marks ", 1000)
	d.Title = strings.Repeat("a very long title ", 50)
	d.Owner = strings.Repeat("Deployment shop/", 300)
	d.Digest.Location = long
	d.Digest.Cause, d.Digest.Impact = long, long
	for i := 0; i < 40; i++ {
		d.Digest.Evidence = append(d.Digest.Evidence, long)
		d.Digest.Commands = append(d.Digest.Commands, "kubectl get pods -n shop "+long)
	}
	for i := 0; i < 200; i++ {
		d.Incidents = append(d.Incidents, sink.Brief{ID: fmt.Sprint(i), State: "firing", Title: long, Urgency: "high"})
	}
	d.Alert = &sink.Alert{Name: "KubePodNotReady", Status: "firing", Labels: map[string]string{}, Annotations: map[string]string{"description": long}}
	for i := 0; i < 300; i++ {
		d.Alert.Labels[fmt.Sprintf("label_%d", i)] = "value"
	}
	d.SnapshotHint = "kuberesponder --snapshot " + long
	return d
}

func TestSlackStaysWithinSlackLimits(t *testing.T) {
	for _, tc := range []struct {
		name string
		d    sink.Delivery
	}{
		{"firing", delivery(sink.StateFiring)},
		{"resolved", func() sink.Delivery {
			d := delivery(sink.StateResolved)
			now := d.StartedAt.Add(5 * time.Minute)
			d.ResolvedAt, d.DurationSeconds = &now, 300
			return d
		}()},
		{"everything over the limits", huge()},
		{"empty digest", sink.Delivery{State: sink.StateDigest, Title: "x"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rcv := sinktest.NewSlack(t)
			s := sink.NewSlack("slack", rcv.URL(), nil)
			if err := s.Send(context.Background(), tc.d); err != nil {
				t.Fatalf("Slack refused the message: %v %v", err, rcv.Rejected())
			}
			if n := len(rcv.Messages()); n != 1 {
				t.Fatalf("%d messages received", n)
			}
		})
	}
}

func TestSlackReceiverRefusesWhatSlackRefuses(t *testing.T) {
	long := strings.Repeat("x", 3001)
	for _, tc := range []struct {
		name string
		msg  map[string]any
	}{
		{"no text", map[string]any{}},
		{"51 blocks", map[string]any{"text": "t", "blocks": func() []any {
			var b []any
			for range 51 {
				b = append(b, map[string]any{"type": "divider"})
			}
			return b
		}()}},
		{"long header", map[string]any{"blocks": []any{map[string]any{"type": "header", "text": map[string]any{"type": "plain_text", "text": long[:151]}}}}},
		{"mrkdwn header", map[string]any{"blocks": []any{map[string]any{"type": "header", "text": map[string]any{"type": "mrkdwn", "text": "x"}}}}},
		{"long section", map[string]any{"blocks": []any{map[string]any{"type": "section", "text": map[string]any{"type": "mrkdwn", "text": long}}}}},
		{"11 fields", map[string]any{"blocks": []any{map[string]any{"type": "section", "fields": func() []any {
			var f []any
			for range 11 {
				f = append(f, map[string]any{"type": "mrkdwn", "text": "f"})
			}
			return f
		}()}}}},
		{"empty context", map[string]any{"blocks": []any{map[string]any{"type": "context", "elements": []any{}}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if sinktest.CheckSlack(tc.msg) == "" {
				t.Errorf("the receiver accepts %s", tc.name)
			}
		})
	}
}

func TestWebhookSignature(t *testing.T) {
	secret := []byte("s3cret-key")
	for _, tc := range []struct {
		name     string
		sign     []byte
		accepted bool
	}{
		{"signed with the receiver's key", secret, true},
		{"signed with another key", []byte("other"), false},
		{"not signed", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rcv := sinktest.NewWebhook(t, secret)
			s := sink.NewWebhook("webhook", rcv.URL()+"/hook?token=url-secret", tc.sign, nil)
			err := s.Send(context.Background(), delivery(sink.StateFiring))
			if tc.accepted {
				if err != nil || len(rcv.Deliveries()) != 1 {
					t.Fatalf("send: %v; received %d; rejected %v", err, len(rcv.Deliveries()), rcv.Rejected())
				}
				return
			}
			if err == nil || !errors.Is(err, sink.ErrPermanent) {
				t.Fatalf("send = %v, want a permanent failure", err)
			}
			if strings.Contains(err.Error(), "url-secret") || strings.Contains(err.Error(), "127.0.0.1") {
				t.Errorf("the error shows the URL: %v", err)
			}
		})
	}
}

func TestErrorsNeverShowTheURL(t *testing.T) {
	rcv := sinktest.NewWebhook(t, nil)
	url := rcv.URL() + "/services/T000/B000/url-secret"
	for _, tc := range []struct {
		name  string
		fault sinktest.Fault
	}{
		{"500", sinktest.Fault{Status: 500}},
		{"429", sinktest.Fault{Status: 429, RetryAfter: "7"}},
		{"404", sinktest.Fault{Status: 404}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, s := range []sink.Sender{sink.NewWebhook("webhook", url, nil, nil), sink.NewSlack("slack", url, nil)} {
				rcv.Fail(tc.fault)
				err := s.Send(context.Background(), delivery(sink.StateFiring))
				if err == nil || strings.Contains(err.Error(), "url-secret") {
					t.Errorf("error %v", err)
				}
				var re *sink.RetryError
				if tc.fault.RetryAfter != "" && (!errors.As(err, &re) || re.After != 7*time.Second) {
					t.Errorf("Retry-After not read: %v", err)
				}
			}
		})
	}
	// Nobody listening: net/http's error quotes the URL; ours must not.
	gone := httptest.NewServer(http.NotFoundHandler())
	u := gone.URL + "/url-secret"
	gone.Close()
	for _, s := range []sink.Sender{sink.NewWebhook("webhook", u, nil, nil), sink.NewSlack("slack", u, nil)} {
		err := s.Send(context.Background(), delivery(sink.StateFiring))
		if err == nil || strings.Contains(err.Error(), "url-secret") || strings.Contains(err.Error(), "127.0.0.1") {
			t.Errorf("connection refused: error %v", err)
		}
	}
}
