package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/hibiken/asynq"
)

// runWorker processes asynq tasks. It starts once the bot exists (the handlers send with
// it): until then tasks wait in Redis, and jobs in the outbox. When shutdown begins
// (a.stopping) it stops taking new tasks and lets the ones in flight go on; when ctx is
// canceled it waits up to workerShutdownTimeout for them; those still running then go
// back to Redis and run again later (handlers are idempotent).
func (a *app) runWorker(ctx context.Context) error {
	select {
	case <-a.botReady():
	case <-a.stopping:
		return nil
	case <-ctx.Done():
		return nil
	}
	mux := asynq.NewServeMux()
	a.tasks.Register(mux)
	logger := a.logger.With("component", "asynq")
	// The workers know their queues, their weights and how to log a failed task
	// (once, without the payload, which may carry payment details).
	cfg := a.tasks.ServerConfig()
	cfg.ShutdownTimeout = workerShutdownTimeout
	cfg.Concurrency = a.cfg.WorkerConcurrency
	cfg.Logger = asynqLogger{logger}
	cfg.LogLevel = asynqLogLevel(a.cfg)
	cfg.HealthCheckFunc = func(err error) {
		if err != nil {
			logger.Warn("redis health check failed", "err", err)
		}
	}
	srv := asynq.NewServerFromRedisClient(a.redis, cfg)
	if err := srv.Start(mux); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	a.logger.Info("worker started", "queues", cfg.Queues)
	select {
	case <-ctx.Done():
	case <-a.stopping:
	}
	srv.Stop()
	<-ctx.Done()
	a.logger.Info("worker shutting down")
	srv.Shutdown()
	a.logger.Info("worker stopped")
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
