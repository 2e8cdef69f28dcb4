package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/redis/go-redis/v9"

	"github.com/vitrina-shop/vitrina/core/postgres"
	"github.com/vitrina-shop/vitrina/workers"
)

// Shutdown budgets. Together they stay under the 30 s a container orchestrator usually waits
// between SIGTERM and SIGKILL.
const (
	httpShutdownTimeout   = 20 * time.Second // in-flight requests (webhook updates) finish within this
	workerShutdownTimeout = 20 * time.Second // in-flight tasks finish within this, or go back to Redis
	readyCheckTimeout     = 2 * time.Second
)

// app holds what one process shares between its parts: the pools, the metrics registry, and
// the pieces that wire (wire.go) plugs in. Nothing in it is state another replica needs.
type app struct {
	cfg     Config
	logger  *slog.Logger
	db      *pgxpool.Pool
	redis   redis.UniversalClient // shared by asynq (server and clients) and health checks
	metrics *prometheus.Registry
	httpm   httpMetrics

	// Set by wire; each may stay nil until its part exists.

	// webhook handles POST /telegram/webhook. It must check X-Telegram-Bot-Api-Secret-Token
	// and answer 200 only once the update is safe. nil: the route answers 503, so Telegram
	// keeps the update and retries.
	webhook http.Handler
	// startBot runs once before serve takes updates: the command menu, and setWebhook
	// (or deleteWebhook before long polling).
	startBot func(ctx context.Context) error
	// poll receives updates by long polling until ctx is canceled; serve runs it when no
	// webhook URL is configured. It returns nil after a clean stop.
	poll func(ctx context.Context) error
	// serveBackground runs in serve processes next to the HTTP server: the inbox's
	// sweeper of updates left by a crashed replica.
	serveBackground []func(ctx context.Context) error
	// tasks are the task handlers and the asynq settings they expect.
	tasks *workers.Workers
	// background runs in worker processes (and serve --with-worker) next to asynq: the outbox
	// relay, periodic sweeps. Each runs until ctx is canceled and then returns nil; an error
	// stops the process.
	background []func(ctx context.Context) error
	// closers run when the app closes, last added first, before the pools close.
	closers []func()

	draining atomic.Bool // set when shutdown starts: /readyz answers 503 from then on
}

// newApp connects to PostgreSQL (failing when it does not answer) and builds the Redis client
// (a Redis that is down only logs a warning: the outbox keeps jobs until it is back). The
// caller closes the app.
func newApp(ctx context.Context, cfg Config, logger *slog.Logger) (*app, error) {
	redisOpt, err := asynq.ParseRedisURI(cfg.RedisURL)
	if err != nil {
		return nil, errors.New("VITRINA_REDIS_URL: not a Redis URL") // the error would show the password
	}
	rdb, ok := redisOpt.MakeRedisClient().(redis.UniversalClient)
	if !ok {
		return nil, fmt.Errorf("redis client of unexpected type %T", redisOpt.MakeRedisClient())
	}
	db, err := postgres.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		rdb.Close()
		return nil, err
	}
	a := &app{
		cfg:     cfg,
		logger:  logger,
		db:      db,
		redis:   rdb,
		metrics: newMetricsRegistry(),
	}
	a.httpm = newHTTPMetrics(a.metrics)

	pingCtx, cancel := context.WithTimeout(ctx, readyCheckTimeout)
	defer cancel()
	if err := rdb.Ping(pingCtx).Err(); err != nil {
		logger.Warn("redis unreachable at start-up; continuing", "err", err)
	}
	return a, nil
}

// close releases everything the app holds. Call it once every part has stopped.
func (a *app) close() {
	for i := len(a.closers) - 1; i >= 0; i-- {
		a.closers[i]()
	}
	if err := a.redis.Close(); err != nil {
		a.logger.Warn("close redis", "err", err)
	}
	a.db.Close()
}

// newMetricsRegistry returns a registry with the Go runtime and process collectors and
// vitrina_build_info. Parts of the app register their own metrics on it.
func newMetricsRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	buildInfo := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "vitrina_build_info",
		Help: "Always 1; the labels say which build runs.",
	}, []string{"version", "commit"})
	buildInfo.WithLabelValues(version, commitOrUnknown()).Set(1)
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		buildInfo,
	)
	return reg
}

// runGroup runs every fn at once with a context that is canceled when ctx is or when any fn
// returns (a part that stops early stops the process), waits for all of them, and returns the
// first error.
func runGroup(ctx context.Context, fns ...func(ctx context.Context) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	for _, fn := range fns {
		wg.Go(func() {
			defer cancel()
			if err := fn(ctx); err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return first
}
