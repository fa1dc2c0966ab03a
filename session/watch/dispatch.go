package watch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/kuberesponder/kuberesponder/session/watch/sink"
)

// Sink is a named destination. Name is what logs and metrics show: the
// sink's kind and position, never its URL.
type Sink struct {
	Name   string
	Sender sink.Sender
}

// DispatchOptions bound the delivery of each sink.
type DispatchOptions struct {
	// QueueSize bounds the deliveries waiting per sink (default 100).
	QueueSize int
	// Rate is the most posts per minute per sink; more are held and sent as
	// one digest when the minute allows (default 20; 0 means the default).
	Rate int
	// Attempts bounds the tries of one delivery (default 6).
	Attempts int
	// Backoff is the first wait between tries, doubled each time up to
	// MaxBackoff (defaults 1 s and 1 min). A Retry-After is honoured up to
	// MaxRetryAfter (default 5 min).
	Backoff, MaxBackoff, MaxRetryAfter time.Duration
	// Timeout bounds one try (default 10 s).
	Timeout time.Duration
	// Now and Sleep are the clock; nil means the real one. Sleep returns
	// early with ctx's error.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
}

func (o *DispatchOptions) defaults() {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defd := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&o.QueueSize, 100)
	def(&o.Rate, 20)
	def(&o.Attempts, 6)
	defd(&o.Backoff, time.Second)
	defd(&o.MaxBackoff, time.Minute)
	defd(&o.MaxRetryAfter, 5*time.Minute)
	defd(&o.Timeout, 10*time.Second)
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = sleep
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Dispatcher gives every sink its own bounded queue and goroutine, so that
// one slow or dead sink never delays another.
type Dispatcher struct {
	opts   DispatchOptions
	queues []*queue
	m      *Metrics
	log    *slog.Logger
	wg     sync.WaitGroup
	mu     sync.Mutex
	closed bool
}

type queue struct {
	name string
	send sink.Sender
	ch   chan sink.Delivery
	// posts are the times of the posts of the last minute; held the
	// deliveries waiting for a digest.
	posts []time.Time
	held  []sink.Delivery
}

// NewDispatcher returns a dispatcher over sinks; Start runs it.
func NewDispatcher(sinks []Sink, opts DispatchOptions, m *Metrics, log *slog.Logger) *Dispatcher {
	opts.defaults()
	d := &Dispatcher{opts: opts, m: m, log: log}
	for _, s := range sinks {
		d.queues = append(d.queues, &queue{name: s.Name, send: s.Sender, ch: make(chan sink.Delivery, opts.QueueSize)})
	}
	return d
}

// Start runs one goroutine per sink until Drain, or until ctx ends (what is
// still queued then is dropped, counted and logged).
func (d *Dispatcher) Start(ctx context.Context) {
	for _, q := range d.queues {
		d.wg.Add(1)
		go func() {
			defer d.wg.Done()
			d.run(ctx, q)
		}()
	}
}

// Enqueue hands a delivery to every sink without waiting; a full queue drops
// it for that sink, counted and logged.
func (d *Dispatcher) Enqueue(del sink.Delivery) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, q := range d.queues {
		if d.closed {
			d.drop(q, del, "shutdown", errors.New("the watcher is stopping"))
			continue
		}
		select {
		case q.ch <- del:
			d.m.queued.WithLabelValues(q.name).Inc()
		default:
			d.drop(q, del, "queue-full", fmt.Errorf("the queue holds %d deliveries", cap(q.ch)))
		}
	}
}

// Drain stops taking deliveries and waits until every queue is empty, or
// until ctx ends (what is left is dropped by the goroutines' own context).
func (d *Dispatcher) Drain(ctx context.Context) error {
	d.mu.Lock()
	if !d.closed {
		d.closed = true
		for _, q := range d.queues {
			close(q.ch)
		}
	}
	d.mu.Unlock()
	done := make(chan struct{})
	go func() {
		d.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("drain the delivery queues: %w", ctx.Err())
	}
}

func (d *Dispatcher) drop(q *queue, del sink.Delivery, reason string, err error) {
	d.m.dropped.WithLabelValues(q.name, reason).Inc()
	d.log.Error("delivery dropped", "sink", q.name, "incident", del.ID, "state", del.State, "reason", reason, "error", err)
}

func (d *Dispatcher) run(ctx context.Context, q *queue) {
	var digest <-chan time.Time
	for {
		select {
		case del, ok := <-q.ch:
			if !ok {
				if len(q.held) > 0 {
					d.flush(ctx, q)
				}
				return
			}
			d.m.queued.WithLabelValues(q.name).Dec()
			if wait := d.room(q); wait > 0 {
				q.held = append(q.held, del)
				if digest == nil {
					digest = time.After(wait)
				}
				continue
			}
			d.deliver(ctx, q, del)
		case <-digest:
			digest = nil
			if wait := d.room(q); wait > 0 {
				digest = time.After(wait)
				continue
			}
			d.flush(ctx, q)
		case <-ctx.Done():
			for {
				select {
				case del, ok := <-q.ch:
					if !ok {
						return
					}
					d.m.queued.WithLabelValues(q.name).Dec()
					d.drop(q, del, "shutdown", ctx.Err())
				default:
					for _, del := range q.held {
						d.drop(q, del, "shutdown", ctx.Err())
					}
					return
				}
			}
		}
	}
}

// room returns zero when the sink may post now, else how long until it may.
func (d *Dispatcher) room(q *queue) time.Duration {
	now := d.opts.Now()
	keep := q.posts[:0]
	for _, t := range q.posts {
		if now.Sub(t) < time.Minute {
			keep = append(keep, t)
		}
	}
	q.posts = keep
	if len(q.posts) < d.opts.Rate {
		return 0
	}
	return time.Minute - now.Sub(q.posts[0])
}

// flush sends the held deliveries as one digest.
func (d *Dispatcher) flush(ctx context.Context, q *queue) {
	held := q.held
	q.held = nil
	now := d.opts.Now().UTC()
	dg := sink.Delivery{
		Version: sink.EnvelopeVersion, State: sink.StateDigest, Source: sink.SourceWatch,
		ID:      "digest-" + now.Format("20060102T150405.000Z"),
		Title:   fmt.Sprintf("%d deliveries held back by the rate limit of %d a minute", len(held), d.opts.Rate),
		Urgency: "none", StartedAt: held[0].SentAt, SentAt: now,
	}
	for _, h := range held {
		dg.Incidents = append(dg.Incidents, sink.Brief{ID: h.ID, State: h.State, Title: h.Title, Urgency: h.Urgency, Owner: h.Owner})
		if dg.Urgency == "none" || urgencyRank(h.Urgency) < urgencyRank(dg.Urgency) {
			dg.Urgency = h.Urgency
		}
	}
	dg.Fingerprint = dg.ID
	dg.IdempotencyKey = idempotencyKey(dg.ID, dg.State, dg.SentAt, "")
	d.m.digested.WithLabelValues(q.name).Add(float64(len(held)))
	d.deliver(ctx, q, dg)
}

func urgencyRank(u string) int {
	for i, n := range []string{"critical", "high", "medium", "low"} {
		if u == n {
			return i
		}
	}
	return 4
}

// deliver tries one delivery until it is accepted, fails for good, runs out
// of attempts, or ctx ends.
func (d *Dispatcher) deliver(ctx context.Context, q *queue, del sink.Delivery) {
	q.posts = append(q.posts, d.opts.Now())
	wait := d.opts.Backoff
	for attempt := 1; ; attempt++ {
		tctx, cancel := context.WithTimeout(ctx, d.opts.Timeout)
		err := q.send.Send(tctx, del)
		cancel()
		if err == nil {
			d.m.deliveries.WithLabelValues(q.name, del.State).Inc()
			if del.State == sink.StateFiring && !del.StartedAt.IsZero() {
				d.m.latency.Observe(d.opts.Now().Sub(del.StartedAt).Seconds())
			}
			d.log.Info("delivered", "sink", q.name, "incident", del.ID, "state", del.State, "attempt", attempt)
			return
		}
		d.m.failures.WithLabelValues(q.name).Inc()
		if ctx.Err() != nil {
			d.drop(q, del, "shutdown", err)
			return
		}
		if errors.Is(err, sink.ErrPermanent) {
			d.drop(q, del, "permanent", err)
			return
		}
		if attempt >= d.opts.Attempts {
			d.drop(q, del, "retries", fmt.Errorf("%d attempts: %w", attempt, err))
			return
		}
		pause := wait
		var re *sink.RetryError
		if errors.As(err, &re) && re.After > 0 {
			pause = min(re.After, d.opts.MaxRetryAfter)
		}
		d.log.Warn("delivery failed, retrying", "sink", q.name, "incident", del.ID, "attempt", attempt, "in", pause, "error", err)
		if d.opts.Sleep(ctx, pause) != nil {
			d.drop(q, del, "shutdown", err)
			return
		}
		wait = min(wait*2, d.opts.MaxBackoff)
	}
}
