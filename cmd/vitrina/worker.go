package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"
)

// Queues of the worker and their weights: of every 10 tasks picked when all queues are full,
// about 6 come from critical, 3 from default and 1 from low. Task producers pick the queue
// with asynq.Queue(...).
const (
	QueueCritical = "critical" // money and stock: payment follow-ups, reservation expiries
	QueueDefault  = "default"  // notifications
	QueueLow      = "low"      // reports, clean-ups
)

var queueWeights = map[string]int{QueueCritical: 6, QueueDefault: 3, QueueLow: 1}

// delayedTaskCheckInterval is how often asynq moves due scheduled tasks to their queue. Its
// default (5 s) would let a reservation outlive its expiry by that much; see
// telegram-facts.md.
const delayedTaskCheckInterval = time.Second

// runWorker processes asynq tasks until ctx is canceled, then stops taking tasks and waits up
// to workerShutdownTimeout for the ones in flight; those still running then go back to Redis
// and run again later (handlers are idempotent).
func (a *app) runWorker(ctx context.Context) error {
	mux := asynq.NewServeMux()
	if a.registerTasks != nil {
		a.registerTasks(mux)
	} else {
		a.logger.Warn("task handlers not wired yet: tasks fail and are retried")
	}
	logger := a.logger.With("component", "asynq")
	srv := asynq.NewServerFromRedisClient(a.redis, asynq.Config{
		Queues:                   queueWeights,
		ShutdownTimeout:          workerShutdownTimeout,
		DelayedTaskCheckInterval: delayedTaskCheckInterval,
		Logger:                   asynqLogger{logger},
		LogLevel:                 asynqLogLevel(a.cfg),
		ErrorHandler: asynq.ErrorHandlerFunc(func(ctx context.Context, task *asynq.Task, err error) {
			// The single place task failures are logged. The payload is left out: it may
			// carry personal or payment details.
			retried, _ := asynq.GetRetryCount(ctx)
			maxRetry, _ := asynq.GetMaxRetry(ctx)
			id, _ := asynq.GetTaskID(ctx)
			logger.Error("task failed", "type", task.Type(), "id", id, "retried", retried, "max_retry", maxRetry, "err", err)
		}),
		HealthCheckFunc: func(err error) {
			if err != nil {
				logger.Warn("redis health check failed", "err", err)
			}
		},
	})
	if err := srv.Start(mux); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	a.logger.Info("worker started", "queues", queueWeights)
	<-ctx.Done()
	a.logger.Info("worker shutting down")
	srv.Shutdown()
	return nil
}

// asynqLogLevel keeps asynq as chatty as the rest of the app.
func asynqLogLevel(cfg Config) asynq.LogLevel {
	switch {
	case cfg.LogLevel <= slog.LevelDebug:
		return asynq.DebugLevel
	case cfg.LogLevel <= slog.LevelInfo:
		return asynq.InfoLevel
	case cfg.LogLevel <= slog.LevelWarn:
		return asynq.WarnLevel
	default:
		return asynq.ErrorLevel
	}
}
