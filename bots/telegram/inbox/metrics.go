package inbox

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// metrics are the Inbox's Prometheus metrics, labelled by update kind ("message",
// "callback_query", ...: a few dozen values at most).
type metrics struct {
	received   *prometheus.CounterVec
	duplicates *prometheus.CounterVec
	handled    *prometheus.CounterVec
	errors     *prometheus.CounterVec
	failed     *prometheus.CounterVec
	latency    *prometheus.HistogramVec

	expressFallbacks prometheus.Counter
}

// newMetrics creates the metrics and registers them on reg, unless reg is nil.
func newMetrics(reg prometheus.Registerer) *metrics {
	f := promauto.With(reg)
	kind := []string{"kind"}
	return &metrics{
		received: f.NewCounterVec(prometheus.CounterOpts{
			Name: "vitrina_telegram_updates_received_total",
			Help: "Updates received (webhook or polling), redeliveries included.",
		}, kind),
		duplicates: f.NewCounterVec(prometheus.CounterOpts{
			Name: "vitrina_telegram_updates_duplicate_total",
			Help: "Updates received again after they were stored (Telegram redelivered them); not handled again.",
		}, kind),
		handled: f.NewCounterVec(prometheus.CounterOpts{
			Name: "vitrina_telegram_updates_handled_total",
			Help: "Updates the bot handled without error.",
		}, kind),
		errors: f.NewCounterVec(prometheus.CounterOpts{
			Name: "vitrina_telegram_update_errors_total",
			Help: "Failed attempts to handle an update (each is retried, or the update set aside: see vitrina_telegram_updates_failed_total).",
		}, kind),
		failed: f.NewCounterVec(prometheus.CounterOpts{
			Name: "vitrina_telegram_updates_failed_total",
			Help: "Updates set aside as failed (kept for an operator to replay), by reason: decode (not an update this version reads), " +
				"permanent (the Bot API answered 400, 401 or 403), attempts (a handler error, every attempt), " +
				"outage (Telegram or the network failed for the whole outage window), crashed (attempts in a row never finished).",
		}, []string{"kind", "reason"}),
		latency: f.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "vitrina_telegram_update_handle_seconds",
			Help:    "Time the bot took to handle one update (one attempt).",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, kind),
		expressFallbacks: f.NewCounter(prometheus.CounterOpts{
			Name: "vitrina_telegram_express_fallbacks_total",
			Help: "Updates the express lane failed or was too slow at, handed to the inbox instead.",
		}),
	}
}
