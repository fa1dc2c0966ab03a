package watch

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/kuberesponder/kuberesponder/session/watch/sink"
	"github.com/kuberesponder/kuberesponder/session/watch/sink/sinktest"
)

// sleeps records the pauses the dispatcher asks for and returns at once.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
	return ctx.Err()
}

func testDelivery(id string) sink.Delivery {
	return sink.Delivery{Version: sink.EnvelopeVersion, ID: id, Fingerprint: id, IdempotencyKey: "key-" + id,
		State: sink.StateFiring, Source: sink.SourceWatch, Title: "incident " + id, Urgency: "high"}
}

func TestDispatchFaults(t *testing.T) {
	for _, tc := range []struct {
		name      string
		faults    []sinktest.Fault
		down      bool
		delivered int
		dropped   string // the drop reason expected, if any
		pauses    []time.Duration
	}{
		{"429 with Retry-After", []sinktest.Fault{{Status: 429, RetryAfter: "3"}}, false, 1, "", []time.Duration{3 * time.Second}},
		{"Retry-After over the cap", []sinktest.Fault{{Status: 503, RetryAfter: "86400"}}, false, 1, "", []time.Duration{5 * time.Minute}},
		{"500s then accepted, with backoff", []sinktest.Fault{{Status: 500}, {Status: 502}, {Status: 500}}, false, 1, "",
			[]time.Duration{time.Second, 2 * time.Second, 4 * time.Second}},
		{"a timeout is retried", []sinktest.Fault{{Status: 200, Stall: time.Hour}}, false, 1, "", []time.Duration{time.Second}},
		{"a 400 is not retried", []sinktest.Fault{{Status: 400}}, false, 0, "permanent", nil},
		{"down for the whole test", nil, true, 0, "retries", []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rcv := sinktest.NewWebhook(t, []byte("k"))
			rcv.Fail(tc.faults...)
			rcv.Down(tc.down)
			s := &sleeps{}
			m := NewMetrics()
			d := NewDispatcher([]Sink{{Name: "webhook", Sender: sink.NewWebhook("webhook", rcv.URL(), []byte("k"), nil)}},
				DispatchOptions{Sleep: s.sleep, Timeout: 200 * time.Millisecond}, m, slog.New(slog.NewTextHandler(io.Discard, nil)))
			d.Start(context.Background())
			d.Enqueue(testDelivery("a"))
			if err := d.Drain(context.Background()); err != nil {
				t.Fatal(err)
			}
			if got := len(rcv.Deliveries()); got != tc.delivered {
				t.Errorf("delivered %d, want %d (rejected %v)", got, tc.delivered, rcv.Rejected())
			}
			if got := testutil.ToFloat64(m.deliveries.WithLabelValues("webhook", "firing")); int(got) != tc.delivered {
				t.Errorf("deliveries metric %v", got)
			}
			if tc.dropped != "" {
				if got := testutil.ToFloat64(m.dropped.WithLabelValues("webhook", tc.dropped)); got != 1 {
					t.Errorf("dropped{reason=%s} = %v, want 1", tc.dropped, got)
				}
			}
			if got, want := durations(s.d), durations(tc.pauses); got != want {
				t.Errorf("pauses %s, want %s", got, want)
			}
			if rcv.Repeats() != 0 {
				t.Errorf("%d repeats", rcv.Repeats())
			}
		})
	}
}

func durations(ds []time.Duration) string {
	var s []string
	for _, d := range ds {
		s = append(s, d.String())
	}
	return strings.Join(s, " ")
}

// TestSlowSinkDelaysNoOther stalls one sink until the other has its delivery:
// the test would hang if the first held the second back.
func TestSlowSinkDelaysNoOther(t *testing.T) {
	slow, fast := sinktest.NewWebhook(t, nil), sinktest.NewWebhook(t, nil)
	release := make(chan struct{})
	slowSender := blocking{next: sink.NewWebhook("slow", slow.URL(), nil, nil), release: release}
	m := NewMetrics()
	d := NewDispatcher([]Sink{{Name: "slow", Sender: slowSender}, {Name: "fast", Sender: sink.NewWebhook("fast", fast.URL(), nil, nil)}},
		DispatchOptions{}, m, slog.New(slog.NewTextHandler(io.Discard, nil)))
	d.Start(context.Background())
	d.Enqueue(testDelivery("a"))
	d.Enqueue(testDelivery("b"))
	for len(fast.Deliveries()) < 2 {
		time.Sleep(10 * time.Millisecond)
	}
	close(release)
	if err := d.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(slow.Deliveries()) != 2 {
		t.Errorf("slow sink received %d", len(slow.Deliveries()))
	}
}

// blocking waits for release before each send.
type blocking struct {
	next    sink.Sender
	release chan struct{}
}

func (b blocking) Send(ctx context.Context, d sink.Delivery) error {
	select {
	case <-b.release:
	case <-ctx.Done():
		return ctx.Err()
	}
	return b.next.Send(ctx, d)
}

func TestRateLimitSendsADigest(t *testing.T) {
	rcv := sinktest.NewSlack(t)
	m := NewMetrics()
	d := NewDispatcher([]Sink{{Name: "slack", Sender: sink.NewSlack("slack", rcv.URL(), nil)}},
		DispatchOptions{Rate: 2}, m, slog.New(slog.NewTextHandler(io.Discard, nil)))
	d.Start(context.Background())
	for _, id := range []string{"a", "b", "c", "d", "e"} {
		d.Enqueue(testDelivery(id))
	}
	if err := d.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	msgs := rcv.Messages()
	if len(msgs) != 3 {
		t.Fatalf("%d messages, want 2 and a digest; rejected %v", len(msgs), rcv.Rejected())
	}
	if txt, _ := msgs[2]["text"].(string); !strings.Contains(txt, "3 deliveries held back by the rate limit of 2 a minute") {
		t.Errorf("third message %q", txt)
	}
	if got := testutil.ToFloat64(m.digested.WithLabelValues("slack")); got != 3 {
		t.Errorf("digested %v", got)
	}
}

func TestFullQueueDropsAndCounts(t *testing.T) {
	release := make(chan struct{})
	rcv := sinktest.NewWebhook(t, nil)
	m := NewMetrics()
	d := NewDispatcher([]Sink{{Name: "webhook", Sender: blocking{next: sink.NewWebhook("webhook", rcv.URL(), nil, nil), release: release}}},
		DispatchOptions{QueueSize: 2}, m, slog.New(slog.NewTextHandler(io.Discard, nil)))
	// Not started: the queue fills and the fourth is dropped.
	for _, id := range []string{"a", "b", "c"} {
		d.Enqueue(testDelivery(id))
	}
	if got := testutil.ToFloat64(m.dropped.WithLabelValues("webhook", "queue-full")); got != 1 {
		t.Errorf("queue-full drops %v, want 1", got)
	}
	close(release)
	d.Start(context.Background())
	if err := d.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(rcv.Deliveries()) != 2 {
		t.Errorf("delivered %d, want 2", len(rcv.Deliveries()))
	}
}

// TestDrainGivesUpAtItsDeadline: a sink down for good cannot hold the
// process: Drain returns at its deadline and the dispatcher's context drops
// what is left, counted.
func TestDrainGivesUpAtItsDeadline(t *testing.T) {
	rcv := sinktest.NewWebhook(t, nil)
	rcv.Down(true)
	m := NewMetrics()
	ctx, cancel := context.WithCancel(context.Background())
	d := NewDispatcher([]Sink{{Name: "webhook", Sender: sink.NewWebhook("webhook", rcv.URL(), nil, nil)}},
		DispatchOptions{}, m, slog.New(slog.NewTextHandler(io.Discard, nil)))
	d.Start(ctx)
	d.Enqueue(testDelivery("a"))
	d.Enqueue(testDelivery("b"))
	dctx, dcancel := context.WithCancel(context.Background())
	dcancel() // the deadline has passed
	if err := d.Drain(dctx); err == nil {
		t.Fatal("Drain returned nil with a dead sink and an expired deadline")
	}
	cancel()
	if err := d.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := testutil.ToFloat64(m.dropped.WithLabelValues("webhook", "shutdown")); got != 2 {
		t.Errorf("shutdown drops %v, want 2", got)
	}
}
