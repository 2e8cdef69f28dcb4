package main

import (
	"context"
	"log/slog"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/vitrina-shop/vitrina/core/postgres"
)

// registerQueueMetrics adds the asynq queue metrics to the app's registry. Processes that run
// the worker call it. The metrics describe the queues in Redis, not this process: every worker
// reports the same numbers (aggregate with max, not sum).
func (a *app) registerQueueMetrics() error {
	if err := a.metrics.Register(newQueueCollector(asynq.NewInspectorFromRedisClient(a.redis), a.logger)); err != nil {
		return err
	}
	return a.metrics.Register(newOutboxCollector(postgres.NewOutbox(a.db), a.logger))
}

// outboxCollector reads the outbox's backlog from PostgreSQL at every scrape.
type outboxCollector struct {
	outbox  *postgres.Outbox
	logger  *slog.Logger
	pending *prometheus.Desc
	oldest  *prometheus.Desc
}

func newOutboxCollector(outbox *postgres.Outbox, logger *slog.Logger) *outboxCollector {
	return &outboxCollector{
		outbox: outbox,
		logger: logger,
		pending: prometheus.NewDesc("vitrina_outbox_backlog",
			"Outbox jobs not relayed to asynq yet, due or not.", nil, nil),
		oldest: prometheus.NewDesc("vitrina_outbox_oldest_due_seconds",
			"How long the oldest due outbox job has waited to be relayed; 0 when none is due.", nil, nil),
	}
}

func (c *outboxCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.pending
	ch <- c.oldest
}

func (c *outboxCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), readyCheckTimeout)
	defer cancel()
	pending, oldest, err := c.outbox.Backlog(ctx)
	if err != nil {
		c.logger.Warn("metrics: read the outbox backlog", "error", err)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.pending, prometheus.GaugeValue, float64(pending))
	ch <- prometheus.MustNewConstMetric(c.oldest, prometheus.GaugeValue, oldest.Seconds())
}

// queueCollector reads asynq's queue statistics from Redis at every scrape. It exports the
// metric names of github.com/hibiken/asynq/x/metrics, so dashboards made for it work; that
// module has no tagged versions and its latest pseudo-version pulls go-redis v8 and asynq
// v0.19, so Vitrina does not depend on it.
//
// A scrape costs a few Redis commands per queue (asynq samples 20 tasks per state for the
// memory estimate). When Redis does not answer, the queue metrics are left out of that
// scrape and vitrina_asynq_queue_metrics_up is 0; the other metrics are unaffected.
type queueCollector struct {
	inspector *asynq.Inspector
	logger    *slog.Logger
}

func newQueueCollector(inspector *asynq.Inspector, logger *slog.Logger) *queueCollector {
	return &queueCollector{inspector: inspector, logger: logger}
}

var (
	queueTasksDesc = prometheus.NewDesc("asynq_tasks_enqueued_total",
		"Tasks in the queue now, by state (a gauge, despite the name kept from asynq's exporter).",
		[]string{"queue", "state"}, nil)
	queueSizeDesc = prometheus.NewDesc("asynq_queue_size",
		"Tasks in the queue, all states.", []string{"queue"}, nil)
	queueLatencyDesc = prometheus.NewDesc("asynq_queue_latency_seconds",
		"How long the oldest pending task has waited.", []string{"queue"}, nil)
	queueMemoryDesc = prometheus.NewDesc("asynq_queue_memory_usage_approx_bytes",
		"Redis memory the queue uses, estimated by sampling.", []string{"queue"}, nil)
	queueProcessedDesc = prometheus.NewDesc("asynq_tasks_processed_total",
		"Tasks processed, succeeded or failed.", []string{"queue"}, nil)
	queueFailedDesc = prometheus.NewDesc("asynq_tasks_failed_total",
		"Tasks whose handler failed (each attempt counts).", []string{"queue"}, nil)
	queuePausedDesc = prometheus.NewDesc("asynq_queue_paused_total",
		"1 when the queue is paused, else 0.", []string{"queue"}, nil)
	queueUpDesc = prometheus.NewDesc("vitrina_asynq_queue_metrics_up",
		"1 when the last scrape read the queue statistics from Redis, else 0.", nil, nil)
)

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{queueTasksDesc, queueSizeDesc, queueLatencyDesc,
		queueMemoryDesc, queueProcessedDesc, queueFailedDesc, queuePausedDesc, queueUpDesc} {
		ch <- d
	}
}

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	infos, err := c.queueInfos()
	if err != nil {
		// Redis is down: /readyz says so and logs it; one line per scrape would be noise.
		c.logger.Debug("queue metrics: read queue statistics", "error", err)
		ch <- prometheus.MustNewConstMetric(queueUpDesc, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(queueUpDesc, prometheus.GaugeValue, 1)
	for _, q := range infos {
		for state, n := range map[string]int{
			"active": q.Active, "pending": q.Pending, "scheduled": q.Scheduled, "retry": q.Retry,
			"archived": q.Archived, "completed": q.Completed, "aggregating": q.Aggregating,
		} {
			ch <- prometheus.MustNewConstMetric(queueTasksDesc, prometheus.GaugeValue, float64(n), q.Queue, state)
		}
		paused := 0.0
		if q.Paused {
			paused = 1
		}
		ch <- prometheus.MustNewConstMetric(queueSizeDesc, prometheus.GaugeValue, float64(q.Size), q.Queue)
		ch <- prometheus.MustNewConstMetric(queueLatencyDesc, prometheus.GaugeValue, q.Latency.Seconds(), q.Queue)
		ch <- prometheus.MustNewConstMetric(queueMemoryDesc, prometheus.GaugeValue, float64(q.MemoryUsage), q.Queue)
		ch <- prometheus.MustNewConstMetric(queueProcessedDesc, prometheus.CounterValue, float64(q.ProcessedTotal), q.Queue)
		ch <- prometheus.MustNewConstMetric(queueFailedDesc, prometheus.CounterValue, float64(q.FailedTotal), q.Queue)
		ch <- prometheus.MustNewConstMetric(queuePausedDesc, prometheus.GaugeValue, paused, q.Queue)
	}
}

// queueInfos returns the statistics of every queue asynq knows.
func (c *queueCollector) queueInfos() ([]*asynq.QueueInfo, error) {
	names, err := c.inspector.Queues()
	if err != nil {
		return nil, err
	}
	infos := make([]*asynq.QueueInfo, 0, len(names))
	for _, name := range names {
		info, err := c.inspector.GetQueueInfo(name)
		if err != nil {
			return nil, err
		}
		infos = append(infos, info)
	}
	return infos, nil
}
