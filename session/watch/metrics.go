package watch

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics are the watcher's Prometheus metrics, in a registry of their own.
// Sinks are labelled by kind and position ("slack", "webhook-2"), never by URL.
type Metrics struct {
	Registry   *prometheus.Registry
	incidents  *prometheus.CounterVec
	deliveries *prometheus.CounterVec
	failures   *prometheus.CounterVec
	dropped    *prometheus.CounterVec
	digested   *prometheus.CounterVec
	queued     *prometheus.GaugeVec
	latency    prometheus.Histogram
	alerts     *prometheus.CounterVec
	evaluated  prometheus.Counter
	explained  *prometheus.CounterVec
}

// NewMetrics registers the metrics, with the Go and process collectors.
func NewMetrics() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		incidents: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kuberesponder_incidents_total", Help: "Incidents opened, by urgency and source.",
		}, []string{"urgency", "source"}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kuberesponder_deliveries_total", Help: "Deliveries accepted by a sink, by sink and state.",
		}, []string{"sink", "state"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kuberesponder_delivery_failures_total", Help: "Failed delivery attempts, by sink.",
		}, []string{"sink"}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kuberesponder_deliveries_dropped_total", Help: "Deliveries given up, by sink and reason (queue-full, retries, permanent, shutdown).",
		}, []string{"sink", "reason"}),
		digested: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kuberesponder_deliveries_digested_total", Help: "Deliveries held back by the rate limit and sent as a digest, by sink.",
		}, []string{"sink"}),
		queued: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "kuberesponder_queue_length", Help: "Deliveries waiting, by sink.",
		}, []string{"sink"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "kuberesponder_detection_latency_seconds",
			Help:    "From the first sight of an incident's findings to its first delivery.",
			Buckets: []float64{1, 5, 10, 20, 30, 45, 60, 90, 120, 300},
		}),
		evaluated: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "kuberesponder_evaluations_total", Help: "Times the rules ran over the informer caches.",
		}),
		explained: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kuberesponder_model_answers_total", Help: "Model answers asked for incidents and alert groups, by outcome (delivered, failed).",
		}, []string{"outcome"}),
		alerts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kuberesponder_alertmanager_requests_total", Help: "Alertmanager webhook requests, by HTTP status.",
		}, []string{"code"}),
	}
	m.Registry.MustRegister(m.incidents, m.deliveries, m.failures, m.dropped, m.digested, m.queued, m.latency, m.alerts, m.evaluated, m.explained,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}
